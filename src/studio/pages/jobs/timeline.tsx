// Every status change of the job with its reason and time (why it waited, what provisioning did,
// each attempt and preemption), and each attempt's ranks: where they ran and how they ended.
import { Status, Time } from '../../ui.tsx';
import type { Job } from '../../../protocol/job.ts';
import { secondsBetween } from './format.ts';

const WAIT_WORDS: Record<string, string> = {
  capacity: 'every slot that could run it is busy',
  nodes_starting: 'the nodes it needs are starting',
  max_instances: 'the compute is at its max_instances',
  compute_stopped: 'the compute is stopped',
  no_engine: 'no node has docker or podman for its image',
  reserved: 'nodes are held for a bigger job ahead of it',
  too_big: 'it needs more nodes than the compute can have',
};

export function Timeline({ job: j }: { job: Job }) {
  const history = j.history ?? [];
  const start = history[0]?.at;
  return (
    <>
      <section className="card">
        <h2>Status history</h2>
        {j.wait_code ? (
          <p>
            Waiting: {WAIT_WORDS[j.wait_code] ?? j.wait_code}. <span className="muted">{j.status_reason}</span>
          </p>
        ) : null}
        <ol className="timeline">
          {history.map((h, i) => {
            const repeat = i > 0 && history[i - 1]!.status === h.status;
            return (
              <li key={i} className={repeat ? 'repeat' : ''}>
                <span className="when">
                  <Time at={h.at} />
                  {start && i > 0 ? <span className="muted"> +{secondsBetween(start, h.at).toFixed(1)}s</span> : null}
                </span>
                <span className="what">{repeat ? <span className="muted">…</span> : <Status value={h.status} />}</span>
                <span className="why">
                  {h.reason ?? <span className="muted">-</span>}
                  {h.attempt !== null && !repeat ? <span className="muted"> (attempt {h.attempt})</span> : null}
                </span>
              </li>
            );
          })}
        </ol>
      </section>
      {j.attempts?.length ? (
        <section className="card">
          <h2>Attempts</h2>
          <div className="table-wrap">
            <table className="grid">
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">Rank</th>
                  <th scope="col">Node</th>
                  <th scope="col">State</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Exit code</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Assigned</th>
                  <th scope="col">Ended</th>
                </tr>
              </thead>
              <tbody>
                {j.attempts.map((a) => (
                  <tr key={`${a.number}.${a.rank}`}>
                    <td>{a.number}</td>
                    <td>{a.rank}</td>
                    <td className="mono">{a.node}</td>
                    <td>{a.state}</td>
                    <td>{a.outcome ?? '-'}</td>
                    <td className="mono">{a.exit_code ?? '-'}</td>
                    <td>{a.reason ?? '-'}</td>
                    <td>
                      <Time at={a.assigned_at} />
                    </td>
                    <td>
                      <Time at={a.ended_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}
