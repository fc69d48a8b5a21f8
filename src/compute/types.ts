import type { ComputeAction, ComputeSecrets, ComputeSpec } from '../protocol/compute.ts';
import type { Store } from '../store/index.ts';
import type { NodeProvider } from '../providers/types.ts';
import type { SizeCatalog } from '../protocol/compute-sizes.ts';
import type { ComputeRow } from '../store/computes.ts';

/** What a job asks of a compute, as far as a backend can judge at submit. */
export interface JobDemand {
  command: string;
  /** Whole nodes at once (resources.instance_count). */
  instanceCount: number;
  /** limits.timeout in seconds, when set. */
  timeoutS?: number | null;
}

/** What every compute backend can do: say what it is and check a job before it is queued. */
export interface ComputeBackend {
  readonly type: string;
  /** Why a job cannot ever run on this compute, or null. Called at submit. */
  refuseJob?(compute: ComputeRow, job: JobDemand): string | null;
  /** Actions this type cannot do, with the reason a user reads (SkyPilot's unsupported-feature reasons). */
  readonly unsupported?: Partial<Record<ComputeAction | 'delete' | 'detach' | 'update', string>>;
  /** Lets go of connections (and, for managed nodes, the nodes) on the server's orderly stop. */
  shutdown?(): Promise<void>;
}

/** Backends that start and watch their own nodes (the local agent, attached machines' agents). */
export interface ComputeWithManagedNodes extends ComputeBackend {
  /** Makes sure the compute's nodes are up; network and process I/O only, no open transaction. */
  ensureNodes(compute: ComputeRow): Promise<void>;
}

export type { ComputeSecrets };

/** A compute as its backend sees it: the stored row, its public spec and its credentials (unsealed only inside the server, never returned by the API). */
export interface ComputeContext {
  row: ComputeRow;
  spec: ComputeSpec;
  secrets: ComputeSecrets;
}

export interface PreflightResult {
  /** The host key seen (and now pinned), for types that connect over SSH. */
  hostKey?: string;
  warnings: string[];
  /** Fields the backend settled from what it found (a Slurm cluster's node_local_dir), stored with the spec. */
  settled?: Record<string, unknown>;
}

/**
 * Backends whose computes are created or attached through the API. `preflight` runs inside the
 * create request (so an unreachable host or a wrong key is an error and nothing is stored);
 * `provision` and `release` run later in the provisioner, outside any transaction.
 */
export interface ComputeWithProvisioning extends ComputeBackend {
  preflight(spec: ComputeSpec, secrets: ComputeSecrets, hostKey: string | null): Promise<PreflightResult>;
  provision(c: ComputeContext): Promise<void>;
  /** Inside the update request: refuses (throws) a change the compute cannot make, before anything is stored; returns warnings. */
  checkUpdate?(current: ComputeContext, next: ComputeSpec): Promise<string[]>;
  /** Applies an accepted update (new credentials, capacity) to what runs. */
  apply?(c: ComputeContext): Promise<void>;
  /** Undoes what Cairn set up: `detach` and `delete` both leave the machine as it was found. */
  release(c: ComputeContext, mode: 'delete' | 'detach'): Promise<void>;
}

export interface ComputeWithPower extends ComputeBackend {
  power(c: ComputeContext, action: ComputeAction): Promise<void>;
}

/** What a batch system says of one submission, in Cairn's terms (each backend maps its own states). */
export interface BatchObservation {
  phase: 'queued' | 'provisioning' | 'running' | 'ended' | 'unknown';
  /** For `ended`: how the submission ended. `preempted` (preemption, a failed node) is requeued as a new attempt. */
  outcome?: 'succeeded' | 'failed' | 'timed_out' | 'canceled' | 'preempted';
  exitCode?: number | null;
  /** In words, naming the batch system's id and state: the job's status reason. */
  reason: string;
  /** The batch system's own state (PENDING, NODE_FAIL, ...). */
  raw: string;
  /** When it ended (UTC ISO), when the batch system says. */
  endedAt?: string | null;
}

