// The sbatch command line: the options Cairn sets itself, the check that keeps a compute's extra
// sbatch_options off them, and reading what sbatch answers.
import { formatTimeLimit } from './time.ts';

const FROM_GPUS = "set from the job's GPUs";
const OWN_LOG = "Cairn reads the job's output from its own log file";
const ONE_TASK = 'Cairn starts one task per node and launches the rest itself';
const REQUEUE = 'Cairn requeues preempted jobs itself, as new attempts';
const NO_SUBMIT = 'sbatch would print it and submit nothing';

/** Options Cairn sets or relies on (long forms and their short aliases) -> why they are Cairn's. */
export const CAIRN_OWNED: Record<string, string> = {
  '--nodes': 'set from resources.instance_count',
  '-N': 'set from resources.instance_count',
  '--time': "set from limits.timeout or the compute's default_time_limit",
  '-t': "set from limits.timeout or the compute's default_time_limit",
  '--gres': FROM_GPUS,
  '--gpus': FROM_GPUS,
  '-G': FROM_GPUS,
  '--gpus-per-node': FROM_GPUS,
  '--gpus-per-task': FROM_GPUS,
  '--output': OWN_LOG,
  '-o': OWN_LOG,
  '--error': OWN_LOG,
  '-e': OWN_LOG,
  '--open-mode': OWN_LOG,
  '--job-name': 'Cairn finds its submissions by name',
  '-J': 'Cairn finds its submissions by name',
  '--partition': "set from the compute's partition",
  '-p': "set from the compute's partition",
  '--account': "set from the compute's account",
  '-A': "set from the compute's account",
  '--qos': "set from the compute's qos",
  '-q': "set from the compute's qos",
  '--nice': "set from the compute's nice",
  '--parsable': 'Cairn reads the job id from it',
  '--wrap': 'Cairn submits its own batch script',
  '--chdir': 'Cairn runs the job in its own working directory',
  '-D': 'Cairn runs the job in its own working directory',
  '--requeue': REQUEUE,
  '--no-requeue': REQUEUE,
  '--array': 'Cairn submits bursts of like jobs as job arrays itself',
  '-a': 'Cairn submits bursts of like jobs as job arrays itself',
  '--export': "Cairn sets the job's environment",
  '--ntasks': ONE_TASK,
  '-n': ONE_TASK,
  '--ntasks-per-node': ONE_TASK,
  '--wait': 'Cairn watches the job instead of waiting on sbatch',
  '-W': 'Cairn watches the job instead of waiting on sbatch',
  '--test-only': NO_SUBMIT,
  '--hold': 'a held job would wait for a release Cairn never sends',
  '-H': 'a held job would wait for a release Cairn never sends',
  '--dependency': 'Cairn orders its jobs itself',
  '-d': 'Cairn orders its jobs itself',
  '--kill-on-invalid-dep': 'Cairn orders its jobs itself',
  '--signal': 'Cairn signals the job itself when it stops it',
  '--help': NO_SUBMIT,
  '-h': NO_SUBMIT,
  '--usage': NO_SUBMIT,
  '--version': NO_SUBMIT,
  '-V': NO_SUBMIT,
};

/**
 * sbatch's short options without an argument, which getopt lets one cluster: `-vH` is `-v -H`.
 * Every other short option takes the rest of its word (or the next word) as its value.
 */
const SHORT_FLAGS = new Set('hHOQsvVW');

const refuse = (written: string, owned: string) =>
  `sbatch_options: ${written === owned ? owned : `${written} (${owned})`} is Cairn's (${CAIRN_OWNED[owned]}); remove it`;

/** The Cairn-owned long option `name` stands for: itself, or one it abbreviates (getopt accepts `--parti`). */
function ownedLong(name: string): string | undefined {
  if (Object.hasOwn(CAIRN_OWNED, name)) return name;
  return Object.keys(CAIRN_OWNED).find((o) => o.startsWith('--') && o.startsWith(name));
}

function checkOne(opt: string): string | null {
  if (/[\n\r\0]/.test(opt)) return `sbatch_options: ${JSON.stringify(opt)} has a line break or NUL; remove it`;
  if (!/^-[^-\s]|^--[^-=\s]/.test(opt)) {
    return `sbatch_options: ${JSON.stringify(opt)} is not an option (write each one with its value, like --mem=4G)`;
  }
  if (opt.startsWith('--')) {
    const name = /^--[^=\s]+/.exec(opt)![0];
    const owned = ownedLong(name);
    return owned ? refuse(name, owned) : null;
  }
  for (const c of opt.slice(1)) {
    if (Object.hasOwn(CAIRN_OWNED, `-${c}`)) return refuse(`-${c}`, `-${c}`);
    if (!SHORT_FLAGS.has(c)) break; // the rest is this option's value (or sbatch will reject it)
  }
  return null;
}

