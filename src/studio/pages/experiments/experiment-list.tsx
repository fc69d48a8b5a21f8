// /experiments: every experiment (MLflow's experiments/search), newest activity first, searchable
// by name; the search and whether deleted ones show live in the URL.
import { useEffect, useState } from 'react';
import { ApiError } from '../../api.ts';
import { Link, setQuery, useLocation } from '../../router.tsx';
import { ErrorBox, Loading, Page, Time } from '../../ui.tsx';
import { quote, searchExperiments, type Experiment } from './mlflow.ts';
import './experiments.css';

export function ExperimentList() {
  const { query } = useLocation();
  const name = query.get('name') ?? '';
  const all = query.get('deleted') === '1';
  const [text, setText] = useState(name);
  const [list, setList] = useState<{ experiments: Experiment[]; next?: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [more, setMore] = useState(false);

  const load = async (pageToken?: string) => {
    const filter = name ? `name ILIKE ${quote(`%${name}%`)}` : '';
    const r = await searchExperiments({ filter, viewType: all ? 'ALL' : 'ACTIVE_ONLY', pageToken });
    return { experiments: r.experiments ?? [], next: r.next_page_token };
  };
  useEffect(() => {
    let stop = false;
    setList(null);
    load().then(
      (r) => !stop && (setList(r), setError(null)),
      (e: ApiError) => !stop && setError(e),
    );
    return () => {
      stop = true;
    };
  }, [name, all]);

  return (
    <Page title="Experiments" subtitle="Every job is a run of the experiment its experiment_name names; scripts and notebooks can log runs through the MLflow API too.">
      <form
        className="exp-search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ name: text.trim() });
        }}
      >
        <label>
          Name contains
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. mnist" />
        </label>
        <button className="primary">Search</button>
        <label className="check">
          <input type="checkbox" checked={all} onChange={(e) => setQuery({ deleted: e.target.checked ? '1' : null })} />
          Show deleted
        </label>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {!list ? (
        error ? null : <Loading what="loading experiments" />
      ) : list.experiments.length === 0 ? (
        <p className="muted">{name ? `No experiment's name contains "${name}".` : 'No experiments yet: submit a job (its experiment_name, or "Default") or log a run with MLflow.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>ID</th>
                <th>Last activity</th>
                <th>Created</th>
                {all ? <th>State</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.experiments.map((x) => (
                <tr key={x.experiment_id}>
                  <td>
                    <Link to={`/experiments/${encodeURIComponent(x.experiment_id)}`}>{x.name}</Link>
                  </td>
                  <td className="mono">{x.experiment_id}</td>
                  <td>
                    <Time at={new Date(x.last_update_time).toISOString()} />
                  </td>
                  <td>
                    <Time at={new Date(x.creation_time).toISOString()} />
                  </td>
                  {all ? <td>{x.lifecycle_stage}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list?.next ? (
        <p>
          <button
            disabled={more}
            onClick={async () => {
              setMore(true);
              try {
                const r = await load(list.next);
                setList({ experiments: [...list.experiments, ...r.experiments], next: r.next });
              } catch (e) {
                setError(e as ApiError);
              } finally {
                setMore(false);
              }
            }}
          >
            {more ? 'Loading…' : 'Load more experiments'}
          </button>
        </p>
      ) : null}
    </Page>
  );
}
