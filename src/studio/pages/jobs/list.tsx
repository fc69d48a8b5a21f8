// /jobs: every job of the workspace, newest first, filtered and paged by the server, refreshed live.
import { useEffect } from 'react';
import { ErrorBox, Loading, Page, Status, Time } from '../../ui.tsx';
import { Link, setQuery, useLocation } from '../../router.tsx';
import { JobFilters } from './list-filters.tsx';
import { jobsUrl, useJobsPage, type JobQuery, type JobsPage } from './use-jobs-page.ts';
import { count, duration, jobPage } from '../../format.ts';
import './jobs.css';
import './sweep/sweep.css';

const PAGE_SIZES = [10, 25, 50, 100, 200];
const REFRESH_MS = 4_000;

function queryOf(u: URLSearchParams): JobQuery {
  const size = Number(u.get('size'));
  return {
    status: u.get('status') ?? '',
    experiment: u.get('experiment') ?? '',
    compute: u.get('compute') ?? '',
    tags: u.get('tags') ?? '',
    search: u.get('q') ?? '',
    size: PAGE_SIZES.includes(size) ? size : 50,
    after: u.get('after') ?? '',
    before: u.get('before') ?? '',
  };
}

export function JobList() {
  const { query } = useLocation();
  const q = queryOf(query);
  const { page, error, stale } = useJobsPage(jobsUrl(q), REFRESH_MS);
  const filtered = Boolean(q.status || q.experiment || q.compute || q.tags || q.search);
  // Back at the newest page by way of `before`: drop the cursor, so jobs submitted now show up.
  const atNewest = page && !stale && q.before && page.prev === null;
  useEffect(() => {
    if (atNewest) setQuery({ before: null });
  }, [atNewest]);
  return (
    <Page title="Jobs" subtitle="Every job of this workspace, newest first. The list keeps itself up to date.">
      <JobFilters q={q} />
      {error ? <ErrorBox error={error} /> : null}
      {page ? (
        <>
          <Pager page={page} q={q} stale={stale} />
          {page.jobs.length ? (
            <JobTable page={page} />
          ) : (
            <p className="card muted" role="status">
              {filtered ? 'No job matches these filters.' : 'No jobs yet. Submit one with `cairn job create -f job.yml` or `cairn run -- python train.py`.'}
            </p>
          )}
        </>
      ) : error ? null : (
        <Loading what="loading jobs" />
      )}
    </Page>
  );
}

function JobTable({ page }: { page: JobsPage }) {
  return (
    <div className="table-wrap">
      <table className="grid job-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Display name</th>
            <th scope="col">Status</th>
            <th scope="col">Experiment</th>
            <th scope="col">Compute</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {page.jobs.map((j) => (
            <tr key={j.id} data-job={j.name}>
              <td className="mono">
                <Link to={jobPage(j.name)}>{j.name}</Link>
                {j.type === 'sweep' ? (
                  <span className="badge" title="a sweep: its trials are on its page">
                    sweep
                  </span>
                ) : j.type === 'pipeline' ? (
                  <span className="badge" title="a pipeline: its steps are on its page">
                    pipeline
                  </span>
                ) : null}
              </td>
              <td>{j.display_name}</td>
              <td title={j.status_reason ?? undefined}>
                <Status value={j.status} />
                {j.status_reason ? <span className="visually-hidden">: {j.status_reason}</span> : null}
              </td>
              <td>{j.experiment_name}</td>
              <td>
                <Link to={`/computes/${encodeURIComponent(j.compute)}`}>{j.compute}</Link>
              </td>
              <td>
                <Time at={j.creation_context.created_at} />
              </td>
              <td>{duration(j.duration_seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Where the page is in the whole list, and the ways to the newest, newer and older pages. */
function Pager({ page, q, stale }: { page: JobsPage; q: JobQuery; stale: boolean }) {
  const first = (page.offset ?? 0) + 1;
  const where = page.jobs.length ? `Jobs ${count(first)}–${count(first + page.jobs.length - 1)}${page.total !== null ? ` of ${count(page.total)}` : ''}` : `${count(page.total ?? 0)} jobs`;
  return (
    <nav className="pager" aria-label="pages of jobs">
      <span role="status" aria-live="polite">
        {where}
        {stale ? <span className="muted"> (updating…)</span> : null}
      </span>
      <span className="actions">
        <label className="inline">
          Per page
          <select value={q.size} onChange={(e) => setQuery({ size: e.target.value === '50' ? null : e.target.value, after: null, before: null })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button className="small" disabled={!page.prev} onClick={() => setQuery({ after: null, before: null })}>
          « Newest
        </button>
        <button className="small" disabled={!page.prev} onClick={() => setQuery({ before: page.prev, after: null })}>
          ‹ Newer
        </button>
        <button className="small" disabled={!page.next} onClick={() => setQuery({ after: page.next, before: null })}>
          Older ›
        </button>
      </span>
    </nav>
  );
}
