// The metrics of one job (its MLflow run): every metric, charted. Placeholder until the charts land.
export function JobMetrics({ job }: { job: string }) {
  return <p className="muted">Charts of {job}: not built yet.</p>;
}
