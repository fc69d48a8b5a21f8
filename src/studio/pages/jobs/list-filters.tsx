// The list's filters. Each lives in the URL (so a filtered list is a link and survives a reload);
// text fields write to it when the typing pauses, not on every key.
import { useEffect, useId, useState } from 'react';
import { useApi } from '../../api.ts';
import { setQuery } from '../../router.tsx';
import type { JobQuery } from './use-jobs-page.ts';

const STATUS_CHOICES: { value: string; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'Queued,Provisioning,Preparing,Running,Finalizing,CancelRequested,NotResponding,Preempted', label: 'Not finished' },
  { value: 'Queued,Provisioning', label: 'Waiting (Queued, Provisioning)' },
  ...['Queued', 'Provisioning', 'Preparing', 'Running', 'Finalizing', 'CancelRequested', 'NotResponding', 'Preempted', 'Completed', 'Failed', 'Canceled'].map((s) => ({ value: s, label: s })),
];

/** Changing a filter starts the list again from its newest page. */
const setFilter = (changes: Record<string, string>) => setQuery({ ...changes, after: null, before: null });

export function JobFilters({ q }: { q: JobQuery }) {
  const experiments = useApi<{ experiments?: { name: string }[] }>('/api/2.0/mlflow/experiments/search?max_results=1000');
  const computes = useApi<{ name: string }[]>('/api/v1/workspaces/default/computes');
  const ids = useId();
  const known = STATUS_CHOICES.some((c) => c.value === q.status);
  const any = q.status || q.experiment || q.compute || q.tags || q.search;
  return (
    <form className="job-filters" role="search" aria-label="filter jobs" onSubmit={(e) => e.preventDefault()}>
      <TextFilter label="Search" param="q" value={q.search} placeholder="name or display name" type="search" />
      <label>
        Status
        <select value={q.status} onChange={(e) => setFilter({ status: e.target.value })}>
          {known ? null : <option value={q.status}>{q.status}</option>}
          {STATUS_CHOICES.map((c) => (
            <option key={c.label} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <TextFilter label="Experiment" param="experiment" value={q.experiment} placeholder="any" list={`${ids}-exp`} />
      <datalist id={`${ids}-exp`}>{experiments.data?.experiments?.map((x) => <option key={x.name} value={x.name} />)}</datalist>
      <TextFilter label="Compute" param="compute" value={q.compute} placeholder="any" list={`${ids}-compute`} />
      <datalist id={`${ids}-compute`}>{computes.data?.map((c) => <option key={c.name} value={c.name} />)}</datalist>
      <TextFilter label="Tags" param="tags" value={q.tags} placeholder="team=vision, baseline" hint="key=value or key, comma-separated" />
      <div className="filter-end">
        <button type="button" className="small" disabled={!any} onClick={() => setFilter({ q: '', status: '', experiment: '', compute: '', tags: '' })}>
          Clear filters
        </button>
      </div>
    </form>
  );
}

/** A text filter: typed freely, written to the URL 400 ms after the last key (or at once on Enter or leaving it). */
function TextFilter({ label, param, value, placeholder, type = 'text', list, hint }: { label: string; param: string; value: string; placeholder?: string; type?: string; list?: string; hint?: string }) {
  const [text, setText] = useState(value);
  // The URL changed from elsewhere (Clear, back): show what it says.
  useEffect(() => setText((t) => (t.trim() === value ? t : value)), [value]);
  useEffect(() => {
    if (text.trim() === value) return;
    const t = setTimeout(() => setFilter({ [param]: text.trim() }), 400);
    return () => clearTimeout(t);
  }, [text, value, param]);
  const commit = () => text.trim() !== value && setFilter({ [param]: text.trim() });
  return (
    <label>
      {label}
      <input
        type={type}
        value={text}
        placeholder={placeholder}
        list={list}
        title={hint}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </label>
  );
}
