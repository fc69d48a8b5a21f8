import { z } from 'zod';

/** MLflow's entities as its REST API returns them (ids are strings, times are ms numbers). */
export const KeyValue = z.object({ key: z.string(), value: z.string() });
export type KeyValue = z.infer<typeof KeyValue>;

/** Non-finite doubles travel as the strings MLflow's protobuf JSON uses. */
export const WireDouble = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export const wireDouble = (v: number): number | 'NaN' | 'Infinity' | '-Infinity' =>
  Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';

export const Metric = z.object({ key: z.string(), value: WireDouble, timestamp: z.number(), step: z.number() });
export type Metric = z.infer<typeof Metric>;

export const Experiment = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string(),
  lifecycle_stage: z.enum(['active', 'deleted']),
  creation_time: z.number(),
  last_update_time: z.number(),
  tags: z.array(KeyValue).optional(),
});
export type Experiment = z.infer<typeof Experiment>;

export const RunStatus = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunInfo = z.object({
  run_id: z.string(),
  run_uuid: z.string(),
  run_name: z.string(),
  experiment_id: z.string(),
  user_id: z.string(),
  status: RunStatus,
  start_time: z.number(),
  end_time: z.number().optional(),
  artifact_uri: z.string(),
  lifecycle_stage: z.enum(['active', 'deleted']),
});
export type RunInfo = z.infer<typeof RunInfo>;

export const Run = z.object({
  info: RunInfo,
  data: z.object({ metrics: z.array(Metric).optional(), params: z.array(KeyValue).optional(), tags: z.array(KeyValue).optional() }),
  inputs: z.object({}).passthrough().optional(),
  /** MLflow 3: the logged models a run produced (runs/outputs); absent when it produced none. */
  outputs: z.object({}).passthrough().optional(),
});
export type Run = z.infer<typeof Run>;

export const FileInfo = z.object({ path: z.string(), is_dir: z.boolean(), file_size: z.number().optional() });
export type FileInfo = z.infer<typeof FileInfo>;
