// Terminal colours in log lines: SGR escape sequences (ESC [ ... m) become styled spans; other
// control sequences (cursor moves, titles) are dropped. Each line starts plain: a view that shows
// a window of a million lines cannot replay every line before it, and programs reset per line.
import type { CSSProperties, ReactNode } from 'react';

const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const SGR = /^\x1b\[([0-9;:]*)m$/;

/** A progress bar rewrites its line with \r: show what a terminal would, the last rewrite. */
function lastRewrite(text: string): string {
  if (!text.includes('\r')) return text;
  const parts = text.split('\r');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i]) return parts[i]!;
  return '';
}

/** The text a person reads: what search matches against. */
export function plainText(text: string): string {
  const t = lastRewrite(text);
  return t.includes('\x1b') ? t.replace(ESCAPES, '') : t;
}

interface Style {
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

/** xterm's 256 colours past the 16 named ones: a 6x6x6 cube, then 24 greys. */
function color256(n: number): number | string {
  if (n < 16) return n;
  if (n < 232) {
    const c = n - 16;
    const v = (x: number) => (x === 0 ? 0 : 55 + x * 40);
    return `rgb(${v(Math.floor(c / 36))},${v(Math.floor(c / 6) % 6)},${v(c % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

function applySgr(params: string, s: Style): Style {
  const p = params === '' ? [0] : params.split(/[;:]/).map((x) => Number(x) || 0);
  let out = { ...s };
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === 0) out = {};
    else if (c === 1) out.bold = true;
    else if (c === 2) out.dim = true;
    else if (c === 3) out.italic = true;
    else if (c === 4) out.underline = true;
    else if (c === 22) out.bold = out.dim = false;
    else if (c === 23) out.italic = false;
    else if (c === 24) out.underline = false;
    else if (c >= 30 && c <= 37) out.fg = c - 30;
    else if (c >= 90 && c <= 97) out.fg = c - 90 + 8;
    else if (c === 39) out.fg = undefined;
    else if (c >= 40 && c <= 47) out.bg = c - 40;
    else if (c >= 100 && c <= 107) out.bg = c - 100 + 8;
    else if (c === 49) out.bg = undefined;
    else if (c === 38 || c === 48) {
      // 38;5;n (256 colours) or 38;2;r;g;b (true colour).
      const key = c === 38 ? 'fg' : 'bg';
      if (p[i + 1] === 5) {
        out[key] = color256(p[i + 2] ?? 0);
        i += 2;
      } else if (p[i + 1] === 2) {
        out[key] = `rgb(${p[i + 2] ?? 0},${p[i + 3] ?? 0},${p[i + 4] ?? 0})`;
        i += 4;
      }
    }
  }
  return out;
}

interface Piece {
  text: string;
  style: Style;
}

function pieces(text: string): Piece[] {
  const t = lastRewrite(text);
  if (!t.includes('\x1b')) return [{ text: t, style: {} }];
  const out: Piece[] = [];
  let style: Style = {};
  let at = 0;
  for (const m of t.matchAll(ESCAPES)) {
    if (m.index > at) out.push({ text: t.slice(at, m.index), style });
    const sgr = SGR.exec(m[0]);
    if (sgr) style = applySgr(sgr[1]!, style);
    at = m.index + m[0].length;
  }
  if (at < t.length) out.push({ text: t.slice(at), style });
  return out;
}

function classAndStyle(s: Style): { className?: string; style?: CSSProperties } {
  const cls: string[] = [];
  const css: CSSProperties = {};
  if (typeof s.fg === 'number') cls.push(`ansi-fg-${s.fg}`);
  else if (s.fg) css.color = s.fg;
  if (typeof s.bg === 'number') cls.push(`ansi-bg-${s.bg}`);
  else if (s.bg) css.backgroundColor = s.bg;
  if (s.bold) cls.push('ansi-bold');
  if (s.dim) cls.push('ansi-dim');
  if (s.italic) cls.push('ansi-italic');
  if (s.underline) cls.push('ansi-underline');
  return { className: cls.length ? cls.join(' ') : undefined, style: Object.keys(css).length ? css : undefined };
}

/**
 * A line as React nodes: coloured spans, and the places `search` matches (case-insensitive)
 * marked, even where a match crosses a colour change.
 */
export function renderLine(text: string, search: string): ReactNode[] {
  const ps = pieces(text);
  const ranges: [number, number][] = [];
  if (search) {
    const plain = ps.map((p) => p.text).join('').toLowerCase();
    const needle = search.toLowerCase();
    for (let i = plain.indexOf(needle); i !== -1 && ranges.length < 100; i = plain.indexOf(needle, i + needle.length)) ranges.push([i, i + needle.length]);
  }
  const out: ReactNode[] = [];
  let pos = 0;
  let r = 0;
  for (const p of ps) {
    const attrs = classAndStyle(p.style);
    let start = 0;
    // Cut the piece where marks begin and end.
    while (start < p.text.length) {
      while (r < ranges.length && ranges[r]![1] <= pos + start) r++;
      const range = ranges[r];
      const inside = range !== undefined && range[0] <= pos + start;
      const end = range === undefined ? p.text.length : Math.min(p.text.length, (inside ? range[1] : range[0]) - pos);
      const chunk = p.text.slice(start, end);
      const key = out.length;
      const span = attrs.className || attrs.style ? (
        <span key={key} {...attrs}>
          {chunk}
        </span>
      ) : (
        chunk
      );
      out.push(inside ? <mark key={key}>{span}</mark> : span);
      start = end;
    }
    pos += p.text.length;
  }
  return out;
}
