import { z } from 'zod';
import { WireDouble } from './mlflow/entities.ts';

/** Tags the system sets on a run (MLflow's, and Cairn's link from a run to its job): shown apart from the user's. */
export const isSystemTag = (key: string): boolean => key.startsWith('mlflow.') || key.startsWith('cairn.');

/** A job's tracking data as Cairn's own API and `cairn job show` present it. */
export const LatestValue = z.object({ value: WireDouble, step: z.number(), timestamp: z.number() });

export const JobTracking = z.object({
  run_id: z.string(),
  experiment_id: z.string(),
  params: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), LatestValue),
});
export type JobTracking = z.infer<typeof JobTracking>;

export const MetricSeriesQuery = z.object({
  start: z.coerce.number().int().min(0).optional(),
  max_points: z.coerce.number().int().min(1).max(100_000).optional(),
  buckets: z.coerce.number().int().min(1).max(10_000).optional(),
  start_step: z.coerce.number().int().optional(),
  end_step: z.coerce.number().int().optional(),
});
export type MetricSeriesQuery = z.infer<typeof MetricSeriesQuery>;

/** Raw points in logging order: columns, so a million points are three arrays, not a million objects. */
export const MetricSeries = z.object({
  key: z.string(),
  total: z.number(),
  start: z.number(),
  steps: z.array(z.number()),
  timestamps: z.array(z.number()),
  /** Which points each attempt of the job logged (index ranges into the whole series, in logging order). */
  attempts: z.array(z.object({ attempt: z.number().int().nullable(), start: z.number().int(), count: z.number().int() })).optional(),
  values: z.array(WireDouble),
  next_start: z.number().optional(),
});
export type MetricSeries = z.infer<typeof MetricSeries>;

/** A downsampled series: min, max and last value per step bucket. */
export const MetricBuckets = z.object({
  key: z.string(),
  buckets: z.array(
    z.object({ start_step: z.number(), end_step: z.number(), count: z.number(), min: WireDouble, max: WireDouble, last: WireDouble, last_step: z.number() }),
  ),
});
export type MetricBuckets = z.infer<typeof MetricBuckets>;

/**
 * Min/max/last buckets of one metric of several runs over one x range, for the studio's charts:
 * `axis` step (steps), time (epoch ms) or relative (ms since each run started); the range is
 * start_step/end_step on the step axis and start_time/end_time on the others (both runs' union
 * when not given), so the runs' buckets line up.
 */
export const RunMetricBucketsQuery = z.object({
  key: z.string().min(1).max(250),
  runs: z
    .string()
    .min(1, { error: 'name at least one run id' })
    .transform((s) => [...new Set(s.split(',').map((r) => r.trim()).filter(Boolean))])
    .pipe(z.array(z.string().max(100)).min(1).max(50, { error: 'at most 50 runs at once' })),
  buckets: z.coerce.number().int().min(1).max(10_000),
  axis: z.enum(['step', 'time', 'relative']).default('step'),
  start_step: z.coerce.number().int().optional(),
  end_step: z.coerce.number().int().optional(),
  start_time: z.coerce.number().int().optional(),
  end_time: z.coerce.number().int().optional(),
});
export type RunMetricBucketsQuery = z.infer<typeof RunMetricBucketsQuery>;

export const AxisBucket = z.object({ start: z.number(), end: z.number(), count: z.number(), min: WireDouble, max: WireDouble, last: WireDouble, last_x: z.number() });
export type AxisBucket = z.infer<typeof AxisBucket>;

export const RunMetricBuckets = z.object({
  key: z.string(),
  axis: z.enum(['step', 'time', 'relative']),
  /** The x range bucketed (null when no run has a point), and the bucket count asked for. */
  range: z.object({ start: z.number(), end: z.number() }).nullable(),
  buckets: z.number(),
  runs: z.array(
    z.object({
      run_id: z.string(),
      /** Points of this run in the range. */
      count: z.number().optional(),
      buckets: z.array(AxisBucket).optional(),
      /** Why this run has no buckets (it does not exist, or it was deleted); the other runs still do. */
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
});
export type RunMetricBuckets = z.infer<typeof RunMetricBuckets>;
