import { hasContainerEngine } from '../protocol/agent.ts';
import { needsContainerEngine, type PipOptions, ResolvedEnvironment } from '../protocol/environment.ts';
import { WAITING_STATUSES } from '../protocol/job.ts';
import type { Store } from '../store/index.ts';
import type { JobRow } from '../store/jobs.ts';
import type { EventHub } from '../domain/events.ts';
import { buildAssignments, insertRanks, pipOf } from '../domain/assignments.ts';
import { moveJob } from '../domain/transitions.ts';
import { plan, type FreeNode, type PoolState, type QueuedJob } from '../domain/placement.ts';
import { poolOf } from '../domain/pools.ts';
import { AZURE_SIZES, type SizeCatalog } from '../protocol/compute-sizes.ts';

const LEASE_MS = 30_000;
/** Jobs read per compute and pass beyond what can be placed, for their wait reasons. */
const READ_AHEAD = 80;

/**
 * Queue -> placement, per compute. A pass takes the compute's scheduling lease (so two servers on
 * one PostgreSQL never place on the same compute), reads its queue in order and its nodes, plans
 * with domain/placement.ts, and writes every placement of the pass in one transaction. Placement
 * touches only the store; agents learn of it by polling.
 */
export class Scheduler {
  private readonly store: Store;
  private readonly events: EventHub;
  private readonly owner: string;
  private readonly pip: PipOptions;
  private readonly sizes: SizeCatalog;
  private readonly now: () => number;
  /** Compute types whose own scheduler queues the jobs (Slurm): the batch dispatcher hands those over instead. */
  private readonly selfQueued: ReadonlySet<string>;

  /** `owner` should survive a restart of the same server, so it can take its own leases back at once. */
  constructor(o: { store: Store; events: EventHub; owner: string; sizes?: SizeCatalog; pip?: PipOptions; now?: () => number; selfQueued?: ReadonlySet<string> }) {
    this.selfQueued = o.selfQueued ?? new Set();
    this.sizes = o.sizes ?? AZURE_SIZES;
    this.store = o.store;
    this.events = o.events;
    this.owner = o.owner;
    this.pip = o.pip ?? {};
    this.now = o.now ?? Date.now;
  }

  /** One pass over every compute with queued jobs; returns how many jobs were placed. */
  async tick(): Promise<number> {
    let placed = 0;
    for (const c of await this.store.jobs.queuedComputes()) {
      if (this.selfQueued.size && this.selfQueued.has((await this.store.computes.get(c.workspace, c.compute))?.type ?? '')) continue;
      const now = this.now();
      if (!(await this.store.computes.claimScheduling(c.workspace, c.compute, this.owner, now, now + LEASE_MS))) continue;
      placed += await this.placeOn(c.workspace, c.compute);
    }
    return placed;
  }

  private async placeOn(workspace: string, compute: string): Promise<number> {
    const row = await this.store.computes.get(workspace, compute);
    if (!row) return 0;
    const all = await this.store.nodes.forCompute(workspace, compute);
    const ready = all.filter((n) => n.state === 'ready');
    const busy = await this.store.jobs.busySlots(ready.map((n) => n.name));
    const nodes: FreeNode[] = ready.map((n) => ({ name: n.name, free: n.slots - (busy.get(n.name) ?? 0), engine: hasContainerEngine(n.shape) }));
    const pool = poolOf(row, this.sizes);
    const state: PoolState = pool
      ? { pool: { live: all.filter((n) => n.state !== 'deleting').length, starting: all.filter((n) => n.state === 'creating' || n.state === 'starting').map((n) => n.label ?? n.name), max: pool.max }, stopped: pool.stopped }
      : {};
    const capacity = nodes.reduce((n, x) => n + Math.max(0, x.free), 0);
    const rows = await this.store.jobs.queueOf(workspace, compute, capacity + READ_AHEAD);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const queue: QueuedJob[] = rows.map((r) => ({ id: r.id, name: r.name, instanceCount: r.instance_count, needsEngine: needsEngine(r) }));
    const p = plan(compute, queue, nodes, state);

    for (const [id, w] of p.waits) {
      const r = byId.get(id)!;
      // `Provisioning` while the nodes it waits for start, as Azure ML shows it; `Queued` otherwise.
      const status = w.code === 'nodes_starting' ? 'Provisioning' : 'Queued';
      if (r.status !== status) await moveJob(this.store.db, this.events, id, status, w.detail, { from: [r.status], set: { wait_code: w.code } });
      else if (r.wait_code !== w.code || r.status_reason !== w.detail) await this.store.jobs.setWait(id, w.code, w.detail);
    }
    if (p.placements.length === 0) return 0;
    const nodeRows = new Map(ready.map((n) => [n.name, n]));
    const pip = pipOf(row.spec, this.pip);
    // Reads first: SQLite has one connection, which the transaction below holds.
    const experiments = await this.store.runs.experimentsOfJobs(p.placements.map((pl) => pl.job.id));
    const prepared = p.placements.map((pl) => ({ pl, assignments: buildAssignments(byId.get(pl.job.id)!, pl.nodes.map((x) => nodeRows.get(x)!), pip, experiments.get(pl.job.id)) }));
    const placed = await this.store.transaction(async (trx) => {
      const jobs = this.store.jobs.with(trx);
      let n = 0;
      for (const { pl, assignments } of prepared) {
        const job = byId.get(pl.job.id)!;
        // Only nodes still ready: a node the autoscaler has begun removing is not placed on.
        if (!(await this.store.nodes.with(trx).take(pl.nodes))) continue;
        const number = job.attempt + 1;
        const reason = pl.nodes.length === 1 ? `placed on node '${pl.nodes[0]}'` : `placed on nodes ${pl.nodes.map((x) => `'${x}'`).join(', ')}`;
        const moved = await moveJob(trx, this.events, job.id, 'Preparing', reason, {
          from: [...WAITING_STATUSES],
          attempt: number,
          set: { node: pl.nodes[0], attempt: number, lease_owner: null, lease_until: null, wait_code: null },
        });
        if (!moved) continue; // canceled meanwhile
        await insertRanks(jobs, job.id, number, assignments, new Date(this.now()).toISOString());
        n++;
      }
      return n;
    });
    for (const pl of p.placements) for (const node of pl.nodes) this.events.wake(node);
    return placed;
  }

}

function needsEngine(r: JobRow): boolean {
  if (!r.environment) return false;
  const env = ResolvedEnvironment.safeParse(JSON.parse(r.environment));
  return env.success && needsContainerEngine(env.data.kind);
}
