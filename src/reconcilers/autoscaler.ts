import { createHash, randomBytes } from 'node:crypto';
import { isTerminal } from '../protocol/job.ts';
import { parseSchedules } from '../protocol/compute-schedule.ts';
import type { Store } from '../store/index.ts';
import type { ComputeRow } from '../store/computes.ts';
import type { NodeRow } from '../store/nodes.ts';
import { poolOf, type Pool } from '../domain/pools.ts';
import type { SizeCatalog } from '../protocol/compute-sizes.ts';
import { dueActions } from '../domain/schedule.ts';
import { nodeName } from '../domain/nodes.ts';
import { hasPreemption, hasSsh, hasSuspend, type NodeHandle, type NodeProvider } from '../providers/types.ts';
import type { EventHub } from '../domain/events.ts';
import { endRanksOnLostNode } from '../domain/attempts.ts';

const LEASE_MS = 30_000;
/** A node nobody hears from counts as busy this long, then it is replaced. */
export const UNKNOWN_NODE_GRACE_MS = 120_000;
/** After a node could not be made, the next try waits this long (doubling, up to a minute). */
const RETRY_MS = 5_000;

export interface AutoscalerDeps {
  store: Store;
  /** Jobs of a node that is gone are ended (or requeued) by the server: their streams hear of it. */
  events: EventHub;
  providers: Map<string, NodeProvider>;
  sizes: SizeCatalog;
  /** The same owner as the scheduler's: both hold a compute's scheduling lease. */
  owner: string;
  now?: () => number;
  log: (msg: string) => void;
  /** New nodes came up or a compute changed: the scheduler looks again. */
  kickScheduler: () => void;
  /** Power actions for instances (idle shutdown, schedules) go through the provisioner. */
  kickProvisioner: () => void;
}

/**
 * Sizes each pool compute between min and max: scales up when queued jobs need nodes (never above
 * max_instances), removes nodes idle longer than idle_time_before_scale_down (never below
 * min_instances), replaces nodes nobody has heard from past a grace, stops idle instances and fires
 * their schedules. Every decision is a compute event with its reason. Network and process I/O (the
 * provider's) happen outside transactions; all state is in the store, so a restarted server resumes
 * what was under way, and node creation is idempotent by name (no orphan, no double).
 */
export class Autoscaler {
  private readonly d: AutoscalerDeps;
  private readonly now: () => number;
  private readonly failures = new Map<string, { at: number; wait: number }>();
  /** The schedules' window starts a minute before this server did: a fire just before a restart still happens. */
  private scheduleCheckedAt: number;

  constructor(deps: AutoscalerDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.scheduleCheckedAt = this.now() - 60_000;
  }

  async tick(): Promise<void> {
    const rows = await this.d.store.db.selectFrom('computes').selectAll().where('type', 'in', ['amlcompute', 'computeinstance']).where('provisioning_state', 'in', ['Succeeded', 'Updating']).execute();
    const from = this.scheduleCheckedAt;
    this.scheduleCheckedAt = this.now();
    for (const row of rows) {
      const now = this.now();
      if (!(await this.d.store.computes.claimScheduling(row.workspace, row.name, this.d.owner, now, now + LEASE_MS))) continue;
      try {
        await this.reconcile(row, from);
      } catch (err) {
        this.d.log(`autoscaler: compute ${row.name}: ${(err as Error).message}`);
      }
    }
  }

