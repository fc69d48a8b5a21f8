import type { EarlyTermination } from '../../protocol/sweep-policy.ts';

/**
 * Early termination of a sweep's trials: which running trials a policy stops, given every trial's
 * primary-metric curve. Pure and deterministic, with no I/O: the same curves give the same
 * decisions, so a server that restarts and evaluates again decides the same.
 *
 * What Azure ML documents ("Hyperparameter tuning a model (v2)", early termination), and how it is
 * read here:
 *
 * - Intervals. "Each time the training script logs the primary metric counts as one interval":
 *   value k-1 of a curve is interval k. "evaluation_interval: the frequency for applying the
 *   policy" and "delay_evaluation: delays the first policy evaluation for a specified number of
 *   intervals": a trial is judged at interval k when k % evaluation_interval === 0 and
 *   k > delay_evaluation (an evaluation_interval of 0 reads as 1). The caller polls and may see
 *   several new values at once, so a trial is judged at its latest such interval k <= its number of
 *   values, with every trial's values up to k; judged again on the next call (with whatever the
 *   others logged meanwhile) until it reaches the next one. Only trials that reached k (logged at
 *   least k values) are compared at k; finished trials count as evidence but are never stopped.
 *
 * - A trial's value at interval k is its best so far, the best of its first k values ("any
 *   training jobs whose best metric at interval 10 is less than 0.66 ... will be terminated").
 *   Values that are not finite numbers (NaN, ±Infinity) are skipped; a trial with none up to k is
 *   neither judged nor evidence at k.
 *
 * - bandit: "ends a job when the primary metric isn't within the specified slack factor/slack
 *   amount of the most successful job". The best is the best value at k (as above) of any trial
 *   that reached k, the judged one included. Maximize: stopped when its value < best / (1 +
 *   slack_factor), or < best - slack_amount. Minimize: > best * (1 + slack_factor), or > best +
 *   slack_amount. So that the best trial is never within its own cut when the best is negative,
 *   the factor works on |best|: maximize's bound is best - |best| * f / (1 + f), minimize's best +
 *   |best| * f (the same as Azure's for a best >= 0).
 *
 * - median_stopping: "computes running averages across all training jobs and stops jobs whose
 *   primary metric value is worse than the median of the averages". At k, the running average of a
 *   trial is the mean of its first k values; the median is over every trial that reached k, the
 *   judged one included (for an even count, the mean of the middle two); a trial is stopped when
 *   its best so far is worse than it. It is judged only when at least 2 other trials reached k: a
 *   median of one or two curves says little.
 *
 * - truncation_selection: "cancels a percentage of lowest performing jobs at each evaluation
 *   interval". At k, the trials that reached k (finished ones left out when exclude_finished_jobs)
 *   are ranked by their value at k; a trial's rank is 1 + how many are strictly better (ties share
 *   a rank). The lowest floor(n * truncation_percentage / 100) ranks are stopped, if running: a
 *   trial is stopped when its rank > n - floor(n * pct / 100). Trials tied at the edge are all kept.
 *
 * Comparisons are strict: a value equal to the bound is kept.
 */

export type Goal = 'maximize' | 'minimize';

export interface TrialCurve {
  /** The trial job's name. */
  name: string;
  /** The primary metric's values in the order the trial logged them: value k-1 is "interval k" (Azure counts each time the script logs the primary metric as one interval). */
  values: number[];
  /** Only running trials can be stopped; finished ones still count as evidence. */
  running: boolean;
}

export interface StopDecision {
  name: string;
  /** The interval the trial was judged at. */
  interval: number;
  /** One line, e.g. `bandit: 0.71 < 0.7667 (best 0.92 / (1 + 0.2)) at interval 5`. */
  reason: string;
}

/** A number with at most 4 significant digits, trailing zeros dropped: 0.766666 → 0.7667, 0.8200000000000001 → 0.82. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = String(Number(x.toPrecision(4)));
  return s === '-0' ? '0' : s;
}

const better = (goal: Goal, a: number, b: number): boolean => (goal === 'maximize' ? a > b : a < b);

/** The best finite value among the first k values (all of them when k is not given); undefined when there is none. */
export function bestSoFar(values: readonly number[], goal: Goal, k: number = values.length): number | undefined {
  let best: number | undefined;
  const end = Math.min(k, values.length);
  for (let i = 0; i < end; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (best === undefined || better(goal, v, best))) best = v;
  }
  return best;
}

