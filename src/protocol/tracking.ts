import { z } from 'zod';
import { WireDouble } from './mlflow/entities.ts';

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
