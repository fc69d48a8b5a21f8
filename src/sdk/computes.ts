import type { ComputeAction, ComputeNodeView, ComputeView, CreateComputeRequest, UpdateComputeRequest } from '../protocol/compute.ts';
import type { ListedSize } from '../protocol/compute-sizes.ts';
import { CairnError } from '../protocol/errors.ts';
import { ws } from '../protocol/routes.ts';
import type { CairnClient } from './client.ts';

/** A create or attach answer also carries the server's warnings (a password in the spec, say). */
export type ComputeAnswer = ComputeView & { warnings?: string[] };

/** Provisioning states that are still on their way somewhere. */
export const TRANSITIONAL_STATES: readonly string[] = ['Creating', 'Updating', 'Deleting'];
/** Power states (`state`) while a start, stop or restart is being carried out. */
export const TRANSITIONAL_POWER_STATES: readonly string[] = ['Starting', 'Stopping', 'Restarting'];

/** True while the compute is being created, updated, deleted, started, stopped or restarted. */
export const isChanging = (v: ComputeView): boolean => TRANSITIONAL_STATES.includes(v.provisioning_state) || (v.state !== undefined && TRANSITIONAL_POWER_STATES.includes(v.state));

/** `azureml:name` and `name` are the same compute, as in Azure ML YAML. */
export const computeName = (name: string) => name.replace(/^azureml:/, '');

export interface WaitOptions {
  /**
   * 'settled': provisioning is no longer Creating, Updating or Deleting, and no start, stop or
   * restart is under way. 'gone': the compute no longer exists.
   */
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
    return `${this.client.url}${ws(this.client.workspace)}/computes${path}`;
  }

  private one(name: string, rest = ''): string {
    return this.url(`/${encodeURIComponent(computeName(name))}${rest}`);
  }

  /** Every compute of the workspace, or those of one type (`amlcompute`, `virtualmachine`, ...). */
  list(o: { type?: string } = {}): Promise<ComputeView[]> {
    return this.client.json('GET', this.url(o.type ? `?${new URLSearchParams({ type: o.type.toLowerCase() })}` : ''));
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
  create(spec: unknown, o: { attach?: boolean; hostKey?: string } = {}): Promise<ComputeAnswer> {
    const body: CreateComputeRequest = { spec, attach: Boolean(o.attach), ...(o.hostKey ? { host_key: o.hostKey } : {}) };
    return this.client.json('POST', this.url(), body);
  }

  /**
   * Changes the fields in `patch`, a JSON Merge Patch: nested objects merge, null removes a field.
   * Fields a compute keeps for life (type, size, address...) are refused.
   */
  update(name: string, patch: Record<string, unknown>): Promise<ComputeAnswer> {
    const body: UpdateComputeRequest = { patch };
    return this.client.json('PATCH', this.one(name), body);
  }

  /**
   * Deletes a compute, or with `detach` removes an attached one from the workspace without deleting
   * the machine. Refused with ComputeBusy while jobs run on it, unless `force`. Answers 'Deleting';
   * `wait(name, { until: 'gone' })` follows it.
   */
  delete(name: string, o: { detach?: boolean; force?: boolean } = {}): Promise<ComputeAnswer> {
    const q = new URLSearchParams({ mode: o.detach ? 'detach' : 'delete', force: String(Boolean(o.force)) });
    return this.client.json('DELETE', this.one(name, `?${q}`));
  }

  /**
   * start, stop or restart: answers at once with `state` Starting, Stopping or Restarting. A type
   * that cannot do it answers Unsupported with the reason; a stop with unfinished jobs on the
   * compute answers ComputeBusy, unless `force`, which cancels them.
   */
  action(name: string, action: ComputeAction, o: { force?: boolean } = {}): Promise<ComputeAnswer> {
    return this.client.json('POST', this.one(name, `/${action}${o.force ? '?force=true' : ''}`));
  }

  /** Takes a node of a low-priority cluster back, as its provider may (drills, tests); its jobs are requeued. */
  preemptNode(name: string, node: string): Promise<ComputeNodeView> {
    return this.client.json('POST', this.one(name, `/nodes/${encodeURIComponent(node)}/preempt`));
  }

  listNodes(name: string): Promise<ComputeNodeView[]> {
    return this.client.json('GET', this.one(name, '/nodes'));
  }

  /**
   * The VM sizes a compute type can be created with (without a type, amlcompute's; attached types
   * have none), each with how many more the provider (default `local`) can make now.
   */
  listSizes(type?: string, provider?: string): Promise<ListedSize[]> {
    const params = new URLSearchParams({ ...(type ? { type: type.toLowerCase() } : {}), ...(provider ? { provider } : {}) });
    const q = params.size ? `?${params}` : '';
    return this.client.json('GET', `${this.client.url}${ws(this.client.workspace)}/compute-sizes${q}`);
  }

  /**
   * Polls the compute every 250 ms. 'settled' answers the first view that is not changing (see
   * isChanging; a Failed one included: check `provisioning_state`). 'gone' answers null once the
   * compute no longer exists, or the view when it settles instead or a delete attempt fails (the
   * compute stays Deleting with `provisioning_errors`, and the server tries again).
   */
  wait(name: string, o: WaitOptions & { until: 'settled' }): Promise<ComputeView>;
  wait(name: string, o: WaitOptions & { until: 'gone' }): Promise<ComputeView | null>;
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
      if (!isChanging(v)) return v;
      // A delete starts with no errors (the server clears them), so any error here is this delete's.
      if (o.until === 'gone' && v.provisioning_errors?.length) return v;
      if (Date.now() >= deadline) {
        throw new CairnError('Timeout', `compute '${computeName(name)}' is still ${v.provisioning_state} after ${Math.round(timeoutMs / 1000)} s`, undefined, 504);
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
    }
  }
}
