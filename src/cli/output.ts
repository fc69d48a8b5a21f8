import { stringify } from 'yaml';
import { CairnError } from '../protocol/errors.ts';

export type Format = 'json' | 'yaml' | 'table';

export function parseFormat(s: string | undefined, fallback: Format = 'json'): Format {
  const f = (s ?? fallback).toLowerCase();
  if (f === 'json' || f === 'yaml' || f === 'table') return f;
  throw new CairnError('ValidationError', `unknown output format '${s}': use json, yaml or table`);
}

export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function table<T>(rows: T[], cols: Column<T>[]): string {
  const cells = rows.map((r) => cols.map((c) => cell(c.get(r))));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(cols.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** One object for one resource, an array for a list: the shapes of `az ml ... -o json`. */
export function render<T>(value: T | T[], format: Format, cols: Column<T>[], detail?: (v: T) => string): string {
  if (format === 'json') return JSON.stringify(value, null, 2);
  if (format === 'yaml') return stringify(value).trimEnd();
  if (Array.isArray(value)) return value.length ? table(value, cols) : '(none)';
  if (detail) return detail(value);
  return table([value], cols);
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
