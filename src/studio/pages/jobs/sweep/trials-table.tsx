// A sweep's trials side by side: ranked best first, sorted by any column with a click on its header,
// narrowed by status and by text (name or param=value). Sort and filters live in the URL.
import { useEffect, useState, type ReactNode } from 'react';
import type { SweepView } from '../../../../protocol/sweep-spec.ts';
import { formatValue } from '../../../charts/series.ts';
import { duration, jobPage } from '../../../format.ts';
import { Link, setQuery } from '../../../router.tsx';
import { Status } from '../../../ui.tsx';
import { paramNames, showParam, STATUS_FILTERS, type TrialRow, type TrialSort } from './trials.ts';

export function TrialFilters({ status, text, shown, total }: { status: string; text: string; shown: number; total: number }) {
  return (
    <form className="trial-filters" role="search" aria-label="filter trials" onSubmit={(e) => e.preventDefault()}>
      <label className="inline">
        Status
        <select value={status} onChange={(e) => setQuery({ trial_status: e.target.value })}>
          {STATUS_FILTERS.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <TextFilter value={text} />
      <span className="muted" role="status">
        {shown === total ? `${total} trial${total === 1 ? '' : 's'}` : `${shown} of ${total} trials`}
      </span>
    </form>
  );
}

/** Typed freely; the URL follows when the typing pauses. */
function TextFilter({ value }: { value: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText((t) => (t.trim() === value ? t : value)), [value]);
  useEffect(() => {
    if (text.trim() === value) return;
    const t = setTimeout(() => setQuery({ trial_q: text.trim() }), 200);
    return () => clearTimeout(t);
  }, [text, value]);
  return (
    <label className="inline grow">
      Find
      <input type="search" value={text} placeholder="name or param=value, e.g. layers=2" onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && setQuery({ trial_q: text.trim() })} />
    </label>
  );
}

export function TrialsTable({ view, rows, sort }: { view: SweepView; rows: TrialRow[]; sort: TrialSort }) {
  const metric = view.objective.primary_metric;
  const head = (key: string, label: ReactNode, title?: string) => {
    const on = sort.key === key ? sort : null;
    return (
      <th key={key} scope="col" aria-sort={on ? (on.desc ? 'descending' : 'ascending') : 'none'} title={title} data-sort={key}>
        <button className="sort" onClick={() => setQuery({ sort: key === 'rank' ? null : key, dir: on && !on.desc ? 'desc' : null })}>
          {label}
          <span aria-hidden="true">{on ? (on.desc ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <div className="table-wrap trials-table">
      <table className="grid" data-rows={rows.length}>
        <thead>
          <tr>
            {head('rank', 'Rank', `by ${metric}, ${view.objective.goal === 'maximize' ? 'highest' : 'lowest'} first`)}
            {head('index', 'Trial')}
            {head('status', 'Status')}
            {paramNames(view).map((k) => head(`param.${k}`, <span className="mono">{k}</span>, `search space param ${k}`))}
            {head('value', <span className="mono">{metric}</span>, `the last ${metric} the trial logged`)}
            {head('duration', 'Duration')}
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.name} data-trial={t.name} data-index={t.index}>
              <td className="num">{t.value === null ? <span className="muted">-</span> : t.rank}</td>
              <td className="mono">
                <Link to={jobPage(t.name)}>{t.name}</Link>
              </td>
              <td title={t.status_reason ?? undefined}>
                {t.stopped_early ? <span className="status warn">Stopped early</span> : <Status value={t.status} />}
                {t.stopped_early && t.status_reason ? <div className="stop-reason">{t.status_reason}</div> : null}
                {!t.stopped_early && t.status_reason && t.status === 'Failed' ? <div className="stop-reason">{t.status_reason}</div> : null}
              </td>
              {paramNames(view).map((k) => (
                <td key={k} className={typeof t.params[k] === 'number' ? 'num mono' : 'mono'} data-param={k}>
                  {showParam(t.params[k])}
                </td>
              ))}
              <td className="num mono" data-value={t.value ?? ''}>
                {t.value === null ? <span className="muted">-</span> : formatValue(t.value)}
                {t.intervals > 1 ? <span className="muted"> ({t.intervals}×)</span> : null}
              </td>
              <td>{duration(t.duration_seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
