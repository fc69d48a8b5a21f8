import { z } from 'zod';
import { CommandJobSpec, CreateJobRequest, EnvironmentRef, ExperimentName, JobInput, JobOutput, QueueSettings, SafeString } from './job-spec.ts';
import { SamplingAlgorithm, SearchSpace } from './sweep-space.ts';
import { EarlyTermination } from './sweep-policy.ts';

/** At most this many trials in one sweep: every one is a job, and the sweep's page lists them all. */
export const MAX_SWEEP_TRIALS = 10_000;
/** A trial's name is the sweep's with `_<index>` added, and names stop at 255 characters. */
const SWEEP_NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,239}$/, 'must be letters, digits, - and _ (start with a letter or digit, at most 240: trials add _<index>)');

const positive = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).positive(`${what} must be at least 1`);

/** The command each trial runs: a command job's fields that make sense per trial. */
export const SweepTrial = CommandJobSpec.pick({ command: true, code: true, environment_variables: true, resources: true, distribution: true, python_path: true }).extend({
  /** Azure's trial may say what it is; it can only be a command. */
  type: z.literal('command', { error: "trial.type must be 'command'" }).optional(),
  environment: EnvironmentRef.optional(),
});
export type SweepTrial = z.infer<typeof SweepTrial>;

export const SweepObjective = z.strictObject({
  primary_metric: SafeString.min(1, 'must name the metric trials log').max(250),
  goal: z.enum(['maximize', 'minimize'], { error: 'objective.goal must be maximize or minimize' }),
});

export const SweepLimits = z.strictObject({
  max_total_trials: positive('limits.max_total_trials').max(MAX_SWEEP_TRIALS, `limits.max_total_trials may be at most ${MAX_SWEEP_TRIALS}`).optional(),
  max_concurrent_trials: positive('limits.max_concurrent_trials').max(1000, 'limits.max_concurrent_trials may be at most 1000').optional(),
  /** Seconds the whole sweep may run: then its running trials are cancelled and it ends. */
  timeout: positive('limits.timeout').max(60 * 60 * 24 * 90).optional(),
  /** Seconds each trial may run (the trial's limits.timeout). */
  trial_timeout: positive('limits.trial_timeout').max(60 * 60 * 24 * 90).optional(),
});

/** Azure ML v2 sweep job: many trials of one command, with values drawn from a search space. */
export const SweepJobSpec = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('sweep'),
  name: SWEEP_NAME.optional(),
  display_name: CommandJobSpec.shape.display_name,
  description: CommandJobSpec.shape.description,
  tags: CommandJobSpec.shape.tags,
  experiment_name: ExperimentName.optional(),
  compute: SafeString.min(1).max(255).optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/), JobInput).refine((i) => Object.keys(i).length <= 500, 'at most 500 inputs').optional(),
  outputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/), JobOutput).refine((o) => Object.keys(o).length <= 100, 'at most 100 outputs').optional(),
  trial: SweepTrial,
  search_space: SearchSpace,
  sampling_algorithm: SamplingAlgorithm,
  objective: SweepObjective,
  early_termination: EarlyTermination.optional(),
  limits: SweepLimits.optional(),
  queue_settings: QueueSettings.optional(),
});
export type SweepJobSpec = z.infer<typeof SweepJobSpec>;

/** The sweep as its YAML file says it: the trial's inline environment is checked by the client's environment reader. */
export const SweepJobFileSpec = SweepJobSpec.extend({ trial: SweepTrial.extend({ environment: z.unknown().optional() }) });

/** Creating a sweep: the spec with the trial's code already uploaded, like a command job. */
export const CreateSweepRequest = CreateJobRequest.extend({ spec: SweepJobSpec });
export type CreateSweepRequest = z.infer<typeof CreateSweepRequest>;

/** What a sweep keeps in the store: the request, the seed its sampler draws with and its budget, all fixed at submit. */
export const StoredSweep = CreateSweepRequest.omit({ spec: true }).extend({
  spec: SweepJobSpec,
  seed: z.number().int(),
  total: z.number().int(),
  concurrent: z.number().int(),
  warnings: z.array(z.string()),
});
export type StoredSweep = z.infer<typeof StoredSweep>;

/** What a trial keeps: its sweep, its place in it and the values it was given. */
export const TrialFacts = z.object({
  sweep: z.string(),
  index: z.number().int().min(0),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Set when the early-termination policy stopped it: the policy's reason, which its Canceled status then gives. */
  stopped_early: z.object({ reason: z.string(), interval: z.number().int() }).optional(),
});
export type TrialFacts = z.infer<typeof TrialFacts>;

/** One trial as a sweep's view shows it. */
export const SweepTrialView = z.object({
  name: z.string(),
  index: z.number().int(),
  status: z.string(),
  status_reason: z.string().nullable(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** The primary metric's last logged value, null when the trial has not logged it. */
  value: z.number().nullable(),
  /** How many times it logged the primary metric (Azure's intervals). */
  intervals: z.number().int(),
  stopped_early: z.boolean(),
  duration_seconds: z.number().nullable(),
});
export type SweepTrialView = z.infer<typeof SweepTrialView>;

/** A sweep's settings and how far it got, on the job's view. */
export const SweepView = z.object({
  search_space: SearchSpace,
  sampling_algorithm: z.unknown(),
  objective: SweepObjective,
  early_termination: z.unknown().nullable(),
  limits: z.object({ max_total_trials: z.number().int(), max_concurrent_trials: z.number().int(), timeout: z.number().nullable(), trial_timeout: z.number().nullable() }),
  seed: z.number().int(),
  progress: z.object({ total: z.number().int(), created: z.number().int(), queued: z.number().int(), running: z.number().int(), completed: z.number().int(), failed: z.number().int(), canceled: z.number().int(), stopped_early: z.number().int() }),
  best: SweepTrialView.nullable(),
  /** Ordered best first by the objective; trials without the metric last, in index order. */
  trials: z.array(SweepTrialView),
  warnings: z.array(z.string()),
});
export type SweepView = z.infer<typeof SweepView>;

/** Whether a create-job body is a sweep: the route reads it with that schema then. */
export const isSweepBody = (body: unknown): boolean => typeof body === 'object' && body !== null && (body as { spec?: { type?: unknown } }).spec?.type === 'sweep';
