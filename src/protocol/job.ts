import { z } from 'zod';
import { CommandJobSpec } from './job-spec.ts';
import { GitFacts } from './snapshot.ts';
import { EnvironmentRecord, ResolvedEnvironment } from './environment.ts';
import { SweepView, TrialFacts } from './sweep-spec.ts';
import { PipelineView, StepFacts } from './pipeline-spec.ts';

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
  /** A sweep's `command` is its trials' command, before the search space's values are filled in; a pipeline has none (''). */
  command: z.string(),
  /** A command job's `{timeout}`; a sweep's limits (max_total_trials, ...) as it wrote them. */
  limits: z.object({ timeout: z.number().optional() }).loose().optional(),
  type: z.enum(['command', 'sweep', 'pipeline']),
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
  /** On a Slurm compute: the Slurm job id of the latest attempt's submission. */
  slurm_job_id: z.string().nullable().optional(),
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
  /** Data and model inputs as resolved at submit: what each one read (lineage: the asset version). */
  data_inputs: z
    .array(z.object({ name: z.string(), type: z.string(), mode: z.string(), uri: z.string(), asset: z.string().optional(), files: z.number().int().optional(), size: z.number().optional() }))
    .optional(),
  /** Each named output apart from outputs/: where it is, what it holds, the asset it was registered as. */
  named_outputs: z
    .array(z.object({ name: z.string(), type: z.string(), mode: z.string(), uri: z.string(), files: z.number().int(), size: z.number(), path: z.string().optional(), asset: z.string().optional() }))
    .optional(),
  /** The environment as resolved at submit, and what the node built or reused for it (`record`). */
  environment_details: ResolvedEnvironment.extend({ record: EnvironmentRecord.nullable() }).nullable().optional(),
  /** A trial of a sweep: the sweep's name, not its id, as Azure's parent_job_name. */
  parent_job_name: z.string().nullable().optional(),
  /** A sweep's trial or a pipeline's step: its facts (a sweep's own `trial` is its trial's command, as Azure writes it). */
  child: z.union([TrialFacts, StepFacts]).optional(),
  /** A sweep's settings, progress, trials and best trial (on the job's own page, not in lists). */
  sweep: SweepView.optional(),
  /** A pipeline's steps: the graph, each step's job, status and reuse (on the job's own page). */
  pipeline: PipelineView.optional(),
  // A sweep's and a pipeline's own fields (trial, search_space, jobs, settings...) come along as they were written.
}).loose();
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

/**
 * GET /jobs pages newest first. Its answer stays a plain array; paging facts travel in headers:
 * the cursor of the page after it (older jobs; absent on the last page) and of the page before it
 * (newer jobs; absent on the first) and, asked with `count`, how many jobs match in all and how
 * many of them come before this page.
 */
export const JOBS_NEXT_CURSOR_HEADER = 'x-cairn-next-cursor';
export const JOBS_PREV_CURSOR_HEADER = 'x-cairn-prev-cursor';
export const JOBS_TOTAL_COUNT_HEADER = 'x-cairn-total-count';
export const JOBS_OFFSET_HEADER = 'x-cairn-offset';
/** `<queued_at_ms>.<id>` of a job: the newest-first order is by those two. */
const JobCursor = z.string().regex(/^\d{1,16}\.[A-Za-z0-9-]{1,64}$/, { error: 'not a cursor this server gave: pass the x-cairn-next-cursor (or -prev-) header of a page' });

export const ListJobsQuery = z
  .object({
    all: z.stringbool().optional(),
    /** Comma-separated statuses; a misspelt one is refused, naming the statuses (it would match nothing). */
    status: z
      .string()
      .max(500)
      .optional()
      .superRefine((v, ctx) => {
        const bad = (v ?? '').split(',').map((x) => x.trim()).filter((x) => x && !(JobStatus.options as readonly string[]).includes(x));
        if (bad.length) ctx.addIssue({ code: 'custom', message: `'${bad[0]}' is not a job status; the statuses: ${JobStatus.options.join(', ')}` });
      }),
    experiment_name: z.string().optional(),
    compute: z.string().optional(),
    /** The trials of this sweep. Without it, lists leave trials out (a sweep's page lists them). */
    parent: z.string().max(255).optional(),
    max_results: z.coerce.number().int().min(1).max(10_000).optional(),
    /** Text the name or the display name holds (case-insensitive for ASCII letters). */
    search: z.string().max(200).optional(),
    /** `key=value`, or `key` alone (has that tag), comma-separated: a job must match every one. */
    tags: z.string().max(2_000).optional(),
    /** The page after the one whose x-cairn-next-cursor this is (older jobs). */
    after: JobCursor.optional(),
    /** The page before the one whose x-cairn-prev-cursor this is (newer jobs). */
    before: JobCursor.optional(),
    /** Also count the jobs that match (x-cairn-total-count) and those before this page (x-cairn-offset). */
    count: z.stringbool().optional(),
  })
  .refine((q) => !(q.after && q.before), { error: 'give after or before, not both' });
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;
