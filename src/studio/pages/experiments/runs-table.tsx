// The runs of an experiment side by side: fixed facts, then the params and final metrics the user
// chose. A header sorts on the server (MLflow's order_by); a checkbox picks runs to compare.
import type { ReactNode } from 'react';
import { formatValue } from '../../charts/series.ts';
import { duration, jobPage } from '../../format.ts';
import { Link } from '../../router.tsx';
import { Status, Time } from '../../ui.tsx';
import { columnId, valueOf, type Column } from './columns.ts';
import { jobOf, type Run } from './mlflow.ts';

const STATUS: Record<Run['info']['status'], string> = { RUNNING: 'Running', SCHEDULED: 'Queued', FINISHED: 'Completed', FAILED: 'Failed', KILLED: 'Canceled' };

export function RunsTable(o: {
  runs: Run[];
  columns: Column[];
  order: { id: string; descending: boolean } | null;
  onSort: (id: string) => void;
  selected: Set<string>;
  onSelect: (ids: string[], on: boolean) => void;
  linkOf: (runId: string) => string;
}) {
  const all = o.runs.length > 0 && o.runs.every((r) => o.selected.has(r.info.run_id));
  const head = (id: string, label: ReactNode, title?: string) => {
    const sorted = o.order?.id === id ? o.order : null;
    return (
      <th key={id} aria-sort={sorted ? (sorted.descending ? 'descending' : 'ascending') : 'none'} title={title}>
        <button className="sort" onClick={() => o.onSort(id)}>
          {label}
          <span aria-hidden="true">{sorted ? (sorted.descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <div className="table-wrap runs-table">
      <table className="grid" data-rows={o.runs.length}>
        <thead>
          <tr>
            <th>
              <input type="checkbox" aria-label="Select every run shown" checked={all} onChange={(e) => o.onSelect(o.runs.map((r) => r.info.run_id), e.target.checked)} />
            </th>
            {head('run_name', 'Run')}
            {head('status', 'Status')}
            {head('start_time', 'Started')}
            <th>Duration</th>
            <th>Job</th>
            {o.columns.map((c) => head(columnId(c), <span className="mono">{c.key}</span>, `${c.kind === 'params' ? 'param' : 'metric (final value)'} ${c.key}`))}
          </tr>
        </thead>
        <tbody>
          {o.runs.map((r) => {
            const id = r.info.run_id;
            const job = jobOf(r);
            const end = r.info.end_time ?? (r.info.status === 'RUNNING' ? Date.now() : undefined);
            return (
              <tr key={id} className={o.selected.has(id) ? 'selected' : ''}>
                <td>
                  <input type="checkbox" aria-label={`Select run ${r.info.run_name}`} checked={o.selected.has(id)} onChange={(e) => o.onSelect([id], e.target.checked)} />
                </td>
                <td>
                  <Link to={o.linkOf(id)} title={`run ${id}: show its charts`}>
                    {r.info.run_name || id}
                  </Link>
                </td>
                <td>
                  <Status value={STATUS[r.info.status] ?? r.info.status} />
                </td>
                <td>
                  <Time at={new Date(r.info.start_time).toISOString()} />
                </td>
                <td>{end !== undefined ? duration((end - r.info.start_time) / 1000) : '-'}</td>
                <td>{job ? <Link to={jobPage(job)}>{job}</Link> : <span className="muted">-</span>}</td>
                {o.columns.map((c) => {
                  const v = valueOf(r, c);
                  return (
                    <td key={columnId(c)} className={typeof v === 'number' ? 'num' : ''}>
                      {v === undefined ? <span className="muted">-</span> : typeof v === 'number' ? formatValue(v) : v}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
