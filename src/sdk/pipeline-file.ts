import { resolve } from 'node:path';
import { CairnError } from '../protocol/errors.ts';
import { PipelineJobSpec, STEP_NAME, UNKNOWN_STEP_FIELD } from '../protocol/pipeline-spec.ts';
import { checkEnvironmentFields, resolveEnvironmentFiles, type Where } from './environment-file.ts';
import type { LocalFiles } from './local-files.ts';
import { codeFolder, localInputPaths, stripAzureml, type LoadedJob, type PipelineJobDraft } from './job-paths.ts';
import { loadComponentFile } from './component-file.ts';

/** A registered component's reference (`azureml:NAME:VERSION`, `NAME@latest`), not a local file. */
const isRegisteredRef = (v: string) => /^azureml:/.test(v.trim()) || (!/\.ya?ml$/i.test(v.trim()) && !v.includes('/'));

/**
 * Reads an Azure ML v2 pipeline job: each step's code folder and inline environment found
 * relative to the file, a component given as a local file read (its code and environment too)
 * and put inline, a registered one left as its reference for the server. One-line errors name
 * the file, line and field (`jobs.train.component`).
 */
export function checkPipelineFields(raw: Record<string, unknown>, where: Where, baseDir: string, fs: LocalFiles): LoadedJob {
  const jobs = raw.jobs;
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) throw new CairnError('ValidationError', `${where(['jobs'])}: a pipeline needs jobs: a mapping of its steps`);
  const steps: Record<string, unknown> = {};
  const stepCodeDirs: Record<string, string> = {};
  const stepBuildDirs: Record<string, string> = {};
  for (const [name, s] of Object.entries(jobs as Record<string, unknown>)) {
    if (!STEP_NAME.test(name)) throw new CairnError('ValidationError', `${where(['jobs', name])}: step name '${name}' must be letters, digits and _ (not starting with a digit, at most 64)`);
    if (typeof s !== 'object' || s === null) throw new CairnError('ValidationError', `${where(['jobs', name])}: step '${name}' must be a mapping (a command, or a component with its inputs)`);
    const step = { ...(s as Record<string, unknown>) };
    const at = (p: (string | number)[]) => where(['jobs', name, ...p]);
    // A sweep step's trial: a component (a file or a reference) or a command written inline, read as a command step is.
    if (step.type === 'sweep') {
      const trial = step.trial;
      if (typeof trial === 'string' && !isRegisteredRef(trial)) {
        const file = resolve(baseDir, trial);
        if (fs.kind(file, 'file') !== 'file') throw new CairnError('ValidationError', `${at(['trial'])}: component file '${trial}' does not exist (looked in ${file})`);
        const c = loadComponentFile(file, [], {}, fs);
        step.trial = { ...c.spec, name: c.spec.name ?? name.toLowerCase().replace(/[^a-z0-9_]/g, '_') };
        if (c.codeDir) stepCodeDirs[name] = c.codeDir;
        if (c.environmentBuildDir) stepBuildDirs[name] = c.environmentBuildDir;
      } else if (typeof trial === 'string') step.trial = stripAzureml(trial);
      else if (typeof trial === 'object' && trial !== null) {
        const t = { ...(trial as Record<string, unknown>) };
        if (typeof t.environment === 'object' && t.environment !== null) {
          const env = resolveEnvironmentFiles(checkEnvironmentFields(t.environment, where, ['jobs', name, 'trial', 'environment']), baseDir, (p) => at(['trial', 'environment', ...p]), fs);
          t.environment = env.spec;
          if (env.buildDir) stepBuildDirs[name] = env.buildDir;
        } else if (typeof t.environment === 'string') t.environment = stripAzureml(t.environment);
        if (typeof t.code === 'string') stepCodeDirs[name] = codeFolder(t.code, baseDir, where, ['jobs', name, 'trial', 'code'], fs);
        step.trial = t;
      }
      steps[name] = step;
      continue;
    }
    if (typeof step.component === 'string' && !isRegisteredRef(step.component)) {
      const file = resolve(baseDir, step.component);
      if (fs.kind(file, 'file') !== 'file') throw new CairnError('ValidationError', `${at(['component'])}: component file '${step.component}' does not exist (looked in ${file})`);
      const c = loadComponentFile(file, [], {}, fs);
      step.component = { ...c.spec, name: c.spec.name ?? name.toLowerCase().replace(/[^a-z0-9_]/g, '_') };
      if (c.codeDir) stepCodeDirs[name] = c.codeDir;
      if (c.environmentBuildDir) stepBuildDirs[name] = c.environmentBuildDir;
    } else if (typeof step.component === 'string') {
      step.component = stripAzureml(step.component);
    } else if (step.component !== undefined) {
      throw new CairnError('ValidationError', `${at(['component'])}: a step's component is a reference (azureml:NAME:VERSION, azureml:NAME@latest) or a component file (./train.yml)`);
    }
    if (typeof step.environment === 'object' && step.environment !== null) {
      const env = resolveEnvironmentFiles(checkEnvironmentFields(step.environment, where, ['jobs', name, 'environment']), baseDir, (p) => at(['environment', ...p]), fs);
      step.environment = env.spec;
      if (env.buildDir) stepBuildDirs[name] = env.buildDir;
    } else if (typeof step.environment === 'string') step.environment = stripAzureml(step.environment);
    if (typeof step.code === 'string') stepCodeDirs[name] = codeFolder(step.code, baseDir, where, ['jobs', name, 'code'], fs);
    steps[name] = step;
  }
  const parsed = PipelineJobSpec.safeParse({ ...raw, jobs: steps });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const path = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') {
      const key = i.keys[0]!;
      throw new CairnError('ValidationError', `${where([...path, key])}: unknown field '${[...path, key].join('.')}' for a pipeline job`);
    }
    if (i.message === UNKNOWN_STEP_FIELD) throw new CairnError('ValidationError', `${where(path)}: unknown field '${path.join('.')}' for a pipeline step (a step is a command job's fields, or component with its inputs and outputs)`);
    const what = path.length ? `field '${path.join('.')}'` : 'pipeline job';
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) throw new CairnError('ValidationError', `${where(path.slice(0, -1))}: ${what} is required`);
    throw new CairnError('ValidationError', `${where(path)}: ${what} ${i.message.replace(/^Invalid input: /, 'invalid: ')}`);
  }
  const spec = parsed.data as PipelineJobDraft;
  return { spec, codeDir: null, environmentBuildDir: null, inputPaths: localInputPaths(spec.inputs, baseDir, where, fs), stepCodeDirs, stepBuildDirs };
}
