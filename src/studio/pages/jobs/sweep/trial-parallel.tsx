// A sweep's trials on parallel axes (the experiments page's view): one axis per search-space param,
// then the objective; one line per trial that logged it, coloured by how good its value is. A line
// clicked opens its trial.
import { useMemo } from 'react';
import type { SweepView } from '../../../../protocol/sweep-spec.ts';
import { formatValue } from '../../../charts/series.ts';
import { jobPage } from '../../../format.ts';
import { navigate } from '../../../router.tsx';
import type { Column } from '../../experiments/columns.ts';
import type { Run } from '../../experiments/mlflow.ts';
import { ParallelCoords } from '../../experiments/parallel-coords.tsx';
import { paramNames, valueColor, valueScale, type TrialRow } from './trials.ts';
import '../../experiments/experiments.css';

export function TrialParallel({ view, rows }: { view: SweepView; rows: TrialRow[] }) {
  const metric = view.objective.primary_metric;
  const columns: Column[] = useMemo(() => [...paramNames(view).map((key) => ({ kind: 'params' as const, key })), { kind: 'metrics' as const, key: metric }], [paramNames(view).join(','), metric]);
  const valued = rows.filter((t) => t.value !== null && Number.isFinite(t.value));
  const key = valued.map((t) => `${t.name}=${t.value}`).join(',');
  // Worst first, so the best lines are drawn on top; a trial as the run the view expects.
  const runs: Run[] = useMemo(
    () =>
      [...valued].reverse().map((t) => ({
        info: { run_id: t.name, run_name: `${t.name}: ${metric} ${formatValue(t.value)}`, experiment_id: '', user_id: '', status: 'FINISHED', start_time: 0, lifecycle_stage: 'active' },
        data: { params: Object.entries(t.params).map(([k, v]) => ({ key: k, value: String(v) })), metrics: [{ key: metric, value: t.value!, step: 0, timestamp: 0 }] },
      })),
    [key, metric],
  );
  // The scale spans every trial, so a line keeps its colour whatever the filter leaves.
  const place = useMemo(() => valueScale(view.trials, view.objective.goal), [view.trials, view.objective.goal]);
  const colors = useMemo(() => new Map(valued.map((t) => [t.name, valueColor(place(t) ?? 0)])), [key, place]);
  if (!valued.length) return <p className="muted">No trial has logged {metric} yet: its line shows once it does.</p>;
  return (
    <div className="trial-parallel">
      <p className="value-legend muted">
        Coloured by {metric}: <span className="mono">{view.objective.goal === 'maximize' ? 'lowest' : 'highest'}</span>
        <span className="value-ramp" aria-hidden="true" />
        <span className="mono">{view.objective.goal === 'maximize' ? 'highest' : 'lowest'}</span> (best). Click a line to open its trial.
      </p>
      <ParallelCoords runs={runs} columns={columns} selected={[]} onToggle={(name) => navigate(jobPage(name))} stroke={(name) => colors.get(name)} />
    </div>
  );
}
