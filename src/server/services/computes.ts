import { CairnError } from '../../protocol/errors.ts';
import {
  COMPUTE_TYPES,
  computeId,
  isAttachedType,
  joinSecrets,
  mergeComputeUpdate,
  parseComputeSpec,
  splitSecrets,
  type ComputeAction,
  type ComputeNodeView,
  type ComputeSpec,
  type ComputeType,
  type ComputeView,
  type CreateComputeRequest,
} from '../../protocol/compute.ts';
import type { ListedSize, SizeCatalog } from '../../protocol/compute-sizes.ts';
import { TERMINAL_STATUSES } from '../../protocol/job.ts';
import { NOT_YET } from '../../compute/registry.ts';
import { hasLiveView, hasPower, hasProvisioning, type ComputeBackend, type ComputeContext, type ComputeSecrets, type ComputeWithProvisioning } from '../../compute/types.ts';
import type { Store } from '../../store/index.ts';
import { BUSY_STATES, type ComputeRow } from '../../store/computes.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { JobsService } from './jobs.ts';
import { poolOf } from '../../domain/pools.ts';
import { NodeShape } from '../../protocol/agent.ts';
import { hasPreemption, type NodeProvider } from '../../providers/types.ts';

export interface ComputesDeps {
  store: Store;
  backends: Map<string, ComputeBackend>;
  providers: Map<string, NodeProvider>;
  sizes: SizeCatalog;
  secrets: SecretBox;
  jobs: JobsService;
  /** A compute changed (created, updated, started, stopped): the provisioner and autoscaler act at once. */
  kickProvisioner: () => void;
  /** A node has work to hear of (it is being preempted). */
  wakeNode: (node: string) => void;
}

/** `ssh -p PORT user@host`, from a node's stored endpoint. */
function sshConnection(json: string | null): string | null {
  if (!json) return null;
  const e = JSON.parse(json) as { host: string; port: number; user: string };
  return `ssh -p ${e.port} ${e.user}@${e.host}`;
}

export function unsealCompute(box: SecretBox, row: ComputeRow): ComputeContext {
  const secrets = row.secrets ? box.unseal<ComputeSecrets>(row.secrets) : {};
  return { row, spec: JSON.parse(row.spec) as ComputeSpec, secrets };
}

const PASSWORD_WARNING = 'password authentication is weaker than a key: prefer ssh_private_key_file (the password is stored encrypted)';
const HEALTH_STALE_MS = 15_000;

const passwordWarning = (s: ComputeSecrets): string[] => (s.admin_password && !s.ssh_private_key ? [PASSWORD_WARNING] : []);

/**
 * What a spec becomes in the store: the public fields (the `spec` column), the credentials (sealed)
 * and the pinned host key, which lives only in its own column so it cannot go stale in the spec.
 */
function splitStored(full: ComputeSpec): { spec: ComputeSpec; secrets: ComputeSecrets; hostKey: string | null } {
  const { spec, secrets } = splitSecrets(full);
  if (!('host_key' in spec)) return { spec, secrets, hostKey: null };
  const { host_key, ...rest } = spec;
  return { spec: rest as ComputeSpec, secrets, hostKey: host_key ?? null };
}

/** The compute lifecycle every type shares (Azure ML's rules); the backends do the I/O. */
export class ComputesService {
  private readonly d: ComputesDeps;
  constructor(deps: ComputesDeps) {
    this.d = deps;
  }

  async list(workspace: string, type?: string): Promise<ComputeView[]> {
    return Promise.all((await this.d.store.computes.list(workspace, type)).map((c) => this.view(c)));
  }

  /** `live`: also what the backend learns from the compute now (Slurm's partitions and nodes), for `compute show`. */
  async get(workspace: string, name: string, o: { live?: boolean } = {}): Promise<ComputeView> {
    const row = await this.row(workspace, name);
    const view = await this.view(row);
    const backend = this.d.backends.get(row.type);
    if (!o.live || !backend || !hasLiveView(backend) || row.provisioning_state !== 'Succeeded') return view;
    try {
      return { ...view, ...(await backend.describe(unsealCompute(this.d.secrets, row))) };
    } catch (err) {
      return { ...view, live_error: `could not ask the compute: ${(err as Error).message}` };
    }
  }

