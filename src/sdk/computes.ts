import type { ComputeAction, ComputeNodeView, ComputeView, CreateComputeRequest, UpdateComputeRequest } from '../protocol/compute.ts';
import type { VmSize } from '../protocol/compute-sizes.ts';
import { CairnError } from '../protocol/errors.ts';
import type { CairnClient } from './client.ts';

/** Provisioning states that are still on their way somewhere. */
export const TRANSITIONAL_STATES: readonly string[] = ['Creating', 'Updating', 'Deleting'];

/** `azureml:name` and `name` are the same compute, as in Azure ML YAML. */
export const computeName = (name: string) => name.replace(/^azureml:/, '');

export interface WaitOptions {
  /** 'settled': provisioning is no longer Creating, Updating or Deleting. 'gone': the compute no longer exists. */
  until: 'settled' | 'gone';
  /** Default: 30 minutes (installing an agent on a slow host takes a while). */
  timeoutMs?: number;
  /** Every answer while waiting, the first one included. */
  onState?: (v: ComputeView) => void;
  /** Default 250 ms. */
  pollMs?: number;
}

/**
 * Compute targets of the client's workspace, Azure ML's `ml_client.compute`: create (Azure ML's
 * `begin_create_or_update`) and attach, update, delete and detach, start/stop/restart, nodes, sizes.
 * Changes answer at once with the compute in its new provisioning state; `wait` follows it.
 */
export class ComputeOperations {
  private readonly client: CairnClient;

  constructor(client: CairnClient) {
    this.client = client;
  }

  private url(path = ''): string {
    return `${this.client.url}/api/v1/workspaces/${encodeURIComponent(this.client.workspace)}/computes${path}`;
  }

  private one(name: string, rest = ''): string {
    return this.url(`/${encodeURIComponent(computeName(name))}${rest}`);
  }

  async list(o: { type?: string } = {}): Promise<ComputeView[]> {
    const all = await this.client.json<ComputeView[]>('GET', this.url());
    const type = o.type?.toLowerCase();
    return type ? all.filter((c) => c.type.toLowerCase() === type) : all;
  }

  get(name: string): Promise<ComputeView> {
    return this.client.json('GET', this.one(name));
  }

  /**
   * Creates a compute from a spec, or with `attach` attaches an existing machine or cluster; the
   * server validates the spec and answers at once with the compute 'Creating' and any `warnings`,
   * then provisions it in the background. `hostKey` pins an attached host's SSH key (`SHA256:...`);
   * without it the server pins the key the host shows on first contact.
   */
  create(spec: unknown, o: { attach?: boolean; hostKey?: string } = {}): Promise<ComputeView> {
    const body = { spec, attach: Boolean(o.attach), ...(o.hostKey ? { host_key: o.hostKey } : {}) } satisfies Omit<CreateComputeRequest, 'spec'> & { spec: unknown };
    return this.client.json('POST', this.url(), body);
  }

  /** Changes the fields in `patch` (nested objects are merged); immutable fields are refused. */
  update(name: string, patch: Record<string, unknown>): Promise<ComputeView> {
    const body: UpdateComputeRequest = { patch } as UpdateComputeRequest;
    return this.client.json('PATCH', this.one(name), body);
  }

  /**
   * Deletes a compute, or with `detach` forgets an attached one (its host is left as it is, less
   * Cairn's agent). Refused with ComputeBusy while jobs run on it, unless `force`.
   */
  delete(name: string, o: { detach?: boolean; force?: boolean } = {}): Promise<ComputeView> {
    const q = new URLSearchParams({ mode: o.detach ? 'detach' : 'delete', force: String(Boolean(o.force)) });
    return this.client.json('DELETE', this.one(name, `?${q}`));
  }

  /** start, stop or restart; a type that cannot do it answers Unsupported with the reason. */
  action(name: string, action: ComputeAction): Promise<ComputeView> {
    return this.client.json('POST', this.one(name, `/${action}`));
  }

  listNodes(name: string): Promise<ComputeNodeView[]> {
    return this.client.json('GET', this.one(name, '/nodes'));
  }

  /** The VM sizes a compute type can be created with (all of them without a type). */
  listSizes(type?: string): Promise<VmSize[]> {
    const q = type ? `?${new URLSearchParams({ type })}` : '';
    return this.client.json('GET', `${this.client.url}/api/v1/workspaces/${encodeURIComponent(this.client.workspace)}/compute-sizes${q}`);
  }

  /**
   * Polls the compute every 250 ms. 'settled' answers the first view not Creating, Updating or
   * Deleting (a Failed one included: check `provisioning_state`). 'gone' answers null once the
   * compute no longer exists, or the view if it settles instead (a delete that failed).
   */
  async wait(name: string, o: WaitOptions): Promise<ComputeView | null> {
    const timeoutMs = o.timeoutMs ?? 30 * 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let v: ComputeView;
      try {
        v = await this.get(name);
      } catch (err) {
        if (o.until === 'gone' && err instanceof CairnError && err.code === 'NotFound') return null;
        throw err;
      }
      o.onState?.(v);
      // For 'gone', a compute that settles instead of going away is answered: its delete failed.
      if (!TRANSITIONAL_STATES.includes(v.provisioning_state)) return v;
      if (Date.now() >= deadline) {
        throw new CairnError('Timeout', `compute '${computeName(name)}' is still ${v.provisioning_state} after ${Math.round(timeoutMs / 1000)} s`, undefined, 504);
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
    }
  }
}
