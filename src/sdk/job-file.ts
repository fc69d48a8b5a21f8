import { basename, dirname, resolve } from 'node:path';
import { Document, isMap } from 'yaml';
import { applySet, lineOf as lineIn, parseYamlDocument, readYamlFile } from './yaml-file.ts';
import { diskFiles, type LocalFiles } from './local-files.ts';
import { isDataInput } from '../protocol/job-spec.ts';
import { parseDataPath } from '../protocol/data.ts';
import { checkEnvironmentFields, resolveEnvironmentFiles, type EnvironmentDraft, type Where } from './environment-file.ts';
import { CairnError } from '../protocol/errors.ts';
import { CommandJobFileSpec, UNSUPPORTED_JOB_FIELDS, type CommandJobSpec } from '../protocol/job-spec.ts';
import { checkSweepFields } from './sweep-file.ts';
import { checkPipelineFields } from './pipeline-file.ts';
import { codeFolder, localInputPaths, stripAzureml, type CommandJobDraft, type LoadedJob } from './job-paths.ts';

export { stripAzureml, type CommandJobDraft, type LoadedJob };




const KNOWN = new Set(Object.keys(CommandJobFileSpec.shape));



/**
 * Reads an Azure ML v2 command job file. Every problem is one line naming the file, the line
 * and the field: unknown fields and fields Cairn does not run yet are errors, never ignored.
 */
export function loadJobFile(file: string, sets: string[] = []): LoadedJob {
  return parseJobYaml(readYamlFile(file, 'job'), file, sets);
}

export function parseJobYaml(text: string, file: string, sets: string[] = [], fs: LocalFiles = diskFiles): LoadedJob {
  const { doc, lines } = parseYamlDocument(text, file);
  return checkJobDocument(doc, (path) => `${file} line ${lineIn(doc, lines, path)}`, dirname(resolve(file)), sets, fs, file);
}

/**
 * A job given as an object rather than a file (the Python SDK's `jobs.create(dict)`): the same
 * checks, each problem starting with `label` instead of a file and line; paths relative to `baseDir`.
 */
export function parseJobObject(fields: Record<string, unknown>, label: string, baseDir: string, sets: string[] = [], fs: LocalFiles = diskFiles): LoadedJob {
  return checkJobDocument(new Document(fields), () => label, baseDir, sets, fs, label);
}

function checkJobDocument(doc: Document, where: Where, baseDir: string, sets: string[], fs: LocalFiles, file: string): LoadedJob {
  for (const s of sets) applySet(doc, s);
  if (!isMap(doc.contents)) throw new CairnError('ValidationError', `${file}: a job file must be a YAML mapping of fields`);
  const raw = doc.toJS() as Record<string, unknown>;
  if (raw.type === 'sweep') return checkSweepFields(raw, where, baseDir, fs);
  if (raw.type === 'pipeline') return checkPipelineFields(raw, where, baseDir, fs);
  if (raw.type !== undefined && raw.type !== 'command') {
    const why = `unknown job type '${String(raw.type)}' (expected command, sweep or pipeline)`;
    throw new CairnError('ValidationError', `${where(['type'])}: ${why}`);
  }
  for (const key of Object.keys(raw)) {
    if (KNOWN.has(key)) continue;
    const why = UNSUPPORTED_JOB_FIELDS[key];
    throw new CairnError('ValidationError', why ? `${where([key])}: field '${key}' is not supported yet: ${why}` : `${where([key])}: unknown field '${key}' for a command job`);
  }
  // An inline environment is checked on its own, so its problems name their field (environment.build.path).
  const envRaw = raw.environment;
  const inlineEnv = typeof envRaw === 'object' && envRaw !== null ? checkEnvironmentFields(envRaw, where, ['environment']) : undefined;
  const parsed = CommandJobFileSpec.safeParse(inlineEnv ? { ...raw, environment: undefined } : raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const path = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') {
      const key = i.keys[0];
      throw new CairnError('ValidationError', `${where([...path, key])}: unknown field '${[...path, key].join('.')}'`);
    }
    const what = path.length ? `field '${path.join('.')}'` : 'job';
    throw new CairnError('ValidationError', `${where(path)}: ${what} ${i.message.replace(/^Invalid input: /, 'invalid: ')}`);
  }
  const { environment, ...fields } = parsed.data;
  const spec: CommandJobDraft = fields;
  if (spec.compute) spec.compute = spec.compute.replace(/^azureml:/, '');
  let environmentBuildDir: string | null = null;
  if (inlineEnv) {
    const env = resolveEnvironmentFiles(inlineEnv, baseDir, (p) => where(['environment', ...p]), fs);
    spec.environment = env.spec;
    environmentBuildDir = env.buildDir;
  } else if (typeof environment === 'string') spec.environment = stripAzureml(environment);
  const codeDir = spec.code ? codeFolder(spec.code, baseDir, where, ['code'], fs) : null;
  return { spec, codeDir, environmentBuildDir, inputPaths: localInputPaths(spec.inputs, baseDir, where, fs) };
}

/** `--set a.b=value`, as `az ml job create --set`: the value is read as YAML (numbers, booleans). */
export const codeFolderName = (codeDir: string) => basename(codeDir);