  async row(workspace: string, name: string): Promise<ComputeRow> {
    const c = await this.d.store.computes.get(workspace, name.replace(/^azureml:/, ''));
    if (!c) throw new CairnError('NotFound', `compute '${name}' does not exist in workspace '${workspace}'`);
    return c;
  }

  private seal(secrets: ComputeSecrets): string | null {
    return Object.keys(secrets).length ? this.d.secrets.seal(secrets) : null;
  }

  private backendFor(type: string): ComputeWithProvisioning {
    const b = this.d.backends.get(type);
    if (!b || !hasProvisioning(b)) throw new CairnError('Unsupported', NOT_YET[type] ?? `computes of type ${type} cannot be created`);
    return b;
  }

  /** Create or attach: checks and a preflight over the network first, so a failure stores nothing. */
  async create(workspace: string, req: CreateComputeRequest): Promise<ComputeView & { warnings: string[] }> {
    const full = parseComputeSpec(req.spec, this.d.sizes);
    const attached = isAttachedType(full.type);
    if (attached && !req.attach) throw new CairnError('Unsupported', `a ${full.type} compute is attached, not created: use \`cairn compute attach\``);
    if (!attached && req.attach) throw new CairnError('Unsupported', `a ${full.type} compute is created, not attached: use \`cairn compute create\``);
    if (await this.d.store.computes.get(workspace, full.name)) throw taken(full.name, workspace);
    const backend = this.backendFor(full.type);
    const { spec, secrets, hostKey } = splitStored(full);
    const pre = await backend.preflight(spec, secrets, req.host_key ?? hostKey);
    const warnings = [...pre.warnings, ...passwordWarning(secrets)];
    const now = new Date().toISOString();
    const inserted = await this.d.store.computes.insert({
      workspace,
      name: full.name,
      type: full.type,
      spec: JSON.stringify({ ...spec, ...pre.settled }),
      provisioning_state: 'Creating',
      created_at: now,
      updated_at: now,
      secrets: this.seal(secrets),
      host_key: pre.hostKey ?? null,
      power_state: 'Running',
    });
    if (!inserted) throw taken(full.name, workspace);
    this.d.kickProvisioner();
    return { ...(await this.get(workspace, full.name)), warnings };
  }

  async update(workspace: string, name: string, patch: Record<string, unknown>): Promise<ComputeView & { warnings: string[] }> {
    const row = await this.row(workspace, name);
    const backend = this.d.backends.get(row.type);
    if (backend?.unsupported?.update) throw new CairnError('Unsupported', backend.unsupported.update);
    refuseWhileBusy(row, 'updated');
    const current = unsealCompute(this.d.secrets, row);
    const next = mergeComputeUpdate(joinSecrets(current.spec, current.secrets), patch, this.d.sizes);
    const { spec, secrets, hostKey } = splitStored(next);
    const newKey = hostKey ?? row.host_key;
    const warnings: string[] = [];
    if (backend && hasProvisioning(backend) && (JSON.stringify(secrets) !== JSON.stringify(current.secrets) || newKey !== row.host_key)) {
      // New credentials or a new pinned key must work before they replace the old ones.
      warnings.push(...(await backend.preflight(spec, secrets, newKey)).warnings, ...passwordWarning(secrets));
    }
    if (backend && hasProvisioning(backend) && backend.checkUpdate) warnings.push(...(await backend.checkUpdate(current, spec)));
    const updated = await this.d.store.computes.update(workspace, row.name, {
      spec: JSON.stringify(spec),
      secrets: this.seal(secrets),
      host_key: newKey,
      provisioning_state: 'Updating',
      provisioning_errors: '[]',
      updated_at: new Date().toISOString(),
    });
    if (!updated) throw new CairnError('NotFound', `compute '${name}' was deleted meanwhile`);
    this.d.kickProvisioner();
    return { ...(await this.get(workspace, row.name)), warnings };
  }

