// A job's data: the inputs it read (with the asset versions, for lineage) and each named output apart
// from outputs/ (what it holds, where it was written, the asset it was registered as).
import type { ReactNode } from 'react';
import type { Job } from '../../../protocol/job.ts';
import { bytes } from '../../format.ts';

/** A titled card holding one table: `title` names the region, `head` the columns. */
function DataTable({ title, head, children }: { title: string; head: string[]; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      <div className="table-wrap">
        <table className="grid">
          <thead>
            <tr>
              {head.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
    </section>
  );
}

export function NamedOutputs({ job }: { job: Job }) {
  const outputs = job.named_outputs ?? [];
  if (!outputs.length) return null;
  return (
    <DataTable title="Named outputs" head={['Output', 'Type', 'Files', 'Size', 'Registered as', 'Written to']}>
      {outputs.map((o) => (
        <tr key={o.name}>
          <td className="mono" title={o.uri}>{o.name}</td>
          <td>{o.type}</td>
          <td>{o.files}</td>
          <td>{bytes(o.size)}</td>
          <td className="mono">{o.asset ?? (job.end_time ? '' : 'when the job completes')}</td>
          <td className="mono">{o.path ?? ''}</td>
        </tr>
      ))}
    </DataTable>
  );
}

export function DataInputs({ job }: { job: Job }) {
  const inputs = job.data_inputs ?? [];
  if (!inputs.length) return null;
  return (
    <DataTable title="Data inputs" head={['Input', 'Type', 'Mode', 'Source', 'Asset version', 'Size']}>
      {inputs.map((i) => (
        <tr key={i.name}>
          <td className="mono">{i.name}</td>
          <td>{i.type}</td>
          <td>{i.mode}</td>
          <td className="mono">{i.uri}</td>
          <td className="mono">{i.asset ?? ''}</td>
          <td>{i.size === undefined ? '' : `${bytes(i.size)} in ${i.files} file${i.files === 1 ? '' : 's'}`}</td>
        </tr>
      ))}
    </DataTable>
  );
}