  private async reconcile(row: ComputeRow, scheduleFrom: number): Promise<void> {
    if (row.pending_action) return; // the provisioner is starting or stopping it
    if (await this.retireServerless(row)) return;
    const pool = poolOf(row, this.d.sizes)!;
    const provider = this.d.providers.get(pool.provider);
    if (!provider) return;
    const { workspace, name } = row;
    const now = this.now();
    let nodes = await this.d.store.nodes.forCompute(workspace, name);

    // What was under way when a server stopped: finish it. (This pass awaits its own creates, so a
    // node still `creating` now was left by a server that died mid-create: made again, by the same
    // name, with a new token; the provider gives back the node it made, never a second one.)
    for (const n of nodes.filter((x) => x.state === 'deleting')) await this.remove(row, provider, n, null);
    for (const n of nodes.filter((x) => x.state === 'creating')) {
      if (n.provider_ref) await provider.delete(JSON.parse(n.provider_ref) as NodeHandle).catch(() => {});
      await this.create(row, pool, provider, n);
    }
    if (await this.noticeTakenBack(row, pool, provider, nodes)) nodes = await this.d.store.nodes.forCompute(workspace, name);
    for (const n of nodes.filter((x) => x.state === 'preempting')) await this.finishPreemption(row, provider, n);
    for (const n of nodes.filter((x) => x.state === 'unreachable' && now - (x.last_heartbeat_ms ?? 0) > UNKNOWN_NODE_GRACE_MS)) {
      const why = `node ${n.label} was not heard from for ${Math.round(UNKNOWN_NODE_GRACE_MS / 1000)} s: replaced`;
      await this.d.store.nodes.update(n.name, { state: 'deleting' });
      // Its jobs cannot be stopped or heard from any more: they end as lost, saying why.
      if (await endRanksOnLostNode(this.d.store, this.d.events, n.name, 'lost', `${why}; what ran there is lost`)) this.d.kickScheduler();
      await this.remove(row, provider, n, why);
    }
    if (row.type === 'computeinstance') await this.instanceRules(row, pool, nodes, now, scheduleFrom);
    nodes = await this.d.store.nodes.forCompute(workspace, name);
    if (pool.stopped) {
      for (const n of nodes.filter((x) => x.state !== 'stopped')) await this.suspend(row, provider, n);
      return;
    }
    for (const n of nodes.filter((x) => x.state === 'stopped')) await this.resume(row, provider, n);

    const live = nodes.filter((n) => n.state !== 'deleting' && n.state !== 'preempting');
    const inUse = live.filter((n) => (n.state === 'ready' && n.idle_since_ms === null) || n.state === 'unreachable').length;
    const demand = await this.d.store.jobs.queuedDemand(workspace, name);
    const want = Math.min(pool.max, Math.max(pool.min, inUse + demand.nodes));
    if (live.length < want) await this.scaleUp(row, pool, provider, live.length, want, demand.jobs);
    else if (live.length > want) {
      const cutoff = now - pool.idleMs;
      const idle = live.filter((n) => n.state === 'ready' && n.idle_since_ms !== null && n.idle_since_ms <= cutoff).sort((a, b) => a.idle_since_ms! - b.idle_since_ms!);
      for (const n of idle.slice(0, live.length - want)) {
        // Guarded: a job placed on it at this very moment keeps it.
        if (!(await this.d.store.nodes.claimIdleForRemoval(n.name, cutoff))) continue;
        await this.remove(row, provider, n, `removed node ${n.label}: idle ${Math.round((now - n.idle_since_ms!) / 1000)} s`);
      }
    }
  }

  private async scaleUp(row: ComputeRow, pool: Pool, provider: NodeProvider, from: number, to: number, waiting: number): Promise<void> {
    const key = `${row.workspace}/${row.name}`;
    const failed = this.failures.get(key);
    if (failed && this.now() - failed.at < failed.wait) return;
    const reason = waiting > 0 ? `${waiting} job${waiting > 1 ? 's' : ''} waiting` : `min_instances is ${pool.min}`;
    await this.d.store.computes.addEvent(row.workspace, row.name, 'scale_up', `scaled up ${from} -> ${to}: ${reason}`);
    const made = await Promise.all(Array.from({ length: to - from }, () => this.create(row, pool, provider)));
    if (made.every(Boolean)) this.failures.delete(key);
    else this.failures.set(key, { at: this.now(), wait: Math.min(60_000, (failed?.wait ?? RETRY_MS / 2) * 2) });
    this.d.kickScheduler();
  }

