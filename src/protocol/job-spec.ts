import { z } from 'zod';
import { EnvironmentFileSpec, EnvironmentSpec } from './environment.ts';
import { isDataInputShape, JobDataInput, JobOutputSpec } from './data.ts';

/**
 * Azure ML v2 command job, as far as Cairn runs it today. Fields Azure ML knows but Cairn does
 * not run yet are listed in UNSUPPORTED_JOB_FIELDS so the error can say so instead of "unknown".
 */
/** Text that can reach a database, a file name or an exec argument: NUL fits none of them. */
export const SafeString = z.string().refine((v) => !v.includes('\0'), { error: 'must not contain a NUL character' });
const Scalar = z.union([SafeString, z.number(), z.boolean()]);

// TextEncoder, not Buffer: the studio (a browser) type-checks this file too.
const utf8Bytes = (v: string) => new TextEncoder().encode(v).length;
/** One shell argument: bash -c gets the whole command, and Linux takes at most 128 KiB in one. */
export const MAX_COMMAND_BYTES = 100_000;
/** A job's own variables all together: they share the kernel's argument space (ARG_MAX) with the command. */
export const MAX_ENVIRONMENT_BYTES = 256 * 1024;
const MAX_VARIABLES = 1000;

export const LiteralInput = z.union([
  Scalar,
  z.strictObject({
    type: z.enum(['string', 'integer', 'number', 'boolean']).optional(),
    value: Scalar.optional(),
    default: Scalar.optional(),
    description: z.string().optional(),
  }),
]);

/** An output: `null`/`{}` (a folder under outputs/), or Azure's shape with type, mode, path, name and version. */
export const JobOutput = z.union([z.null(), JobOutputSpec]);

/**
 * An input: a literal (`lr: 0.1`, `{type: number, value: 0.1}`) or data (`{type: uri_folder, path: ...}`).
 * Which one is decided by the type, so the error names what is wrong with that one, not "Invalid input".
 */
export const JobInput = z.unknown().transform((v, ctx): z.infer<typeof LiteralInput> | JobDataInput => {
  const schema = isDataInputShape(v) ? JobDataInput : LiteralInput;
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  for (const i of r.error.issues) ctx.addIssue({ ...i, code: 'custom', message: i.message, path: i.path } as never);
  return z.NEVER;
});
export type JobInput = z.infer<typeof JobInput>;
export const isDataInput = (v: JobInput): v is JobDataInput => isDataInputShape(v);

export const ExperimentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'must be letters, digits, -, _ and . (at most 255)');

/** An experiment name made from a folder's name: the characters a name may not hold become _. */
export function experimentNameFrom(folder: string): string | undefined {
  const name = folder.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 255);
  return name || undefined;
}

/**
 * Azure ML's job resources: whole nodes of the compute's size (instance_count), or, with no compute,
 * a size for a cluster of the job's own (serverless). Fields Azure has for its own fleet are refused by name.
 */
export const Resources = z.strictObject({
  instance_count: z.number().int().min(1).max(1000).default(1),
  instance_type: SafeString.min(1).max(128).optional(),
  shm_size: z.string().regex(/^\d+[bkmg]?$/i, 'expected a size like 2g or 512m').optional(),
  docker_args: z.never({ error: 'docker_args are not supported: Cairn builds the engine command itself' }).optional(),
  properties: z.never({ error: 'resources.properties are Azure-specific and not supported' }).optional(),
  locations: z.never({ error: 'Cairn has no regions; remove resources.locations' }).optional(),
});
export type Resources = z.infer<typeof Resources>;

/** How the processes of a distributed job find each other (Azure ML's PyTorch, MPI and TensorFlow shapes). */
export const Distribution = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('pytorch'), process_count_per_instance: z.number().int().min(1).max(64).default(1) }),
    z.strictObject({ type: z.literal('mpi'), process_count_per_instance: z.number().int().min(1).max(64).default(1) }),
    z.strictObject({
      type: z.literal('tensorflow'),
      worker_count: z.number().int().min(1).max(1000).optional(),
      parameter_server_count: z.number().int().min(0).max(1000).default(0),
    }),
  ],
  { error: 'distribution.type must be pytorch, mpi or tensorflow' },
);
export type Distribution = z.infer<typeof Distribution>;

/** Azure ML's queue settings: a job's priority in its compute's queue. */
export const QueueSettings = z.strictObject({
  priority: z.enum(['low', 'medium', 'high'], { error: 'queue_settings.priority must be low, medium or high' }).default('medium'),
  job_tier: z.never({ error: 'job tiers are Azure-specific; use queue_settings.priority' }).optional(),
});
export const PRIORITY = { low: 1, medium: 2, high: 3 } as const;

/** A registered environment (`azureml:name:version`, `name@latest`) or one written inline. */
export const EnvironmentRef = z.union([z.string().min(1), EnvironmentSpec], { error: 'expected an environment reference like azureml:my-env:1 or an inline environment (image, conda_file, build)' });

