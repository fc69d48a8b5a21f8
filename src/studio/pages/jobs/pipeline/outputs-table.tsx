// A pipeline's outputs: each the output of the step bound to it, read from the job that made it
// (the earlier job when that step was reused), with the path another job reads it by.
import type { PipelineOutputView } from '../../../../protocol/pipeline-spec.ts';
import { jobPage } from '../../../format.ts';
import { Link } from '../../../router.tsx';

export function OutputsTable({ pipeline, outputs }: { pipeline: string; outputs: PipelineOutputView[] }) {
  return (
    <div className="table-wrap pipeline-outputs">
      <table className="grid" data-rows={outputs.length}>
        <thead>
          <tr>
            <th scope="col">Output</th>
            <th scope="col">From</th>
            <th scope="col">Job</th>
            <th scope="col">Path</th>
          </tr>
        </thead>
        <tbody>
          {outputs.map((o) => (
            <tr key={o.name} data-output={o.name}>
              <td className="mono">{o.name}</td>
              <td className="mono">
                {o.step}.outputs.{o.output}
              </td>
              <td className="mono">{o.job_name ? <Link to={jobPage(o.job_name)}>{o.job_name}</Link> : <span className="muted">not made yet</span>}</td>
              <td className="mono">{`azureml://jobs/${pipeline}/outputs/${o.name}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
