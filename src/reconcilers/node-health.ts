import type { ComputeBackend } from '../compute/types.ts';
import { hasManagedNodes } from '../compute/types.ts';
import type { Store } from '../store/index.ts';
import type { EventHub } from '../server/events.ts';
import { moveJob } from '../server/services/transitions.ts';

/**
 * Marks nodes whose agent went silent, so their jobs show NotResponding instead of a stale
 * Running, and asks backends that manage their nodes to bring them back (the local agent is
 * restarted; it then finds its jobs on disk and reports them).
 */
export class NodeHealth {
  private readonly store: Store;
  private readonly events: EventHub;
  private readonly backends: Map<string, ComputeBackend>;
  private readonly deadlineMs: number;
  private readonly log: (msg: string) => void;

  constructor(store: Store, events: EventHub, backends: Map<string, ComputeBackend>, heartbeatIntervalMs: number, log: (msg: string) => void) {
    this.store = store;
    this.events = events;
    this.backends = backends;
    this.deadlineMs = heartbeatIntervalMs * 3;
    this.log = log;
  }

  async tick(workspace: string): Promise<void> {
    const silent = await this.store.nodes.silentSince(Date.now() - this.deadlineMs);
    for (const n of silent) {
      await this.store.nodes.update(n.name, { state: 'unreachable' });
      const since = n.last_heartbeat_ms ? new Date(n.last_heartbeat_ms).toISOString() : 'its start';
      this.log(`node ${n.name} is silent since ${since}`);
      for (const a of await this.store.jobs.attemptsOnNode(n.name, ['preparing', 'running', 'finalizing'])) {
        await moveJob(this.store.db, this.events, a.job_id, 'NotResponding', `the agent on node '${n.name}' has not been heard from since ${since}`, {
          from: ['Preparing', 'Running', 'Finalizing', 'CancelRequested'],
          attempt: a.number,
        });
      }
    }
    // Network and process I/O happen here, outside any transaction.
    for (const c of await this.store.computes.list(workspace)) {
      const b = this.backends.get(c.type);
      if (b && hasManagedNodes(b)) await b.ensureNodes(c);
    }
  }
}
