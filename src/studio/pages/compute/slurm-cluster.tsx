// A Slurm compute's cluster as Slurm reports it now (the live part of `cairn compute show`):
// partitions, nodes with their states and reasons, and how Azure ML's autoscaling settings read
// on partitions of CLOUD nodes. When the login host did not answer, the page says so instead.
import type { ComputeView, SlurmClusterView } from '../../../protocol/compute.ts';

function Partitions({ s }: { s: SlurmClusterView }) {
  return (
    <div className="table-wrap">
      <table className="grid" aria-label="Slurm partitions">
        <thead>
          <tr>
            <th>Partition</th>
            <th>State</th>
            <th>Nodes</th>
            <th>CPUs</th>
            <th>Max nodes</th>
            <th>Max time</th>
          </tr>
        </thead>
        <tbody>
          {s.partitions.map((p) => (
            <tr key={p.name}>
              <td className="mono">
                {p.name}
                {p.default ? ' (default)' : ''}
                {p.name === s.partition ? ' (this compute\'s)' : ''}
              </td>
              <td>{p.state ?? ''}</td>
              <td className="mono">
                {p.total_nodes} {p.nodes ? `(${p.nodes})` : ''}
              </td>
              <td>{p.total_cpus}</td>
              <td>{p.max_nodes ?? ''}</td>
              <td>{p.max_time ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Nodes({ s }: { s: SlurmClusterView }) {
  return (
    <div className="table-wrap">
      <table className="grid" aria-label="Slurm nodes">
        <thead>
          <tr>
            <th>Node</th>
            <th>State</th>
            <th>Partitions</th>
            <th>CPUs (allocated / total)</th>
            <th>Memory</th>
            <th>GRES</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {s.nodes.map((n) => (
            <tr key={n.name}>
              <td className="mono">{n.name}</td>
              <td>{n.state ?? ''}</td>
              <td>{n.partitions.join(', ')}</td>
              <td>
                {n.cpus_allocated} / {n.cpus}
              </td>
              <td>{n.memory_mb} MB</td>
              <td className="mono">{n.gres ?? ''}</td>
              <td>{n.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SlurmCluster({ compute }: { compute: ComputeView }) {
  if (compute.type !== 'slurm') return null;
  const s = compute.slurm;
  return (
    <section aria-label="Slurm">
      <h2>Slurm</h2>
      {compute.live_error ? (
        <p className="warning" role="status">
          Slurm did not answer: {compute.live_error}
        </p>
      ) : null}
      {s ? (
        <>
          <p className="card">
            Slurm {s.version}, cluster <span className="mono">{s.cluster ?? '?'}</span>, jobs go to partition <span className="mono">{s.partition ?? '(the default)'}</span>
            {s.accounting ? '' : '; no accounting database (finished jobs are read from the job-completion log)'}.
          </p>
          <h3>Partitions</h3>
          <Partitions s={s} />
          <h3>Nodes</h3>
          <Nodes s={s} />
          {s.autoscaling.map((a) => (
            <div key={a.partition} className="card" aria-label={`Autoscaling of ${a.partition}`}>
              <h3>Autoscaling of {a.partition}</h3>
              <p>
                min_instances {a.min_instances}, max_instances {a.max_instances}, idle_time_before_scale_down {a.idle_time_before_scale_down ?? 'off'}
              </p>
              <p className="muted">{a.explanation}</p>
            </div>
          ))}
        </>
      ) : compute.live_error ? null : (
        <p className="muted">Asking Slurm…</p>
      )}
    </section>
  );
}
