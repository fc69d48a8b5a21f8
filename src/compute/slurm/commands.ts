import { shellQuote as q } from '../../transports/ssh/index.ts';
import { CairnError } from '../../protocol/errors.ts';
import type { ClusterShell } from './shell.ts';
import { parseJobcompLog, parseSacct, parseScontrolRecords, parseSlurmVersion, parseSqueue, SACCT_FIELDS, SQUEUE_FORMAT, SQUEUE_SEP, type SqueueRow } from './parse.ts';
import { mapSlurmState, type SlurmMapping } from './states.ts';
import { oneLineSlurmError, parseSbatchOutput, type SbatchRequest } from './sbatch-options.ts';

/** What the cluster says of one job, wherever it was found (squeue, sacct, the job completion log). */
export interface SlurmJobState extends SlurmMapping {
  id: string;
  raw: string;
  nodes: string;
  endedAt: string | null;
  source: 'squeue' | 'sacct' | 'jobcomp';
}

export interface ClusterFacts {
  version: string;
  config: Record<string, string>;
  partitions: Record<string, string>[];
}

/** One sbatch of a burst: its arguments (after `sbatch`) and the script file. */
export interface SbatchCall {
  name: string;
  args: string[];
  script: string;
  /** What the arguments were made from (slurmrestd takes these as job properties). */
  request: SbatchRequest;
}

/** sbatch calls a burst runs at once. */
const SBATCH_PARALLEL = 8;

const section = (name: string) => `printf '\\n@@section:${name}@@\\n'`;

/** Splits an output made of `@@section:NAME@@` parts. */
function sections(out: string): Map<string, string> {
  const m = new Map<string, string>();
  const re = /\n?@@section:([\w-]+)@@\n/g;
  let last: { name: string; from: number } | null = null;
  for (let x = re.exec(out); x; x = re.exec(out)) {
    if (last) m.set(last.name, out.slice(last.from, x.index));
    last = { name: x[1]!, from: x.index + x[0].length };
  }
  if (last) m.set(last.name, out.slice(last.from));
  return m;
}

/**
 * Slurm's command-line tools, as Cairn uses them: each call is one round trip to the login host
 * (several commands in one script where a pass needs several), times in UTC.
 */
export class SlurmCommands {
  private readonly sh: ClusterShell;
  /** JobCompLoc when JobCompType=jobcomp/filetxt: where finished jobs are found once squeue forgot them. */
  private jobcomp: string | null = null;
  private accounting = true;
  /** Tasks one job array may have here (MaxArraySize - 1; 0 where the site turned arrays off). */
  maxArrayTasks = 1000;

  constructor(sh: ClusterShell) {
    this.sh = sh;
  }

  get where(): string {
    return this.sh.where;
  }

  private async must(script: string, what: string, timeoutMs?: number): Promise<string> {
    const r = await this.sh.run(script, { timeoutMs });
    if (r.code !== 0) throw new CairnError('HostCheckFailed', `${what} on ${this.sh.where} failed: ${oneLineSlurmError(r.err || r.out) || `exit ${r.code}`}`);
    return r.out;
  }

  /** Version, configuration and partitions in one round trip; says plainly when there is no Slurm. */
  async facts(): Promise<ClusterFacts> {
    const r = await this.sh.run(`command -v sinfo >/dev/null 2>&1 || { echo 'no-slurm' >&2; exit 127; }\n${section('version')}\nsinfo --version\n${section('config')}\nscontrol show config\n${section('partitions')}\nscontrol show partition -o`);
    if (r.code === 127 && r.err.includes('no-slurm')) throw new CairnError('HostCheckFailed', `Slurm's commands are not on ${this.sh.where}: sinfo was not found (install Slurm's client there, or set slurm_env: {PATH: ...} to where it is)`);
    if (r.code !== 0) throw new CairnError('HostCheckFailed', `Slurm on ${this.sh.where} did not answer: ${oneLineSlurmError(r.err || r.out) || `exit ${r.code}`}`);
    const s = sections(r.out);
    const version = parseSlurmVersion(s.get('version') ?? '');
    const config: Record<string, string> = {};
    for (const line of (s.get('config') ?? '').split('\n')) {
      const m = /^(\w+)\s+=\s?(.*)$/.exec(line.trim());
      if (m) config[m[1]!] = m[2]!.trim();
    }
    this.learn(config);
    return { version: version?.text ?? 'unknown', config, partitions: parseScontrolRecords(s.get('partitions') ?? '') };
  }

