import { isTerminal } from '../../protocol/job.ts';
import { StoredSweep, TrialFacts, type SweepTrialView, type SweepView } from '../../protocol/sweep-spec.ts';
import type { Store } from '../../store/index.ts';
import type { JobRow } from '../../store/jobs.ts';

/** The reason a trial stopped by the early-termination policy ends with starts so; how it is told apart from a user's cancel. */
export const STOPPED_EARLY = 'stopped early by';

export const storedSweep = (row: Pick<JobRow, 'spec'>): StoredSweep => StoredSweep.parse(JSON.parse(row.spec));
/** A trial's facts, or null for a job that is not a sweep's trial (a pipeline's step has other facts). */
export const trialFacts = (row: Pick<JobRow, 'trial'>): TrialFacts | null => {
  if (!row.trial) return null;
  const r = TrialFacts.safeParse(JSON.parse(row.trial));
  return r.success ? r.data : null;
};

/** A trial the policy stopped: its facts say so (written before the cancel is sent). */
export const isStoppedEarly = (r: Pick<JobRow, 'status' | 'trial'>) => (r.status === 'Canceled' || r.status === 'CancelRequested') && !!trialFacts(r)?.stopped_early;

/** A stopped trial's status reason is the policy's, whatever its agent said when it stopped. */
export function trialStatusReason(r: Pick<JobRow, 'status' | 'status_reason' | 'trial'>): string | null {
  const f = trialFacts(r);
  return f?.stopped_early && (r.status === 'Canceled' || r.status === 'CancelRequested') ? `${STOPPED_EARLY} ${f.stopped_early.reason}` : r.status_reason;
}

/** Best first by the goal; trials that never logged the metric after, by index. */
export function rankTrials(trials: SweepTrialView[], goal: 'maximize' | 'minimize'): SweepTrialView[] {
  const sign = goal === 'maximize' ? -1 : 1;
  return [...trials].sort((a, b) => {
    const av = a.value !== null && Number.isFinite(a.value);
    const bv = b.value !== null && Number.isFinite(b.value);
    if (av && bv) return sign * (a.value! - b.value!) || a.index - b.index;
    if (av !== bv) return av ? -1 : 1;
    return a.index - b.index;
  });
}

/**
 * A sweep's progress, its trials ranked by the objective (each by the last value it logged, as
 * Azure ranks child runs) and the best one: read from the store each time, so every server agrees.
 */
export async function sweepView(store: Store, row: JobRow): Promise<SweepView> {
  const stored = storedSweep(row);
  const { spec } = stored;
  const rows = await store.jobs.trialsOf(row.id);
  const series = await store.metrics.seriesOfRuns(rows.map((r) => r.id), spec.objective.primary_metric);
  const now = Date.now();
  const trials: SweepTrialView[] = rows.map((r) => {
    const s = series.get(r.id);
    const start = r.start_time ? Date.parse(r.start_time) : null;
    const end = r.end_time ? Date.parse(r.end_time) : null;
    return {
      name: r.name,
      index: r.trial_index ?? 0,
      status: r.status,
      status_reason: trialStatusReason(r),
      params: trialFacts(r)?.params ?? {},
      value: s && Number.isFinite(s.last) ? s.last : null,
      intervals: s?.count ?? 0,
      stopped_early: isStoppedEarly(r),
      duration_seconds: start !== null ? Math.round(((end ?? now) - start) / 10) / 100 : null,
    };
  });
  const count = (f: (t: SweepTrialView) => boolean) => trials.filter(f).length;
  const ranked = rankTrials(trials, spec.objective.goal);
  const best = ranked[0] && ranked[0].value !== null ? ranked[0] : null;
  const warnings = [...stored.warnings, ...missingMetricWarning(trials, spec.objective.primary_metric)];
  return {
    search_space: spec.search_space,
    sampling_algorithm: spec.sampling_algorithm,
    objective: spec.objective,
    early_termination: spec.early_termination ?? null,
    limits: { max_total_trials: stored.total, max_concurrent_trials: stored.concurrent, timeout: spec.limits?.timeout ?? null, trial_timeout: spec.limits?.trial_timeout ?? null },
    seed: stored.seed,
    progress: {
      total: stored.total,
      created: trials.length,
      queued: count((t) => t.status === 'Queued' || t.status === 'Provisioning'),
      running: count((t) => !isTerminal(t.status) && t.status !== 'Queued' && t.status !== 'Provisioning'),
      completed: count((t) => t.status === 'Completed'),
      failed: count((t) => t.status === 'Failed'),
      canceled: count((t) => t.status === 'Canceled' && !t.stopped_early),
      stopped_early: count((t) => t.status === 'Canceled' && t.stopped_early),
    },
    best,
    trials: ranked,
    warnings,
  };
}

/** Said once trials have completed without ever logging the objective's metric: the sweep cannot rank them. */
export function missingMetricWarning(trials: Pick<SweepTrialView, 'status' | 'intervals'>[], metric: string): string[] {
  const completed = trials.filter((t) => t.status === 'Completed');
  const without = completed.filter((t) => t.intervals === 0).length;
  if (without === 0) return [];
  return [`${without} of ${completed.length} completed trial${completed.length > 1 ? 's' : ''} never logged the primary metric '${metric}' (log it with mlflow.log_metric('${metric}', value))`];
}
