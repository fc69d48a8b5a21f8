// The job at a glance: what it runs and where, when, how it ended, and every status change with its reason.
import { CopyButton, Props, Status, Time } from '../../ui.tsx';
import { Link } from '../../router.tsx';
import type { Job } from '../../../protocol/job.ts';
import { duration } from '../../format.ts';
import { Timeline } from './timeline.tsx';
import { DataInputs, NamedOutputs } from './data-io.tsx';

const PRIORITY: Record<string, string> = { low: 'low', medium: 'medium', high: 'high' };

export function Overview({ job: j }: { job: Job }) {
  const env = j.environment_details;
  return (
    <>
      <section className="card">
        <h2>Properties</h2>
        <Props
          rows={[
            ['Name', <span className="mono">{j.name}</span>],
            ['Display name', j.display_name],
            ['Status', <Status value={j.status} />],
            ['Status reason', j.status_reason],
            ['Experiment', j.experiment_name],
            ['Compute', <Link to={`/computes/${encodeURIComponent(j.compute)}`}>{j.compute}</Link>],
            ['Environment', env?.ref ?? (typeof j.environment === 'string' ? j.environment : j.environment ? `${env?.kind.replace('_', '-') ?? 'an'} environment in the job file` : 'none given: the node’s own Python')],
            ['Instance count', String(j.resources?.instance_count ?? 1)],
            ['Distribution', j.distribution ? j.distribution.type : null],
            ['Priority', j.queue_settings?.priority ? PRIORITY[j.queue_settings.priority] : null],
            ['Created by', j.creation_context.created_by],
            ['Created', <Time at={j.creation_context.created_at} />],
            ['Started', <Time at={j.start_time} />],
            ['Ended', <Time at={j.end_time} />],
            ['Duration', duration(j.duration_seconds)],
            ['Exit code', j.exit_code === null ? null : <span className="mono">{j.exit_code}</span>],
            ['Attempts', String(j.attempt)],
            ['Node', j.node],
            ['Slurm job', j.slurm_job_id ? <span className="mono">{j.slurm_job_id}</span> : null],
            ['Timeout', j.limits?.timeout ? `${j.limits.timeout} s` : null],
            ['Description', j.description],
          ]}
        />
        <h3>Command</h3>
        <div className="command">
          <pre className="mono">{j.command}</pre>
          <CopyButton text={j.command} label="Copy command" />
        </div>
        {j.inputs && Object.keys(j.inputs).length ? (
          <>
            <h3>Inputs</h3>
            <Props rows={Object.entries(j.inputs).map(([k, v]) => [k, <span className="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</span>])} />
          </>
        ) : null}
      </section>
      <DataInputs job={j} />
      <NamedOutputs job={j} />
      <Timeline job={j} />
    </>
  );
}