  /** Where finished jobs can be looked up: sacct with accounting, the filetxt completion log without. */
  learn(config: Record<string, string>): void {
    this.accounting = (config.AccountingStorageType ?? 'accounting_storage/none') !== 'accounting_storage/none';
    this.jobcomp = config.JobCompType === 'jobcomp/filetxt' && config.JobCompLoc ? config.JobCompLoc : null;
    const maxArray = Number(config.MaxArraySize ?? 1001);
    this.maxArrayTasks = Number.isInteger(maxArray) && maxArray > 0 ? maxArray - 1 : 0;
  }

  async nodes(): Promise<Record<string, string>[]> {
    return parseScontrolRecords(await this.must('scontrol show node -o', 'scontrol show node'));
  }

  /**
   * Runs a burst of sbatch calls in one round trip. Each gets its id, or Slurm's refusal in one line.
   * Throws only when the host could not run the script at all.
   */
  async sbatch(calls: SbatchCall[]): Promise<Map<string, { id: string } | { refused: string }>> {
    // A few at a time: slurmctld takes concurrent submissions, so a burst needs not wait on each in turn.
    const lines = calls.map((c, i) => `s ${i} ${c.args.map(q).join(' ')} ${q(c.script)} &${(i + 1) % SBATCH_PARALLEL === 0 ? '\nwait' : ''}`);
    const script = [
      'd=$(mktemp -d) || exit 99',
      `s() { i=$1; shift; o=$(sbatch "$@" 2>&1); r=$?; printf '@@sbatch:%s:%s@@\\n%s\\n@@end:%s@@\\n' "$i" "$r" "$o" "$i" > "$d/$i"; }`,
      ...lines,
      'wait',
      `i=0; while [ $i -lt ${calls.length} ]; do cat "$d/$i" 2>/dev/null; i=$((i+1)); done`,
      'rm -rf "$d"',
    ].join('\n');
    const r = await this.sh.run(script, { timeoutMs: 30_000 + calls.length * 2_000 });
    const out = new Map<string, { id: string } | { refused: string }>();
    const re = /@@sbatch:(\d+):(\d+)@@\n([\s\S]*?)\n@@end:\1@@/g;
    for (let m = re.exec(r.out); m; m = re.exec(r.out)) {
      const call = calls[Number(m[1])];
      if (!call) continue;
      const text = m[3]!;
      const parsed = m[2] === '0' ? parseSbatchOutput(text) : null;
      out.set(call.name, parsed ? { id: parsed.jobId } : { refused: oneLineSlurmError(text) || `sbatch exited with ${m[2]}` });
    }
    return out;
  }

  /**
   * Job ids by job name, for submissions a crash may have left made but unrecorded. A job array
   * is found by its name too: its id is the array's number (its tasks are `number_task`).
   */
  async findByName(names: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (names.length === 0) return found;
    const r = await this.sh.run(`squeue -h -a -r --name=${q(names.join(','))} -o '%i${SQUEUE_SEP}%j'${this.accounting ? `\n${section('sacct')}\nsacct -n -P -X --name=${q(names.join(','))} -o ${SACCT_FIELDS} -S now-7days 2>/dev/null` : ''}${this.jobcompFirst(names.map((n) => `Name=${n} `))}`);
    if (r.code !== 0 && !r.out.includes('@@section')) throw new CairnError('HostCheckFailed', `squeue on ${this.sh.where} failed: ${oneLineSlurmError(r.err) || `exit ${r.code}`}`);
    const s = sections(`@@section:squeue@@\n${r.out}`);
    const put = (name: string, id: string) => {
      if (names.includes(name) && !found.has(name)) found.set(name, id.replace(/_\d+$/, ''));
    };
    for (const line of (s.get('squeue') ?? '').split('\n')) {
      const [id, name] = line.split(SQUEUE_SEP);
      if (id && name) put(name.trim(), id.trim());
    }
    for (const row of parseSacct(s.get('sacct') ?? '')) put(row.name, row.id);
    for (const row of parseJobcompLog(s.get('jobcomp') ?? '')) put(row.name, row.id);
    return found;
  }

