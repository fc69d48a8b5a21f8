// /experiments/:id: its runs in a table (MLflow's filter grammar as typed, order_by by clicking a
// header, params and final metrics as chosen columns), the runs on parallel axes, and the charts of
// the runs picked, overlaid. Filter, order, columns and picked runs live in the URL.
import { useEffect, useMemo, useState } from 'react';
import { ApiError, useApi } from '../../api.ts';
import { ChartGrid } from '../../charts/chart-grid.tsx';
import { byName } from '../../charts/job-metrics.tsx';
import { colorOf } from '../../charts/series.ts';
import { setQuery, useLocation } from '../../router.tsx';
import { ErrorBox, Loading, Page } from '../../ui.tsx';
import { ColumnPicker } from './column-picker.tsx';
import { availableColumns, chosenColumns, columnsParam, orderByOf, parseOrderBy } from './columns.ts';
import { jobOf, MLFLOW, type Experiment, type Run } from './mlflow.ts';
import { ParallelCoords } from './parallel-coords.tsx';
import { RunsTable } from './runs-table.tsx';
import { useOtherRuns, useRuns } from './use-runs.ts';
import './experiments.css';

/** Charts overlay at most this many runs (the server buckets up to 50 at once); the page says when more are picked. */
const MAX_OVERLAID = 20;

export function ExperimentPage({ params }: { params: Record<string, string> }) {
  const id = params.id!;
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const order = query.get('order') ?? 'attributes.start_time DESC';
  const picked = useMemo(() => (query.get('runs') ?? '').split(',').filter(Boolean), [query.get('runs')]);
  const exp = useApi<{ experiment: Experiment }>(`${MLFLOW}/experiments/get?experiment_id=${encodeURIComponent(id)}`);
  const r = useRuns(id, filter, order);
  const others = useOtherRuns(picked, r.runs);
  const available = useMemo(() => availableColumns(r.runs ?? []), [r.runs]);
  const columns = useMemo(() => chosenColumns(query.get('cols'), available), [query.get('cols'), available]);
  const sorted = parseOrderBy(order);

  if (exp.error && !exp.data) return <Page title={`Experiment ${id}`}><ErrorBox error={exp.error} back={{ to: '/experiments', label: 'Go to experiments' }} /></Page>;
  const e = exp.data?.experiment;
  const pick = (ids: string[], on: boolean) => {
    const next = on ? [...picked, ...ids.filter((x) => !picked.includes(x))] : picked.filter((x) => !ids.includes(x));
    setQuery({ runs: next.join(',') });
  };
  const runLink = (runId: string) => {
    const q = new URLSearchParams(query);
    q.set('runs', runId);
    return `/experiments/${encodeURIComponent(id)}?${q}`;
  };
  return (
    <Page
      title={e?.name ?? `Experiment ${id}`}
      subtitle={e ? `Experiment ${e.experiment_id}${e.lifecycle_stage === 'deleted' ? ' (deleted)' : ''}${r.runs ? ` · ${runCount(r.runs.length)}${r.next ? ' and more' : ''}` : ''}` : undefined}
    >
      <FilterForm filter={filter} error={r.error} />
      <div className="runs-toolbar">
        <ColumnPicker available={available} chosen={columns} onChange={(c) => setQuery({ cols: columnsParam(c) })} />
        <span className="muted" role="status">
          {r.runs ? `${runCount(r.runs.length)} shown${r.next ? ' (more to load)' : ''} · ${picked.length} picked` : ''}
        </span>
        {picked.length ? (
          <button className="small" onClick={() => setQuery({ runs: null })}>
            Clear picked runs
          </button>
        ) : null}
      </div>
      {r.error ? null : !r.runs ? (
        <Loading what="loading runs" />
      ) : r.runs.length === 0 ? (
        <p className="muted">{filter ? 'No run matches this filter.' : 'This experiment has no runs yet.'}</p>
      ) : (
        <>
          <RunsTable
            runs={r.runs}
            columns={columns}
            order={sorted}
            onSort={(col) => setQuery({ order: orderByOf(col, !(sorted?.id === col && sorted.descending)) })}
            selected={new Set(picked)}
            onSelect={pick}
            linkOf={runLink}
          />
          {r.next ? (
            <button onClick={r.loadMore} disabled={r.loadingMore}>
              {r.loadingMore ? 'Loading…' : 'Load more runs'}
            </button>
          ) : null}
          <h2>Runs on parallel axes</h2>
          <ParallelCoords runs={r.runs} columns={columns} selected={picked} onToggle={(runId) => pick([runId], !picked.includes(runId))} />
        </>
      )}
      <PickedCharts picked={picked} runs={r.runs ?? []} others={others} />
    </Page>
  );
}

