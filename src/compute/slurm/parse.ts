// Parsers for what Slurm 22.05's commands print. The command formats are defined here, next to
// their parsers, so the command builder and the parser cannot disagree about fields or order.
// Input is what lies between the markers (markers.ts): times are UTC in SLURM_TIME_FORMAT.
import { parseDuration, parseSlurmTime } from './time.ts';

/**
 * Fields of `squeue -h -a -r -o <SQUEUE_FORMAT>`, separated by ASCII unit separator (0x1f), which
 * no Slurm field contains. The two free-text fields come last, the job name very last, so even a
 * name with the separator in it (or a line break) cannot shift the other fields. %r is Slurm's
 * reason code, or the controller's description when it has one (`launch failed requeued held`).
 * %i is the id Cairn keeps: a job's number, or `array_task` for a task of a job array (with -r,
 * one row per task, pending ones included; %A would print the array's number for those).
 */
export const SQUEUE_SEP = '\x1f';
export const SQUEUE_FORMAT = ['%i', '%T', '%V', '%S', '%D', '%P', '%Q', '%N', '%r', '%j'].join(SQUEUE_SEP);

export interface SqueueRow {
  id: string;
  name: string;
  /** Long form, as %T prints it: PENDING, RUNNING, COMPLETING... */
  state: string;
  /** Slurm's reason code or description; `None` when it has none. */
  reason: string;
  submitTime: string | null;
  /** For a pending job, the start Slurm expects (or null: N/A). */
  startTime: string | null;
  /** Slurm's compressed host list; '' while pending. */
  nodes: string;
  nodeCount: number;
  partition: string;
  priority: number;
}

/** A job id: `123`, or `123_4` for task 4 of job array 123 (as squeue -r %i and sacct's JobID print them). */
const JOB_ID = /^\d+(?:_\d+)?$/;

function integer(s: string, what: string, line: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`${what} is not a number in '${line}'`);
  return Number(s);
}

/**
 * Splits delimited rows whose last field is free text: a line that does not start a row (no job
 * id and separator) continues the previous row's last field, as a job name with a line break does.
 */
function delimitedRows(out: string, sep: string, fields: number, what: string): string[][] {
  const rows: string[][] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.split(sep);
    if (parts.length < fields || !JOB_ID.test(parts[0]!)) {
      const prev = rows.at(-1);
      if (!prev) throw new Error(`unexpected ${what} line: '${line}'`);
      prev[fields - 1] += `\n${line}`;
      continue;
    }
    rows.push([...parts.slice(0, fields - 1), parts.slice(fields - 1).join(sep)]);
  }
  return rows;
}

export function parseSqueue(out: string): SqueueRow[] {
  return delimitedRows(out, SQUEUE_SEP, 10, 'squeue').map((f) => {
    const [id, state, submit, start, count, partition, priority, nodes, reason, name] = f as [string, ...string[]];
    const line = f.join('|');
    return {
      id,
      name: name!,
      state: state!,
      reason: reason!,
      submitTime: parseSlurmTime(submit!),
      startTime: parseSlurmTime(start!),
      nodes: nodes!,
      nodeCount: integer(count!, 'node count', line),
      partition: partition!,
      priority: integer(priority!, 'priority', line),
    };
  });
}

/**
 * Fields of `sacct -n -P -X -o <SACCT_FIELDS>`: `-P` separates them with `|`. JobName is the
 * only free text, so it comes last and keeps any `|` of its own. Reason is a code. JobID is
 * `array_task` for a task of a job array, as squeue's %i.
 */
export const SACCT_FIELDS = 'JobID,State,ExitCode,Reason,Submit,Start,End,NodeList,Partition,JobName';

export interface SacctRow {
  id: string;
  name: string;
  /** The base state: `CANCELLED by 0` -> `CANCELLED`. */
  state: string;
  /** As sacct printed it, for messages. */
  rawState: string;
  /** Who cancelled it (a uid), from `CANCELLED by 0`. */
  by?: string;
  exitCode: number | null;
  signal: number | null;
  reason: string;
  submitTime: string | null;
  startTime: string | null;
  endTime: string | null;
  /** '' when none were assigned. */
  nodes: string;
  partition: string;
}

