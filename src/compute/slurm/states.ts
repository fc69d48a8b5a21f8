// What Cairn does with each Slurm job state, in one explicit table. A state missing from it maps
// to 'unknown': the caller keeps the job's last known status and logs the reason; it never guesses.
// Every reason names the Slurm job id and the state as Slurm printed it.

export type SlurmPhase = 'queued' | 'provisioning' | 'running' | 'ended' | 'unknown';
export type SlurmOutcome = 'succeeded' | 'failed' | 'timed_out' | 'canceled' | 'preempted';

export interface SlurmView {
  /** As squeue, sacct or the jobcomp log print it: `RUNNING`, `CANCELLED by 0`, `CANCELLED+`. */
  state: string;
  /** Slurm's pending reason (code or description). */
  reason?: string | null;
  exitCode?: number | null;
  signal?: number | null;
  /** The job's host list, named when nodes fail. */
  nodes?: string | null;
  jobId: string;
  /** As Slurm prints it, named when the job times out. */
  timeLimit?: string | null;
  /** Jobs ahead of it in its partition, when the caller counted them. */
  ahead?: number | null;
}

export interface SlurmMapping {
  phase: SlurmPhase;
  outcome?: SlurmOutcome;
  exitCode?: number | null;
  reason: string;
}

/** `CANCELLED by 0` -> `CANCELLED`, `CANCELLED+` (sacct's truncation mark) -> `CANCELLED`. */
export function baseSlurmState(state: string): string {
  return state.trim().split(/[\s+]/, 1)[0]!.toUpperCase();
}

/** Short words for the pending reasons people meet most; Slurm's own code is always shown too. */
const PENDING_GLOSS: Record<string, string> = {
  None: 'not yet looked at by the scheduler',
  WaitingForScheduling: 'not yet looked at by the scheduler',
  Resources: 'waiting for nodes to free up',
  Priority: 'jobs with higher priority go first',
  Dependency: 'waiting for a job it depends on',
  DependencyNeverSatisfied: 'a job it depends on can never satisfy it; it will not start',
  BeginTime: 'not before its begin time',
  JobHeldUser: 'held by its user (scontrol release)',
  JobHeldAdmin: 'held by an administrator',
  'launch failed requeued held': 'its launch failed, so Slurm requeued and held it (scontrol release)',
  PartitionDown: 'its partition is down',
  PartitionInactive: 'its partition is inactive',
  PartitionNodeLimit: 'it asks for more nodes than the partition allows, or its nodes are down or drained',
  PartitionTimeLimit: "its time limit is longer than the partition's; it will not start",
  PartitionConfig: "it asks for more than the partition's nodes have; it will not start",
  QOSMaxJobsPerUserLimit: "the QOS's limit on running jobs per user is reached",
  QOSMaxWallDurationPerJobLimit: "its time limit is longer than the QOS allows; it will not start",
  AssocGrpCpuLimit: "the account's CPU limit is in use",
  ReqNodeNotAvail: 'nodes it needs are unavailable (down, drained or reserved)',
  Reservation: 'waiting for its reservation',
  NodeDown: 'a node it needs is down',
  BadConstraints: 'no node has the features it asks for',
  Licenses: 'waiting for a license',
  Cleaning: 'still cleaning up after its previous run',
  Prolog: "the controller's prolog is still running",
  JobArrayTaskLimit: "the array's limit on running tasks is reached",
  InvalidAccount: 'its account is invalid',
  InvalidQOS: 'its QOS is invalid',
};

function pendingGloss(reason: string): string | undefined {
  // squeue's %R wraps the reason in parentheses; scontrol writes a description with underscores;
  // `ReqNodeNotAvail, UnavailableNodes:n2` carries details after the code.
  const code = reason.replace(/^\((.*)\)$/, '$1').split(',', 1)[0]!.trim();
  const gloss = PENDING_GLOSS[code] ?? PENDING_GLOSS[code.replaceAll('_', ' ')];
  if (gloss) return gloss;
  // The families of limit reasons (QOSGrpGRES, QOSMaxCpuPerUserLimit, AssocGrpMemLimit, ...).
  if (/^QOS(Grp|Max|Min)\w*$|^QOS\w*Limit$/.test(code)) return 'a limit of its QOS is reached';
  if (/^Assoc(Grp|Max)\w*$|^Association\w*Limit$/.test(code)) return 'a limit of its account is reached';
  return undefined;
}

function ahead(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return n === 0 ? ' (no jobs ahead)' : ` (${n} job${n === 1 ? '' : 's'} ahead)`;
}

function pending(v: SlurmView): string {
  const reason = v.reason?.trim() ?? '';
  const gloss = reason === '' ? undefined : pendingGloss(reason);
  const why = reason === '' ? '' : `: ${reason}${gloss ? `, ${gloss}` : ''}`;
  return `Slurm job ${v.jobId} is pending${why}${ahead(v.ahead)}`;
}

