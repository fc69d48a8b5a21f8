import { invalidParam } from '../../protocol/mlflow/errors.ts';

export type Token =
  | { type: 'ident'; text: string; pos: number }
  | { type: 'string'; text: string; value: string; pos: number }
  | { type: 'number'; text: string; value: number; pos: number }
  | { type: 'op'; text: string; pos: number }
  | { type: 'punct'; text: string; pos: number };

// Quoting follows sqlparse, which MLflow tokenizes with: doubled quotes and backslash escapes
// don't end a string, and (like MLflow) the text between the quotes is taken verbatim.
const DQ = String.raw`"(?:""|\\[\s\S]|[^"\\])*"`;
const SQ = String.raw`'(?:''|\\[\s\S]|[^'\\])*'`;
const BT = '`(?:``|[^`])*`';
const sticky = (src: string) => new RegExp(src, 'uy');
const whole = (src: string) => new RegExp(`^${src}$`, 'u');

const WS = sticky(String.raw`\s+`);
// A number glued to letters is a name (sqlparse does the same), e.g. a key like `1st_loss`.
const NUMBER = sticky(String.raw`-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\p{L}_])`);
const OP = sticky('<=|>=|!=|<>|==|=|<|>');
const BARE = sticky(String.raw`[\p{L}\p{N}_.\-/:]+`);
const IDENT_START = sticky(String.raw`[\p{L}\p{N}_"\x60]`);
const QUOTED: Record<string, RegExp> = { '"': sticky(DQ), "'": sticky(SQ), '`': sticky(BT) };
const WHOLE_DQ = whole(DQ);
const WHOLE_SQ = whole(SQ);
const WHOLE_BT = whole(BT);

export const isKeyword = (t: Token | undefined, word: string): boolean => t?.type === 'ident' && t.text.toUpperCase() === word;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL']);
export const isName = (t: Token | undefined): t is Token & { type: 'ident' } => t?.type === 'ident' && !KEYWORDS.has(t.text.toUpperCase());

function match(re: RegExp, src: string, pos: number): string | undefined {
  re.lastIndex = pos;
  return re.exec(src)?.[0];
}

/** `what` names the input in errors, as MLflow does: "filter" or "order_by clause". */
export function tokenize(src: string, what: string): Token[] {
  const fail = (detail: string): never => {
    throw invalidParam(`Invalid ${what} '${src}'. Could not be parsed: ${detail}.`);
  };
  const quoted = (pos: number): string => match(QUOTED[src[pos]!]!, src, pos) ?? fail(`unterminated quote at position ${pos}`);
  const out: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    const ws = match(WS, src, pos);
    if (ws) {
      pos += ws.length;
      continue;
    }
    const start = pos;
    const c = src[pos]!;
    let text: string | undefined;
    if ((text = match(NUMBER, src, pos))) {
      out.push({ type: 'number', text, value: Number(text), pos });
    } else if (c === "'") {
      text = quoted(pos);
      out.push({ type: 'string', text, value: text.slice(1, -1), pos });
    } else if (match(IDENT_START, src, pos)) {
      // An identifier is bare runs and quoted segments glued together: tags."mlflow.runName",
      // `params`.lr, metrics.`f1 score`; a single-quoted segment only right after a dot.
      let end = pos;
      for (;;) {
        const q = src[end];
        const seg = q === '"' || q === '`' || (q === "'" && src[end - 1] === '.') ? quoted(end) : match(BARE, src, end);
        if (!seg) break;
        end += seg.length;
      }
      text = src.slice(pos, end);
      out.push({ type: 'ident', text, pos });
    } else if ((text = match(OP, src, pos))) {
      out.push({ type: 'op', text, pos });
    } else if (c === '(' || c === ')' || c === ',') {
      text = c;
      out.push({ type: 'punct', text, pos });
    } else {
      fail(`unexpected character '${c}' at position ${pos}`);
    }
    pos = start + text!.length;
  }
  return out;
}

/** A double-quoted identifier on the right-hand side is a string value to MLflow. */
export const doubleQuotedValue = (text: string): string | undefined => (WHOLE_DQ.test(text) ? text.slice(1, -1) : undefined);

/** MLflow's SearchUtils._get_identifier split: `<entity>.<key>` at the first dot outside quotes, else a bare attribute key. */
export function splitIdentifier(text: string): { entity: string | undefined; key: string } {
  let dot = -1;
  for (let i = 0; i < text.length && dot < 0; i++) {
    const q = QUOTED[text[i]!];
    if (q) i += (match(q, text, i)?.length ?? 1) - 1;
    else if (text[i] === '.') dot = i;
  }
  if (dot < 0) return { entity: undefined, key: unquote(text) };
  const entity = text.slice(0, dot);
  return { entity: WHOLE_BT.test(entity) ? entity.slice(1, -1) : entity, key: unquote(text.slice(dot + 1)) };
}

function unquote(key: string): string {
  const k = WHOLE_SQ.test(key) || WHOLE_DQ.test(key) ? key.slice(1, -1) : key;
  return WHOLE_BT.test(k) ? k.slice(1, -1) : k;
}
