// A sweep's Trials tab: the progress, the trials table (sorted and filtered as the URL says), the
// primary metric of the trials shown, and the trials on parallel axes. The job page reads the
// sweep again every two seconds until it ends, and all of this follows.
import { useMemo } from 'react';
import type { SweepView } from '../../../../protocol/sweep-spec.ts';
import { useLocation } from '../../../router.tsx';
import { SweepProgress } from './sweep-summary.tsx';
import { TrialChart } from './trial-chart.tsx';
import { TrialParallel } from './trial-parallel.tsx';
import { TrialFilters, TrialsTable } from './trials-table.tsx';
import { filterTrials, paramNames, parseSort, rankedRows, sortTrials } from './trials.ts';
import './sweep.css';

export function SweepTrials({ sweep, view }: { sweep: string; view: SweepView }) {
  const { query } = useLocation();
  const status = query.get('trial_status') ?? '';
  const text = query.get('trial_q') ?? '';
  const sort = parseSort(query.get('sort'), query.get('dir'), paramNames(view));
  const all = useMemo(() => rankedRows(view), [view]);
  const shown = useMemo(() => filterTrials(all, status, text), [all, status, text]);
  const sorted = useMemo(() => sortTrials(shown, sort), [shown, sort.key, sort.desc]);
  return (
    <>
      <section className="card">
        <SweepProgress view={view} />
      </section>
      <section className="card">
        <h2>Trials</h2>
        <TrialFilters status={status} text={text} shown={shown.length} total={all.length} />
        {all.length ? <TrialsTable view={view} rows={sorted} sort={sort} /> : <p className="muted">No trial has been created yet.</p>}
      </section>
      <section className="card">
        <h2>
          <span className="mono">{view.objective.primary_metric}</span> of the trials
        </h2>
        <TrialChart sweep={sweep} view={view} rows={shown} />
      </section>
      <section className="card">
        <h2>Trials on parallel axes</h2>
        <TrialParallel view={view} rows={shown} />
      </section>
    </>
  );
}