/**
 * The first of a compute's extra sbatch options that Cairn owns, as one line for the user; null
 * when all may pass. Each entry is one option with its value: `--mem=4G`, `--mem 4G`, `-Cgpu`,
 * `-C gpu`. An entry that is not an option, or has a line break or NUL in it, is refused too.
 */
export function checkExtraOptions(opts: string[]): string | null {
  for (const opt of opts) {
    const problem = checkOne(opt);
    if (problem) return problem;
  }
  return null;
}

/**
 * One extra option as sbatch's argv: `--mem 4G` -> `--mem=4G` and `-C gpu` -> `-Cgpu`, the forms
 * getopt reads the same way whether the option's argument is required or optional.
 */
function asArgv(opt: string): string {
  const m = /^(--[^=\s]+|-[^-\s])\s+(\S.*)$/.exec(opt);
  if (!m || SHORT_FLAGS.has(m[1]!.slice(1))) return opt;
  return m[1]!.startsWith('--') ? `${m[1]}=${m[2]}` : `${m[1]}${m[2]}`;
}

export interface SbatchRequest {
  jobName: string;
  partition?: string;
  account?: string;
  qos?: string;
  nice?: number;
  nodes: number;
  timeLimitSeconds?: number | null;
  gpusPerNode?: number;
  output: string;
  chdir: string;
  extra: string[];
  /** A job array of this many tasks (`--array=0-N`): one sbatch for a burst of like jobs. */
  arrayTasks?: number;
}

/** sbatch's options (the batch script's path goes after them). Throws on a bad request. */
export function sbatchArgs(r: SbatchRequest): string[] {
  if (!Number.isInteger(r.nodes) || r.nodes < 1) throw new Error(`sbatch: nodes must be a whole number >= 1, not ${r.nodes}`);
  if (r.gpusPerNode !== undefined && (!Number.isInteger(r.gpusPerNode) || r.gpusPerNode < 0)) {
    throw new Error(`sbatch: GPUs per node must be a whole number >= 0, not ${r.gpusPerNode}`);
  }
  if (r.nice !== undefined && !Number.isInteger(r.nice)) throw new Error(`sbatch: nice must be a whole number, not ${r.nice}`);
  if (r.arrayTasks !== undefined && (!Number.isInteger(r.arrayTasks) || r.arrayTasks < 1)) throw new Error(`sbatch: array tasks must be a whole number >= 1, not ${r.arrayTasks}`);
  const problem = checkExtraOptions(r.extra);
  if (problem) throw new Error(problem);
  const args = [
    '--parsable',
    '--no-requeue',
    `--job-name=${r.jobName}`,
    `--nodes=${r.nodes}`,
    '--ntasks-per-node=1',
    `--output=${r.output}`,
    `--chdir=${r.chdir}`,
  ];
  if (r.partition) args.push(`--partition=${r.partition}`);
  if (r.account) args.push(`--account=${r.account}`);
  if (r.qos) args.push(`--qos=${r.qos}`);
  if (r.nice !== undefined) args.push(`--nice=${r.nice}`);
  if (r.timeLimitSeconds !== undefined && r.timeLimitSeconds !== null) args.push(`--time=${formatTimeLimit(r.timeLimitSeconds)}`);
  if (r.gpusPerNode) args.push(`--gres=gpu:${r.gpusPerNode}`);
  if (r.arrayTasks !== undefined) args.push(`--array=0-${r.arrayTasks - 1}`);
  // Last, so they read as the compute's additions; none of them can override Cairn's (checked above).
  args.push(...r.extra.map(asArgv));
  return args;
}

/** `123` or `123;cluster` from `sbatch --parsable`: the last line that has that shape. */
export function parseSbatchOutput(out: string): { jobId: string; cluster?: string } | null {
  let found: { jobId: string; cluster?: string } | null = null;
  for (const line of out.split('\n')) {
    const m = /^(\d+)(?:;(\S+))?$/.exec(line.trim());
    if (m) found = m[2] ? { jobId: m[1]!, cluster: m[2] } : { jobId: m[1]! };
  }
  return found;
}

/**
 * Slurm's own message, in one line of at most 300 characters: the last `error:` line without its
 * `sbatch: error: ` prefix, else the last line a Slurm command prefixed with its name (`sbatch:
 * unrecognized option '--bogus'`), else the last non-empty line.
 */
export function oneLineSlurmError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const errors = lines.filter((l) => /(^|\s)error:\s/i.test(l));
  const picked =
    errors.length > 0
      ? errors.at(-1)!.replace(/^.*?error:\s*/i, '')
      : (lines.findLast((l) => /^s\w+: /.test(l))?.replace(/^s\w+: /, '') ?? lines.at(-1) ?? '');
  return picked.length > 300 ? `${picked.slice(0, 299)}…` : picked;
}