const runCount = (n: number) => `${n.toLocaleString()} run${n === 1 ? '' : 's'}`;

function FilterForm({ filter, error }: { filter: string; error: ApiError | null }) {
  const [text, setText] = useState(filter);
  useEffect(() => setText(filter), [filter]);
  return (
    <form
      className="form run-filter"
      onSubmit={(ev) => {
        ev.preventDefault();
        setQuery({ filter: text.trim() });
      }}
    >
      <label>
        Filter runs
        <span className="hint">
          MLflow's search syntax, e.g. <code>metrics.loss &lt; 0.5 and params.lr = '0.01'</code> or <code>attributes.status = 'FAILED'</code>
        </span>
        <span className="filter-row">
          <input className="mono" value={text} onChange={(ev) => setText(ev.target.value)} aria-invalid={error ? true : undefined} placeholder="metrics.loss < 0.5" />
          <button className="primary">Apply</button>
          {filter ? (
            <button type="button" onClick={() => setQuery({ filter: null })}>
              Clear
            </button>
          ) : null}
        </span>
      </label>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}

/** The charts of the picked runs, overlaid; runs the search did not bring are looked up, and a deleted one is named. */
function PickedCharts({ picked, runs, others }: { picked: string[]; runs: Run[]; others: Map<string, Run | ApiError> }) {
  const known = new Map(runs.map((r) => [r.info.run_id, r]));
  for (const [runId, v] of others) if (!(v instanceof ApiError)) known.set(runId, v);
  const overlaid = picked.slice(0, MAX_OVERLAID);
  const chartRuns = useMemo(
    () => overlaid.map((runId, i) => ({ id: runId, label: known.get(runId)?.info.run_name || runId.slice(0, 8), color: colorOf(i) })),
    [overlaid.join(','), runs, others],
  );
  const keys = useMemo(() => {
    const all = new Set<string>();
    for (const runId of overlaid) for (const m of known.get(runId)?.data.metrics ?? []) all.add(m.key);
    return [...all].sort(byName);
  }, [overlaid.join(','), runs, others]);
  const problems = picked.flatMap((runId) => {
    const v = others.get(runId);
    if (v instanceof ApiError) return [`run ${runId}: ${v.message}`];
    if (v && v.info.lifecycle_stage === 'deleted') return [`run ${v.info.run_name} (${runId}) was deleted; restore it to see it in the table`];
    if (v) return [`run ${v.info.run_name} is picked but not in the table (filtered out, or on a page not loaded)`];
    return [];
  });
  return (
    <section className="picked-charts" id="charts">
      <h2>Charts{picked.length ? ` of ${overlaid.length} picked run${overlaid.length > 1 ? 's' : ''}` : ''}</h2>
      {picked.length > MAX_OVERLAID ? <p className="exp-note">{picked.length} runs are picked; the charts overlay the first {MAX_OVERLAID}.</p> : null}
      {problems.map((p) => (
        <p key={p} className="exp-note" role="note">
          {p}
        </p>
      ))}
      {picked.length === 0 ? (
        <p className="muted">Pick runs in the table (or click their lines above) to chart their metrics, overlaid.</p>
      ) : (
        <>
          <ul className="chart-legend" aria-label="Runs in the charts">
            {chartRuns.map((c) => (
              <li key={c.id}>
                <span className="swatch" style={{ background: c.color }} />
                {c.label}
                {known.get(c.id) && jobOf(known.get(c.id)!) ? <span className="muted"> · job {jobOf(known.get(c.id)!)}</span> : null}
              </li>
            ))}
          </ul>
          <ChartGrid runs={chartRuns} keys={keys} />
        </>
      )}
    </section>
  );
}
