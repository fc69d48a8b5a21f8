import type { Job } from '../protocol/job.ts';
import type { SweepTrialView, SweepView } from '../protocol/sweep-spec.ts';
import { table } from './output.ts';

/** How many ranked trials `job show` prints of a sweep (`job list --parent` lists them all). */
const SHOWN = 20;

const paramsText = (p: SweepTrialView['params']) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v}`)
    .join(' ');

/** `job show` of a sweep: its progress, settings, best trial and the trials ranked by the objective. */
export function sweepDetail(j: Job): string {
  const s = j.sweep as SweepView;
  const p = s.progress;
  const alg = typeof s.sampling_algorithm === 'string' ? s.sampling_algorithm : JSON.stringify(s.sampling_algorithm);
  const policy = s.early_termination ? JSON.stringify(s.early_termination) : 'none';
  const facts: [string, string][] = [
    ['progress', `${p.created} of ${p.total} trials created: ${p.completed} completed, ${p.running} running, ${p.queued} queued, ${p.stopped_early} stopped early, ${p.failed} failed, ${p.canceled} canceled`],
    ['objective', `${s.objective.goal} ${s.objective.primary_metric}`],
    ['sampling', `${alg} (seed ${s.seed})`],
    ['early_termination', policy],
    ['limits', `max_total_trials ${s.limits.max_total_trials}, max_concurrent_trials ${s.limits.max_concurrent_trials}${s.limits.timeout ? `, timeout ${s.limits.timeout} s` : ''}${s.limits.trial_timeout ? `, trial_timeout ${s.limits.trial_timeout} s` : ''}`],
    ['search_space', Object.entries(s.search_space).map(([k, d]) => `${k}: ${JSON.stringify(d)}`).join('; ')],
    ['best', s.best ? `${s.best.name} (${s.objective.primary_metric} ${s.best.value}) ${paramsText(s.best.params)}` : 'none yet'],
  ];
  const w = Math.max(...facts.map(([k]) => k.length));
  let out = facts.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
  if (s.trials.length) {
    const shown = s.trials.slice(0, SHOWN);
    out += `\n\ntrials, best first by ${s.objective.primary_metric}${s.trials.length > SHOWN ? ` (${SHOWN} of ${s.trials.length}; all: cairn job list --parent ${j.name})` : ''}:\n${table(shown, [
      { header: 'Rank', get: (t) => (t.value === null ? '' : String(s.trials.indexOf(t) + 1)) },
      { header: 'Trial', get: (t) => t.name },
      { header: 'Status', get: (t) => (t.stopped_early ? 'Canceled (stopped early)' : t.status) },
      { header: s.objective.primary_metric, get: (t) => (t.value === null ? '' : String(t.value)) },
      { header: 'Intervals', get: (t) => t.intervals },
      { header: 'Params', get: (t) => paramsText(t.params) },
    ])}`;
    const stopped = shown.filter((t) => t.stopped_early);
    if (stopped.length) out += `\n\nstopped early:\n${stopped.map((t) => `  ${t.name}: ${t.status_reason ?? ''}`).join('\n')}`;
  }
  if (s.warnings.length) out += `\n\nwarnings:\n${s.warnings.map((x) => `  ${x}`).join('\n')}`;
  return out;
}
