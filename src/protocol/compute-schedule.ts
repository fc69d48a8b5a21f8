import { z } from 'zod';
import { CairnError } from './errors.ts';

/**
 * A compute instance's `schedules:` in Azure ML v2 YAML shape: up to four start/stop schedules,
 * each a cron expression or a recurrence, in a time zone. Checked here (one line naming the field);
 * when they fire is src/domain/schedule.ts's to say.
 *
 * Like Azure's own YAML loader (StringTransformedEnum), the words action, state, trigger type,
 * frequency and week day names are read in any case and kept in Azure's spelling: `Stop` -> `stop`,
 * `monday` -> `Monday`.
 */
export const MAX_SCHEDULES = 4;

/** Control characters would break the one-line promise; long values would drown the message. */
const show = (s: string): string => {
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return clean.length > 64 ? `${clean.slice(0, 61)}...` : clean;
};
const describe = (v: unknown): string =>
  v === undefined || v === null ? 'nothing' : typeof v === 'string' ? `'${show(v)}'` : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : show(String(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const either = (words: readonly string[]): string =>
  words.length === 1 ? `'${words[0]}'` : `${words.slice(0, -1).map((w) => `'${w}'`).join(', ')} or '${words.at(-1)}'`;

// ---- time zones ------------------------------------------------------------------------------

/**
 * The Windows zone names Azure's TimeZone enum offers (the common ones), with the IANA zone CLDR
 * maps each to. Any IANA name Node's ICU knows is accepted as well.
 */
export const WINDOWS_TIME_ZONES: Readonly<Record<string, string>> = {
  UTC: 'UTC',
  'Dateline Standard Time': 'Etc/GMT+12',
  'UTC-11': 'Etc/GMT+11',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Alaskan Standard Time': 'America/Anchorage',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time': 'America/Denver',
  'Central Standard Time': 'America/Chicago',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'SA Pacific Standard Time': 'America/Bogota',
  'Eastern Standard Time': 'America/New_York',
  'Atlantic Standard Time': 'America/Halifax',
  'Newfoundland Standard Time': 'America/St_Johns',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'Argentina Standard Time': 'America/Buenos_Aires',
  'UTC-02': 'Etc/GMT+2',
  'Azores Standard Time': 'Atlantic/Azores',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'Morocco Standard Time': 'Africa/Casablanca',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Romance Standard Time': 'Europe/Paris',
  'Central European Standard Time': 'Europe/Warsaw',
  'W. Central Africa Standard Time': 'Africa/Lagos',
  'GTB Standard Time': 'Europe/Bucharest',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'Egypt Standard Time': 'Africa/Cairo',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Israel Standard Time': 'Asia/Jerusalem',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Arab Standard Time': 'Asia/Riyadh',
  'Russian Standard Time': 'Europe/Moscow',
  'E. Africa Standard Time': 'Africa/Nairobi',
  'Iran Standard Time': 'Asia/Tehran',
  'Arabian Standard Time': 'Asia/Dubai',
  'Afghanistan Standard Time': 'Asia/Kabul',
  'Pakistan Standard Time': 'Asia/Karachi',
  'West Asia Standard Time': 'Asia/Tashkent',
  'India Standard Time': 'Asia/Kolkata',
  'Sri Lanka Standard Time': 'Asia/Colombo',
  'Nepal Standard Time': 'Asia/Kathmandu',
  'Bangladesh Standard Time': 'Asia/Dhaka',
  'Myanmar Standard Time': 'Asia/Yangon',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'N. Central Asia Standard Time': 'Asia/Novosibirsk',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'W. Australia Standard Time': 'Australia/Perth',
  'Taipei Standard Time': 'Asia/Taipei',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'Cen. Australia Standard Time': 'Australia/Adelaide',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'UTC+12': 'Etc/GMT-12',
  'Tonga Standard Time': 'Pacific/Tongatapu',
};
const WINDOWS_BY_LOWER = new Map(Object.entries(WINDOWS_TIME_ZONES).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * The IANA zone for a Windows or IANA zone name, or null when neither Cairn's table nor Node's ICU
 * knows it. Fixed offsets ('+05:30'), which Intl would take, are not zone names and are refused.
 */
export function resolveTimeZone(name: string): string | null {
  const windows = WINDOWS_BY_LOWER.get(name.trim().toLowerCase());
  if (windows) return windows;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name;
  } catch {
    return null;
  }
}

// ---- start_time ------------------------------------------------------------------------------

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC when the text carries 'Z' or '+hh:mm'; null: local time in time_zone. */
  offsetMinutes: number | null;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** '2024-03-10T21:21:07' (seconds, fraction and an offset optional), or null when it is no such date. */
export function parseLocalDateTime(text: string): LocalDateTime | null {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millisecond = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes: number | null = null;
  if (m[8] === 'Z') offsetMinutes = 0;
  else if (m[8] !== undefined) {
    const digits = m[8].replace(':', '');
    const h = Number(digits.slice(1, 3));
    const mi = Number(digits.slice(3, 5));
    if (h > 14 || mi > 59) return null;
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (h * 60 + mi);
  }
  return { year, month, day, hour, minute, second, millisecond, offsetMinutes };
}

// ---- cron ------------------------------------------------------------------------------------

/** A 5-field cron expression, expanded: every list sorted, day-of-week 0-6 with 0 for Sunday. */
export interface CronFields {
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
  /** Whether the field was written starting with '*' (cron's rule: both restricted means either may match). */
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, unit: 'month', first: 1 },
  // 7 is Sunday too, as in every cron.
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, unit: 'day', first: 0 },
] as const;
type CronField = (typeof CRON_FIELDS)[number];

