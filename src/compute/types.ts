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
}

/** What every compute backend can do: say what it is and check a job before it is queued. */
export interface ComputeBackend {
  readonly type: string;
  /** Why a job cannot ever run on this compute, or null. Called at submit. */
  refuseJob?(compute: ComputeRow, job: JobDemand): string | null;
  /** Actions this type cannot do, with the reason a user reads (SkyPilot's unsupported-feature reasons). */
  readonly unsupported?: Partial<Record<ComputeAction | 'delete' | 'detach' | 'update', string>>;
}

/** Backends that start and watch their own nodes (the local agent, attached machines' agents). */
export interface ComputeWithManagedNodes extends ComputeBackend {
  /** Makes sure the compute's nodes are up; network and process I/O only, no open transaction. */
  ensureNodes(compute: ComputeRow): Promise<void>;
  /** Lets the nodes go on the server's orderly stop (running jobs carry on). */
  shutdown?(): Promise<void>;
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
}

/**
 * Backends whose computes are created or attached through the API. `preflight` runs inside the
 * create request (so an unreachable host or a wrong key is an error and nothing is stored);
 * `provision` and `release` run later in the provisioner, outside any transaction.
 */
export interface ComputeWithProvisioning extends ComputeBackend {
  preflight(spec: ComputeSpec, secrets: ComputeSecrets, hostKey: string | null): Promise<PreflightResult>;
  provision(c: ComputeContext): Promise<void>;
  /** Applies an accepted update (new credentials, capacity) to what runs. */
  apply?(c: ComputeContext): Promise<void>;
  /** Undoes what Cairn set up: `detach` and `delete` both leave the machine as it was found. */
  release(c: ComputeContext, mode: 'delete' | 'detach'): Promise<void>;
}

export interface ComputeWithPower extends ComputeBackend {
  power(c: ComputeContext, action: ComputeAction): Promise<void>;
}

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
}
