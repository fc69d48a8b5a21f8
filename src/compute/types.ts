import type { Store } from '../store/index.ts';
import type { ComputeRow } from '../store/computes.ts';

/** What every compute backend can do: say what it is and check a job before it is queued. */
export interface ComputeBackend {
  readonly type: string;
  /** Why a job cannot ever run on this compute, or null. Called at submit. */
  refuseJob?(compute: ComputeRow, job: { command: string }): string | null;
}

/** Backends that start and watch their own nodes (the local agent, later pool providers). */
export interface ComputeWithManagedNodes extends ComputeBackend {
  /** Makes sure the compute's nodes are up; network and process I/O only, no open transaction. */
  ensureNodes(compute: ComputeRow): Promise<void>;
  /** Lets the nodes go on the server's orderly stop (running jobs carry on). */
  shutdown?(): Promise<void>;
}

export const hasManagedNodes = (b: ComputeBackend): b is ComputeWithManagedNodes =>
  typeof (b as ComputeWithManagedNodes).ensureNodes === 'function';

export interface BackendDeps {
  store: Store;
  dataDir: string;
  serverUrl: () => string;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  local: { maxConcurrentJobs: number };
}
