// Every metric of some runs as a grid of charts: searchable by name and paged, so a run with
// thousands of metrics draws only one page of charts. The view (search, page, x axis, smoothing,
// log scale) lives in the URL, so a reload or a shared link shows the same charts.
import { useEffect, useMemo, useState } from 'react';
import { setQuery, useLocation } from '../router.tsx';
import { MetricChart, type ChartView } from './metric-chart.tsx';
import type { ChartRun } from './plot-options.ts';
import { AXES, isAxis, pageOf, searchKeys, type Axis } from './series.ts';
import './charts.css';

const CHARTS_PER_PAGE = 12;

/** `stamps`: per metric, something that changes when it gets new points (its latest step and time). */
export function ChartGrid({ runs, keys, stamps }: { runs: ChartRun[]; keys: string[]; stamps?: Record<string, string> }) {
  const { query } = useLocation();
  const search = query.get('metric') ?? '';
  const x = query.get('x');
  const axis: Axis = isAxis(x) ? x : 'step';
  const smoothing = Math.min(0.99, Math.max(0, Number(query.get('smoothing')) || 0));
  const log = query.get('log') === '1';
  const view: ChartView = useMemo(() => ({ axis, smoothing, log }), [axis, smoothing, log]);
  const matching = useMemo(() => searchKeys(keys, search), [keys, search]);
  const { items, page, pages } = pageOf(matching, Number(query.get('metrics_page')) || 1, CHARTS_PER_PAGE);
  const runIds = runs.map((r) => r.id).join(',');
  const first = (page - 1) * CHARTS_PER_PAGE;

  return (
    <div className="chart-grid">
      <div className="chart-toolbar" role="group" aria-label="Chart options">
        <SearchBox value={search} />
        <label>
          X axis
          <select value={axis} onChange={(e) => setQuery({ x: e.target.value === 'step' ? null : e.target.value })}>
            {AXES.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        <label className="smoothing">
          Smoothing <span className="mono">{smoothing.toFixed(2)}</span>
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setQuery({ smoothing: e.target.value === '0' ? null : e.target.value })} />
        </label>
        <label className="check">
          <input type="checkbox" checked={log} onChange={(e) => setQuery({ log: e.target.checked ? '1' : null })} />
          Log scale
        </label>
      </div>
      <Pager total={keys.length} matching={matching.length} first={first} shown={items.length} page={page} pages={pages} />
      {items.length === 0 ? (
        <p className="muted">{keys.length === 0 ? 'No metrics logged yet.' : `No metric name contains "${search}".`}</p>
      ) : (
        <div className="chart-cards">
          {items.map((k) => (
            <MetricChart key={`${k}\n${axis}\n${runIds}`} metric={k} runs={runs} view={view} stamp={stamps?.[k]} />
          ))}
        </div>
      )}
      {pages > 1 ? <Pager total={keys.length} matching={matching.length} first={first} shown={items.length} page={page} pages={pages} /> : null}
    </div>
  );
}

/** Typing filters at once; the URL follows a moment later, not on every key. */
function SearchBox({ value }: { value: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const t = setTimeout(() => setQuery({ metric: text, metrics_page: null }), 150);
    return () => clearTimeout(t);
  }, [text]);
  return (
    <label className="search">
      Search metrics
      <input type="search" value={text} placeholder="name contains…" onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && setQuery({ metric: text, metrics_page: null })} />
    </label>
  );
}

function Pager({ total, matching, first, shown, page, pages }: { total: number; matching: number; first: number; shown: number; page: number; pages: number }) {
  const go = (p: number) => setQuery({ metrics_page: p <= 1 ? null : String(p) });
  return (
    <nav className="chart-pager" aria-label="Chart pages">
      <span className="muted" role="status">
        {shown ? `Metrics ${(first + 1).toLocaleString()}–${(first + shown).toLocaleString()} of ${matching.toLocaleString()}` : '0 metrics'}
        {matching !== total ? ` matching (${total.toLocaleString()} in all)` : ''}
      </span>
      {pages > 1 ? (
        <span className="actions">
          <button className="small" disabled={page <= 1} onClick={() => go(page - 1)}>
            Previous
          </button>
          <label className="page-number">
            Page
            <input type="number" min={1} max={pages} value={page} onChange={(e) => go(Number(e.target.value))} />
            of {pages.toLocaleString()}
          </label>
          <button className="small" disabled={page >= pages} onClick={() => go(page + 1)}>
            Next
          </button>
        </span>
      ) : null}
    </nav>
  );
}