/** Slurm's words for "no nodes" in node list fields. */
const NO_NODES = new Set(['', 'None assigned', '(null)', 'None']);

export function parseSacct(out: string): SacctRow[] {
  return delimitedRows(out, '|', 10, 'sacct').map((f) => {
    const [id, rawState, exit, reason, submit, start, end, nodes, partition, name] = f as [string, ...string[]];
    const by = /^(\S+) by (\S+)$/.exec(rawState!.trim());
    const ec = parseExitCode(exit!);
    return {
      id,
      name: name!,
      state: by ? by[1]! : rawState!.trim().replace(/\+$/, ''),
      rawState: rawState!,
      ...(by ? { by: by[2]! } : {}),
      exitCode: ec?.code ?? null,
      signal: ec?.signal ?? null,
      reason: reason!,
      submitTime: parseSlurmTime(submit!),
      startTime: parseSlurmTime(start!),
      endTime: parseSlurmTime(end!),
      nodes: NO_NODES.has(nodes!) ? '' : nodes!,
      partition: partition!,
    };
  });
}

/** `7:0` -> exit code 7, signal 0 (as ExitCode and DerivedExitCode print it). */
export function parseExitCode(s: string): { code: number; signal: number } | null {
  const m = /^(\d+):(\d+)$/.exec(s.trim());
  return m ? { code: Number(m[1]), signal: Number(m[2]) } : null;
}

/**
 * `Key=value` pairs of one `scontrol show job|node|partition -o` line. Values may contain `=`
 * (TRES=cpu=1,node=1) and spaces (OS=Linux 6.1 #1 SMP, Reason=maint window [root@...],
 * Comment=hello world a=b): a token starts a new pair only when it looks like a key (`Key=`, with
 * the capitalised names scontrol uses); any other token continues the previous value.
 */
export function parseKeyValues(line: string): Record<string, string> {
  return pairs(line, (key) => /^[A-Z][A-Za-z0-9_:/]*$/.test(key));
}

function pairs(line: string, isKey: (key: string) => boolean): Record<string, string> {
  const record: Record<string, string> = {};
  let key: string | undefined;
  for (const token of line.trim().split(/ +/)) {
    const eq = token.indexOf('=');
    if (eq > 0 && isKey(token.slice(0, eq))) {
      key = token.slice(0, eq);
      record[key] = token.slice(eq + 1);
    } else if (key !== undefined && token !== '') {
      record[key] += record[key] === '' ? token : ` ${token}`;
    }
  }
  return record;
}

/** One record per line of `scontrol show ... -o`; lines without pairs (`No jobs in the system`) are skipped. */
export function parseScontrolRecords(out: string): Record<string, string>[] {
  return out
    .split('\n')
    .map((line) => parseKeyValues(line))
    .filter((r) => Object.keys(r).length > 0);
}

/**
 * The keys of a jobcomp/filetxt line as 22.05 writes them (JOB_FORMAT in jobcomp_filetxt.c).
 * Only these start a new pair, so a job name or work dir with spaces and `=` stays whole.
 */
const JOBCOMP_KEYS = new Set([
  'JobId', 'UserId', 'GroupId', 'Name', 'JobState', 'Partition', 'TimeLimit', 'StartTime', 'EndTime',
  'NodeList', 'NodeCnt', 'ProcCnt', 'WorkDir', 'ReservationName', 'Tres', 'Account', 'QOS', 'WcKey',
  'Cluster', 'SubmitTime', 'EligibleTime', 'ArrayJobId', 'ArrayTaskId', 'HetJobId', 'HetJobOffset',
  'DerivedExitCode', 'ExitCode',
]);

export interface JobcompRow {
  id: string;
  name: string;
  /** `root(0)` as written. */
  user: string;
  /** The base state; a requeue writes PENDING, a resize RESIZING. */
  state: string;
  partition: string;
  /** The job's limit (the file writes minutes), null when UNLIMITED. */
  timeLimitSeconds: number | null;
  startTime: string | null;
  endTime: string | null;
  submitTime: string | null;
  eligibleTime: string | null;
  nodes: string;
  nodeCount: number;
  exitCode: number | null;
  signal: number | null;
  derivedExitCode: number | null;
  derivedSignal: number | null;
  workDir: string;
  arrayJobId?: string;
  arrayTaskId?: string;
}