  /** Delete or detach; with running jobs only with `force`, which cancels them first. */
  async remove(workspace: string, name: string, mode: 'delete' | 'detach', force: boolean): Promise<ComputeView> {
    const row = await this.row(workspace, name);
    const backend = this.d.backends.get(row.type);
    const reason = backend?.unsupported?.[mode];
    if (reason) throw new CairnError('Unsupported', reason);
    if (mode === 'detach' && !isAttachedType(row.type)) throw new CairnError('Unsupported', `a ${row.type} compute was created by Cairn: delete it (\`cairn compute delete\`) instead of detaching it`);
    if (row.provisioning_state === 'Deleting') return this.view(row);
    await this.stopJobs(row, force, mode === 'delete' ? 'deleted' : 'detached');
    await this.d.store.computes.update(workspace, row.name, { provisioning_state: 'Deleting', provisioning_errors: '[]', pending_action: mode, pending_force: force ? 1 : 0, updated_at: new Date().toISOString() });
    this.d.kickProvisioner();
    return this.get(workspace, row.name);
  }

  async action(workspace: string, name: string, action: ComputeAction, force = false): Promise<ComputeView> {
    const row = await this.row(workspace, name);
    const backend = this.d.backends.get(row.type);
    const reason = backend?.unsupported?.[action] ?? (backend && hasPower(backend) ? null : `${row.type} computes cannot be ${action}ed`);
    if (reason) throw new CairnError('Unsupported', reason);
    refuseWhileBusy(row, `${action}ed`);
    if (action === 'stop') await this.stopJobs(row, force, 'stopped');
    await this.d.store.computes.update(workspace, row.name, { pending_action: action, updated_at: new Date().toISOString() });
    this.d.kickProvisioner();
    return this.get(workspace, row.name);
  }

  private async stopJobs(row: ComputeRow, force: boolean, verb: string): Promise<void> {
    const open = await this.d.store.db
      .selectFrom('jobs')
      .select(['name', 'status'])
      .where('workspace', '=', row.workspace)
      .where('compute', '=', row.name)
      .where('status', 'not in', [...TERMINAL_STATUSES])
      .execute();
    if (open.length === 0) return;
    if (!force) {
      const names = open.slice(0, 5).map((j) => `${j.name} (${j.status})`).join(', ');
      throw new CairnError('ComputeBusy', `compute '${row.name}' has ${open.length} unfinished job${open.length > 1 ? 's' : ''}: ${names}${open.length > 5 ? ', ...' : ''}; wait for them, cancel them, or pass --force to cancel them and go on`);
    }
    for (const j of open) await this.d.jobs.cancel(row.workspace, j.name, `canceled because compute '${row.name}' is being ${verb}`).catch(() => {});
  }

  async nodes(workspace: string, name: string): Promise<ComputeNodeView[]> {
    return this.nodeViews(await this.row(workspace, name));
  }

  /** The sizes a compute type may have, and how many more of each the provider can make now (`local` unless named). */
  async sizes(type: string | undefined, providerName: string | undefined): Promise<ListedSize[]> {
    const t = (type ?? 'amlcompute').toLowerCase();
    if (!(COMPUTE_TYPES as readonly string[]).includes(t)) throw new CairnError('ValidationError', `type: unknown compute type '${t}': expected one of ${COMPUTE_TYPES.join(', ')}`);
    const name = providerName ?? 'local';
    const provider = this.d.providers.get(name);
    if (!provider) throw new CairnError('ValidationError', `provider: '${name}' does not exist; providers here: ${[...this.d.providers.keys()].join(', ')}`);
    const offered = this.d.sizes.forType(t as ComputeType);
    const room = new Map((await provider.catalog()).map((s) => [s.name, s.available]));
    return offered.map((s) => ({ ...s, provider: name, available: room.get(s.name) ?? null }));
  }

  private async nodeViews(c: ComputeRow): Promise<ComputeNodeView[]> {
    const nodes = await this.d.store.nodes.forCompute(c.workspace, c.name);
    const busy = await this.d.store.jobs.busySlots(nodes.map((n) => n.name));
    const pool = poolOf(c, this.d.sizes) !== null;
    const current = pool ? await this.d.store.jobs.currentJobs(nodes.map((n) => n.name)) : new Map<string, string>();
    return nodes.map((n) => ({
      ...NodeShape.partial().parse(JSON.parse(n.shape)),
      name: n.name,
      state: n.state,
      slots: n.slots,
      busy_slots: busy.get(n.name) ?? 0,
      agent_version: n.agent_version,
      last_heartbeat: n.last_heartbeat_ms ? new Date(n.last_heartbeat_ms).toISOString() : null,
      ...(pool
        ? {
            label: n.label ?? n.name,
            size: n.size,
            tier: n.tier,
            current_job: current.get(n.name) ?? null,
            idle_since: n.idle_since_ms !== null && n.state === 'ready' ? new Date(n.idle_since_ms).toISOString() : null,
            connection: sshConnection(n.ssh),
          }
        : {}),
    }));
  }

