// A job's data: the inputs it read (with the asset versions, for lineage) and each named output apart
// from outputs/ (what it holds, where it was written, the asset it was registered as).
import type { Job } from '../../../protocol/job.ts';
import { bytes } from './format.ts';

export function NamedOutputs({ job }: { job: Job }) {
  const outputs = job.named_outputs ?? [];
  if (!outputs.length) return null;
  return (
    <section className="card" aria-label="Named outputs">
      <h2>Named outputs</h2>
      <div className="table-wrap">
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Output</th>
              <th scope="col">Type</th>
              <th scope="col">Files</th>
              <th scope="col">Size</th>
              <th scope="col">Registered as</th>
              <th scope="col">Written to</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function DataInputs({ job }: { job: Job }) {
  const inputs = job.data_inputs ?? [];
  if (!inputs.length) return null;
  return (
    <section className="card" aria-label="Data inputs">
      <h2>Data inputs</h2>
      <div className="table-wrap">
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Input</th>
              <th scope="col">Type</th>
              <th scope="col">Mode</th>
              <th scope="col">Source</th>
              <th scope="col">Asset version</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
    </section>
  );
}