/**
 * The job completion log of JobCompType=jobcomp/filetxt: one line per job end. slurmctld writes
 * its times with a fixed `%FT%T` in its own local time, whatever SLURM_TIME_FORMAT says, and they
 * are read as UTC (controllers run in UTC; Cairn cannot know another zone). Keeps the last row per
 * job id: a requeued job is written once per requeue and once more at its real end. A line that
 * does not start with `JobId=` (the cut first line of a partial read) is skipped.
 */
export function parseJobcompLog(text: string): JobcompRow[] {
  const byId = new Map<string, JobcompRow>();
  // The text after the last line break is a line slurmctld may still be writing: leave it for the next read.
  for (const line of text.split('\n').slice(0, -1)) {
    if (!line.startsWith('JobId=')) continue;
    const f = pairs(line, (k) => JOBCOMP_KEYS.has(k));
    if (!f.JobId || !JOB_ID.test(f.JobId) || f.JobState === undefined) throw new Error(`unexpected jobcomp line: '${line}'`);
    const ec = parseExitCode(f.ExitCode ?? '');
    const derived = parseExitCode(f.DerivedExitCode ?? '');
    const limit = f.TimeLimit ?? '';
    // A task of a job array is known by `array_task` (its own JobId is an internal number).
    const id = f.ArrayJobId && f.ArrayJobId !== '0' && f.ArrayTaskId && /^\d+$/.test(f.ArrayTaskId) ? `${f.ArrayJobId}_${f.ArrayTaskId}` : f.JobId;
    byId.delete(id); // re-inserted, so the map's order is the order of last writes
    byId.set(id, {
      id,
      name: f.Name ?? '',
      user: f.UserId ?? '',
      state: f.JobState,
      partition: f.Partition ?? '',
      timeLimitSeconds: limit === '' ? null : parseDuration(limit),
      startTime: parseSlurmTime(f.StartTime ?? ''),
      endTime: parseSlurmTime(f.EndTime ?? ''),
      submitTime: parseSlurmTime(f.SubmitTime ?? ''),
      eligibleTime: parseSlurmTime(f.EligibleTime ?? ''),
      nodes: NO_NODES.has(f.NodeList ?? '') ? '' : f.NodeList!,
      nodeCount: Number(f.NodeCnt ?? 0),
      exitCode: ec?.code ?? null,
      signal: ec?.signal ?? null,
      derivedExitCode: derived?.code ?? null,
      derivedSignal: derived?.signal ?? null,
      workDir: f.WorkDir ?? '',
      ...(f.ArrayJobId !== undefined ? { arrayJobId: f.ArrayJobId } : {}),
      ...(f.ArrayTaskId !== undefined ? { arrayTaskId: f.ArrayTaskId } : {}),
    });
  }
  return [...byId.values()];
}

/** `slurm 22.05.8` or `slurm-wlm 22.05.8` (sinfo/scontrol --version) -> { major: 22, minor: 5, text: '22.05.8' }. */
export function parseSlurmVersion(out: string): { major: number; minor: number; text: string } | null {
  let found: RegExpExecArray | undefined;
  for (const m of out.matchAll(/^\s*slurm(?:-wlm)?\s+((\d+)\.(\d+)(?:\.\d+)?\S*)\s*$/gm)) found = m;
  return found ? { major: Number(found[2]), minor: Number(found[3]), text: found[1]! } : null;
}

/** A guard against `n[1-100000000]` eating memory: no real allocation is this big. */
const MAX_HOSTS = 100_000;

