// A compute's nodes: state, size and tier, the job on each, how long it has been idle, and how to
// log in to it when the compute allows SSH.
import { Link } from '../../router.tsx';
import { CopyButton, Status, Time } from '../../ui.tsx';
import type { ComputeNodeView, ComputeView } from '../../../protocol/compute.ts';
import { jobPage } from '../../format.ts';
import { since } from './describe.ts';

const shape = (n: ComputeNodeView): string =>
  [n.cpus !== undefined ? `${n.cpus} CPU` : null, n.memory_mb !== undefined ? `${(n.memory_mb / 1024).toFixed(1)} GB` : null, n.gpus ? `${n.gpus} GPU${n.gpu_names?.length ? ` (${n.gpu_names.join(', ')})` : ''}` : null]
    .filter(Boolean)
    .join(' · ') || '-';

function noNodesWords(c: ComputeView): string {
  if (c.provisioning_state === 'Creating') return 'Its nodes are being made.';
  if (c.type === 'amlcompute') return 'None now: the cluster adds nodes when jobs are queued for it, up to its maximum, and keeps its minimum.';
  if (c.type === 'computeinstance') return c.state === 'Stopped' ? 'None now: the instance is stopped. Start it to bring its node back.' : 'None yet: the node is on its way.';
  if (c.type === 'slurm') return 'None now: a node shows here while a job\'s agent runs on it.';
  return 'None yet: the agent has not registered.';
}

export function NodesTable({ compute }: { compute: ComputeView }) {
  const nodes = compute.nodes;
  if (nodes.length === 0) return <p className="muted card">{noNodesWords(compute)}</p>;
  const pool = nodes.some((n) => n.label !== undefined);
  const ssh = nodes.some((n) => n.connection);
  return (
    <div className="table-wrap">
      <table className="grid" aria-label="Nodes">
        <thead>
          <tr>
            <th>Node</th>
            <th>State</th>
            {pool ? (
              <>
                <th>Size</th>
                <th>Tier</th>
              </>
            ) : null}
            <th>Shape</th>
            <th>{pool ? 'Current job' : 'Jobs (running / slots)'}</th>
            {pool ? <th>Idle for</th> : null}
            <th>Last heartbeat</th>
            {ssh ? <th>Connect</th> : null}
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr key={n.name}>
              <td className="mono">{n.label ?? n.name}</td>
              <td>
                <Status value={n.state} />
              </td>
              {pool ? (
                <>
                  <td className="mono">{n.size ?? '-'}</td>
                  <td>{n.tier ?? '-'}</td>
                </>
              ) : null}
              <td>{shape(n)}</td>
              <td>
                {pool ? (
                  n.current_job ? (
                    <Link to={jobPage(n.current_job)}>{n.current_job}</Link>
                  ) : (
                    <span className="muted">none</span>
                  )
                ) : (
                  `${n.busy_slots} / ${n.slots}`
                )}
              </td>
              {pool ? <td>{since(n.idle_since) ?? <span className="muted">-</span>}</td> : null}
              <td>
                <Time at={n.last_heartbeat} />
              </td>
              {ssh ? (
                <td>
                  {n.connection ? (
                    <span className="connection">
                      <code>{n.connection}</code> <CopyButton text={n.connection} />
                    </span>
                  ) : (
                    <span className="muted">-</span>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
