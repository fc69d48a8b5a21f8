import type { FastifyInstance } from 'fastify';
import { API } from '../../protocol/routes.ts';
import { wireDouble } from '../../protocol/mlflow/entities.ts';
import { MetricSeriesQuery, RunMetricBucketsQuery, type JobTracking, type MetricBuckets, type MetricSeries, type RunMetricBuckets } from '../../protocol/tracking.ts';
import { bucketize, extent } from '../../tracking/buckets.ts';
import { MlflowError } from '../../protocol/mlflow/errors.ts';
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

  // One metric of several runs bucketed over one x range (the studio's charts): step, wall time or time since each run began.
  app.get<{ Params: { ws: string } }>(`${API}/workspaces/:ws/metric-buckets`, async (req): Promise<RunMetricBuckets> => {
    const q = parse(RunMetricBucketsQuery, req.query, 'query');
    const byStep = q.axis === 'step';
    const series = await Promise.all(
      q.runs.map(async (id) => {
        try {
          const run = await s.tracking.runs.row(id);
          if (run.lifecycle_stage === 'deleted') return { run_id: run.run_id, error: { code: 'NotFound', message: `run ${run.run_id} (${run.name}) was deleted; restore it to chart it` } };
          const offset = q.axis === 'relative' ? Number(run.start_time) : 0;
          const { points } = await s.store.metrics.history(run.run_id, q.key, 0, Number.MAX_SAFE_INTEGER);
          return { run_id: run.run_id, points, offset };
        } catch (err) {
          // A run that is gone is said beside the others' buckets; anything else fails the request.
          if (!(err instanceof MlflowError) || err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
          return { run_id: id, error: { code: 'NotFound', message: err.message } };
        }
      }),
    );
    // A side not given is the union of the runs' data on that side.
    let lo = byStep ? q.start_step : q.start_time;
    let hi = byStep ? q.end_step : q.end_time;
    if (lo === undefined || hi === undefined) {
      let dataLo = Infinity;
      let dataHi = -Infinity;
      for (const r of series) {
        const e = 'points' in r && r.points ? extent(r.points, q.axis, r.offset) : null;
        if (e) [dataLo, dataHi] = [Math.min(dataLo, e[0]), Math.max(dataHi, e[1])];
      }
      if (dataLo <= dataHi) [lo, hi] = [lo ?? dataLo, hi ?? dataHi];
    }
    const range = lo !== undefined && hi !== undefined && hi >= lo ? { start: lo, end: hi } : null;
    return {
      key: q.key,
      axis: q.axis,
      range,
      buckets: q.buckets,
      runs: series.map((r) => {
        if (!('points' in r) || !r.points) return { run_id: r.run_id, error: r.error! };
        const buckets = range ? bucketize(r.points, { axis: q.axis, offset: r.offset, lo: range.start, hi: range.end, buckets: q.buckets }) : [];
        let count = 0;
        for (const b of buckets) count += b.count;
        return { run_id: r.run_id, count, buckets: buckets.map((b) => ({ ...b, min: wireDouble(b.min), max: wireDouble(b.max), last: wireDouble(b.last) })) };
      }),
    };
  });
}
