// The metrics of one job (its MLflow run): every metric it logged, charted (see ChartGrid). The
// job page renders this in its Metrics tab.
import { useMemo } from 'react';
import { useApi, WS } from '../api.ts';
import { ErrorBox, Loading } from '../ui.tsx';
import { ChartGrid } from './chart-grid.tsx';
import { colorOf } from './series.ts';

interface JobTracking {
  run_id: string;
  experiment_id: string;
  metrics: Record<string, { step: number; timestamp: number }>;
}

export function JobMetrics({ job }: { job: string }) {
  // The list of metrics grows while a job runs: look again now and then.
  const t = useApi<JobTracking>(`${WS}/jobs/${encodeURIComponent(job)}/metrics`, 15_000);
  const keys = useMemo(() => Object.keys(t.data?.metrics ?? {}).sort(byName), [t.data]);
  const stamps = useMemo(() => Object.fromEntries(Object.entries(t.data?.metrics ?? {}).map(([k, m]) => [k, `${m.step}:${m.timestamp}`])), [t.data]);
  const runs = useMemo(() => (t.data ? [{ id: t.data.run_id, label: job, color: colorOf(0) }] : []), [t.data?.run_id, job]);
  if (!t.data) return t.error ? <ErrorBox error={t.error} back={{ to: '/jobs', label: 'Go to jobs' }} /> : <Loading what="loading the job's metrics" />;
  return (
    <>
      {t.error ? <ErrorBox error={t.error} /> : null}
      <ChartGrid runs={runs} keys={keys} stamps={stamps} />
    </>
  );
}

/** Names in the order people expect: train/loss_2 before train/loss_10. */
export const byName = new Intl.Collator(undefined, { numeric: true }).compare;