/** One attempt of a job as handed to a batch system: the agent of node i registers as `nodeNames[i]` with `nodeTokens[i]`. */
export interface BatchSubmission {
  /** Unique: the batch system's job name, by which a crash's half-made submission is found again. */
  name: string;
  jobId: string;
  jobName: string;
  attempt: number;
  nodeNames: string[];
  nodeTokens: string[];
  /** From the job: whole nodes, time limit (s), GPUs per node, priority. */
  nodes: number;
  timeoutS: number | null;
  /** resources.instance_type: a size whose GPUs each node needs (--gres). */
  instanceType?: string;
  priority: 'low' | 'medium' | 'high';
}

/** The batch system refused a submission: the job fails with this message (Slurm's own words). */
export class SubmissionRefused extends Error {}

/**
 * Backends whose computes schedule jobs themselves (Slurm): Cairn's scheduler leaves their jobs to
 * the batch dispatcher (reconcilers/batch-dispatcher.ts), which records each submission before
 * calling `submit` and follows it with `observe`. All of them do network or process I/O: never
 * inside a transaction.
 */
export interface ComputeWithBatchQueue extends ComputeBackend {
  /**
   * Makes the submissions (several at once: one round trip to a login host for a burst); each
   * gets the batch system's id, or SubmissionRefused with its words. Throws when the batch system
   * could not be reached at all (then none was made, or the ones made are found by name later).
   */
  submit(c: ComputeContext, s: BatchSubmission[]): Promise<Map<string, string | SubmissionRefused>>;
  /** Ids of earlier submissions by name (after a crash between recording and submitting); unknown names are absent. */
  find(c: ComputeContext, names: string[]): Promise<Map<string, string>>;
  /** What the batch system says of these ids; ids it no longer knows of are absent. */
  observe(c: ComputeContext, ids: string[]): Promise<Map<string, BatchObservation>>;
  cancel(c: ComputeContext, ids: string[]): Promise<void>;
  /** The end of a submission's own output (the batch script's), to explain an end its agent never reported. */
  outputTail?(c: ComputeContext, name: string): Promise<string | null>;
  /** Files a submission left behind on the cluster, once it is done. */
  forget?(c: ComputeContext, name: string): Promise<void>;
}

/** Backends that tell more of a compute than the store knows (Slurm's partitions and nodes), for `compute show`. */
export interface ComputeWithLiveView extends ComputeBackend {
  describe(c: ComputeContext): Promise<Record<string, unknown>>;
}

export const hasBatchQueue = (b: ComputeBackend): b is ComputeWithBatchQueue => typeof (b as ComputeWithBatchQueue).submit === 'function';
export const hasLiveView = (b: ComputeBackend): b is ComputeWithLiveView => typeof (b as ComputeWithLiveView).describe === 'function';
export const hasManagedNodes = (b: ComputeBackend): b is ComputeWithManagedNodes =>
  typeof (b as ComputeWithManagedNodes).ensureNodes === 'function';
export const hasProvisioning = (b: ComputeBackend): b is ComputeWithProvisioning =>
  typeof (b as ComputeWithProvisioning).provision === 'function';
export const hasPower = (b: ComputeBackend): b is ComputeWithPower => typeof (b as ComputeWithPower).power === 'function';

export interface BackendDeps {
  store: Store;
  dataDir: string;
  serverUrl: () => string;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  local: { maxConcurrentJobs: number; agentEnv: Record<string, string> };
  /** The local agent's sandbox: the folder its jobs must not see, and whom they run as on a root server. */
  isolation: { hide: string[]; jobUser: string };
  ssh: { connectTimeoutMs: number; defaultWorkDir: string };
  /** Opens a compute's sealed credentials (the provisioner and node health reconnect with them). */
  unseal: (row: ComputeRow) => ComputeContext;
  /** Where the nodes of clusters and instances come from, by name. */
  providers: Map<string, NodeProvider>;
  /** The sizes clusters and instances may have (Azure's and the operator's). */
  sizes: SizeCatalog;
  /** The PATH commands run on the server's own host get (Slurm's tools, for a Slurm compute without address). */
  hostPath?: string;
}
