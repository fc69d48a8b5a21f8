import { CairnError } from '../protocol/errors.ts';
import { SweepJobFileSpec } from '../protocol/sweep-spec.ts';
import { checkEnvironmentFields, resolveEnvironmentFiles, type Where } from './environment-file.ts';
import type { LocalFiles } from './local-files.ts';
import { codeFolder, localInputPaths, stripAzureml, type LoadedJob, type SweepJobDraft } from './job-paths.ts';

export type { SweepJobDraft };

/** Fields of a command job that a sweep has under `trial`: the error says where they go. */
const TRIAL_FIELDS = new Set(['command', 'code', 'environment', 'environment_variables', 'resources', 'distribution', 'python_path']);

export const isSweepDraft = (spec: LoadedJob['spec']): spec is SweepJobDraft => spec.type === 'sweep';

/**
 * Reads an Azure ML v2 sweep job: the same one-line errors as a command job, each naming the
 * field (`trial.code`, `search_space.lr.max_value`); the trial's code and environment are found
 * relative to the file, like a command job's.
 */
export function checkSweepFields(raw: Record<string, unknown>, where: Where, baseDir: string, fs: LocalFiles): LoadedJob {
  const trialRaw = raw.trial as Record<string, unknown> | undefined;
  const envRaw = typeof trialRaw === 'object' && trialRaw !== null ? trialRaw.environment : undefined;
  const inlineEnv = typeof envRaw === 'object' && envRaw !== null ? checkEnvironmentFields(envRaw, where, ['trial', 'environment']) : undefined;
  for (const key of Object.keys(raw)) {
    if (key in SweepJobFileSpec.shape) continue;
    const hint = TRIAL_FIELDS.has(key) ? ` (a sweep's ${key} goes under trial)` : '';
    throw new CairnError('ValidationError', `${where([key])}: unknown field '${key}' for a sweep job${hint}`);
  }
  const parsed = SweepJobFileSpec.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const path = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') {
      const key = i.keys[0]!;
      throw new CairnError('ValidationError', `${where([...path, key])}: unknown field '${[...path, key].join('.')}' for a sweep job`);
    }
    const what = path.length ? `field '${path.join('.')}'` : 'sweep job';
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) throw new CairnError('ValidationError', `${where(path.slice(0, -1))}: ${what} is required`);
    throw new CairnError('ValidationError', `${where(path)}: ${what} ${i.message.replace(/^Invalid input: /, 'invalid: ')}`);
  }
  const { trial, ...rest } = parsed.data;
  const { environment, ...trialFields } = trial;
  const spec: SweepJobDraft = { ...rest, trial: trialFields } as SweepJobDraft;
  if (spec.compute) spec.compute = spec.compute.replace(/^azureml:/, '');
  let environmentBuildDir: string | null = null;
  if (inlineEnv) {
    const env = resolveEnvironmentFiles(inlineEnv, baseDir, (p) => where(['trial', 'environment', ...p]), fs);
    spec.trial.environment = env.spec;
    environmentBuildDir = env.buildDir;
  } else if (typeof environment === 'string') spec.trial.environment = stripAzureml(environment);
  else if (environment !== undefined) throw new CairnError('ValidationError', `${where(['trial', 'environment'])}: expected an environment reference like azureml:my-env:1 or an inline environment`);
  const codeDir = spec.trial.code ? codeFolder(spec.trial.code, baseDir, where, ['trial', 'code'], fs) : null;
  return { spec, codeDir, environmentBuildDir, inputPaths: localInputPaths(spec.inputs, baseDir, where, fs) };
}
