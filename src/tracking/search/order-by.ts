import { invalidParam } from '../../protocol/mlflow/errors.ts';
import { isKeyword, tokenize } from './lexer.ts';

/** Splits one order_by entry, `<identifier> [ASC|DESC]`, before each grammar resolves the identifier. */
export function parseOrderByClause(clause: string): { identifier: string; ascending: boolean } {
  const tokens = tokenize(clause, 'order_by clause');
  const [ident, dir] = tokens;
  if (tokens.length > 2 || ident?.type !== 'ident' || (dir && dir.type !== 'ident')) {
    throw invalidParam(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  }
  if (dir && !isKeyword(dir, 'ASC') && !isKeyword(dir, 'DESC')) {
    throw invalidParam(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return { identifier: ident.text, ascending: !isKeyword(dir, 'DESC') };
}
