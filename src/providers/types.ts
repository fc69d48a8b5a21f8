import type { SizeCatalog, VmSize } from '../protocol/compute-sizes.ts';
import type { ComputeSecrets, ComputeSpec } from '../protocol/compute.ts';
import type { ComputeRow } from '../store/computes.ts';
import type { Store } from '../store/index.ts';

/**
 * Where the nodes of compute clusters and instances come from. A provider makes a node (a machine,
 * or a slice of one, with an agent on it) and takes it away; the autoscaler decides when. Small on
 * purpose: what only some providers can do is a capability interface with a type guard below.
 */
export interface NodeProvider {
  readonly name: string;
  /** The sizes it can offer now and how many more nodes of each would fit. */
  catalog(): Promise<ProviderSize[]>;
  /**
   * Why a cluster of this size, tier and minimum cannot be had from this provider, or null. Called at
   * create (and when credentials change), before anything is stored: `spec` and `secrets` are the
   * compute's (its provider's hosts, scripts and credentials).
   */
  refuse(req: RefuseRequest): Promise<string | null>;
  /**
   * Brings a node up with its agent configured to reach the server. Idempotent by `node.name`: a
   * server that died mid-create calls it again and gets the same node, never a second one.
   * Throws ProviderError with the provider's own words when the node cannot be made.
   */
  create(req: NodeRequest): Promise<NodeHandle>;
  /** Takes the node away with everything on it. Idempotent: a node already gone is fine. */
  delete(handle: NodeHandle): Promise<void>;
  /** Whether the node still exists (a restarted server checks what it knew of). */
  exists(handle: NodeHandle): Promise<boolean>;
}

/** Providers whose nodes can be taken back (low-priority capacity; the local provider on request, for drills). */
export interface ProviderWithPreemption extends NodeProvider {
  /** Whether the provider may take this node back (its tier is low priority). */
  preemptible(handle: NodeHandle): boolean;
  /**
   * Whether the provider has taken the node back (a cloud's "evicted" state). The autoscaler asks
   * about nodes that went silent: a node taken back has its jobs requeued at once, not after the
   * grace a node that may still come back gets.
   */
  takenBack(handle: NodeHandle): Promise<boolean>;
}

/** Providers that give each node an SSH endpoint a user can log in to. */
export interface ProviderWithSsh extends NodeProvider {
  sshEndpoint(handle: NodeHandle): { host: string; port: number; user: string } | null;
}

/** Providers that can stop a node and keep its disk, to start it again later (compute instances). */
export interface ProviderWithSuspend extends NodeProvider {
  suspend(handle: NodeHandle): Promise<void>;
}

export const hasPreemption = (p: NodeProvider): p is ProviderWithPreemption => typeof (p as ProviderWithPreemption).preemptible === 'function';
export const hasSuspend = (p: NodeProvider): p is ProviderWithSuspend => typeof (p as ProviderWithSuspend).suspend === 'function';
export const hasSsh = (p: NodeProvider): p is ProviderWithSsh => typeof (p as ProviderWithSsh).sshEndpoint === 'function';

export interface RefuseRequest {
  size: VmSize;
  tier: 'dedicated' | 'low_priority';
  minInstances: number;
  maxInstances: number;
  spec?: ComputeSpec;
  secrets?: ComputeSecrets;
}

export interface ProviderSize extends VmSize {
  /** More nodes of this size the provider can make now; null when it cannot say (operator scripts, an unbounded cloud). */
  available: number | null;
}

export interface NodeRequest {
  workspace: string;
  compute: string;
  /** Unique across the server: the agent's identity. */
  name: string;
  /** Its name within its compute. */
  label: string;
  size: VmSize;
  tier: 'dedicated' | 'low_priority';
  /** What the node's agent needs: its token and the server's address. */
  agent: { token: string };
  /** Present when the compute allows SSH to its nodes: the user's public key to install. */
  ssh?: { user: string; publicKey: string };
}

/** What a provider keeps of a node, stored with it (JSON) so a restarted server can find it again. */
export interface NodeHandle {
  provider: string;
  name: string;
  [key: string]: unknown;
}

/** A node the provider could not make: `message` is the provider's own account, shown as the reason. */
export class ProviderError extends Error {}

export interface ProviderDeps {
  store: Store;
  dataDir: string;
  serverUrl: () => string;
  /** The environment local agents start with (never the server's own). */
  agentEnv: Record<string, string>;
  /** The sandbox of agents on the server's machine. */
  isolation: { hide: string[]; jobUser: string };
  /** Where the local provider keeps nodes' work folders (SSH logins land there): outside the data folder. */
  nodeHomes: string;
  log: (msg: string) => void;
  /** The sizes this server offers (Azure's and the operator's): a provider's catalog is these, with what fits. */
  sizes: SizeCatalog;
  /**
   * A compute's spec and credentials (sealed in the store): providers whose settings are per compute
   * (ssh hosts, command scripts) read them by the `workspace` and `compute` of a request or handle.
   */
  unseal: (row: ComputeRow) => { spec: ComputeSpec; secrets: ComputeSecrets };
}
