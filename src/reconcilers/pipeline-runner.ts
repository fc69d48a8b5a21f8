import { CairnError } from '../protocol/errors.ts';
import type { CreateJobRequest } from '../protocol/job-spec.ts';
import { isTerminal } from '../protocol/job.ts';
import type { PlannedStep, StepFacts, StoredPipeline } from '../protocol/pipeline-spec.ts';
import type { Store } from '../store/index.ts';
import type { JobRow } from '../store/jobs.ts';
import type { EventHub } from '../domain/events.ts';
import { moveJob } from '../domain/transitions.ts';
import { stepRequest, type StepOf } from '../domain/pipelines/steps.ts';
import { stepFacts, stepProducer, storedPipeline, stepStates } from '../domain/pipelines/view.ts';
import type { CreateSweepRequest } from '../protocol/sweep-spec.ts';

const LEASE_MS = 30_000;

/** How the runner makes and stops steps: the same path a user's job takes (wired by the server). */
export interface StepJobs {
  /** Makes the step's job, or, when it may be reused and an earlier job matches, a Completed job standing for it. */
  create(workspace: string, req: CreateJobRequest, createdBy: string, step: StepOf): Promise<{ status: string; name: string; status_reason?: string | null; child?: unknown }>;
  /** Makes a sweep step's sweep (never reused). */
  createSweep(workspace: string, req: CreateSweepRequest, createdBy: string, step: StepOf): Promise<{ status: string; name: string; status_reason?: string | null }>;
  cancel(workspace: string, name: string, reason: string): Promise<unknown>;
}

export interface PipelineRunnerDeps {
  store: Store;
  events: EventHub;
  steps: StepJobs;
  owner: string;
  now?: () => number;
  log?: (msg: string) => void;
}

/**
 * Runs pipelines: makes each step's job once the steps it needs have completed (several at once
 * where the graph allows), binds their outputs to its inputs, stops the rest when a step fails
 * (unless continue_on_step_failure), and ends the pipeline once its steps have. The plan, the
 * steps' jobs and their facts are in the store and a step's index is unique per pipeline, so a
 * restarted server makes no step twice and loses none.
 */
export class PipelineRunner {
  private readonly d: PipelineRunnerDeps;
  private readonly now: () => number;
  constructor(d: PipelineRunnerDeps) {
    this.d = d;
    this.now = d.now ?? Date.now;
  }

  async tick(): Promise<number> {
    let changes = 0;
    for (const row of await this.d.store.jobs.activeOfKind('pipeline')) {
      const now = this.now();
      if (!(await this.d.store.jobs.claimParent(row.id, 'pipeline', this.d.owner, now, now + LEASE_MS))) continue;
      try {
        changes += await this.advance(row);
      } catch (err) {
        this.d.log?.(`pipeline ${row.name}: ${(err as Error).message}`);
      }
    }
    return changes;
  }

  private holds = (row: JobRow) => this.d.store.jobs.holdsSweep(row.id, this.d.owner, this.now());

  private async advance(row: JobRow): Promise<number> {
    const stored = storedPipeline(row);
    const children = await this.d.store.jobs.trialsOf(row.id);
    const jobs = new Map<string, { name: string; status: string; status_reason: string | null; producer: string }>();
    for (const c of children) {
      const f = stepFacts(c);
      if (f) jobs.set(f.step, { name: c.name, status: c.status, status_reason: c.status_reason, producer: await stepProducer(this.d.store, c) });
    }
    const open = children.filter((c) => !isTerminal(c.status));
    const ending = row.cancel_requested === 1 || row.status === 'CancelRequested';
    const failed = [...jobs.entries()].filter(([, j]) => j.status === 'Failed' || j.status === 'Canceled');
    const stopping = ending || (failed.length > 0 && !stored.continue_on_step_failure);
    let changes = 0;
    if (stopping) {
      const reason = ending ? 'canceled with its pipeline' : `stopped: step '${failed[0]![0]}' ${failed[0]![1].status.toLowerCase()} (continue_on_step_failure is off)`;
      for (const c of open) {
        if (c.status === 'CancelRequested' || !(await this.holds(row))) continue;
        changes += await this.cancel(c, reason);
      }
      if (open.length === 0 && (await this.holds(row))) await this.finish(row, stored, jobs, ending);
      return changes;
    }
    // In dependency order: a step reused now completes at once, and those after it can go in the same pass.
    for (const step of stored.steps) {
      if (jobs.has(step.name)) continue;
      if (!step.depends_on.every((d) => jobs.get(d)?.status === 'Completed')) continue;
      if (!(await this.holds(row))) return changes;
      const made = await this.make(row, stored, step, jobs);
      if (!made) return changes;
      jobs.set(step.name, made);
      changes++;
    }
    const states = stepStates(stored, jobs);
    if (states.every((s) => s.settled) && (await this.holds(row))) await this.finish(row, stored, jobs, false);
    else await this.sayProgress(row, stored, jobs);
    return changes;
  }

