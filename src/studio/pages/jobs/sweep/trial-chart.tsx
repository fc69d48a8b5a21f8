// The primary metric of a sweep's trials over steps, one line per trial, overlaid in one chart. A
// trial's MLflow run is its job's id, read once from the sweep's trial list (again when trials are
// added); the chart asks again whenever a trial logs another value of the metric.
import { useEffect, useMemo } from 'react';
import { useApi, WS } from '../../../api.ts';
import { MetricChart, type ChartView } from '../../../charts/metric-chart.tsx';
import { AXES, colorOf, formatValue, isAxis } from '../../../charts/series.ts';
import { setQuery, useLocation } from '../../../router.tsx';
import { ErrorBox, Loading } from '../../../ui.tsx';
import type { Job } from '../../../../protocol/job.ts';
import type { SweepView } from '../../../../protocol/sweep-spec.ts';
import type { TrialRow } from './trials.ts';
import '../../../charts/charts.css';

/** The server buckets at most 50 runs at once; beyond 20 lines a chart says little anyway. */
const MAX_CHARTED = 20;

export function TrialChart({ sweep, view, rows }: { sweep: string; view: SweepView; rows: TrialRow[] }) {
  const { query } = useLocation();
  const x = query.get('x');
  const axis = isAxis(x) && x !== 'time' ? x : 'step';
  const list = useApi<Job[]>(`${WS}/jobs?parent=${encodeURIComponent(sweep)}&all=true`);
  const created = view.progress.created;
  const { reload } = list;
  const have = list.data?.length;
  useEffect(() => {
    if (have !== undefined && have < created) reload();
  }, [created]);
  const ids = useMemo(() => new Map((list.data ?? []).map((j) => [j.name, j.id])), [list.data]);
  const charted = rows.filter((t) => ids.has(t.name)).slice(0, MAX_CHARTED);
  const runs = useMemo(() => charted.map((t, i) => ({ id: ids.get(t.name)!, label: t.name, color: colorOf(i) })), [charted.map((t) => t.name).join(','), ids]);
  const chartView: ChartView = useMemo(() => ({ axis, smoothing: 0, log: false }), [axis]);
  const metric = view.objective.primary_metric;
  const stamp = charted.map((t) => `${t.intervals}:${t.status}`).join(',');

  if (!list.data) return list.error ? <ErrorBox error={list.error} /> : <Loading what="finding the trials' runs" />;
  return (
    <section className="trial-chart" aria-label={`${metric} of the trials`}>
      <div className="chart-toolbar" role="group" aria-label="Chart options">
        <label>
          X axis
          <select value={axis} onChange={(e) => setQuery({ x: e.target.value === 'step' ? null : e.target.value })}>
            {AXES.filter((a) => a.id !== 'time').map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          {rows.length > MAX_CHARTED ? `The best ${MAX_CHARTED} of ${rows.length} trials shown in the table.` : `Every trial shown in the table.`}
        </span>
      </div>
      {runs.length ? (
        <>
          <ul className="chart-legend" aria-label="Trials in the chart">
            {charted.map((t, i) => (
              <li key={t.name} data-trial={t.name}>
                <span className="swatch" style={{ background: colorOf(i) }} />
                <span className="mono">{t.name}</span>
                <span className="muted"> {formatValue(t.value)}</span>
              </li>
            ))}
          </ul>
          <MetricChart key={`${axis}\n${runs.map((r) => r.id).join(',')}`} metric={metric} runs={runs} view={chartView} stamp={stamp} />
        </>
      ) : (
        <p className="muted">{rows.length ? 'The trials have not started yet.' : 'No trial to chart.'}</p>
      )}
    </section>
  );
}