/** Splits on commas outside brackets: `gpu[01,03],login1` -> [`gpu[01,03]`, `login1`]. */
function topLevel(s: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++;
    else if (s[i] === ']') depth--;
    if (depth < 0 || depth > 1) throw new Error(`unbalanced brackets in host list '${s}'`);
    if (s[i] === ',' && depth === 0) {
      items.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new Error(`unbalanced brackets in host list '${s}'`);
  items.push(s.slice(start));
  return items;
}

/** `01-03,7` -> ['01','02','03','7']: a range keeps the width of its first number, as Slurm does. */
function expandRanges(body: string, list: string): string[] {
  const out: string[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad range '${part}' in host list '${list}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`bad range '${part}' in host list '${list}'`);
    if (hi - lo + out.length >= MAX_HOSTS) throw new Error(`host list '${list}' is too long`);
    for (let n = lo; n <= hi; n++) out.push(String(n).padStart(m[1]!.length, '0'));
  }
  return out;
}

/**
 * Expands a Slurm host list without asking scontrol: `n[1-3]`, `c[1,3-4]`, `gpu[01-02],login1`,
 * `rack[1-2]-n[01-02]` (each bracket multiplies), keeping leading zeros. Slurm's words for no
 * nodes (`''`, `(null)`, `None assigned`) give [].
 */
export function parseHostlist(s: string): string[] {
  const list = s.trim();
  if (NO_NODES.has(list)) return [];
  const hosts: string[] = [];
  for (const item of topLevel(list)) {
    if (item === '') throw new Error(`empty host name in host list '${s}'`);
    let names = [''];
    for (const piece of item.split(/(\[[^\]]*\])/)) {
      const options = piece.startsWith('[') ? expandRanges(piece.slice(1, -1), s) : [piece];
      if (names.length * options.length > MAX_HOSTS) throw new Error(`host list '${s}' is too long`);
      names = names.flatMap((prefix) => options.map((o) => prefix + o));
    }
    hosts.push(...names);
    if (hosts.length > MAX_HOSTS) throw new Error(`host list '${s}' is too long`);
  }
  return hosts;
}

/**
 * The inverse of parseHostlist for names with a plain numeric suffix: `n1,n2,n3,n05` ->
 * `n[1-3,05]`. Names are grouped by prefix in order of first appearance, sorted and deduplicated
 * within a group; a range only joins numbers written with the same zero padding. Other names are
 * kept as they are.
 */
export function compressHostlist(names: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    if (name === '' || /[[\],]/.test(name)) throw new Error(`not a host name: '${name}'`);
    const m = /^(.*?)(\d+)$/.exec(name);
    const [prefix, digits] = m ? [m[1]!, m[2]!] : [name, ''];
    const key = `${prefix}\0${digits === '' ? 'plain' : 'numbered'}`;
    const list = groups.get(key) ?? [];
    if (!list.includes(digits)) list.push(digits);
    groups.set(key, list);
  }
  const items: string[] = [];
  for (const [key, suffixes] of groups) {
    const prefix = key.slice(0, key.indexOf('\0'));
    if (suffixes.length === 1 && suffixes[0] === '') items.push(prefix);
    else if (suffixes.length === 1) items.push(prefix + suffixes[0]);
    else items.push(`${prefix}[${ranges(suffixes).join(',')}]`);
  }
  return items.join(',');
}

/** A number written with zero padding must keep its exact width; an unpadded one has none. */
const widthOf = (digits: string) => (digits.length > 1 && digits.startsWith('0') ? digits.length : 0);

/** Sorted numeric suffixes as Slurm ranges: ['1','2','3','05','06'] -> ['1-3','05-06']. */
function ranges(suffixes: string[]): string[] {
  const sorted = [...suffixes].sort((a, b) => Number(a) - Number(b) || a.length - b.length);
  const out: string[] = [];
  let first = sorted[0]!;
  let last = first;
  let width = widthOf(first);
  const fits = (digits: string, n: number) =>
    Number(digits) === n && (width === 0 ? widthOf(digits) === 0 : digits === String(n).padStart(width, '0'));
  for (const digits of sorted.slice(1)) {
    if (fits(digits, Number(last) + 1)) {
      last = digits;
      continue;
    }
    out.push(first === last ? first : `${first}-${last}`);
    first = last = digits;
    width = widthOf(digits);
  }
  out.push(first === last ? first : `${first}-${last}`);
  return out;
}
