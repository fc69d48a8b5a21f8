import { CairnError } from '../protocol/errors.ts';
import type { CreateJobRequest } from '../protocol/job-spec.ts';
import { isTerminal } from '../protocol/job.ts';
import type { StoredSweep, TrialFacts } from '../protocol/sweep-spec.ts';
import { normalizeSampling } from '../protocol/sweep-space.ts';
import type { Store } from '../store/index.ts';
import type { JobRow } from '../store/jobs.ts';
import type { EventHub } from '../domain/events.ts';
import { moveJob } from '../domain/transitions.ts';
import { makeSampler, type Observation } from '../domain/sweep/samplers.ts';
import { decideStops, type TrialCurve } from '../domain/sweep/early-termination.ts';
import { trialRequest } from '../domain/sweep/trials.ts';
import { isStoppedEarly, missingMetricWarning, STOPPED_EARLY, storedSweep } from '../domain/sweep/view.ts';

const LEASE_MS = 30_000;
/** In the reason of a sweep that stopped because a trial could not be made: it ends Failed, not Canceled. */
const CANNOT_CREATE = 'could not be created';

/** How the sweeper makes and stops trials: the same paths a user's job takes (wired by the server). */
export interface TrialJobs {
  create(workspace: string, req: CreateJobRequest, createdBy: string, trial: { parentId: string; facts: TrialFacts }): Promise<unknown>;
  cancel(workspace: string, name: string, reason: string): Promise<unknown>;
}

export interface SweeperDeps {
  store: Store;
  events: EventHub;
  trials: TrialJobs;
  /** Should survive a restart of the same server, so it takes its own leases back at once. */
  owner: string;
  now?: () => number;
  log?: (msg: string) => void;
}

/**
 * Advances every unfinished sweep: stops the trials its early-termination policy rules out,
 * makes new trials up to its limits (the sampler drawing with what finished trials logged), and
 * ends it once its trials have. Everything it decides from is in the store (trials, their values
 * and metrics; the seed), so after a restart it picks up where it was: a trial's index is unique
 * per sweep, so none is made twice, and a stopped trial is no longer running, so none is stopped twice.
 */
export class Sweeper {
  private readonly d: SweeperDeps;
  private readonly now: () => number;
  /** The primary metric's values of trials that ended: they no longer change. */
  private readonly finishedCurves = new Map<string, number[]>();

  constructor(d: SweeperDeps) {
    this.d = d;
    this.now = d.now ?? Date.now;
  }

  /** One pass over every unfinished sweep this server can lease; returns how many trials it made or stopped. */
  async tick(): Promise<number> {
    let changes = 0;
    for (const row of await this.d.store.jobs.activeSweeps()) {
      const now = this.now();
      if (!(await this.d.store.jobs.claimSweep(row.id, this.d.owner, now, now + LEASE_MS))) continue;
      try {
        changes += await this.advance(row);
      } catch (err) {
        this.d.log?.(`sweep ${row.name}: ${(err as Error).message}`);
      }
    }
    return changes;
  }

  private holds = (row: JobRow) => this.d.store.jobs.holdsSweep(row.id, this.d.owner, this.now());

  private async advance(row: JobRow): Promise<number> {
    const stored = storedSweep(row);
    const { spec } = stored;
    const trials = await this.d.store.jobs.trialsOf(row.id);
    const open = trials.filter((t) => !isTerminal(t.status));
    const ending = row.cancel_requested === 1 || row.status === 'CancelRequested';
    const timedOut = !!spec.limits?.timeout && !!row.start_time && this.now() - Date.parse(row.start_time) >= spec.limits.timeout * 1000;
    if (ending || timedOut) {
      const reason = ending ? 'canceled with its sweep' : `the sweep's limits.timeout of ${spec.limits!.timeout} s was reached`;
      let n = 0;
      for (const t of open) if (t.status !== 'CancelRequested' && (await this.holds(row))) n += await this.cancelTrial(t, reason);
      if (open.length === 0 && (await this.holds(row))) await this.finish(row, stored, trials, ending ? 'canceled' : 'timeout');
      return n;
    }
    const series = await this.d.store.metrics.seriesOfRuns(trials.map((t) => t.id), spec.objective.primary_metric);
    let changes = 0;
    if (spec.early_termination) changes += await this.stopEarly(row, stored, trials);
    const created = trials.length;
    const room = Math.min(stored.concurrent - open.length, stored.total - created);
    if (room > 0) {
      const sampler = makeSampler(spec.search_space, normalizeSampling(spec.sampling_algorithm), stored.seed);
      const observations: Observation[] = trials
        .filter((t) => t.status === 'Completed')
        .map((t) => ({ params: facts(t).params, value: finite(series.get(t.id)?.last) }));
      for (let index = created; index < created + room; index++) {
        if (!(await this.holds(row))) return changes;
        const params = sampler.sample(index, observations, spec.objective.goal);
        const made = await this.makeTrial(row, stored, { sweep: row.name, index, params });
        if (made === 'failed') return changes;
        changes++;
      }
      return changes;
    }
    if (open.length === 0 && created >= stored.total && (await this.holds(row))) await this.finish(row, stored, trials, 'done');
    else await this.sayProgress(row, stored, trials, series);
    return changes;
  }

