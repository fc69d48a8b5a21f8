import type { FastifyInstance } from 'fastify';
import { API } from '../../protocol/routes.ts';
import { wireDouble } from '../../protocol/mlflow/entities.ts';
import { MetricSeriesQuery, type JobTracking, type MetricBuckets, type MetricSeries } from '../../protocol/tracking.ts';
import type { Services } from '../services/index.ts';
import { parse } from './validate.ts';

const JOB = `${API}/workspaces/:ws/jobs/:name`;
type P = { ws: string; name: string };

/** A job's params, tags and metrics, in Cairn's own API (the CLI and the studio read these). */
export function jobTrackingRoutes(app: FastifyInstance, s: Services): void {
  app.get<{ Params: P }>(`${JOB}/metrics`, async (req): Promise<JobTracking> => {
    const job = await s.jobs.row(req.params.ws, req.params.name);
    const run = await s.store.runs.run(job.id);
    // Jobs from before tracking existed have no run: they have nothing tracked.
    if (!run) return { run_id: job.id, experiment_id: '', params: {}, tags: {}, metrics: {} };
    const { params, tags, metrics } = await s.tracking.runs.data(run.run_id);
    return {
      run_id: run.run_id,
      experiment_id: String(run.experiment_id),
      params,
      tags,
      metrics: Object.fromEntries(metrics.map((m) => [m.key, { value: wireDouble(m.value), step: m.step, timestamp: m.timestamp }])),
    };
  });

  // Raw points in logging order (paged by `start`), or with `buckets`, min/max/last per step bucket.
  app.get<{ Params: P & { key: string } }>(`${JOB}/metrics/:key`, async (req): Promise<MetricSeries | MetricBuckets> => {
    const q = parse(MetricSeriesQuery, req.query, 'query');
    const job = await s.jobs.row(req.params.ws, req.params.name);
    const key = req.params.key;
    if (q.buckets !== undefined) {
      const buckets = await s.store.metrics.downsample(job.id, key, { buckets: q.buckets, startStep: q.start_step, endStep: q.end_step });
      return { key, buckets: buckets.map((b) => ({ ...b, min: wireDouble(b.min), max: wireDouble(b.max), last: wireDouble(b.last) })) };
    }
    const start = q.start ?? 0;
    const { points, total } = await s.store.metrics.history(job.id, key, start, q.max_points ?? 100_000);
    const n = points.length / 3;
    const steps = new Array<number>(n);
    const timestamps = new Array<number>(n);
    const values = new Array<ReturnType<typeof wireDouble>>(n);
    for (let i = 0; i < n; i++) {
      steps[i] = points[i * 3];
      timestamps[i] = points[i * 3 + 1];
      values[i] = wireDouble(points[i * 3 + 2]);
    }
    const next = start + n;
    const attempts = await s.store.metrics.attemptRanges(job.id, key);
    return { key, total, start, steps, timestamps, values, attempts, ...(next < total ? { next_start: next } : {}) };
  });
}