type Row = { phase: SlurmPhase; outcome?: SlurmOutcome; say: (v: SlurmView) => string };

const exitText = (v: SlurmView) =>
  (v.exitCode === null || v.exitCode === undefined ? 'exit code unknown' : `exit code ${v.exitCode}`) +
  (v.signal ? `, signal ${v.signal}` : '');

const nodesText = (v: SlurmView) => (v.nodes?.trim() ? v.nodes.trim() : '(not named)');

/** The table. Keys are base states (baseSlurmState). */
const TABLE: Record<string, Row> = {
  PENDING: { phase: 'queued', say: pending },
  REQUEUED: { phase: 'queued', say: () => 'requeued by Slurm; it waits to run again' },
  REQUEUE_HOLD: { phase: 'queued', say: () => 'requeued and held by Slurm (scontrol release)' },
  REQUEUE_FED: { phase: 'queued', say: () => 'requeued by its federation' },
  RESV_DEL_HOLD: { phase: 'queued', say: () => 'held because its reservation was deleted' },
  CONFIGURING: { phase: 'provisioning', say: () => 'its nodes are powering up' },
  RUNNING: { phase: 'running', say: (v) => `on ${nodesText(v)}` },
  COMPLETING: { phase: 'running', say: () => 'its processes are ending' },
  SIGNALING: { phase: 'running', say: () => 'Slurm is signaling it' },
  STAGE_OUT: { phase: 'running', say: () => 'staging out its files' },
  RESIZING: { phase: 'running', say: () => 'its allocation is changing size' },
  // Suspended and stopped jobs keep their allocation and resume where they were: still running.
  SUSPENDED: { phase: 'running', say: () => 'suspended by Slurm' },
  STOPPED: { phase: 'running', say: () => 'stopped by Slurm (SIGSTOP)' },
  // Slurm's COMPLETED means every process exited 0, so that is its exit code when none is given.
  COMPLETED: { phase: 'ended', outcome: 'succeeded', say: (v) => exitText({ ...v, exitCode: v.exitCode ?? 0 }) },
  FAILED: { phase: 'ended', outcome: 'failed', say: exitText },
  TIMEOUT: {
    phase: 'ended',
    outcome: 'timed_out',
    say: (v) => `Slurm ended it at its time limit${v.timeLimit?.trim() ? ` (${v.timeLimit.trim()})` : ''}`,
  },
  CANCELLED: { phase: 'ended', outcome: 'canceled', say: () => 'canceled in Slurm (scancel)' },
  OUT_OF_MEMORY: { phase: 'ended', outcome: 'failed', say: () => 'ran out of memory (OUT_OF_MEMORY)' },
  // Cairn submits with --no-requeue and requeues lost work itself, as a new attempt.
  NODE_FAIL: { phase: 'ended', outcome: 'preempted', say: (v) => `node(s) ${nodesText(v)} failed (NODE_FAIL); requeued` },
  PREEMPTED: { phase: 'ended', outcome: 'preempted', say: () => 'preempted by Slurm (PREEMPTED); requeued' },
  BOOT_FAIL: { phase: 'ended', outcome: 'failed', say: () => 'its nodes failed to boot (BOOT_FAIL)' },
  DEADLINE: { phase: 'ended', outcome: 'failed', say: () => 'Slurm ended it at its deadline (DEADLINE)' },
  SPECIAL_EXIT: { phase: 'ended', outcome: 'failed', say: (v) => `held by Slurm after its end (SPECIAL_EXIT), ${exitText(v)}` },
  REVOKED: { phase: 'ended', outcome: 'canceled', say: () => 'revoked: another cluster of its federation runs it (REVOKED)' },
};

/** The states after which Slurm will not run the job again (as Cairn submits it). */
export const TERMINAL_SLURM_STATES: readonly string[] = Object.keys(TABLE).filter((s) => TABLE[s]!.phase === 'ended');

export function isTerminalSlurmState(s: string): boolean {
  return TERMINAL_SLURM_STATES.includes(baseSlurmState(s));
}

export function mapSlurmState(v: SlurmView): SlurmMapping {
  const raw = v.state.trim();
  const row = TABLE[baseSlurmState(raw)];
  const job = `Slurm job ${v.jobId}`;
  if (!row) return { phase: 'unknown', reason: `${job}: unknown Slurm state '${raw}'` };
  if (row.say === pending) return { phase: row.phase, reason: pending(v) };
  const text = row.say(v);
  if (row.phase !== 'ended') return { phase: row.phase, reason: `${job} is ${raw}${text.startsWith('on ') ? ' ' : ': '}${text}` };
  // A phrase that already names the state reads better without it in front.
  const reason = text.includes(`(${raw})`) ? `${job}: ${text}` : `${job} ended ${raw}: ${text}`;
  const exitCode = v.exitCode ?? (row.outcome === 'succeeded' ? 0 : null);
  return { phase: 'ended', outcome: row.outcome!, exitCode, reason };
}
