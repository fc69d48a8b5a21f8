// A sweep at a glance, on its Overview: how far it got (a bar and the counts), what it optimizes and
// how it samples and stops trials, the best trial so far, and what the server warned about.
import type { SweepView } from '../../../../protocol/sweep-spec.ts';
import { formatValue } from '../../../charts/series.ts';
import { duration, jobPage } from '../../../format.ts';
import { Link } from '../../../router.tsx';
import { Props } from '../../../ui.tsx';
import { describeDistribution, describePolicy, describeSampling, paramNames, showParam } from './trials.ts';
import './sweep.css';

const SEGMENTS = [
  ['completed', 'completed'],
  ['stopped_early', 'stopped early'],
  ['failed', 'failed'],
  ['canceled', 'canceled'],
  ['running', 'running'],
  ['queued', 'queued'],
] as const;
/** The counts in words: what is under way first. */
const COUNTS = [SEGMENTS[4], SEGMENTS[5], SEGMENTS[0], SEGMENTS[1], SEGMENTS[2], SEGMENTS[3]] as const;

/** The bar and the counts; also atop the Trials tab. */
export function SweepProgress({ view }: { view: SweepView }) {
  const p = view.progress;
  const total = Math.max(p.total, p.created, 1);
  return (
    <div className="sweep-progress" data-total={p.total} data-created={p.created} data-completed={p.completed} data-running={p.running} data-queued={p.queued} data-failed={p.failed}>
      <div className="sweep-bar" role="progressbar" aria-label="Trials ended" aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={p.completed + p.stopped_early + p.failed + p.canceled}>
        {SEGMENTS.map(([k]) => (p[k] ? <span key={k} className={`seg ${k}`} style={{ width: `${(100 * p[k]) / total}%` }} title={`${p[k]} ${k.replace('_', ' ')}`} /> : null))}
      </div>
      <p className="sweep-counts" role="status" aria-live="polite">
        <strong>
          {p.created} of {p.total} trials created
        </strong>
        {COUNTS.map(([k, label]) => (
          <span key={k} className={`count ${k}${p[k] ? ' some' : ''}`}>
            {' · '}
            {p[k]} {label}
          </span>
        ))}
      </p>
    </div>
  );
}

export function SweepSummary({ view }: { view: SweepView }) {
  const { objective, limits } = view;
  const best = view.best;
  return (
    <section className="card sweep-summary" aria-label="Sweep">
      <h2>Sweep</h2>
      <SweepProgress view={view} />
      {view.warnings.length ? (
        <ul className="sweep-warnings" aria-label="Warnings">
          {view.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      <Props
        rows={[
          ['Objective', <span>
            {objective.goal} <span className="mono">{objective.primary_metric}</span>
          </span>],
          ['Sampling', describeSampling(view.sampling_algorithm, view.seed)],
          ['Early termination', describePolicy(view.early_termination)],
          ['Max trials', String(limits.max_total_trials)],
          ['Max concurrent', String(limits.max_concurrent_trials)],
          ['Sweep timeout', limits.timeout ? duration(limits.timeout) : null],
          ['Trial timeout', limits.trial_timeout ? duration(limits.trial_timeout) : null],
        ]}
      />
      <h3>Search space</h3>
      <Props rows={paramNames(view).map((k) => [k, <span className="mono">{describeDistribution(view.search_space[k]!)}</span>])} />
      <h3>Best trial</h3>
      {best ? (
        <div className="best-trial" data-trial={best.name}>
          <p>
            <Link to={jobPage(best.name)}>{best.name}</Link>
            {' · '}
            <span className="mono">
              {objective.primary_metric} = {formatValue(best.value)}
            </span>
            <span className="muted"> (trial {best.index}, {best.status.toLowerCase()})</span>
          </p>
          <Props rows={Object.entries(best.params).map(([k, v]) => [k, <span className="mono">{showParam(v)}</span>])} />
        </div>
      ) : (
        <p className="muted">No trial has logged {objective.primary_metric} yet.</p>
      )}
    </section>
  );
}
