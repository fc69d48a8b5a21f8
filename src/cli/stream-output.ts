import { isTerminal, type Job, type LogLine } from '../protocol/job.ts';
import type { CairnClient } from '../sdk/client.ts';

/** Accepts an ISO time or a duration back from now (30s, 10m, 2h, 1d). */
export function parseSince(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d+)([smhd])$/.exec(s);
  if (m) return Date.now() - Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's']!;
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`--since '${s}': expected a time (2026-01-31T12:00:00Z) or a duration (30s, 10m, 2h, 1d)`);
  return t;
}

/** Prints a job's output as it comes (stdout lines to stdout, stderr lines to stderr) until it ends. */
export async function streamToTerminal(
  client: CairnClient,
  name: string,
  o: {
    since?: number;
    out?: NodeJS.WritableStream;
    err?: NodeJS.WritableStream;
    ranks?: (rank: number) => boolean;
    labelRanks?: boolean;
    /** The caller prints the job's end with its reason (summary): the stream does not say it first. */
    summaryFollows?: boolean;
    /** Lines the user was already shown (the server's warnings at submit): their copy in the job's log is not printed again. */
    alreadySaid?: string[];
  } = {},
): Promise<Job> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const said = new Set(o.alreadySaid ?? []);
  const onLine = (l: LogLine) => {
    if (l.stream === 'system' && said.delete(l.text)) return;
    if (o.since !== undefined && Date.parse(l.ts) < o.since) return;
    if (o.ranks && !o.ranks(l.rank)) return;
    if (o.labelRanks) return void (l.stream === 'stdout' ? out : err).write(`[rank ${l.rank}] ${l.text}\n`);
    // Only the job's own stdout goes to stdout; its stderr and the environment's build output (system) to stderr.
    (l.stream === 'stdout' ? out : err).write(`${l.text}\n`);
  };
  return client.stream(name, {
    onLine,
    onStatus: (e) => {
      if (o.summaryFollows && isTerminal(e.status)) return;
      err.write(`[cairn] ${e.status}${e.reason ? `: ${e.reason}` : ''}\n`);
    },
  });
}

export function summary(job: Job): string {
  const d = job.duration_seconds === null ? '' : ` in ${job.duration_seconds}s`;
  return `job ${job.name} ${job.status}${d}${job.status_reason && job.status !== 'Completed' ? `: ${job.status_reason}` : ''}`;
}
