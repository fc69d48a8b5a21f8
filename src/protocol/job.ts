import { z } from 'zod';
import { CommandJobSpec } from './job-spec.ts';
import { GitFacts } from './snapshot.ts';
import { EnvironmentRecord, ResolvedEnvironment } from './environment.ts';

export const JobStatus = z.enum([
  'Queued',
  'Provisioning',
  'Preparing',
  'Running',
  'Finalizing',
  'CancelRequested',
  'NotResponding',
  'Preempted',
  'Completed',
  'Failed',
  'Canceled',
]);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['Completed', 'Failed', 'Canceled'];
export const isTerminal = (s: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(s);
/** Not yet placed: `Queued`, or `Provisioning` while the nodes it waits for start (as in Azure ML). */
export const WAITING_STATUSES: readonly JobStatus[] = ['Queued', 'Provisioning'];
export const isWaiting = (s: string): boolean => (WAITING_STATUSES as readonly string[]).includes(s);

export const JobEvent = z.object({
  status: JobStatus,
  reason: z.string().nullable(),
  at: z.string(),
  attempt: z.number().int().nullable(),
});
export type JobEvent = z.infer<typeof JobEvent>;

/** A job as the API, SDK and `-o json` show it: the YAML's fields plus read-only ones. */
export const Job = CommandJobSpec.extend({
  name: z.string(),
  display_name: z.string(),
  experiment_name: z.string(),
  compute: z.string(),
  id: z.string(),
  status: JobStatus,
  status_reason: z.string().nullable(),
  creation_context: z.object({ created_at: z.string(), created_by: z.string() }),
  start_time: z.string().nullable(),
  end_time: z.string().nullable(),
  duration_seconds: z.number().nullable(),
  exit_code: z.number().int().nullable(),
  attempt: z.number().int(),
  snapshot_id: z.string().nullable(),
  git: GitFacts.nullable(),
  node: z.string().nullable(),
  history: z.array(JobEvent).optional(),
  outputs_collected: z.array(z.object({ path: z.string(), size: z.number() })).optional(),
  /** Why a Queued job waits, from a fixed set (capacity, nodes_starting, max_instances, compute_stopped, no_engine, reserved, too_big). */
  wait_code: z.string().nullable().optional(),
  /** Every try at running the job, each rank of it on its node (several per try for a distributed job). */
  attempts: z
    .array(
      z.object({
        number: z.number().int(),
        rank: z.number().int(),
        node: z.string(),
        state: z.string(),
        outcome: z.string().nullable(),
        exit_code: z.number().int().nullable(),
        reason: z.string().nullable(),
        assigned_at: z.string(),
        ended_at: z.string().nullable(),
      }),
    )
    .optional(),
  /** The environment as resolved at submit, and what the node built or reused for it (`record`). */
  environment_details: ResolvedEnvironment.extend({ record: EnvironmentRecord.nullable() }).nullable().optional(),
});
export type Job = z.infer<typeof Job>;

export const LogStream = z.enum(['stdout', 'stderr', 'system']);
export type LogStream = z.infer<typeof LogStream>;

export const LogLine = z.object({
  seq: z.number().int(),
  attempt: z.number().int(),
  /** The process of a distributed job that printed it (0 for a single process). */
  rank: z.number().int().default(0),
  stream: LogStream,
  ts: z.string(),
  text: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

/** Server-sent events on /jobs/:name/stream. */
export const StreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('log'), line: LogLine }),
  z.object({ type: z.literal('status'), status: JobStatus, reason: z.string().nullable(), at: z.string() }),
  z.object({ type: z.literal('end'), job: z.unknown() }),
]);
export type StreamEvent = z.infer<typeof StreamEvent>;

/** One file of a job: `outputs/...` from the job's folder, anything else logged through MLflow or `cairn`. */
export const Artifact = z.object({
  path: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  content_type: z.string().optional(),
  /** How a viewer can show it inline, if at all. */
  preview: z.enum(['text', 'json', 'image']).nullable().optional(),
});
export type Artifact = z.infer<typeof Artifact>;

export const ListJobsQuery = z.object({
  all: z.stringbool().optional(),
  status: z.string().optional(),
  experiment_name: z.string().optional(),
  compute: z.string().optional(),
  max_results: z.coerce.number().int().min(1).max(10_000).optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;
