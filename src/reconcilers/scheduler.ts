import { randomUUID } from 'node:crypto';
import { hasContainerEngine, type AttemptAssignment } from '../protocol/agent.ts';
import { needsContainerEngine, PipOptions, type ResolvedEnvironment } from '../protocol/environment.ts';
import type { CommandJobSpec } from '../protocol/job-spec.ts';
import type { Store } from '../store/index.ts';
import type { JobRow } from '../store/jobs.ts';
import type { EventHub } from '../domain/events.ts';
import { interpolateCommand } from '../domain/interpolate.ts';
import { moveJob } from '../domain/transitions.ts';

const LEASE_MS = 30_000;
const BATCH = 200;

/**
 * Queue -> placement. Claims queued jobs with a lease (so two servers on one PostgreSQL never
 * place the same job), picks a ready node of the job's compute with a free slot, and records the
 * attempt. Placement touches only the store; agents learn of it by polling.
 */
export class Scheduler {
  private readonly store: Store;
  private readonly events: EventHub;
  private readonly owner: string;
  private readonly pip: PipOptions;

  /** `owner` should survive a restart of the same server, so it can reclaim its own leases at once. */
  constructor(store: Store, events: EventHub, owner: string, pip: PipOptions = {}) {
    this.store = store;
    this.events = events;
    this.owner = owner;
    this.pip = pip;
  }

  /** One pass; returns how many jobs were placed. */
  async tick(): Promise<number> {
    const now = Date.now();
    const claimed = await this.store.jobs.claimQueued(this.owner, now, now + LEASE_MS, BATCH);
    if (claimed.length === 0) return 0;
    const byCompute = new Map<string, JobRow[]>();
    for (const j of claimed) byCompute.set(`${j.workspace}/${j.compute}`, [...(byCompute.get(`${j.workspace}/${j.compute}`) ?? []), j]);
    let placed = 0;
    for (const jobs of byCompute.values()) {
      const nodes = (await this.store.nodes.forCompute(jobs[0].workspace, jobs[0].compute)).filter((n) => n.state === 'ready');
      const engines = new Set(nodes.filter((n) => hasContainerEngine(n.shape)).map((n) => n.name));
      const pip = await this.pipOf(jobs[0].workspace, jobs[0].compute);
      const busy = await this.store.jobs.busySlots(nodes.map((n) => n.name));
      for (const job of jobs) {
        const env = job.environment ? (JSON.parse(job.environment) as ResolvedEnvironment) : undefined;
        const needsEngine = env !== undefined && needsContainerEngine(env.kind);
        const node = nodes.find((n) => (busy.get(n.name) ?? 0) < n.slots && (!needsEngine || engines.has(n.name)));
        if (!node) {
          await this.store.jobs.releaseLease(job.id, this.owner);
          continue;
        }
        if (await this.place(job, node.name, env, pip)) {
          busy.set(node.name, (busy.get(node.name) ?? 0) + 1);
          placed++;
          this.events.wake(node.name);
        }
      }
    }
    return placed;
  }

  /** A compute's own `pip:` settings win over the server's. */
  private async pipOf(workspace: string, compute: string): Promise<PipOptions> {
    const row = await this.store.computes.get(workspace, compute);
    const own = PipOptions.safeParse(row ? JSON.parse(row.spec).pip : undefined);
    return own.success && own.data ? own.data : this.pip;
  }

  private async place(job: JobRow, node: string, environment: ResolvedEnvironment | undefined, pip: PipOptions): Promise<boolean> {
    const spec = JSON.parse(job.spec) as CommandJobSpec;
    const number = job.attempt + 1;
    const run = await this.store.runs.run(job.id);
    const assignment: Omit<AttemptAssignment, 'job_token'> = {
      attempt_id: randomUUID(),
      job_id: job.id,
      job_name: job.name,
      attempt: number,
      command: interpolateCommand(spec),
      environment_variables: spec.environment_variables ?? {},
      snapshot_id: job.snapshot_id,
      timeout_s: spec.limits?.timeout ?? null,
      experiment_name: job.experiment_name,
      ...(run ? { experiment_id: String(run.experiment_id) } : {}),
      display_name: job.display_name,
      ...(environment ? { environment } : {}),
      ...(Object.keys(pip).length ? { pip } : {}),
    };
    return this.store.transaction(async (trx) => {
      const moved = await moveJob(trx, this.events, job.id, 'Preparing', `placed on node '${node}'`, {
        from: ['Queued'],
        attempt: number,
        set: { node, attempt: number, lease_owner: null, lease_until: null },
      });
      if (!moved) return false; // canceled meanwhile
      await this.store.jobs.with(trx).insertAttempt({
        id: assignment.attempt_id,
        job_id: job.id,
        number,
        node,
        state: 'assigned',
        assignment: JSON.stringify(assignment),
        assigned_at: new Date().toISOString(),
        ended_at: null,
        outcome: null,
        exit_code: null,
        reason: null,
      });
      return true;
    });
  }
}
