import { z } from 'zod';
import { CommandJobSpec, CreateJobRequest, EnvironmentRef, ExperimentName, JobInput, JobOutput, SafeString } from './job-spec.ts';
import { ComponentSpec } from './component.ts';
import { CreateSweepRequest, SweepLimits, SweepObjective, SweepTrial } from './sweep-spec.ts';
import { SamplingAlgorithm, SearchSpace } from './sweep-space.ts';
import { EarlyTermination } from './sweep-policy.ts';

/** Steps in one pipeline at most: each is a job, and the pipeline's page draws them all. */
export const MAX_PIPELINE_STEPS = 200;
/** A step's job is named `<pipeline>_<step>`, and names stop at 255 characters. */
const PIPELINE_NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,190}$/, 'must be letters, digits, - and _ (start with a letter or digit, at most 191: steps add _<step>)');
export const STEP_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PortName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/);

/**
 * A step's input: what a command job's input may be, or a binding to the pipeline's input
 * (`${{parent.inputs.x}}`) or to another step's output (`${{parent.jobs.prep.outputs.data}}`).
 */
export const StepInput = z.union([z.string().regex(/^\s*\$\{\{\s*parent\.[A-Za-z0-9_.]+\s*\}\}\s*$/), JobInput]);
/** A step's output: a command job's output, or a binding to the pipeline's output (`${{parent.outputs.model}}`). */
export const StepOutput = z.union([z.string().regex(/^\s*\$\{\{\s*parent\.outputs\.[A-Za-z0-9_]+\s*\}\}\s*$/), JobOutput]);

const stepCommon = {
  display_name: SafeString.max(256).optional(),
  compute: SafeString.min(1).max(255).optional(),
  inputs: z.record(PortName, StepInput).refine((i) => Object.keys(i).length <= 500, 'at most 500 inputs').optional(),
  outputs: z.record(PortName, StepOutput).refine((o) => Object.keys(o).length <= 100, 'at most 100 outputs').optional(),
  environment_variables: CommandJobSpec.shape.environment_variables,
  resources: CommandJobSpec.shape.resources,
  limits: CommandJobSpec.shape.limits,
  distribution: CommandJobSpec.shape.distribution,
};

/** A step written inline: a command job's fields. */
export const CommandStep = z.strictObject({
  type: z.literal('command').optional(),
  ...stepCommon,
  command: CommandJobSpec.shape.command,
  code: SafeString.min(1).max(4096).optional(),
  environment: EnvironmentRef.optional(),
  python_path: CommandJobSpec.shape.python_path,
  /** Cairn's: opt this step out of reuse (components say so with is_deterministic: false). */
  is_deterministic: z.boolean().optional(),
});
export type CommandStep = z.infer<typeof CommandStep>;

/** A step that runs a component: registered (`azureml:NAME:VERSION`, `NAME@latest`) or inline (a local file the client read). */
export const ComponentStep = z.strictObject({
  type: z.literal('command').optional(),
  ...stepCommon,
  component: z.union([SafeString.min(1).max(600), ComponentSpec], { error: 'component must be a reference like azureml:NAME:VERSION or NAME@latest, or a component file' }),
});
export type ComponentStep = z.infer<typeof ComponentStep>;

/**
 * A sweep as a step (Azure's shape): its trial is a component (registered, or a file the client
 * read) whose inputs named in the search space take the sampled values, or a command written
 * inline with `${{search_space.x}}`. Its outputs are its best trial's.
 */
export const SweepStep = z.strictObject({
  type: z.literal('sweep'),
  display_name: stepCommon.display_name,
  compute: stepCommon.compute,
  inputs: stepCommon.inputs,
  outputs: stepCommon.outputs,
  trial: z.union([SafeString.min(1).max(600), ComponentSpec, SweepTrial], { error: 'trial must be a component (azureml:NAME:VERSION, ./train.yml) or a command with code and environment' }),
  search_space: SearchSpace,
  sampling_algorithm: SamplingAlgorithm,
  objective: SweepObjective,
  early_termination: EarlyTermination.optional(),
  limits: SweepLimits.optional(),
});
export type SweepStep = z.infer<typeof SweepStep>;

export type PipelineStep = CommandStep | ComponentStep | SweepStep;
export const isComponentStep = (s: PipelineStep): s is ComponentStep => 'component' in s;
export const isSweepStep = (s: PipelineStep): s is SweepStep => s.type === 'sweep';

/** A step is one or the other, told apart by `component:`, so the error names what is wrong with that one. */
export const PipelineStepSpec = z.unknown().transform((v, ctx): PipelineStep => {
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (type !== undefined && type !== 'command' && type !== 'sweep') {
    ctx.addIssue({ code: 'custom', message: `step type '${String(type)}' is not supported: steps are command jobs, components or sweeps` });
    return z.NEVER;
  }
  const schema = type === 'sweep' ? SweepStep : typeof v === 'object' && v !== null && 'component' in v ? ComponentStep : CommandStep;
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    if (i.code === 'unrecognized_keys') ctx.addIssue({ code: 'custom', path: [...i.path, i.keys[0]!], message: UNKNOWN_STEP_FIELD });
    else ctx.addIssue({ ...i, code: 'custom', message: i.message, path: i.path } as never);
  }
  return z.NEVER;
});
/** The message of an unknown field in a step: readers name the field from the issue's path. */
export const UNKNOWN_STEP_FIELD = 'unknown field for a pipeline step';

