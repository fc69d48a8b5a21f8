import type { ComputeBackend } from '../compute/types.ts';
import { hasManagedNodes } from '../compute/types.ts';
import type { Store } from '../store/index.ts';
import type { EventHub } from '../domain/events.ts';
import { moveJob } from '../domain/transitions.ts';

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
  private readonly cancelDeadlineMs: number;
  private readonly log: (msg: string) => void;

  constructor(store: Store, events: EventHub, backends: Map<string, ComputeBackend>, o: { heartbeatIntervalMs: number; cancelGraceMs: number }, log: (msg: string) => void) {
    this.store = store;
    this.events = events;
    this.backends = backends;
    this.deadlineMs = o.heartbeatIntervalMs * 3;
    // An agent that hears of a cancel stops the job within the grace period (SIGKILL after it); past
    // that and a few missed polls, nobody is going to confirm it.
    this.cancelDeadlineMs = o.cancelGraceMs + Math.max(10_000, o.heartbeatIntervalMs * 6);
    this.log = log;
  }

  /**
   * A cancel always ends its job: one that no agent confirmed in time (the node is gone, or the
   * attempt is stuck) is ended here, its attempt too, so its slot is free again. An agent that
   * comes back later is told the attempt ended and stops what is left of it.
   */
  async enforceCancels(): Promise<void> {
    const cutoff = new Date(Date.now() - this.cancelDeadlineMs).toISOString();
    for (const j of await this.store.jobs.cancelRequestedBefore(cutoff)) {
      const why = `canceled: no agent confirmed the cancel asked for at ${j.asked} within ${Math.round(this.cancelDeadlineMs / 1000)} s${j.node ? `; what is left of it on node '${j.node}' is stopped when its agent is back` : ''}`;
      for (const a of await this.store.jobs.attemptsOf(j.id)) {
        if (a.state !== 'ended') await this.store.jobs.updateAttempt(a.id, { state: 'ended', ended_at: new Date().toISOString(), outcome: 'canceled', reason: why }, [a.state]);
      }
      if (await moveJob(this.store.db, this.events, j.id, 'Canceled', why)) this.log(`job ${j.id}: ${why}`);
    }
  }

  async tick(workspace: string): Promise<void> {
    await this.enforceCancels();
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
