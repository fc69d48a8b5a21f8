// A pipeline's steps in a table, in dependency order: what each waits for, its status (with why,
// when it failed, was skipped or reused), duration, compute, component and job.
import type { PipelineStepView } from '../../../../protocol/pipeline-spec.ts';
import { duration, jobPage } from '../../../format.ts';
import { Link } from '../../../router.tsx';
import { statusTone } from './layout.ts';
import { statusLabel } from './pipeline-graph.tsx';

export function StepsTable({ steps }: { steps: PipelineStepView[] }) {
  return (
    <div className="table-wrap steps-table">
      <table className="grid" data-rows={steps.length}>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">After</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
            <th scope="col">Compute</th>
            <th scope="col">Component</th>
            <th scope="col">Job</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            <tr key={s.name} data-step={s.name} data-status={s.status}>
              <td className="mono">{s.name}</td>
              <td className="mono">{s.depends_on.length ? s.depends_on.join(', ') : <span className="muted">-</span>}</td>
              <td>
                <span className={`status ${statusTone(s.status)}`}>{statusLabel(s.status)}</span>
                {s.reused_from ? (
                  <div className="step-note">
                    reused from <Link to={jobPage(s.reused_from)}>{s.reused_from}</Link>
                  </div>
                ) : s.status_reason && ['Failed', 'Canceled', 'Skipped'].includes(s.status) ? (
                  <div className="step-note">{s.status_reason}</div>
                ) : null}
              </td>
              <td>{s.job_name ? duration(s.duration_seconds) : <span className="muted">-</span>}</td>
              <td>
                <Link to={`/computes/${encodeURIComponent(s.compute)}`}>{s.compute}</Link>
              </td>
              <td className="mono">{s.component ?? <span className="muted">-</span>}</td>
              <td className="mono">{s.job_name ? <Link to={jobPage(s.job_name)}>{s.job_name}</Link> : <span className="muted">-</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
