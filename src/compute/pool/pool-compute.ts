import { CairnError } from '../../protocol/errors.ts';
import type { ComputeAction, ComputeSpec } from '../../protocol/compute.ts';
import { poolOf } from '../../domain/pools.ts';
import type { ComputeRow } from '../../store/computes.ts';
import type { SizeCatalog } from '../../protocol/compute-sizes.ts';
import { hasSsh, hasSuspend, type NodeHandle, type NodeProvider } from '../../providers/types.ts';
import type { BackendDeps, ComputeContext, ComputeSecrets, ComputeWithPower, ComputeWithProvisioning, JobDemand, PreflightResult } from '../types.ts';

type PoolType = 'amlcompute' | 'computeinstance';

/**
 * Compute clusters (amlcompute) and compute instances (a pool of one node for one person): nodes
 * come from a node provider and are sized by the autoscaler (reconcilers/autoscaler.ts); this
 * backend checks a spec against its provider, and gives everything back on delete.
 */
export class PoolCompute implements ComputeWithProvisioning, ComputeWithPower {
  readonly type: PoolType;
  readonly unsupported: Partial<Record<ComputeAction | 'delete' | 'detach' | 'update', string>>;
  private readonly deps: BackendDeps;

  constructor(type: PoolType, deps: BackendDeps) {
    this.type = type;
    this.deps = deps;
    this.unsupported =
      type === 'amlcompute'
        ? {
            start: 'a compute cluster has no power switch: it scales between min_instances and max_instances (`cairn compute update --min-instances 0`)',
            stop: 'a compute cluster has no power switch: set min_instances to 0 and its idle nodes go after idle_time_before_scale_down',
            restart: 'a compute cluster has no power switch: its nodes come and go with the jobs',
          }
        : {};
  }

  private provider(spec: ComputeSpec): NodeProvider {
    const declared = 'provider' in spec ? spec.provider : undefined;
    const name = declared === undefined ? 'local' : typeof declared === 'string' ? declared : declared.type;
    const p = this.deps.providers.get(name);
    if (!p) throw new CairnError('ValidationError', `provider '${name}' does not exist; providers here: ${[...this.deps.providers.keys()].join(', ')}`);
    return p;
  }

  refuseJob(compute: ComputeRow, job: JobDemand): string | null {
    const pool = poolOf(compute, this.deps.sizes);
    if (pool && job.instanceCount > pool.max) {
      return `the job needs ${job.instanceCount} nodes and compute '${compute.name}' has at most ${pool.max} (max_instances); lower resources.instance_count or raise max_instances`;
    }
    return null;
  }

  async preflight(spec: ComputeSpec, secrets: ComputeSecrets): Promise<PreflightResult> {
    if (spec.type !== 'amlcompute' && spec.type !== 'computeinstance') throw new CairnError('Unsupported', `not a pool compute: ${spec.type}`);
    const size = this.deps.sizes.find(spec.size);
    if (!size) throw new CairnError('ValidationError', `size '${spec.size}' does not exist; \`cairn compute list-sizes\` lists the sizes`);
    const provider = this.provider(spec);
    const min = spec.type === 'amlcompute' ? spec.min_instances : 1;
    const max = spec.type === 'amlcompute' ? spec.max_instances : 1;
    const tier = spec.type === 'amlcompute' ? spec.tier : 'dedicated';
    const refused = await provider.refuse({ size, tier, minInstances: min, maxInstances: max, spec, secrets });
    if (refused) throw new CairnError('ValidationError', refused);
    if (spec.ssh_public_access_enabled) {
      if (!hasSsh(provider)) throw new CairnError('Unsupported', `the ${provider.name} provider gives no SSH access to its nodes; set ssh_public_access_enabled: false`);
      if (!spec.ssh_settings?.ssh_key_value) throw new CairnError('ValidationError', `ssh_settings.ssh_key_value is needed: the ${provider.name} provider installs your public key on each node (password logins are not offered)`);
    }
    return { warnings: [] };
  }

  /** Nodes come from the autoscaler: min_instances at once, more when jobs wait. */
  async provision(c: ComputeContext): Promise<void> {
    await this.deps.store.computes.addEvent(c.row.workspace, c.row.name, 'created', `created (${describe(c.row, this.deps.sizes)})`);
  }

  async apply(c: ComputeContext): Promise<void> {
    await this.deps.store.computes.addEvent(c.row.workspace, c.row.name, 'updated', `updated (${describe(c.row, this.deps.sizes)}); the autoscaler follows at once`);
  }

  async release(c: ComputeContext): Promise<void> {
    const provider = this.provider(c.spec);
    for (const n of await this.deps.store.nodes.forCompute(c.row.workspace, c.row.name)) {
      await this.deps.store.nodes.update(n.name, { state: 'deleting' });
      if (n.provider_ref) await provider.delete(JSON.parse(n.provider_ref) as NodeHandle);
      await this.deps.store.nodes.remove(n.name);
    }
  }

  /** Instances: stop keeps the node's disk (the autoscaler starts it again on it); restart is stop then start. */
  async power(c: ComputeContext, action: ComputeAction): Promise<void> {
    if (action === 'start') return;
    const provider = this.provider(c.spec);
    for (const n of await this.deps.store.nodes.forCompute(c.row.workspace, c.row.name)) {
      if (n.provider_ref && hasSuspend(provider)) await provider.suspend(JSON.parse(n.provider_ref) as NodeHandle);
      await this.deps.store.nodes.update(n.name, { state: 'stopped', pid: null });
    }
    await this.deps.store.computes.addEvent(c.row.workspace, c.row.name, action === 'stop' ? 'stopped' : 'restarted', action === 'stop' ? 'stopped by the user; the node keeps its disk' : 'restarted by the user');
  }
}

function describe(row: ComputeRow, sizes: SizeCatalog): string {
  const p = poolOf(row, sizes)!;
  return p.kind === 'amlcompute'
    ? `${p.size.name}, ${p.tier}, ${p.min}-${p.max} nodes, idle_time_before_scale_down ${p.idleMs / 1000} s, provider ${p.provider}`
    : `${p.size.name}, provider ${p.provider}`;
}