class CronProblem extends Error {}

function expandField(f: CronField, text: string): number[] {
  const bad = (why: string) => new CronProblem(`the ${f.name} field '${show(text)}' is invalid: ${why}`);
  const value = (tok: string): number => {
    if (/^\d+$/.test(tok)) {
      const n = Number(tok);
      if (n < f.min || n > f.max) throw bad(`${n} is out of range ${f.min}-${f.max}`);
      return n;
    }
    const named = 'names' in f ? f.names.indexOf(tok.toUpperCase() as never) : -1;
    if (named >= 0 && 'first' in f) return named + f.first;
    const names = 'names' in f ? ` or a ${f.unit} name (${f.names[0]}-${f.names.at(-1)})` : '';
    throw bad(tok === '' ? `a number${names} is missing` : `'${show(tok)}' is not a number${names}`);
  };
  const out = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw bad('it has an empty item');
    const slash = item.split('/');
    if (slash.length > 2) throw bad(`'${show(item)}' has more than one '/'`);
    const [range, stepText] = slash as [string, string | undefined];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw bad(`the step in '${show(item)}' must be a number of 1 or more`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [f.min, f.max];
    else {
      const dash = range.indexOf('-', 1);
      if (dash < 0) {
        lo = value(range);
        // 'a/s' runs from a to the field's end, as in most crons; a lone 'a' is just a.
        hi = stepText === undefined ? lo : f.max;
      } else {
        lo = value(range.slice(0, dash));
        hi = value(range.slice(dash + 1));
        if (lo > hi) throw bad(`the range '${show(range)}' runs backwards (from ${lo} down to ${hi})`);
      }
    }
    for (let v = lo; v <= hi; v += step) out.add(f.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return [...out].sort((a, b) => a - b);
}

function expandCron(expression: string): CronFields {
  const parts = expression.trim() === '' ? [] : expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronProblem(`expected 5 fields: minute hour day-of-month month day-of-week (found ${parts.length})`);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = CRON_FIELDS.map((f, i) => expandField(f, parts[i]!)) as [number[], number[], number[], number[], number[]];
  return { minutes, hours, daysOfMonth, months, daysOfWeek, dayOfMonthStar: parts[2]!.startsWith('*'), dayOfWeekStar: parts[4]!.startsWith('*') };
}

/** What is wrong with a cron expression, in one line naming the field, or null when nothing is. */
export function cronProblem(expression: string): string | null {
  try {
    expandCron(expression);
    return null;
  } catch (e) {
    if (e instanceof CronProblem) return e.message;
    throw e;
  }
}

/** Expands a 5-field cron expression; throws CairnError('ValidationError') when it is not one. */
export function parseCron(expression: string): CronFields {
  try {
    return expandCron(expression);
  } catch (e) {
    if (e instanceof CronProblem) throw new CairnError('ValidationError', `cron expression '${show(expression)}': ${e.message}`);
    throw e;
  }
}

// ---- schemas ---------------------------------------------------------------------------------

const custom = <T>(base: z.ZodType<T>, problem: (v: T) => string | null) =>
  base.superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
/** One of a few words, read in any case, kept as `canonical` spells it. */
const word = <const T extends string>(canonical: readonly T[]) => {
  const byLower = new Map(canonical.map((w) => [w.toLowerCase(), w]));
  return z.string({ error: (iss) => (iss.input === undefined ? undefined : `expected ${either(canonical)} (found ${describe(iss.input)})`) }).transform((s, ctx) => {
    const w = byLower.get(s.trim().toLowerCase());
    if (w === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${either(canonical)} (found ${describe(s)})`, input: s });
      return z.NEVER;
    }
    return w;
  });
};
const intIn = (min: number, max?: number) => {
  const msg = `expected an integer ${max === undefined ? `of ${min} or more` : `from ${min} to ${max}`}`;
  const n = z.number({ error: (iss) => (iss.input === undefined ? undefined : msg) }).int({ error: msg }).min(min, { error: msg });
  return max === undefined ? n : n.max(max, { error: msg });
};
/** Azure's RecurrencePattern lists; a lone value counts as a list of one, null and [] as absent. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === null ? undefined : v !== undefined && !Array.isArray(v) ? [v] : v), z.array(item).optional()).transform((v) => (v && v.length > 0 ? v : undefined)).optional();

/** A list given as null or [] leaves no key behind, so a parsed pattern compares equal to one never given it. */
const withoutEmpty = <T extends object>(o: T): T => {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
};

export const WEEK_DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];
export const RECURRENCE_FREQUENCIES = ['minute', 'hour', 'day', 'week', 'month'] as const;
export type RecurrenceFrequency = (typeof RECURRENCE_FREQUENCIES)[number];

const StartTime = custom(z.string(), (s) =>
  parseLocalDateTime(s) ? null : `expected a date and time like '2024-03-10T21:21:07' (local time in time_zone) (found ${describe(s)})`,
);
const TimeZone = custom(z.string(), (s) =>
  resolveTimeZone(s) ? null : `unknown time zone ${describe(s)}: give an IANA name like 'Europe/Berlin' or a Windows name like 'Pacific Standard Time'`,
);
const triggerCommon = { start_time: StartTime.optional(), time_zone: TimeZone.default('UTC') };

export const CronTrigger = z.strictObject({
  type: z.literal('cron'),
  expression: custom(z.string(), cronProblem),
  ...triggerCommon,
});
export type CronTrigger = z.infer<typeof CronTrigger>;

/** Each list optional; hours and minutes are wall-clock time in the trigger's time_zone. */
export const RecurrencePattern = z.strictObject({
  hours: listOf(intIn(0, 23)),
  minutes: listOf(intIn(0, 59)),
  week_days: listOf(word(WEEK_DAYS)),
  month_days: listOf(intIn(1, 31)),
}).transform(withoutEmpty);
export type RecurrencePattern = z.infer<typeof RecurrencePattern>;

export const RecurrenceTrigger = z.strictObject({
  type: z.literal('recurrence'),
  frequency: word(RECURRENCE_FREQUENCIES),
  interval: intIn(1).default(1),
  schedule: RecurrencePattern.optional(),
  ...triggerCommon,
});
export type RecurrenceTrigger = z.infer<typeof RecurrenceTrigger>;

const TRIGGER_TYPES = ['cron', 'recurrence'] as const;
export const ScheduleTrigger = z.preprocess(
  // The type in any case, as Azure reads it; anything else is left for the union to report.
  (v) => {
    if (!isObject(v) || typeof v.type !== 'string') return v;
    const t = v.type.trim().toLowerCase();
    return (TRIGGER_TYPES as readonly string[]).includes(t) ? { ...v, type: t } : v;
  },
  z.discriminatedUnion('type', [CronTrigger, RecurrenceTrigger], {
    error: (iss) => (iss.code === 'invalid_union' ? `expected ${either(TRIGGER_TYPES)} (found ${describe(isObject(iss.input) ? iss.input.type : undefined)})` : undefined),
  }),
);
export type ScheduleTrigger = z.infer<typeof ScheduleTrigger>;

export const ComputeStartStopSchedule = z.strictObject({
  action: word(['start', 'stop'] as const),
  state: word(['enabled', 'disabled'] as const).default('enabled'),
  trigger: ScheduleTrigger,
});
export type ComputeStartStopSchedule = z.infer<typeof ComputeStartStopSchedule>;

/** The `schedules:` object of a compute instance. */
export const ComputeSchedules = z.strictObject({
  compute_start_stop: z
    .array(ComputeStartStopSchedule)
    .max(MAX_SCHEDULES, { error: (iss) => `a compute instance takes at most ${MAX_SCHEDULES} schedules (found ${Array.isArray(iss.input) ? iss.input.length : 'more'})` })
    .default([]),
});
export type ComputeSchedules = z.infer<typeof ComputeSchedules>;

// ---- parsing ---------------------------------------------------------------------------------

const NOUNS: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', object: 'an object', array: 'a list', int: 'an integer' };
const genericMessage = (iss: z.core.$ZodRawIssue): string | undefined => {
  if (iss.code === 'invalid_type') return `expected ${NOUNS[iss.expected] ?? iss.expected} (found ${describe(iss.input)})`;
  if (iss.code === 'invalid_value') return `expected ${either(iss.values.map(String))} (found ${describe(iss.input)})`;
  return undefined;
};

/** 'schedules.compute_start_stop[1].trigger.expression', as the YAML reads. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : `${out}.${String(k)}`), 'schedules');

function oneLine(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => `'${show(pathText([...issue.path, k]))}'`);
    return `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
  }
  const path = pathText(issue.path);
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path} is required`;
  return `${path}: ${issue.message}`;
}

/** Validates the `schedules:` of a parsed YAML/JSON compute; throws CairnError('ValidationError') with one line. */
export function parseSchedules(input: unknown): ComputeSchedules {
  if (!isObject(input)) throw new CairnError('ValidationError', `schedules must be an object with compute_start_stop: a list of schedules (found ${describe(input)})`);
  const r = ComputeSchedules.safeParse(input, { error: genericMessage, reportInput: true });
  if (!r.success) throw new CairnError('ValidationError', oneLine(r.error.issues[0]!));
  return r.data;
}