export const PipelineSettings = z.strictObject({
  default_compute: SafeString.min(1).max(255).optional(),
  default_datastore: SafeString.min(1).max(255).optional(),
  continue_on_step_failure: z.boolean().optional(),
  force_rerun: z.boolean().optional(),
});

/** Azure ML v2 pipeline job: steps that run as child jobs in the order their data needs. */
export const PipelineJobSpec = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('pipeline'),
  name: PIPELINE_NAME.optional(),
  display_name: CommandJobSpec.shape.display_name,
  description: CommandJobSpec.shape.description,
  tags: CommandJobSpec.shape.tags,
  experiment_name: ExperimentName.optional(),
  compute: SafeString.min(1).max(255).optional(),
  inputs: z.record(PortName, JobInput).refine((i) => Object.keys(i).length <= 500, 'at most 500 inputs').optional(),
  outputs: z.record(PortName, JobOutput).refine((o) => Object.keys(o).length <= 100, 'at most 100 outputs').optional(),
  settings: PipelineSettings.optional(),
  jobs: z
    .record(z.string().regex(STEP_NAME, 'a step name must be letters, digits and _ (not starting with a digit, at most 64)'), PipelineStepSpec)
    .refine((j) => Object.keys(j).length >= 1, 'a pipeline needs at least one step')
    .refine((j) => Object.keys(j).length <= MAX_PIPELINE_STEPS, `at most ${MAX_PIPELINE_STEPS} steps`),
});
export type PipelineJobSpec = z.infer<typeof PipelineJobSpec>;

/** A step's code, uploaded by the client like a command job's. */
export const StepUpload = z.strictObject({ snapshot_id: z.string().regex(/^[0-9a-f]{64}$/), code_folder_name: SafeString.min(1).max(255).optional() });

/** Creating a pipeline: the spec, each step's uploaded code, the pipeline's uploaded local inputs. */
export const CreatePipelineRequest = z.strictObject({
  spec: PipelineJobSpec,
  step_code: z.record(z.string(), StepUpload).refine((s) => Object.keys(s).length <= MAX_PIPELINE_STEPS, `at most ${MAX_PIPELINE_STEPS} steps`).optional(),
  input_uploads: CreateJobRequest.shape.input_uploads,
  git: CreateJobRequest.shape.git,
  /** `cairn job create --force-rerun`: no step is reused. */
  force_rerun: z.boolean().optional(),
});
export type CreatePipelineRequest = z.infer<typeof CreatePipelineRequest>;

/** Whether a create-job body is a pipeline. */
export const isPipelineBody = (body: unknown): boolean => typeof body === 'object' && body !== null && (body as { spec?: { type?: unknown } }).spec?.type === 'pipeline';

/**
 * A step as the pipeline runs it, fixed at submit: the command job it makes (its inputs still
 * holding the bindings), the steps it waits for, and whether it may be reused.
 */
export const PlannedStep = z.object({
  name: z.string(),
  /** Its place in the order the steps were checked (dependencies first): unique per pipeline. */
  index: z.number().int(),
  depends_on: z.array(z.string()),
  /** A command step's job, or a sweep step's sweep. */
  request: z.union([CreateJobRequest, CreateSweepRequest]),
  /** Inputs bound to another step's output: input -> [step, output]. */
  from_steps: z.record(z.string(), z.tuple([z.string(), z.string()])),
  /** Inputs bound to the pipeline's inputs: input -> pipeline input. */
  from_parent: z.record(z.string(), z.string()),
  /** The component it runs (`name:version`, or `inline`), for the view. */
  component: z.string().nullable(),
  reusable: z.boolean(),
});
export type PlannedStep = z.infer<typeof PlannedStep>;

/** What a pipeline keeps in the store: its spec and the plan of its steps, in dependency order. */
export const StoredPipeline = z.object({
  spec: PipelineJobSpec,
  steps: z.array(PlannedStep),
  input_uploads: CreateJobRequest.shape.input_uploads,
  continue_on_step_failure: z.boolean(),
  /** The pipeline's outputs: output -> [step, the step's output bound to it]. */
  outputs_from: z.record(z.string(), z.tuple([z.string(), z.string()])).default({}),
});
export type StoredPipeline = z.infer<typeof StoredPipeline>;

/** What a step's job keeps: its pipeline, its name in it, and where its outputs are if it was reused. */
export const StepFacts = z.object({
  pipeline: z.string(),
  step: z.string(),
  /** Set when an earlier job's outputs stand for this step's: that job's name. */
  reused_from: z.string().optional(),
});
export type StepFacts = z.infer<typeof StepFacts>;

/** One step as a pipeline's view shows it. */
export const PipelineStepView = z.object({
  name: z.string(),
  job_name: z.string().nullable(),
  status: z.string(),
  status_reason: z.string().nullable(),
  compute: z.string(),
  component: z.string().nullable(),
  depends_on: z.array(z.string()),
  reused_from: z.string().nullable(),
  duration_seconds: z.number().nullable(),
});
export type PipelineStepView = z.infer<typeof PipelineStepView>;

/** A pipeline's output: the step output bound to it, and the job whose files it is once that step completed. */
export const PipelineOutputView = z.object({
  name: z.string(),
  step: z.string(),
  output: z.string(),
  /** The job holding the files (the earlier one when the step was reused); null until the step completed. */
  job_name: z.string().nullable(),
});
export type PipelineOutputView = z.infer<typeof PipelineOutputView>;

export const PipelineView = z.object({
  steps: z.array(PipelineStepView),
  outputs: z.array(PipelineOutputView).default([]),
  settings: PipelineSettings,
});
export type PipelineView = z.infer<typeof PipelineView>;
