// Checks a compute spec built by a form with the protocol's own parseComputeSpec (the messages the
// CLI prints), and says which field each message is about. The parser stops at the first problem,
// so after each one the field it names is taken out and the spec parsed again: every invalid field
// gets its own message, not only the first.
import { parseComputeSpec } from '../../../protocol/compute.ts';

export interface SpecProblems {
  /** Field path (as the form names its inputs) -> the one-line message about it. */
  byField: Record<string, string>;
  /** Messages that name no field of the form (shown at the top). */
  general: string[];
  /** The first message, said beside the disabled submit button. */
  first: string | null;
}

/** Which of `fields` a message is about: the longest field path that the message starts with. */
export function fieldOfMessage(message: string, fields: readonly string[]): string | null {
  if (/^(compute name|a compute needs a name)/.test(message)) return fields.includes('name') ? 'name' : null;
  const lead = /^([A-Za-z_][\w.]*)/.exec(message)?.[1];
  if (!lead) return null;
  let best: string | null = null;
  for (const f of fields) if ((lead === f || lead.startsWith(`${f}.`)) && (!best || f.length > best.length)) best = f;
  return best;
}

/**
 * The spec without `path`, or with `standIn` there (a list item must keep its place, so later
 * items keep their numbers); a function stand-in gets the value that was there.
 */
const withoutPath = (spec: Record<string, unknown>, path: string, standIn: unknown): Record<string, unknown> => {
  const out = structuredClone(spec);
  const keys = path.split('.');
  let o: Record<string, unknown> | undefined = out;
  for (const k of keys.slice(0, -1)) o = o && typeof o[k] === 'object' && o[k] !== null ? (o[k] as Record<string, unknown>) : undefined;
  if (o) {
    if (typeof standIn === 'function') o[keys.at(-1)!] = standIn(o[keys.at(-1)!]);
    else if (standIn !== undefined) o[keys.at(-1)!] = standIn;
    else delete o[keys.at(-1)!];
  }
  return out;
};

/** Valid values for required fields, put in place of a reported one so that the search goes on. */
const withCredential = (old: unknown) => ({ ...(typeof old === 'object' ? old : {}), admin_password: 'stand-in' });
const REQUIRED_STAND_INS: Record<string, unknown> = {
  name: 'stand-in',
  address: 'localhost',
  'ssh_settings.admin_username': 'user',
  // "give one of admin_password, ... so Cairn can log in": a credential in place lets the rest be checked.
  ssh_settings: withCredential,
  'provider.ssh_settings': withCredential,
};

/** Every problem of `spec`, each at its field when the message names one of `fields`. */
export function checkSpec(spec: Record<string, unknown>, fields: readonly string[], standIn: (field: string) => unknown = () => undefined): SpecProblems {
  const problems: SpecProblems = { byField: {}, general: [], first: null };
  let current = spec;
  for (let round = 0; round < 20; round++) {
    try {
      parseComputeSpec(current, null);
      break;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problems.first ??= message;
      const field = fieldOfMessage(message, fields);
      // A field already reported again (a required one, taken out) ends the search: nothing new follows.
      if (!field || field in problems.byField) {
        if (!field) problems.general.push(message);
        break;
      }
      problems.byField[field] = message;
      current = withoutPath(current, field, standIn(field) ?? REQUIRED_STAND_INS[field]);
    }
  }
  return problems;
}

/** '' -> absent; a whole number -> the number; anything else stays text, for the schema to name. */
export function numberOrText(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** '' -> absent, else the text. */
export const textOrNone = (text: string): string | undefined => (text.trim() === '' ? undefined : text);

/** A comma list ('8, 20') -> items (numbers where they are numbers); '' -> absent. */
export function listOf(text: string): (number | string)[] | undefined {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items.map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : undefined;
}

/** `key=value` lines -> a map; a line that is not one is a message for `field`. */
export function parseKeyValues(text: string, field: string): { values?: Record<string, string>; problem?: string } {
  const values: Record<string, string> = {};
  const lines = text.split('\n').map((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { problem: `${field}: line ${i + 1} ('${line.slice(0, 40)}') is not key=value` };
    values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return Object.keys(values).length ? { values } : {};
}

/** `key=value` lines -> tags; a line that is not one is a message for the tags field. */
export function parseTags(text: string): { tags?: Record<string, string>; problem?: string } {
  const { values, problem } = parseKeyValues(text, 'tags');
  return problem ? { problem } : values ? { tags: values } : {};
}

/** One item a line -> a list; no lines -> absent. */
export function linesOf(text: string): string[] | undefined {
  const items = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

/** Drops keys whose value is undefined, and objects left empty, so the schema's defaults apply. */
export function compact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(compact) as T;
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const c = compact(x);
    if (c === undefined) continue;
    if (typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 0) continue;
    out[k] = c;
  }
  return out as T;
}