  /** One node: its row first (so a restart finds it), then the provider, outside any transaction. */
  private async create(row: ComputeRow, pool: Pool, provider: NodeProvider, existing?: NodeRow): Promise<boolean> {
    const label = existing?.label ?? `node-${randomBytes(3).toString('hex')}`;
    const name = existing?.name ?? nodeName(row.workspace, row.name, label);
    const token = randomBytes(24).toString('hex');
    const now = new Date(this.now()).toISOString();
    await this.d.store.nodes.upsert({
      name,
      workspace: row.workspace,
      compute: row.name,
      label,
      state: 'creating',
      shape: JSON.stringify({ cpus: pool.size.vcpus, memory_mb: Math.round(pool.size.memory_gb * 1024), gpus: pool.size.gpus }),
      slots: 1,
      agent_version: null,
      token_hash: createHash('sha256').update(token).digest('hex'),
      pid: null,
      last_heartbeat_ms: null,
      registered_at: now,
      created_at: existing?.created_at ?? now,
      size: pool.size.name,
      tier: pool.tier,
      provider: provider.name,
      provider_ref: existing?.provider_ref ?? null,
      idle_since_ms: null,
    });
    try {
      const ssh = sshRequest(row);
      const handle = await provider.create({ workspace: row.workspace, compute: row.name, name, label, size: pool.size, tier: pool.tier, agent: { token }, ...(ssh ? { ssh } : {}) });
      const endpoint = hasSsh(provider) ? provider.sshEndpoint(handle) : null;
      await this.d.store.nodes.update(name, { provider_ref: JSON.stringify(handle), state: 'starting', ssh: endpoint ? JSON.stringify(endpoint) : null });
      return true;
    } catch (err) {
      const why = (err as Error).message.trim().split('\n').slice(-3).join(' | ');
      await this.d.store.nodes.remove(name);
      await this.d.store.computes.addEvent(row.workspace, row.name, 'node_failed', `node ${label} could not be made: ${why}`);
      await this.d.store.computes.update(row.workspace, row.name, { provisioning_errors: JSON.stringify([{ code: 'NodeFailed', message: `node ${label} could not be made: ${why}` }]) });
      return false;
    }
  }

  private async remove(row: ComputeRow, provider: NodeProvider, n: NodeRow, event: string | null): Promise<void> {
    try {
      if (n.provider_ref) await provider.delete(JSON.parse(n.provider_ref) as NodeHandle);
    } catch (err) {
      this.d.log(`autoscaler: removing node ${n.name} failed (tried again on the next pass): ${(err as Error).message}`);
      return;
    }
    await this.d.store.nodes.remove(n.name);
    if (event) await this.d.store.computes.addEvent(row.workspace, row.name, 'scale_down', event);
  }

  /**
   * Low-priority nodes that went silent: the provider says whether it took them back (a cloud's
   * eviction). Those are preempted now, their jobs requeued, rather than waited for.
   */
  private async noticeTakenBack(row: ComputeRow, pool: Pool, provider: NodeProvider, nodes: NodeRow[]): Promise<boolean> {
    if (pool.tier !== 'low_priority' || !hasPreemption(provider)) return false;
    let changed = false;
    for (const n of nodes.filter((x) => x.state === 'unreachable' && x.provider_ref)) {
      let gone: boolean;
      try {
        gone = await provider.takenBack(JSON.parse(n.provider_ref!) as NodeHandle);
      } catch (err) {
        this.d.log(`autoscaler: asking the ${provider.name} provider about node ${n.name} failed: ${(err as Error).message}`);
        continue;
      }
      if (!gone) continue;
      await this.d.store.nodes.update(n.name, { state: 'preempting' });
      await this.d.store.computes.addEvent(row.workspace, row.name, 'preempted', `node ${n.label} was taken back by the ${provider.name} provider (low-priority capacity); its jobs are requeued`);
      changed = true;
    }
    return changed;
  }

  /**
   * A node being taken back: once its jobs have stopped (they are requeued), it goes. A node that
   * can no longer say so (the provider took it, or it is silent past the grace) has them ended here.
   */
  private async finishPreemption(row: ComputeRow, provider: NodeProvider, n: NodeRow): Promise<void> {
    const open = await this.d.store.jobs.attemptsOnNode(n.name, ['assigned', 'preparing', 'running', 'finalizing']);
    if (open.length) {
      const silent = this.now() - (n.last_heartbeat_ms ?? 0) > UNKNOWN_NODE_GRACE_MS;
      const taken = hasPreemption(provider) && n.provider_ref ? await provider.takenBack(JSON.parse(n.provider_ref) as NodeHandle).catch(() => false) : false;
      if (!silent && !taken) return;
      await endRanksOnLostNode(this.d.store, this.d.events, n.name, 'preempted', `node '${n.label}' was taken back by the provider (low-priority capacity)`);
    }
    await this.remove(row, provider, n, `node ${n.label} was preempted (taken back by the provider); its jobs were requeued`);
    this.d.kickScheduler();
  }

