// Which params and metrics are columns (and parallel-coordinate axes): a searchable list of
// checkboxes. A long list shows the first matches and says how many more there are.
import { useState } from 'react';
import { searchKeys } from '../../charts/series.ts';
import { columnId, type Column, type ColumnKind } from './columns.ts';

const SHOWN = 200;

export function ColumnPicker({ available, chosen, onChange }: { available: { params: string[]; metrics: string[] }; chosen: Column[]; onChange: (c: Column[]) => void }) {
  const [search, setSearch] = useState('');
  const on = new Set(chosen.map(columnId));
  const toggle = (c: Column, yes: boolean) => onChange(yes ? [...chosen, c] : chosen.filter((x) => columnId(x) !== columnId(c)));
  const group = (kind: ColumnKind, title: string, keys: string[]) => {
    const matching = searchKeys(keys, search);
    return (
      <fieldset>
        <legend>
          {title} <span className="muted">({keys.length})</span>
        </legend>
        {matching.length === 0 ? <p className="muted">none{search ? ' matching' : ''}</p> : null}
        {matching.slice(0, SHOWN).map((key) => {
          const c = { kind, key };
          return (
            <label key={key} className="check">
              <input type="checkbox" checked={on.has(columnId(c))} onChange={(e) => toggle(c, e.target.checked)} />
              <span className="mono">{key}</span>
            </label>
          );
        })}
        {matching.length > SHOWN ? <p className="muted">{matching.length - SHOWN} more: narrow the search to see them.</p> : null}
      </fieldset>
    );
  };
  return (
    <details className="column-picker">
      <summary>Columns ({chosen.length})</summary>
      <div className="picker-body">
        <label>
          Find a param or metric
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <div className="picker-groups">
          {group('params', 'Params', available.params)}
          {group('metrics', 'Metrics (final value)', available.metrics)}
        </div>
        <button className="small" onClick={() => onChange([])} disabled={!chosen.length}>
          Clear all
        </button>
      </div>
    </details>
  );
}
