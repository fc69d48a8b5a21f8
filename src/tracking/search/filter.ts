import { invalidParam } from '../../protocol/mlflow/errors.ts';
import { doubleQuotedValue, isKeyword, isName, tokenize, type Token } from './lexer.ts';
import type { LifecycleStage, NumericComparator, StringComparator, ViewType } from './types.ts';

export type RawValue =
  | { type: 'number'; text: string; value: number }
  | { type: 'string'; text: string; value: string }
  | { type: 'word'; text: string }
  | { type: 'list'; text: string; values: string[] };

/** One `<identifier> <comparator> <value>` clause, checked for shape only; each grammar gives it meaning. */
export interface RawComparison {
  identifier: string;
  comparator: string;
  value: RawValue;
}

export const NUMERIC_COMPARATORS: readonly NumericComparator[] = ['=', '!=', '>', '>=', '<', '<='];
export const STRING_COMPARATORS: readonly StringComparator[] = ['=', '!=', 'LIKE', 'ILIKE'];

/** Python's repr of a set of strings, which MLflow interpolates into its messages. */
export const pySet = (xs: readonly string[]) => `{${xs.map((x) => `'${x}'`).join(', ')}}`;

export const own = <T>(rec: Record<string, T>, key: string): T | undefined => (Object.hasOwn(rec, key) ? rec[key] : undefined);

export function parseComparisons(src: string): RawComparison[] {
  const tokens = tokenize(src, 'filter');
  const invalid = (from: number, note = ''): never => {
    throw invalidParam(`Invalid clause(s) in filter string: '${src.slice(tokens[from]!.pos).trim()}'${note}`);
  };
  const out: RawComparison[] = [];
  let i = 0;
  while (i < tokens.length) {
    const start = i;
    const ident = tokens[i++];
    if (!isName(ident)) return invalid(start);
    let comparator: string;
    const t = tokens[i];
    if (t?.type === 'op') comparator = t.text;
    else if (isKeyword(t, 'LIKE') || isKeyword(t, 'ILIKE') || isKeyword(t, 'IN')) comparator = t!.text.toUpperCase();
    else if (isKeyword(t, 'NOT') && isKeyword(tokens[i + 1], 'IN')) {
      comparator = 'NOT IN';
      i++;
    } else return invalid(start);
    i++;
    const value = tokens[i]?.type === 'punct' ? parseList() : parseScalar(tokens[i]);
    if (!value) return invalid(start);
    out.push({ identifier: ident.text, comparator, value });
    if (i === tokens.length) break;
    if (isKeyword(tokens[i], 'OR')) invalid(i, '. OR is not supported; join clauses with AND');
    if (!isKeyword(tokens[i], 'AND') || i + 1 === tokens.length) invalid(i);
    i++;
  }
  return out;

  function parseScalar(t: Token | undefined): RawValue | undefined {
    i++;
    if (t?.type === 'number' || t?.type === 'string') return t;
    if (!isName(t)) return undefined;
    const dq = doubleQuotedValue(t.text);
    return dq === undefined ? { type: 'word', text: t.text } : { type: 'string', text: t.text, value: dq };
  }

  // MLflow only takes lists of quoted strings, for `run_id IN ('a', 'b')`.
  function parseList(): RawValue | undefined {
    const open = tokens[i]!;
    if (open.text !== '(') return undefined;
    const close = tokens.findIndex((t, k) => k > i && t.type === 'punct' && t.text === ')');
    if (close < 0) return undefined;
    const text = src.slice(open.pos, tokens[close]!.pos + 1);
    const inner = tokens.slice(i + 1, close);
    i = close + 1;
    if (!inner.length) throw invalidParam('While parsing a list in the query, expected a non-empty list of string values, but got empty list');
    const values = inner.map((t, k) => {
      const v = k % 2 ? undefined : t.type === 'string' ? t.value : t.type === 'ident' ? doubleQuotedValue(t.text) : undefined;
      if (k % 2 ? t.text === ',' && k < inner.length - 1 : v !== undefined) return v;
      throw invalidParam(
        `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${text}`,
      );
    });
    return { type: 'list', text, values: values.filter((v) => v !== undefined) };
  }
}

export function checkComparator<C extends string>(comparator: string, allowed: readonly C[]): C {
  if (!(allowed as readonly string[]).includes(comparator)) {
    throw invalidParam(`Invalid comparator '${comparator}' not one of '${pySet(allowed)}'`);
  }
  return comparator as C;
}

/** `what` completes MLflow's "Expected numeric value type for ...": "metric", "numeric attribute: start_time". */
export function numberValue(v: RawValue, what: string): number {
  if (v.type === 'number') return v.value;
  throw invalidParam(`Expected numeric value type for ${what}. Found ${v.text}`);
}

/** `what` completes MLflow's "Expected a quoted string value for ...": "attributes", "tag (e.g. 'my-value')". */
export function stringValue(v: RawValue, what: string): string {
  if (v.type === 'string') return v.value;
  if (v.type === 'word') {
    throw invalidParam(
      `Parameter value is either not quoted or unidentified quote types used for string value ${v.text}. Use either single or double quotes.`,
    );
  }
  throw invalidParam(`Expected a quoted string value for ${what}. Got value ${v.text}`);
}

export function matchNumber(comparator: NumericComparator, lhs: number, rhs: number): boolean {
  switch (comparator) {
    case '=': return lhs === rhs;
    case '!=': return lhs !== rhs;
    case '>': return lhs > rhs;
    case '>=': return lhs >= rhs;
    case '<': return lhs < rhs;
    case '<=': return lhs <= rhs;
  }
}

export function matchString(comparator: StringComparator, lhs: string, rhs: string): boolean {
  switch (comparator) {
    case '=': return lhs === rhs;
    case '!=': return lhs !== rhs;
    case 'LIKE': return likeRegExp(rhs, '').test(lhs);
    case 'ILIKE': return likeRegExp(rhs, 'i').test(lhs);
  }
}

// SQL LIKE semantics (as the SQL stores give), not MLflow's in-memory regex, which leaves `.` and
// other regex characters in the pattern live.
const likeCache = new Map<string, RegExp>();
function likeRegExp(pattern: string, flags: '' | 'i'): RegExp {
  const cacheKey = flags + pattern;
  let re = likeCache.get(cacheKey);
  if (!re) {
    const body = [...pattern].map((ch) => (ch === '%' ? '[\\s\\S]*' : ch === '_' ? '[\\s\\S]' : ch.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&'))).join('');
    re = new RegExp(`^${body}$`, `u${flags}`);
    if (likeCache.size >= 1000) likeCache.clear();
    likeCache.set(cacheKey, re);
  }
  return re;
}

export function inView(stage: LifecycleStage, viewType: ViewType = 'ACTIVE_ONLY'): boolean {
  return viewType === 'ALL' || (viewType === 'ACTIVE_ONLY') === (stage === 'active');
}

/**
 * Sort rank of a possibly absent value: the SQL stores sort absent values after present ones, and
 * NaN metrics between the two, whichever the direction.
 */
export const rank = (v: unknown): number => (v == null ? 2 : Number.isNaN(v) ? 1 : 0);

export const compareValues = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