  private async suspend(row: ComputeRow, provider: NodeProvider, n: NodeRow): Promise<void> {
    if (n.provider_ref && hasSuspend(provider)) await provider.suspend(JSON.parse(n.provider_ref) as NodeHandle);
    await this.d.store.nodes.update(n.name, { state: 'stopped', pid: null });
    await this.d.store.computes.addEvent(row.workspace, row.name, 'stopped', `node ${n.label} stopped; its disk (work folder, environments) is kept`);
  }

  private async resume(row: ComputeRow, provider: NodeProvider, n: NodeRow): Promise<void> {
    if (await this.create(row, poolOf(row, this.d.sizes)!, provider, n)) await this.d.store.computes.addEvent(row.workspace, row.name, 'started', `node ${n.label} started again on its kept disk`);
  }

  /** A serverless job's cluster goes when its job has ended (the provisioner deletes its nodes). */
  private async retireServerless(row: ComputeRow): Promise<boolean> {
    const tags = (JSON.parse(row.spec) as { tags?: Record<string, string> }).tags ?? {};
    const jobName = tags['cairn.serverless_job'];
    if (!jobName) return false;
    const job = await this.d.store.jobs.getByName(row.workspace, jobName);
    if (job && !isTerminal(job.status)) return false;
    await this.d.store.computes.update(row.workspace, row.name, { provisioning_state: 'Deleting', pending_action: 'delete', pending_force: 0, updated_at: new Date(this.now()).toISOString() });
    await this.d.store.computes.addEvent(row.workspace, row.name, 'deleted', `deleting: its serverless job ${jobName} has ended`);
    this.d.kickProvisioner();
    return true;
  }

  /** Instances stop themselves when idle too long, and start and stop on their schedules. */
  private async instanceRules(row: ComputeRow, pool: Pool, nodes: NodeRow[], now: number, scheduleFrom: number): Promise<void> {
    if (row.pending_action) return;
    const spec = JSON.parse(row.spec) as { schedules?: unknown };
    if (spec.schedules) {
      const due = dueActions(parseSchedules(spec.schedules), new Date(scheduleFrom), new Date(now));
      const last = due.at(-1);
      if (last && (last.action === 'stop') !== pool.stopped) {
        await this.d.store.computes.update(row.workspace, row.name, { pending_action: last.action, updated_at: new Date(now).toISOString() });
        await this.d.store.computes.addEvent(row.workspace, row.name, 'schedule', `${last.action} by schedule ${last.index + 1} (due at ${last.at.toISOString()})`);
        return this.d.kickProvisioner();
      }
    }
    const node = nodes[0];
    if (!pool.stopped && pool.idleShutdownMs !== null && node?.state === 'ready' && node.idle_since_ms !== null && now - node.idle_since_ms >= pool.idleShutdownMs) {
      const open = await this.d.store.db.selectFrom('jobs').select('status').where('workspace', '=', row.workspace).where('compute', '=', row.name).execute();
      if (open.some((j) => !isTerminal(j.status))) return;
      await this.d.store.computes.update(row.workspace, row.name, { pending_action: 'stop', updated_at: new Date(now).toISOString() });
      await this.d.store.computes.addEvent(row.workspace, row.name, 'idle_shutdown', `stopping: idle for ${Math.round((now - node.idle_since_ms) / 60_000)} min (idle_time_before_shutdown_minutes ${Math.round(pool.idleShutdownMs / 60_000)})`);
      this.d.kickProvisioner();
    }
  }
}

/** Azure's SSH settings of a cluster or an instance: the user's public key goes on each node. */
function sshRequest(row: ComputeRow): { user: string; publicKey: string } | null {
  const spec = JSON.parse(row.spec) as { ssh_public_access_enabled?: boolean; ssh_settings?: { admin_username?: string; ssh_key_value?: string } };
  if (!spec.ssh_public_access_enabled || !spec.ssh_settings?.ssh_key_value) return null;
  return { user: spec.ssh_settings.admin_username ?? 'azureuser', publicKey: spec.ssh_settings.ssh_key_value };
}