  /**
   * Takes a node of a low-priority cluster back, as its provider may at any time (for tests and
   * drills): its jobs get SIGTERM and the grace period, then go back to the queue as new attempts.
   */
  async preemptNode(workspace: string, name: string, node: string): Promise<ComputeNodeView> {
    const row = await this.row(workspace, name);
    const pool = poolOf(row, this.d.sizes);
    if (!pool || row.type !== 'amlcompute') throw new CairnError('Unsupported', `compute '${name}' is a ${row.type}: only nodes of a low-priority compute cluster can be preempted`);
    if (pool.tier !== 'low_priority') throw new CairnError('Unsupported', `compute '${name}' is dedicated (tier: dedicated): its nodes are never taken back; only a tier: low_priority cluster's are`);
    const provider = this.d.providers.get(pool.provider);
    if (!provider || !hasPreemption(provider)) throw new CairnError('Unsupported', `the ${pool.provider} provider cannot take nodes back`);
    const nodes = await this.d.store.nodes.forCompute(workspace, row.name);
    const n = nodes.find((x) => x.label === node || x.name === node);
    if (!n) throw new CairnError('NotFound', `compute '${name}' has no node '${node}'; its nodes: ${nodes.map((x) => x.label ?? x.name).join(', ') || 'none'}`);
    if (!['ready', 'starting', 'unreachable'].includes(n.state)) throw new CairnError('Conflict', `node '${node}' is ${n.state}; it cannot be preempted now`);
    await this.d.store.nodes.update(n.name, { state: 'preempting' });
    await this.d.store.computes.addEvent(workspace, row.name, 'preempted', `node ${n.label} is being taken back (preempted on request); its jobs are stopped and requeued`);
    this.d.wakeNode(n.name);
    return (await this.nodeViews(row)).find((x) => x.name === n.name)!;
  }

  async view(c: ComputeRow): Promise<ComputeView> {
    const nodes = await this.nodeViews(c);
    const backend = this.d.backends.get(c.type);
    const agentNode = nodes.find((n) => n.agent_version);
    const fresh = (n: ComputeNodeView) => n.state === 'ready' && n.last_heartbeat && Date.now() - Date.parse(n.last_heartbeat) < HEALTH_STALE_MS;
    return {
      ...JSON.parse(c.spec),
      name: c.name,
      type: c.type,
      id: computeId(c.workspace, c.name),
      provisioning_state: c.provisioning_state as ComputeView['provisioning_state'],
      provisioning_errors: JSON.parse(c.provisioning_errors ?? '[]'),
      ...(c.power_state ? { state: (c.pending_action && PENDING_STATE[c.pending_action]) || c.power_state } : {}),
      created_on: c.created_at,
      last_modified_on: c.updated_at ?? c.created_at,
      ...(c.host_key ? { host_key: c.host_key } : {}),
      nodes,
      ...(agentNode ? { agent: { version: agentNode.agent_version, health: nodes.every(fresh) ? 'healthy' : nodes.map((n) => n.state).join(', ') } } : {}),
      ...(backend?.unsupported && Object.keys(backend.unsupported).length ? { unsupported: backend.unsupported } : {}),
      ...(poolOf(c, this.d.sizes)
        ? { current_node_count: nodes.filter((n) => n.state !== 'deleting').length, scaling_history: await this.d.store.computes.events(c.workspace, c.name, 50) }
        : {}),
    };
  }
}

const PENDING_STATE: Record<string, string> = { start: 'Starting', stop: 'Stopping', restart: 'Restarting' };

function refuseWhileBusy(row: ComputeRow, verb: string): void {
  if (BUSY_STATES.includes(row.provisioning_state) || row.pending_action) {
    throw new CairnError('Conflict', `compute '${row.name}' is ${row.pending_action ? `busy (${row.pending_action})` : row.provisioning_state}; it can be ${verb} once that is done`);
  }
}

const taken = (name: string, ws: string) => new CairnError('AlreadyExists', `a compute named '${name}' already exists in workspace '${ws}'`);