export const CommandJobSpec = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('command').default('command'),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/, 'must be letters, digits, - and _ (start with a letter or digit, at most 255)').optional(),
  display_name: SafeString.max(256).optional(),
  description: SafeString.max(4096).optional(),
  tags: z
    .record(SafeString.max(250), Scalar.transform(String).pipe(z.string().max(5000, 'a tag value may be at most 5000 characters')))
    .refine((t) => Object.keys(t).length <= 100, 'at most 100 tags')
    .optional(),
  experiment_name: ExperimentName.optional(),
  command: SafeString.min(1, 'must not be empty').refine((v) => utf8Bytes(v) <= MAX_COMMAND_BYTES, {
    error: (i) => `is ${utf8Bytes(i.input as string)} bytes, over the limit of ${MAX_COMMAND_BYTES}: put a long script in a file of the code folder and run that`,
  }),
  code: SafeString.min(1).max(4096).optional(),
  environment: EnvironmentRef.optional(),
  /** A user-managed interpreter on the node (Cairn's addition): the job finds it first on PATH as `python` and `python3`. */
  python_path: SafeString.max(4096).regex(/^\//, { error: 'must be an absolute path to a python interpreter on the node, like /opt/py311/bin/python' }).optional(),
  environment_variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'is not a valid variable name'), Scalar.transform(String))
    .refine((e) => Object.keys(e).length <= MAX_VARIABLES, `at most ${MAX_VARIABLES} variables`)
    .refine((e) => Object.entries(e).reduce((n, [k, v]) => n + k.length + utf8Bytes(v) + 2, 0) <= MAX_ENVIRONMENT_BYTES, {
      error: `the variables take more than ${MAX_ENVIRONMENT_BYTES} bytes together (the kernel shares that space with the command); put big values in a file of the code folder`,
    })
    .optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/), JobInput).refine((i) => Object.keys(i).length <= 500, 'at most 500 inputs').optional(),
  outputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/), JobOutput).refine((o) => Object.keys(o).length <= 100, 'at most 100 outputs').optional(),
  compute: SafeString.min(1).max(255).optional(),
  limits: z.strictObject({ timeout: z.number().int().positive().max(60 * 60 * 24 * 90) }).optional(),
  resources: Resources.optional(),
  distribution: Distribution.optional(),
  queue_settings: QueueSettings.optional(),
  /** Attempts a preempted job may still get (Cairn's; Azure retries low-priority preemptions itself). */
  max_retries: z.number().int().min(0).max(100).optional(),
});
export type CommandJobSpec = z.infer<typeof CommandJobSpec>;

/** The job as its YAML file says it, before the client inlines the files its environment names. */
export const CommandJobFileSpec = CommandJobSpec.extend({
  environment: z.union([z.string().min(1), EnvironmentFileSpec], { error: 'expected an environment reference like azureml:my-env:1 or an inline environment (image, conda_file, build)' }).optional(),
});
export type CommandJobFileSpec = z.infer<typeof CommandJobFileSpec>;

/** Azure ML v2 fields that parse there but that Cairn does not run yet: each names why. */
export const UNSUPPORTED_JOB_FIELDS: Record<string, string> = {
  identity: 'identities are not supported: every job runs with its own job token',
  services: 'interactive job services (ssh, jupyter, tensorboard) are not supported yet',
  parent_job_name: "a job's parent is set by Cairn: a sweep's trials and a pipeline's steps get theirs",
  is_deterministic: 'is_deterministic belongs to a pipeline step or a component: put the command under a pipeline job\'s jobs:',
  properties: 'user properties are not supported yet; use tags',
  search_space: 'a search space belongs to a sweep job: add type: sweep and put the command under trial',
  trial: 'a trial belongs to a sweep job: add type: sweep',
  jobs: 'steps belong to a pipeline job: add type: pipeline',
};

/** What a client sends to create a job: the spec with `code` resolved to an uploaded snapshot. Unknown fields are refused by name. */
export const CreateJobRequest = z.strictObject({
  spec: CommandJobSpec,
  snapshot_id: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The code folder's own name: the experiment's name when the job names none. */
  code_folder_name: SafeString.min(1, 'must not be empty').max(255).optional(),
  /** Data inputs with a local path, uploaded like code: their snapshot, and for uri_file the file in it. */
  input_uploads: z
    .record(z.string().max(255), z.strictObject({ snapshot_id: z.string().regex(/^[0-9a-f]{64}$/), file: SafeString.min(1).max(4096).optional() }))
    .refine((u) => Object.keys(u).length <= 500, 'at most 500 uploaded inputs')
    .optional(),
  git: z
    .strictObject({
      repository_url: SafeString.max(4096).optional(),
      branch: SafeString.max(1024).optional(),
      commit: SafeString.max(256).optional(),
      dirty: z.boolean().optional(),
    })
    .optional(),
});
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;
