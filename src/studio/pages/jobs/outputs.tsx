// The files the job left: outputs/ collected when it ended, and artifacts it logged through
// MLflow or `cairn`. Each can be previewed here and downloaded.
import { useApi } from '../../api.ts';
import { setQuery, useLocation } from '../../router.tsx';
import { ErrorBox, Loading } from '../../ui.tsx';
import type { Artifact, Job } from '../../../protocol/job.ts';
import { bytes } from '../../format.ts';
import { jobPath } from './format.ts';
import { kindOf, Preview } from './preview.tsx';
import { NamedOutputs } from './data-io.tsx';

export function OutputsTab({ job }: { job: Job }) {
  const list = useApi<Artifact[]>(`${jobPath(job.name)}/artifacts`, job.end_time ? undefined : 5_000);
  const selected = useLocation().query.get('output');
  if (!list.data) return list.error ? <ErrorBox error={list.error} /> : <Loading what="listing the outputs" />;
  const contentUrl = (path: string) => `${jobPath(job.name)}/artifacts/content?path=${encodeURIComponent(path)}`;
  const chosen = list.data.find((a) => a.path === selected);
  if (!list.data.length) {
    return <p className="card muted">{job.end_time ? 'The job left no outputs: it wrote nothing to ./outputs and logged no artifacts.' : 'Outputs are collected when the job ends (what it writes to ./outputs).'}</p>;
  }
  return (
    <>
      <NamedOutputs job={job} />
      {list.error ? <ErrorBox error={list.error} /> : null}
      <div className="table-wrap">
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Size</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((a) => (
              <tr key={a.path} className={a.path === selected ? 'selected' : ''}>
                <td className="mono">{a.path}</td>
                <td>{bytes(a.size)}</td>
                <td className="actions">
                  <button className="small" disabled={!kindOf(a) || a.path === selected} onClick={() => setQuery({ output: a.path })} aria-label={`Preview ${a.path}`}>
                    Preview
                  </button>
                  <a href={contentUrl(a.path)} download={a.path.split('/').pop()} aria-label={`Download ${a.path}`}>
                    Download
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen ? <Preview key={chosen.path} artifact={chosen} url={contentUrl(chosen.path)} /> : selected ? <ErrorBox error={`the job has no output '${selected}'`} /> : null}
    </>
  );
}
