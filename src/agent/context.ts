import type { BlobCache } from './blob-cache.ts';
import type { ServerClient } from './client.ts';
import type { EnvManager } from './environments/manager.ts';
import type { HttpInputs } from './http-inputs.ts';
import type { InputTrees } from './input-trees.ts';
import type { Isolation } from './sandbox.ts';

/** What an attempt runner may use of its agent. */
export interface AgentContext {
  node: string;
  attemptsDir: string;
  client: ServerClient;
  blobs: BlobCache;
  baseEnv: NodeJS.ProcessEnv;
  /** The folder holding the stdlib-only `cairn` Python module, put on every job's PYTHONPATH. */
  pythonDir: string;
  log(msg: string): void;
  /** Milliseconds to wait before the next try while the server is unreachable. */
  backoff(): number;
  /** The server answered: the next backoff starts small again. */
  connected(): void;
  cancelGraceMs(): number;
  /** Environments of this node: built once per cache key, reused after. */
  envs: EnvManager;
  /** The GPUs jobs on this node may use: all of the machine's (a whole machine), or these indices (a node that is a slice of one; none for a CPU node). */
  gpus: 'all' | number[];
  /** How host jobs are sandboxed on this node. */
  isolation: Isolation;
  /** The node's shared work folder (SSH logins land there), if it has one. */
  nodeWorkDir?: string;
  /** Read-only input trees shared by the node's jobs (made once per content). */
  inputTrees: InputTrees;
  /** http(s) inputs the node fetched, remembered by URL. */
  httpInputs: HttpInputs;
  /** Variables of baseEnv jobs inherit beyond the allow-list. */
  jobEnvExtra: string[];
}
