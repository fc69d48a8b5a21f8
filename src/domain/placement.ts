/**
 * Placement for one compute, as a pure function of its queue and its nodes, so it can be tested
 * and measured on its own. The queue is in order (priority, then submission). Each job takes
 * `instance_count` nodes at once or none (gang). The first job that cannot be placed reserves the
 * free nodes it could use, so a stream of small jobs never starves it; later jobs may use only the
 * nodes it cannot use (a node without the container engine its environment needs, say).
 */

/** Why a queued job waits: a fixed set, so the studio and scripts can branch on it. */
export const WAIT_CODES = ['capacity', 'nodes_starting', 'max_instances', 'compute_stopped', 'no_engine', 'reserved', 'too_big'] as const;
export type WaitCode = (typeof WAIT_CODES)[number];

export interface QueuedJob {
  id: string;
  name: string;
  instanceCount: number;
  needsEngine: boolean;
}

export interface FreeNode {
  name: string;
  /** Jobs it can still take (1 for a pool node that is idle; free slots for the local machine or an attached host). */
  free: number;
  engine: boolean;
}

export interface PoolState {
  /** Nodes the compute has or is bringing up, and its ceiling; absent for computes without a pool (local, attached). */
  pool?: { live: number; starting: string[]; max: number };
  stopped?: boolean;
}

export interface Placement {
  job: QueuedJob;
  nodes: string[];
}

export interface Plan {
  placements: Placement[];
  /** Why each job that was looked at and not placed waits (jobs past the last look keep what they had). */
  waits: Map<string, { code: WaitCode; detail: string }>;
}

/** At most this many waiting jobs are looked at past the last one placed: the rest wait as they were. */
const LOOK_AHEAD = 64;

export function plan(compute: string, queue: QueuedJob[], nodes: FreeNode[], state: PoolState = {}): Plan {
  // Free nodes in order; exhausted or held ones are skipped (and dropped from the front), so a pass
  // over a long queue costs about jobs + nodes, not jobs x nodes.
  let free = nodes.filter((n) => n.free > 0).map((n) => ({ ...n, held: false }));
  const placements: Placement[] = [];
  const waits = new Map<string, { code: WaitCode; detail: string }>();
  let reservedFor: QueuedJob | null = null;
  let looked = 0;
  for (const job of queue) {
    if (state.stopped) {
      waits.set(job.id, { code: 'compute_stopped', detail: `compute '${compute}' is stopped; start it to run its jobs` });
      if (++looked > LOOK_AHEAD) break;
      continue;
    }
    while (free.length && (free[0].free === 0 || free[0].held)) free.shift();
    const fits = (n: (typeof free)[number]) => n.free > 0 && !n.held && (!job.needsEngine || n.engine);
    const chosen: typeof free = [];
    for (const n of free) {
      if (fits(n)) chosen.push(n);
      if (chosen.length === job.instanceCount) break;
    }
    if (chosen.length === job.instanceCount) {
      for (const n of chosen) n.free -= 1;
      placements.push({ job, nodes: chosen.map((n) => n.name) });
      looked = 0;
      continue;
    }
    if (reservedFor === null) {
      // The head of what waits: it keeps the nodes it can use until it has enough.
      reservedFor = job;
      for (const n of chosen) n.held = true;
      waits.set(job.id, why(compute, job, chosen.length, nodes, state));
    } else {
      waits.set(job.id, {
        code: 'reserved',
        detail: `waiting behind job '${reservedFor.name}' (${reservedFor.instanceCount} node${reservedFor.instanceCount > 1 ? 's' : ''}, ahead in the queue), which holds the free nodes it can use`,
      });
    }
    free = free.filter((n) => n.free > 0 && !n.held);
    if (free.length === 0 && ++looked > LOOK_AHEAD) break;
  }
  return { placements, waits };
}

function why(compute: string, job: QueuedJob, usable: number, nodes: FreeNode[], state: PoolState): { code: WaitCode; detail: string } {
  if (job.needsEngine && nodes.length > 0 && !nodes.some((n) => n.engine)) {
    return { code: 'no_engine', detail: `waiting for a node of compute '${compute}' with docker or podman (its environment is a container image)` };
  }
  const p = state.pool;
  if (!p) return { code: 'capacity', detail: `waiting for a free slot on compute '${compute}'` };
  if (job.instanceCount > p.max) return { code: 'too_big', detail: `needs ${job.instanceCount} nodes and compute '${compute}' has at most ${p.max} (max_instances)` };
  if (p.starting.length) return { code: 'nodes_starting', detail: `waiting for nodes to start: ${p.starting.join(', ')}` };
  if (p.live >= p.max) return { code: 'max_instances', detail: `compute '${compute}' is at max_instances (${p.max}); waiting for ${job.instanceCount - usable} node${job.instanceCount - usable > 1 ? 's' : ''} to free up` };
  return { code: 'nodes_starting', detail: `waiting for compute '${compute}' to scale up (${job.instanceCount} node${job.instanceCount > 1 ? 's' : ''} needed)` };
}
