import { useEffect, useState } from 'react';
import { api, ApiError, WS } from '../../api.ts';
import { JOBS_NEXT_CURSOR_HEADER, JOBS_OFFSET_HEADER, JOBS_PREV_CURSOR_HEADER, JOBS_TOTAL_COUNT_HEADER, type Job } from '../../../protocol/job.ts';

export interface JobsPage {
  jobs: Job[];
  /** Cursors of the older and the newer page (null at either end). */
  next: string | null;
  prev: string | null;
  total: number | null;
  /** How many matching jobs come before this page. */
  offset: number | null;
}

/** The query of GET /jobs for the list's filters (as kept in the URL). */
export interface JobQuery {
  status: string;
  experiment: string;
  compute: string;
  tags: string;
  search: string;
  size: number;
  after: string;
  before: string;
}

export function jobsUrl(q: JobQuery): string {
  const p = new URLSearchParams({ max_results: String(q.size), count: 'true' });
  const add = (k: string, v: string) => v && p.set(k, v);
  add('status', q.status);
  add('experiment_name', q.experiment);
  add('compute', q.compute);
  add('tags', q.tags);
  add('search', q.search);
  add('after', q.after);
  add('before', q.before);
  return `${WS}/jobs?${p}`;
}

/**
 * One page of jobs, read again every `refreshMs` so statuses and new jobs show up live. The page
 * is held by cursors, so it does not shift under the reader while jobs are submitted; a failed
 * refresh keeps the last page beside its error.
 */
export function useJobsPage(url: string, refreshMs: number): { page: JobsPage | null; error: ApiError | null; stale: boolean } {
  const [state, setState] = useState<{ url: string; page: JobsPage | null; error: ApiError | null }>({ url, page: null, error: null });
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      let headers: Headers | null = null;
      try {
        const jobs = await api<Job[]>('GET', url, undefined, (h) => (headers = h));
        const h = headers as Headers | null;
        const num = (name: string) => (h?.get(name) ? Number(h.get(name)) : null);
        const page = { jobs, next: h?.get(JOBS_NEXT_CURSOR_HEADER) ?? null, prev: h?.get(JOBS_PREV_CURSOR_HEADER) ?? null, total: num(JOBS_TOTAL_COUNT_HEADER), offset: num(JOBS_OFFSET_HEADER) };
        if (!stop) setState({ url, page, error: null });
      } catch (err) {
        if (!stop) setState((s) => ({ url, page: s.url === url ? s.page : null, error: err as ApiError }));
      }
      if (!stop) timer = setTimeout(load, refreshMs);
    };
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [url, refreshMs]);
  // While another page or filter loads, the last page stays (marked stale) instead of a blank.
  return { page: state.page, error: state.error, stale: state.url !== url };
}