  private async makeTrial(row: JobRow, stored: StoredSweep, f: TrialFacts): Promise<'made' | 'failed'> {
    const req = trialRequest(stored, row, f.index, f.params);
    try {
      await this.d.trials.create(row.workspace, req, row.created_by, { parentId: row.id, facts: f });
      return 'made';
    } catch (err) {
      // Made already (a pass that crashed after making it, or another server): nothing to do.
      // A job of that name that is not this trial (a user's) is a trial that can never be made.
      const mine = err instanceof CairnError && err.code === 'AlreadyExists' && (await this.d.store.jobs.getByName(row.workspace, req.spec.name!))?.parent_id === row.id;
      if (mine) return 'made';
      const why = `trial ${f.index} ${CANNOT_CREATE}: ${(err as Error).message}`;
      await moveJob(this.d.store.db, this.d.events, row.id, 'CancelRequested', why, { set: { cancel_requested: 1 } });
      return 'failed';
    }
  }

  private async cancelTrial(t: JobRow, reason: string): Promise<number> {
    try {
      await this.d.trials.cancel(t.workspace, t.name, reason);
      return 1;
    } catch (err) {
      if (err instanceof CairnError && err.code === 'JobAlreadyFinished') return 0;
      throw err;
    }
  }

  /** The policy's verdicts on running trials, from every started trial's curve so far. */
  private async stopEarly(row: JobRow, stored: StoredSweep, trials: JobRow[]): Promise<number> {
    const { spec } = stored;
    const key = spec.objective.primary_metric;
    const curves: TrialCurve[] = [];
    for (const t of trials) {
      if (!t.start_time) continue;
      const ended = isTerminal(t.status);
      let values = ended ? this.finishedCurves.get(t.id) : undefined;
      if (!values) {
        values = await this.d.store.metrics.values(t.id, key);
        if (ended) this.finishedCurves.set(t.id, values);
      }
      curves.push({ name: t.name, values, running: t.status === 'Running' });
    }
    let n = 0;
    for (const d of decideStops(spec.early_termination!, spec.objective.goal, curves)) {
      const t = trials.find((x) => x.name === d.name)!;
      if (!(await this.holds(row))) break;
      // The verdict is kept with the trial first: a crash before the cancel makes the same verdict again next pass.
      await this.d.store.jobs.update(t.id, { trial: JSON.stringify({ ...facts(t), stopped_early: { reason: d.reason, interval: d.interval } }) });
      n += await this.cancelTrial(t, `${STOPPED_EARLY} ${d.reason}`);
    }
    return n;
  }

  /** Ends the sweep: Failed when every trial failed, Canceled when asked or out of time, else Completed, naming the best trial. */
  private async finish(row: JobRow, stored: StoredSweep, trials: JobRow[], how: 'done' | 'canceled' | 'timeout'): Promise<void> {
    const series = await this.d.store.metrics.seriesOfRuns(trials.map((t) => t.id), stored.spec.objective.primary_metric);
    const summary = summarize(stored, trials, series);
    for (const t of trials) this.finishedCurves.delete(t.id);
    const failed = trials.filter((t) => t.status === 'Failed');
    if (how === 'canceled' && row.status_reason?.includes(CANNOT_CREATE)) {
      await moveJob(this.d.store.db, this.d.events, row.id, 'Failed', `${row.status_reason}; ${summary}`);
    } else if (how === 'canceled') {
      await moveJob(this.d.store.db, this.d.events, row.id, 'Canceled', `canceled by the user; ${summary}`);
    } else if (how === 'timeout') {
      await moveJob(this.d.store.db, this.d.events, row.id, 'Canceled', `limits.timeout of ${stored.spec.limits!.timeout} s reached; ${summary}`);
    } else if (trials.length > 0 && failed.length === trials.length) {
      await moveJob(this.d.store.db, this.d.events, row.id, 'Failed', `all ${trials.length} trials failed; the first: ${failed[0]!.name}: ${failed[0]!.status_reason ?? 'failed'}`);
    } else {
      await moveJob(this.d.store.db, this.d.events, row.id, 'Completed', summary);
    }
  }

  /** The sweep's status reason says how far it got; written only when it changed. */
  private async sayProgress(row: JobRow, stored: StoredSweep, trials: JobRow[], series: Map<string, { count: number; last: number }>): Promise<void> {
    const said = summarize(stored, trials, series);
    if (said !== row.status_reason && (await this.holds(row))) await this.d.store.jobs.update(row.id, { status_reason: said });
  }
}

const facts = (t: JobRow): TrialFacts => JSON.parse(t.trial!) as TrialFacts;
const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** `12 of 20 trials: 3 running, 2 queued, 6 completed, 1 stopped early; best NAME (accuracy 0.93)` and any warning. */
export function summarize(stored: StoredSweep, trials: JobRow[], series: Map<string, { count: number; last: number }>): string {
  const { spec } = stored;
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const t of trials) {
    if (t.status === 'Canceled' && isStoppedEarly(t)) bump('stopped early');
    else if (t.status === 'Queued' || t.status === 'Provisioning') bump('queued');
    else if (!isTerminal(t.status)) bump('running');
    else bump(t.status.toLowerCase());
  }
  const parts = ['running', 'queued', 'completed', 'stopped early', 'failed', 'canceled'].filter((k) => counts.get(k)).map((k) => `${counts.get(k)} ${k}`);
  const sign = spec.objective.goal === 'maximize' ? 1 : -1;
  let best: { name: string; value: number } | null = null;
  for (const t of trials) {
    const v = finite(series.get(t.id)?.last);
    if (v !== null && (best === null || sign * (v - best.value) > 0)) best = { name: t.name, value: v };
  }
  const warning = missingMetricWarning(
    trials.map((t) => ({ status: t.status, intervals: series.get(t.id)?.count ?? 0 })),
    spec.objective.primary_metric,
  );
  return [
    `${trials.length} of ${stored.total} trials${parts.length ? `: ${parts.join(', ')}` : ''}`,
    ...(best ? [`best ${best.name} (${spec.objective.primary_metric} ${best.value})`] : []),
    ...warning,
  ].join('; ');
}