  private async make(row: JobRow, stored: StoredPipeline, step: PlannedStep, jobs: Map<string, { producer: string }>) {
    const producers = new Map([...jobs.entries()].map(([k, v]) => [k, v.producer]));
    const empty = step.depends_on.find((d) => step.request && Object.values(step.from_steps).some(([s]) => s === d) && !producers.get(d));
    if (empty) {
      await moveJob(this.d.store.db, this.d.events, row.id, 'CancelRequested', `step '${step.name}' could not be created: the sweep step '${empty}' has no best trial (no trial logged its primary metric), so it has no outputs to pass on`, { set: { cancel_requested: 1 } });
      return null;
    }
    const req = stepRequest(stored, step, producers);
    const facts: StepFacts = { pipeline: row.name, step: step.name };
    const of = { parentId: row.id, index: step.index, facts, reusable: step.reusable };
    try {
      if (req.spec.type === 'sweep') {
        const sweep = await this.d.steps.createSweep(row.workspace, req as CreateSweepRequest, row.created_by, of);
        return { name: sweep.name, status: sweep.status, status_reason: sweep.status_reason ?? null, producer: '' };
      }
      const job = await this.d.steps.create(row.workspace, req as CreateJobRequest, row.created_by, of);
      const f = job.child as StepFacts | undefined;
      return { name: job.name, status: job.status, status_reason: job.status_reason ?? null, producer: f?.reused_from ?? job.name };
    } catch (err) {
      const existing = err instanceof CairnError && err.code === 'AlreadyExists' ? await this.d.store.jobs.getByName(row.workspace, req.spec.name!) : undefined;
      if (existing?.parent_id === row.id) {
        return { name: existing.name, status: existing.status, status_reason: existing.status_reason, producer: await stepProducer(this.d.store, existing) };
      }
      // A step that cannot be made (its compute deleted since, say) fails the pipeline, saying why.
      await moveJob(this.d.store.db, this.d.events, row.id, 'CancelRequested', `step '${step.name}' could not be created: ${(err as Error).message}`, { set: { cancel_requested: 1 } });
      return null;
    }
  }

  private async cancel(c: JobRow, reason: string): Promise<number> {
    try {
      await this.d.steps.cancel(c.workspace, c.name, reason);
      return 1;
    } catch (err) {
      if (err instanceof CairnError && err.code === 'JobAlreadyFinished') return 0;
      throw err;
    }
  }

  private async finish(row: JobRow, stored: StoredPipeline, jobs: Map<string, { status: string; status_reason: string | null }>, canceled: boolean): Promise<void> {
    const summary = summarizeSteps(stored, jobs);
    const bad = [...jobs.entries()].find(([, j]) => j.status === 'Failed') ?? [...jobs.entries()].find(([, j]) => j.status === 'Canceled');
    if (row.status_reason?.includes('could not be created')) await moveJob(this.d.store.db, this.d.events, row.id, 'Failed', `${row.status_reason}; ${summary}`);
    else if (canceled) await moveJob(this.d.store.db, this.d.events, row.id, 'Canceled', `canceled by the user; ${summary}`);
    else if (bad) await moveJob(this.d.store.db, this.d.events, row.id, 'Failed', `step '${bad[0]}' ${bad[1].status.toLowerCase()}${bad[1].status_reason ? `: ${bad[1].status_reason}` : ''}; ${summary}`);
    else await moveJob(this.d.store.db, this.d.events, row.id, 'Completed', summary);
  }

  private async sayProgress(row: JobRow, stored: StoredPipeline, jobs: Map<string, { status: string; status_reason: string | null }>): Promise<void> {
    const said = summarizeSteps(stored, jobs);
    if (said !== row.status_reason && (await this.holds(row))) await this.d.store.jobs.update(row.id, { status_reason: said });
  }
}

/** `5 steps: 2 completed (1 reused), 1 running, 2 not started`. */
export function summarizeSteps(stored: StoredPipeline, jobs: Map<string, { status: string; status_reason: string | null }>): string {
  const states = stepStates(stored, jobs);
  const count = new Map<string, number>();
  for (const s of states) count.set(s.label, (count.get(s.label) ?? 0) + 1);
  const reused = [...jobs.values()].filter((j) => j.status === 'Completed' && j.status_reason?.startsWith('reused from')).length;
  const order = ['completed', 'running', 'queued', 'not started', 'failed', 'canceled', 'skipped'];
  const parts = order.filter((k) => count.get(k)).map((k) => `${count.get(k)} ${k}${k === 'completed' && reused ? ` (${reused} reused)` : ''}`);
  return `${stored.steps.length} step${stored.steps.length > 1 ? 's' : ''}: ${parts.join(', ')}`;
}
