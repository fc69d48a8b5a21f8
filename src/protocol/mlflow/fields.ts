import { invalidParam, invalidValue, missingParam } from './errors.ts';

/**
 * Reading MLflow request fields the way MLflow's server does: GET fields arrive as query strings,
 * POST fields as JSON (int64 as numbers or strings, non-finite doubles as "NaN"/"Infinity").
 * Every problem is MLflow's own 400 message, never a 500.
 */
export type Fields = Record<string, unknown>;

export function asFields(body: unknown): Fields {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Fields) : {};
}

export function reqString(f: Fields, name: string): string {
  const v = f[name];
  if (v === undefined || v === null || v === '') throw missingParam(name);
  if (typeof v !== 'string') throw invalidValue(name, v);
  return v;
}

export function optString(f: Fields, name: string): string | undefined {
  const v = f[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidValue(name, v);
  return v;
}

/** A param or tag value: MLflow's client stringifies, but raw REST callers send numbers too. */
export function reqValueString(f: Fields, name: string): string {
  const v = f[name];
  if (v === undefined || v === null) throw missingParam(name);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalidValue(name, v);
}

export function optInt64(f: Fields, name: string): number | undefined {
  const v = f[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw invalidValue(name, v);
  return n;
}

export function reqInt64(f: Fields, name: string): number {
  const n = optInt64(f, name);
  if (n === undefined) throw missingParam(name);
  return n;
}

export function reqDouble(f: Fields, name: string): number {
  const v = f[name];
  if (v === undefined || v === null) throw missingParam(name);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  }
  throw invalidValue(name, v);
}

export function optStringList(f: Fields, name: string): string[] | undefined {
  const v = f[name];
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) if (typeof x !== 'string') throw invalidValue(name, v);
  return list as string[];
}

export function optList(f: Fields, name: string): Fields[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidValue(name, v);
  return v.map((x) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) throw invalidValue(name, x);
    return x as Fields;
  });
}

/** `run_id`, or the deprecated `run_uuid` the client sends beside it. */
export function runIdOf(f: Fields): string {
  const v = f.run_id ?? f.run_uuid;
  if (v === undefined || v === null || v === '') throw missingParam('run_id');
  if (typeof v !== 'string') throw invalidValue('run_id', v);
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(v)) throw invalidParam(`Invalid run ID: '${v}'`);
  return v;
}

export function experimentIdOf(f: Fields, name = 'experiment_id'): string {
  const v = f[name];
  if (v === undefined || v === null || v === '') throw missingParam(name);
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string') throw invalidValue(name, v);
  return s;
}