  /** The first completion-log line of each pattern: a job array writes one line per task, and any one names the array. */
  private jobcompFirst(patterns: string[]): string {
    if (!this.jobcomp || patterns.length === 0) return '';
    return `\n${section('jobcomp')}\n${patterns.map((p) => `grep -F -m 1 -e ${q(p)} ${q(this.jobcomp!)} 2>/dev/null`).join('\n')}\ntrue`;
  }

  private jobcompGrep(patterns: string[]): string {
    if (!this.jobcomp || patterns.length === 0) return '';
    return `\n${section('jobcomp')}\ngrep -F ${patterns.map((p) => `-e ${q(p)}`).join(' ')} ${q(this.jobcomp)} 2>/dev/null | tail -n ${patterns.length * 4}`;
  }

  /**
   * The state of these jobs: squeue for the ones it still lists (and, for pending ones, how many
   * pending jobs of their partition come first), then sacct or the job completion log for the
   * ones Slurm has forgotten (MinJobAge). Ids found nowhere are absent.
   */
  async states(ids: string[]): Promise<Map<string, SlurmJobState>> {
    const out = new Map<string, SlurmJobState>();
    if (ids.length === 0) return out;
    const r = await this.sh.run(`squeue -h -a -r -t all -o ${q(SQUEUE_FORMAT)} --me || exit 3\n${section('pending')}\nsqueue -h -a -r -t PD -o '%i${SQUEUE_SEP}%Q${SQUEUE_SEP}%P'`, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new CairnError('HostCheckFailed', `squeue on ${this.sh.where} failed: ${oneLineSlurmError(r.err || r.out) || `exit ${r.code}`}`);
    const s = sections(`@@section:squeue@@\n${r.out}`);
    const want = new Set(ids);
    const listed = parseSqueue(s.get('squeue') ?? '');
    const rows = listed.filter((x) => want.has(x.id));
    const pending = (s.get('pending') ?? '').split('\n').map((l) => l.split(SQUEUE_SEP)).filter((p) => p.length === 3 && /^\d+(_\d+)?$/.test(p[0]!));
    for (const row of rows) out.set(row.id, this.fromSqueue(row, pending));
    const missing = ids.filter((id) => !out.has(id));
    if (missing.length) for (const [id, st] of await this.forgotten(missing)) out.set(id, st);
    // A pending task of a job array that scancel removed leaves no record anywhere, while the
    // rest of its array is still listed: it was canceled in the queue.
    const arrays = new Set(listed.map((r) => /^(\d+)_/.exec(r.id)?.[1]).filter(Boolean));
    for (const id of ids.filter((x) => !out.has(x) && arrays.has(/^(\d+)_/.exec(x)?.[1]))) {
      const m = mapSlurmState({ state: 'CANCELLED', nodes: '', jobId: id });
      out.set(id, { ...m, reason: `${m.reason}: task ${id} left its array's queue before it started`, id, raw: 'CANCELLED', nodes: '', endedAt: null, source: 'squeue' });
    }
    return out;
  }

  private fromSqueue(row: SqueueRow, pending: string[][]): SlurmJobState {
    let ahead: number | null = null;
    if (row.state === 'PENDING') {
      ahead = pending.filter(([id, prio, part]) => id !== row.id && part === row.partition && (Number(prio) > row.priority || (Number(prio) === row.priority && submittedBefore(id!, row.id)))).length;
    }
    const m = mapSlurmState({ state: row.state, reason: row.reason, nodes: row.nodes, jobId: row.id, ahead });
    return { ...m, id: row.id, raw: row.state, nodes: row.nodes, endedAt: null, source: 'squeue' };
  }

  /**
   * Jobs squeue (or slurmrestd) no longer lists: from accounting when the site has it, else the job
   * completion log. There, tasks of a job array that never started (the whole array canceled in
   * the queue) share one line: the array's own, `JobId=<array>` without a task.
   */
  async forgotten(ids: string[]): Promise<Map<string, SlurmJobState>> {
    const out = new Map<string, SlurmJobState>();
    const arrayOf = (id: string) => /^(\d+)_\d+$/.exec(id)?.[1];
    const arrays = [...new Set(ids.map(arrayOf).filter((a): a is string => !!a))];
    const script = [
      ...(this.accounting ? [section('sacct'), `sacct -n -P -X -j ${q(ids.join(','))} -o ${SACCT_FIELDS} 2>/dev/null`] : []),
      this.jobcompGrep([...ids.map(jobcompPattern), ...arrays.map((a) => `JobId=${a} `)]),
      'true',
    ].join('\n');
    const r = await this.sh.run(script);
    const s = sections(r.out);
    for (const row of parseSacct(s.get('sacct') ?? '')) {
      const m = mapSlurmState({ state: row.rawState, reason: row.reason, exitCode: row.exitCode, signal: row.signal, nodes: row.nodes, jobId: row.id });
      out.set(row.id, { ...m, id: row.id, raw: row.state, nodes: row.nodes, endedAt: row.endTime, source: 'sacct' });
    }
    const logged = new Map(parseJobcompLog(s.get('jobcomp') ?? '').map((row) => [row.id, row]));
    for (const id of ids) {
      if (out.has(id)) continue;
      const a = arrayOf(id);
      const own = logged.get(id);
      const row = own ?? (a !== undefined && logged.get(a)?.arrayJobId === undefined ? logged.get(a) : undefined);
      if (!row) continue;
      const m = mapSlurmState({ state: row.state, exitCode: row.exitCode, signal: row.signal, nodes: row.nodes, jobId: id, timeLimit: row.timeLimitSeconds === null ? null : `${Math.round(row.timeLimitSeconds / 60)} min` });
      out.set(id, { ...m, id, raw: row.state, nodes: row.nodes, endedAt: row.endTime, source: 'jobcomp' });
    }
    return out;
  }

  async scancel(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    // A job that already ended is no error: the cancel came too late to matter.
    const r = await this.sh.run(`scancel ${ids.map(q).join(' ')}`);
    if (r.code !== 0 && !/already completing or completed|Invalid job id/i.test(r.err)) throw new CairnError('HostCheckFailed', `scancel on ${this.sh.where} failed: ${oneLineSlurmError(r.err) || `exit ${r.code}`}`);
  }

  /** `scontrol update KEY=VALUE ...`: Slurm's message in one line when it refuses. */
  async update(args: string[]): Promise<void> {
    await this.must(`scontrol update ${args.map(q).join(' ')}`, `scontrol update ${args.join(' ')}`);
  }

  run(script: string, timeoutMs?: number): Promise<{ out: string; err: string; code: number }> {
    return this.sh.run(script, { timeoutMs });
  }
}

/** Slurm's order of submission: by job number, then by task within an array. */
function submittedBefore(a: string, b: string): boolean {
  const [ja, ta] = a.split('_').map(Number) as [number, number | undefined];
  const [jb, tb] = b.split('_').map(Number) as [number, number | undefined];
  return ja !== jb ? ja < jb : (ta ?? 0) < (tb ?? 0);
}

/** How the completion log writes a job: `JobId=N `, or for an array's task its array and task. */
const jobcompPattern = (id: string): string => {
  const m = /^(\d+)_(\d+)$/.exec(id);
  return m ? `ArrayJobId=${m[1]} ArrayTaskId=${m[2]} ` : `JobId=${id} `;
};
