// How jobs prepared an environment: nodes build it the first time a job needs it (cached by
// content after that), so its builds are those jobs' records, and a build's output is in the
// job's log. Looked for among the newest jobs, and the page says so.
import { useApi, WS } from '../../api.ts';
import { duration, jobPage } from '../../format.ts';
import { Link } from '../../router.tsx';
import { ErrorBox, Loading, Status, Time } from '../../ui.tsx';

const LOOKED_AT = 200;

interface JobWithEnv {
  name: string;
  display_name?: string;
  status: string;
  creation_context?: { created_at?: string };
  environment_details?: { ref: string | null; record: { built: boolean; builder: string; build_seconds?: number; ready_ms?: number } | null } | null;
}

export function EnvironmentBuilds({ name }: { name: string }) {
  const jobs = useApi<JobWithEnv[]>(`${WS}/jobs?max_results=${LOOKED_AT}`);
  const used = (jobs.data ?? []).filter((j) => j.environment_details?.ref?.startsWith(`${name}:`));
  return (
    <>
      <h2>Builds</h2>
      <p className="muted">
        A node builds this environment the first time a job needs it there, then reuses it while its content is unchanged. Each build's output is in that job's log. Jobs among the newest {LOOKED_AT}:
      </p>
      {jobs.error ? <ErrorBox error={jobs.error} /> : null}
      {!jobs.data ? (
        jobs.error ? null : <Loading what="looking for jobs that used it" />
      ) : used.length === 0 ? (
        <p className="muted">No job among them used it.</p>
      ) : (
        <div className="table-wrap">
          <table className="grid">
            <thead>
              <tr>
                <th>Job</th>
                <th>Version</th>
                <th>Status</th>
                <th>Environment</th>
                <th>Submitted</th>
              </tr>
            </thead>
            <tbody>
              {used.map((j) => {
                const rec = j.environment_details?.record;
                return (
                  <tr key={j.name}>
                    <td>
                      <Link to={jobPage(j.name)}>{j.display_name || j.name}</Link>
                      {j.display_name && j.display_name !== j.name ? <div className="mono muted">{j.name}</div> : null}
                    </td>
                    <td className="mono">{j.environment_details?.ref?.slice(name.length + 1)}</td>
                    <td>
                      <Status value={j.status} />
                    </td>
                    <td>
                      {!rec ? (
                        <span className="muted">not prepared yet</span>
                      ) : rec.builder === 'none' ? (
                        `nothing to build${rec.ready_ms !== undefined ? ` (ready in ${Math.round(rec.ready_ms)} ms)` : ''}`
                      ) : rec.built ? (
                        `built with ${rec.builder}${rec.build_seconds !== undefined ? ` in ${duration(rec.build_seconds)}` : ''}`
                      ) : (
                        `reused (cache hit${rec.ready_ms !== undefined ? `, ready in ${Math.round(rec.ready_ms)} ms` : ''})`
                      )}
                    </td>
                    <td>
                      <Time at={j.creation_context?.created_at} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
