// The job's MLflow run: the params and tags it logged, its metrics' latest values, and the tags of the job itself.
import { useApi } from '../../api.ts';
import { setQuery } from '../../router.tsx';
import { ErrorBox, Loading } from '../../ui.tsx';
import type { Job } from '../../../protocol/job.ts';
import { isSystemTag, type JobTracking } from '../../../protocol/tracking.ts';
import { jobPath } from './format.ts';

export function ParamsTab({ job }: { job: Job }) {
  const t = useApi<JobTracking>(`${jobPath(job.name)}/metrics`, job.end_time ? undefined : 5_000);
  if (!t.data) return t.error ? <ErrorBox error={t.error} /> : <Loading what="reading the run" />;
  const runTags = Object.entries(t.data.tags);
  const own = runTags.filter(([k]) => !isSystemTag(k));
  const system = runTags.filter(([k]) => isSystemTag(k));
  const metrics = Object.entries(t.data.metrics);
  return (
    <>
      {t.error ? <ErrorBox error={t.error} /> : null}
      <KeyValues title="Job tags" rows={Object.entries(job.tags ?? {})} empty="The job file sets no tags." />
      <KeyValues title="Params" rows={Object.entries(t.data.params)} empty="The run logged no params (mlflow.log_param)." />
      <KeyValues title="Run tags" rows={own} empty="The run set no tags of its own (mlflow.set_tag)." />
      <section className="card">
        <h2>Metrics</h2>
        {metrics.length ? (
          <>
            <KeyValueTable rows={metrics.map(([k, m]) => [k, `${String(m.value)} (step ${m.step})`])} head={['Metric', 'Latest value']} />
            <p>
              <button className="small" onClick={() => setQuery({ tab: 'metrics' })}>
                Chart them
              </button>
            </p>
          </>
        ) : (
          <p className="muted">The run logged no metrics.</p>
        )}
      </section>
      <KeyValues title="System tags" rows={system} empty="None." />
      <p className="muted">
        MLflow run <span className="mono">{t.data.run_id}</span>
        {t.data.experiment_id ? <> in experiment {t.data.experiment_id}</> : null}
      </p>
    </>
  );
}

function KeyValues({ title, rows, empty }: { title: string; rows: [string, string][]; empty: string }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      {rows.length ? <KeyValueTable rows={rows} head={['Key', 'Value']} /> : <p className="muted">{empty}</p>}
    </section>
  );
}

function KeyValueTable({ rows, head }: { rows: [string, string][]; head: [string, string] }) {
  return (
    <div className="table-wrap">
      <table className="grid kv">
        <thead>
          <tr>
            <th scope="col">{head[0]}</th>
            <th scope="col">{head[1]}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td className="mono">{k}</td>
              <td className="mono">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
