// Loading an experiment's runs for the page: the search (filter and order as typed, so MLflow's
// own error comes back for a bad one), further pages on demand, and the selected runs the search
// did not bring (filtered out, or deleted meanwhile) fetched one by one so the page can say which.
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../api.ts';
import { MLFLOW, searchRuns, type Run } from './mlflow.ts';

export interface RunsState {
  runs: Run[] | null;
  next?: string;
  error: ApiError | null;
  loadingMore: boolean;
  loadMore: () => void;
}

export function useRuns(experimentId: string, filter: string, orderBy: string | null): RunsState {
  const [page, setPage] = useState<{ runs: Run[]; next?: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => {
    let stop = false;
    setPage(null);
    setError(null);
    searchRuns({ experimentId, filter, orderBy }).then(
      (r) => !stop && setPage({ runs: r.runs ?? [], next: r.next_page_token }),
      (e: ApiError) => !stop && setError(e),
    );
    return () => {
      stop = true;
    };
  }, [experimentId, filter, orderBy]);
  const loadMore = () => {
    if (!page?.next || loadingMore) return;
    setLoadingMore(true);
    searchRuns({ experimentId, filter, orderBy, pageToken: page.next })
      .then(
        (r) => setPage({ runs: [...page.runs, ...(r.runs ?? [])], next: r.next_page_token }),
        (e: ApiError) => setError(e),
      )
      .finally(() => setLoadingMore(false));
  };
  return { runs: page?.runs ?? null, next: page?.next, error, loadingMore, loadMore };
}

/** Selected runs that are not among `loaded`: each fetched by id; one that is gone comes back as its error. */
export function useOtherRuns(selected: string[], loaded: Run[] | null): Map<string, Run | ApiError> {
  const missing = useMemo(() => (loaded ? selected.filter((id) => !loaded.some((r) => r.info.run_id === id)) : []), [selected.join(','), loaded]);
  const [found, setFound] = useState(new Map<string, Run | ApiError>());
  useEffect(() => {
    let stop = false;
    const todo = missing.filter((id) => !found.has(id));
    if (!todo.length) return;
    Promise.all(
      todo.map((id) =>
        api<{ run: Run }>('GET', `${MLFLOW}/runs/get?run_id=${encodeURIComponent(id)}`).then(
          (r) => [id, r.run] as const,
          (e: ApiError) => [id, e] as const,
        ),
      ),
    ).then((pairs) => !stop && setFound((f) => new Map([...f, ...pairs])));
    return () => {
      stop = true;
    };
  }, [missing.join(',')]);
  return useMemo(() => new Map(missing.filter((id) => found.has(id)).map((id) => [id, found.get(id)!])), [missing, found]);
}
