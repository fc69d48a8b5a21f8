import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '../protocol/errors.ts';
import type { LogLine } from '../protocol/job.ts';
import { checkRelativePath } from '../protocol/paths.ts';
import type { CairnClient } from '../sdk/client.ts';

/** What `job download` fetches: every artifact, only `outputs/...`, or none; and the logs or not. */
export interface DownloadSelection {
  artifacts: 'all' | 'outputs' | 'none';
  logs: boolean;
  /** Only one named output: the artifacts under `outputs/<from>`, written under `outputs/<as>`. */
  output?: { from: string; as: string };
}

/** `--all` (or no flag): everything. `--outputs` and `--logs` add up when both are given. */
export function downloadSelection(o: { all?: boolean; outputs?: boolean; logs?: boolean }): DownloadSelection {
  if (o.all || (!o.outputs && !o.logs)) return { artifacts: 'all', logs: true };
  return { artifacts: o.outputs ? 'outputs' : 'none', logs: Boolean(o.logs) };
}

export const LOG_LAYOUT =
  'logs/std_log.txt (stdout and stderr interleaved in the order Cairn received their lines), logs/stdout.txt and logs/stderr.txt, ' +
  'each holding every attempt in order; a job that ran more than once also gets logs/attempt-<n>/ with those three files per attempt';

/** The log files of a job, paths relative to its download folder (see LOG_LAYOUT). */
export function logFiles(lines: LogLine[]): { path: string; text: string }[] {
  const three = (prefix: string, ls: LogLine[]) => {
    const text = (keep: (l: LogLine) => boolean) => ls.filter(keep).map((l) => `${l.text}\n`).join('');
    return [
      { path: `${prefix}/std_log.txt`, text: text(() => true) },
      { path: `${prefix}/stdout.txt`, text: text((l) => l.stream === 'stdout') },
      { path: `${prefix}/stderr.txt`, text: text((l) => l.stream === 'stderr') },
    ];
  };
  const files = three('logs', lines);
  const attempts = [...new Set(lines.map((l) => l.attempt))].sort((a, b) => a - b);
  if (attempts.length > 1) for (const n of attempts) files.push(...three(`logs/attempt-${n}`, lines.filter((l) => l.attempt === n)));
  return files;
}

/**
 * Writes a job's files under `root`, existing files overwritten. Each artifact streams to a
 * temporary name, is checked against its sha256 and only then takes its own name, so an
 * interrupted download leaves no half file that looks whole.
 */
export async function downloadJob(
  client: CairnClient,
  job: string,
  root: string,
  sel: DownloadSelection,
  onWarning: (msg: string) => void = () => {},
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const under = sel.output ? `outputs/${sel.output.from}` : null;
  const artifacts = sel.artifacts === 'none' ? [] : (await client.artifacts(job)).filter((a) => (under ? a.path === under || a.path.startsWith(`${under}/`) : sel.artifacts === 'all' || a.path.startsWith('outputs/')));
  // A logged artifact may sit where a log file goes (logs/stdout.txt, say): the artifact keeps the
  // path, and `--logs` into another folder gets that log.
  const taken = new Set(artifacts.map((a) => a.path));
  const logs: { path: string; text: string }[] = [];
  for (const f of sel.logs ? logFiles(await client.logs(job)) : []) {
    if (!taken.has(f.path)) logs.push(f);
    else onWarning(`the job logged an artifact at '${f.path}': kept it and skipped the log of that name (cairn job download --logs into another --download-path gets it)`);
  }
  for (const a of artifacts) {
    const path = sel.output && under ? `outputs/${sel.output.as}${a.path.slice(under.length)}` : a.path;
    const dest = join(root, checkRelativePath(path, 'artifact path'));
    mkdirSync(dirname(dest), { recursive: true });
    const part = `${dest}.cairn-partial`;
    const hash = createHash('sha256');
    let n = 0;
    try {
      const body = await client.artifactStream(job, a.path);
      await pipeline(
        body,
        async function* (src: AsyncIterable<Buffer>) {
          for await (const chunk of src) {
            hash.update(chunk);
            n += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(part),
      );
      const sha = hash.digest('hex');
      if (sha !== a.sha256) throw new CairnError('Internal', `artifact '${a.path}' arrived damaged: sha256 ${sha}, expected ${a.sha256}`);
      renameSync(part, dest);
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    }
    files++;
    bytes += n;
  }
  for (const f of logs) {
    const dest = join(root, f.path);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, f.text);
    files++;
    bytes += Buffer.byteLength(f.text);
  }
  return { files, bytes };
}