/** The mean of the finite values among the first k; undefined when there is none. */
export function runningAverage(values: readonly number[], k: number = values.length): number | undefined {
  let sum = 0;
  let n = 0;
  const end = Math.min(k, values.length);
  for (let i = 0; i < end; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? undefined : sum / n;
}

/**
 * The interval a trial that logged `logged` values is judged at: the latest k <= logged with
 * k % evaluation_interval === 0 and k > delay_evaluation; undefined when there is none yet.
 */
export function evaluationPoint(policy: Pick<EarlyTermination, 'evaluation_interval' | 'delay_evaluation'>, logged: number): number | undefined {
  const every = Math.max(1, Math.floor(policy.evaluation_interval ?? 1));
  const delay = Math.max(0, Math.floor(policy.delay_evaluation ?? 0));
  const k = Math.floor(logged / every) * every;
  return k > delay ? k : undefined;
}

/** Each trial's value at k (its best so far), for those that reached k and have one. */
function valuesAt(trials: readonly TrialCurve[], goal: Goal, k: number, include: (t: TrialCurve) => boolean = () => true): { trial: TrialCurve; value: number }[] {
  const out: { trial: TrialCurve; value: number }[] = [];
  for (const t of trials) {
    if (t.values.length < k || !include(t)) continue;
    const value = bestSoFar(t.values, goal, k);
    if (value !== undefined) out.push({ trial: t, value });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

type Judge = (trial: TrialCurve, value: number, k: number) => string | null;

function banditJudge(policy: Extract<EarlyTermination, { type: 'bandit' }>, goal: Goal, trials: readonly TrialCurve[]): Judge {
  const f = formatNumber;
  return (_trial, value, k) => {
    let best: number | undefined;
    for (const o of valuesAt(trials, goal, k)) if (best === undefined || better(goal, o.value, best)) best = o.value;
    if (best === undefined) return null;
    const op = goal === 'maximize' ? '<' : '>';
    let bound: number;
    let how: string;
    if (policy.slack_factor !== undefined) {
      const s = policy.slack_factor;
      if (goal === 'maximize') {
        bound = best >= 0 ? best / (1 + s) : best - (Math.abs(best) * s) / (1 + s);
        how = best >= 0 ? `best ${f(best)} / (1 + ${f(s)})` : `best ${f(best)} - |${f(best)}| * ${f(s)} / (1 + ${f(s)})`;
      } else {
        bound = best >= 0 ? best * (1 + s) : best + Math.abs(best) * s;
        how = best >= 0 ? `best ${f(best)} * (1 + ${f(s)})` : `best ${f(best)} + |${f(best)}| * ${f(s)}`;
      }
    } else {
      const a = policy.slack_amount ?? 0;
      bound = goal === 'maximize' ? best - a : best + a;
      how = `best ${f(best)} ${goal === 'maximize' ? '-' : '+'} ${f(a)}`;
    }
    if (!better(goal, bound, value)) return null;
    return `bandit: ${f(value)} ${op} ${f(bound)} (${how}) at interval ${k}`;
  };
}

function medianJudge(goal: Goal, trials: readonly TrialCurve[]): Judge {
  return (trial, value, k) => {
    const averages: number[] = [];
    let others = 0;
    for (const o of trials) {
      if (o.values.length < k) continue;
      const avg = runningAverage(o.values, k);
      if (avg === undefined) continue;
      averages.push(avg);
      if (o !== trial) others++;
    }
    if (others < 2) return null;
    const m = median(averages);
    if (!better(goal, m, value)) return null;
    return `median_stopping: best ${formatNumber(value)} ${goal === 'maximize' ? '<' : '>'} median ${formatNumber(m)} of running averages at interval ${k}`;
  };
}

function truncationJudge(policy: Extract<EarlyTermination, { type: 'truncation_selection' }>, goal: Goal, trials: readonly TrialCurve[]): Judge {
  return (trial, value, k) => {
    const pool = valuesAt(trials, goal, k, (t) => t === trial || t.running || !policy.exclude_finished_jobs);
    const n = pool.length;
    const cut = Math.floor((n * policy.truncation_percentage) / 100);
    if (cut === 0) return null;
    const rank = 1 + pool.filter((o) => better(goal, o.value, value)).length;
    if (rank <= n - cut) return null;
    return `truncation_selection: ${formatNumber(value)} in the lowest ${policy.truncation_percentage}% (rank ${rank} of ${n}) at interval ${k}`;
  };
}

/**
 * The running trials the policy stops now, in the order the trials are given. Each running trial
 * with values is judged at its evaluationPoint against every trial's values up to that interval;
 * see the comment at the top of this file for each policy's rule.
 */
export function decideStops(policy: EarlyTermination, goal: Goal, trials: readonly TrialCurve[]): StopDecision[] {
  const judge: Judge =
    policy.type === 'bandit' ? banditJudge(policy, goal, trials) : policy.type === 'median_stopping' ? medianJudge(goal, trials) : truncationJudge(policy, goal, trials);
  const stops: StopDecision[] = [];
  for (const trial of trials) {
    if (!trial.running) continue;
    const k = evaluationPoint(policy, trial.values.length);
    if (k === undefined) continue;
    const value = bestSoFar(trial.values, goal, k);
    if (value === undefined) continue;
    const reason = judge(trial, value, k);
    if (reason !== null) stops.push({ name: trial.name, interval: k, reason });
  }
  return stops;
}
