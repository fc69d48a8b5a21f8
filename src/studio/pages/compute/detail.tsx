// One compute: its actions, provisioning state and errors, properties, nodes and scaling history
// (and, for a Slurm cluster, its partitions and nodes as Slurm reports them).
// It refreshes itself; a compute that disappears (deleted here or elsewhere) says so.
import { useState, type ReactNode } from 'react';
import { useApi, WS } from '../../api.ts';
import { Link } from '../../router.tsx';
import { ErrorBox, Loading, Page, Props, Status, Time } from '../../ui.tsx';
import type { ComputeView } from '../../../protocol/compute.ts';
import { ComputeActions } from './compute-actions.tsx';
import { nodeCounts, providerName, showValue, stateWords } from './describe.ts';
import { NodesTable } from './nodes-table.tsx';
import { SlurmCluster } from './slurm-cluster.tsx';
import { takeWarnings } from './submit.tsx';
import './compute.css';

/** The list tab a compute type is shown under, for the way back. */
const tabOf = (type: string) => (type === 'amlcompute' ? 'clusters' : type === 'computeinstance' ? 'instances' : 'attached');

/** Fields shown in their own rows (or sections), so the generic rows leave them out. */
const SHOWN = new Set([
  'name', 'type', 'id', 'provisioning_state', 'provisioning_errors', 'state', 'created_on', 'last_modified_on', 'nodes', 'agent', 'unsupported', 'current_node_count',
  'scaling_history', 'description', 'tags', 'size', 'tier', 'min_instances', 'max_instances', 'idle_time_before_scale_down', 'provider', 'ssh_public_access_enabled',
  'ssh_settings', 'address', 'host_key', 'max_concurrent_jobs', 'work_dir', 'idle_time_before_shutdown_minutes', 'schedules', 'warnings', 'slurm', 'live_error',
]);

function properties(c: ComputeView): [string, ReactNode][] {
  const ssh = (c.ssh_settings ?? {}) as { admin_username?: string; ssh_port?: number; ssh_key_value?: string };
  const pool = c.type === 'amlcompute' || c.type === 'computeinstance';
  const rows: [string, ReactNode][] = [
    ['Type', <span className="mono">{c.type}</span>],
    ['Provisioning state', <Status value={c.provisioning_state} />],
    ['State', c.state ? <Status value={c.state} /> : null],
    ['Description', showValue(c.description)],
  ];
  if (pool) rows.push(['Size', showValue(c.size)], ['Provider', providerName(c)], ['SSH access', c.ssh_public_access_enabled ? `enabled${ssh.admin_username ? ` (user ${ssh.admin_username})` : ''}` : 'disabled']);
  if (c.type === 'amlcompute')
    rows.push(['Tier', showValue(c.tier)], ['Nodes (now / min / max)', nodeCounts(c)], ['Idle before scale down', c.idle_time_before_scale_down !== undefined ? `${String(c.idle_time_before_scale_down)} s` : null]);
  if (c.type === 'computeinstance') {
    rows.push(['Idle shutdown', c.idle_time_before_shutdown_minutes !== undefined ? `after ${String(c.idle_time_before_shutdown_minutes)} min` : 'never']);
    const schedules = (c.schedules as { compute_start_stop?: unknown[] } | undefined)?.compute_start_stop ?? [];
    rows.push(['Schedules', schedules.length ? <span className="mono">{schedules.map((s) => JSON.stringify(s)).join('; ')}</span> : 'none']);
  }
  if (c.address !== undefined) rows.push(['Address', <span className="mono">{showValue(c.address)}</span>], ['SSH', `${ssh.admin_username ?? '-'} on port ${ssh.ssh_port ?? 22}`], ['Host key', c.host_key ? <span className="mono">{c.host_key}</span> : null]);
  if (c.max_concurrent_jobs !== undefined) rows.push(['Jobs at once', showValue(c.max_concurrent_jobs)]);
  if (c.work_dir !== undefined) rows.push(['Work folder', <span className="mono">{showValue(c.work_dir)}</span>]);
  if (c.agent) rows.push(['Agent', `${c.agent.version}, ${c.agent.health}`]);
  for (const [k, v] of Object.entries(c)) if (!SHOWN.has(k) && showValue(v) !== null) rows.push([k.replace(/_/g, ' '), <span className="mono">{showValue(v)}</span>]);
  if (c.tags && Object.keys(c.tags).length) rows.push(['Tags', Object.entries(c.tags).map(([k, v]) => `${k}=${v}`).join(', ')]);
  rows.push(['Created', <Time at={c.created_on} />], ['Last modified', <Time at={c.last_modified_on} />], ['ID', <span className="mono">{c.id}</span>]);
  return rows;
}

export function ComputePage({ params }: { params: Record<string, string> }) {
  const name = params.name!;
  const compute = useApi<ComputeView>(`${WS}/computes/${encodeURIComponent(name)}`, 3_000);
  const [removedHere, setRemovedHere] = useState(false);
  const [warnings] = useState(() => takeWarnings(name));
  const c = compute.data;
  const back = { to: `/computes?tab=${c ? tabOf(c.type) : 'instances'}`, label: 'Back to Compute' };

  if (compute.error?.status === 404) {
    return (
      <Page title={name}>
        {removedHere ? (
          <p className="card" role="status">
            Compute <strong>{name}</strong> is gone. <Link to={back.to}>{back.label}</Link>
          </p>
        ) : (
          <ErrorBox error={compute.error} back={back} />
        )}
      </Page>
    );
  }
  if (!c) return <Page title={name}>{compute.error ? <ErrorBox error={compute.error} back={back} /> : <Loading what="loading the compute" />}</Page>;
  return (
    <Page
      title={c.name}
      subtitle={
        <span className="states">
          <span className="mono">{c.type}</span>
          {stateWords(c).map((s) => (
            <Status key={s} value={s} />
          ))}
        </span>
      }
    >
      <p className="crumbs">
        <Link to={back.to}>Compute</Link> / {c.name}
      </p>
      <ComputeActions compute={c} onDone={compute.reload} onRemoved={() => (setRemovedHere(true), compute.reload())} />
      {compute.error ? <ErrorBox error={compute.error} /> : null}
      {warnings.map((w) => (
        <p key={w} className="warning" role="status">
          Warning: {w}
        </p>
      ))}
      {c.provisioning_errors.length ? (
        <div className="error" role="alert">
          <strong>Provisioning {c.provisioning_state === 'Failed' ? 'failed' : 'errors'}:</strong>
          <ul>
            {c.provisioning_errors.map((e, i) => (
              <li key={i}>
                <span className="mono">{e.code}</span>: {e.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <section className="card" aria-label="Properties">
        <h2>Properties</h2>
        <Props rows={properties(c)} />
      </section>
      <SlurmCluster compute={c} />
      <h2>{c.type === 'slurm' ? 'Nodes running Cairn jobs' : 'Nodes'}</h2>
      <NodesTable compute={c} />
      {c.scaling_history ? (
        <>
          <h2>Scaling history</h2>
          {c.scaling_history.length === 0 ? (
            <p className="muted">No scaling decisions yet.</p>
          ) : (
            <div className="table-wrap">
              <table className="grid" aria-label="Scaling history">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>What</th>
                    <th>Why</th>
                  </tr>
                </thead>
                <tbody>
                  {[...c.scaling_history].reverse().map((e, i) => (
                    <tr key={`${e.at}-${i}`}>
                      <td>
                        <Time at={e.at} />
                      </td>
                      <td className="mono">{e.kind}</td>
                      <td>{e.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </Page>
  );
}
