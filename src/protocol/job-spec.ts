import { z } from 'zod';
import { EnvironmentFileSpec, EnvironmentSpec } from './environment.ts';

/**
 * Azure ML v2 command job, as far as Cairn runs it today. Fields Azure ML knows but Cairn does
 * not run yet are listed in UNSUPPORTED_JOB_FIELDS so the error can say so instead of "unknown".
 */
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const LiteralInput = z.union([
  Scalar,
  z.strictObject({
    type: z.enum(['string', 'integer', 'number', 'boolean']).optional(),
    value: Scalar.optional(),
    default: Scalar.optional(),
    description: z.string().optional(),
  }),
]);

export const JobOutput = z.union([
  z.null(),
  z.strictObject({
    type: z.enum(['uri_folder', 'uri_file', 'mlflow_model', 'custom_model']).optional(),
    mode: z.enum(['rw_mount', 'upload']).optional(),
    path: z.string().optional(),
    description: z.string().optional(),
  }),
]);

/** A registered environment (`azureml:name:version`, `name@latest`) or one written inline. */
export const EnvironmentRef = z.union([z.string().min(1), EnvironmentSpec], { error: 'expected an environment reference like azureml:my-env:1 or an inline environment (image, conda_file, build)' });

export const CommandJobSpec = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('command').default('command'),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/, 'must be letters, digits, - and _ (start with a letter or digit, at most 255)').optional(),
  display_name: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  tags: z.record(z.string(), Scalar.transform(String)).optional(),
  experiment_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'must be letters, digits, -, _ and . (at most 255)').optional(),
  command: z.string().min(1, 'must not be empty'),
  code: z.string().min(1).optional(),
  environment: EnvironmentRef.optional(),
  /** A user-managed interpreter on the node (Cairn's addition): the job finds it first on PATH as `python` and `python3`. */
  python_path: z.string().regex(/^\//, { error: 'must be an absolute path to a python interpreter on the node, like /opt/py311/bin/python' }).optional(),
  environment_variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid variable name'), Scalar.transform(String)).optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), LiteralInput).optional(),
  outputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), JobOutput).optional(),
  compute: z.string().min(1).optional(),
  limits: z.strictObject({ timeout: z.number().int().positive().max(60 * 60 * 24 * 90) }).optional(),
});
export type CommandJobSpec = z.infer<typeof CommandJobSpec>;

/** The job as its YAML file says it, before the client inlines the files its environment names. */
export const CommandJobFileSpec = CommandJobSpec.extend({
  environment: z.union([z.string().min(1), EnvironmentFileSpec], { error: 'expected an environment reference like azureml:my-env:1 or an inline environment (image, conda_file, build)' }).optional(),
});
export type CommandJobFileSpec = z.infer<typeof CommandJobFileSpec>;

/** Azure ML v2 fields that parse there but that Cairn does not run yet: each names why. */
export const UNSUPPORTED_JOB_FIELDS: Record<string, string> = {
  resources: 'multi-node and instance-type resources arrive with compute clusters',
  distribution: 'distributed training (PyTorch, MPI, TensorFlow) arrives with compute clusters',
  identity: 'identities are not supported: every job runs with its own job token',
  services: 'interactive job services (ssh, jupyter, tensorboard) are not supported yet',
  queue_settings: 'queue settings are not supported yet',
  parent_job_name: 'pipeline jobs are not supported yet',
  is_deterministic: 'pipeline components are not supported yet',
  properties: 'user properties are not supported yet; use tags',
  search_space: 'sweep jobs are not supported yet',
  trial: 'sweep jobs are not supported yet',
  jobs: 'pipeline jobs are not supported yet',
};

/** What a client sends to create a job: the spec with `code` resolved to an uploaded snapshot. */
export const CreateJobRequest = z.object({
  spec: CommandJobSpec,
  snapshot_id: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  code_folder_name: z.string().optional(),
  git: z
    .object({ repository_url: z.string().optional(), branch: z.string().optional(), commit: z.string().optional(), dirty: z.boolean().optional() })
    .optional(),
});
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;
