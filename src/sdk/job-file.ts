import { basename, dirname, resolve } from 'node:path';
import { Document, isMap } from 'yaml';
import { applySet, lineOf as lineIn, parseYamlDocument, readYamlFile } from './yaml-file.ts';
import { diskFiles, type LocalFiles } from './local-files.ts';
import { isDataInput } from '../protocol/job-spec.ts';
import { parseDataPath } from '../protocol/data.ts';
import { checkEnvironmentFields, resolveEnvironmentFiles, type EnvironmentDraft, type Where } from './environment-file.ts';
import { CairnError } from '../protocol/errors.ts';
import { CommandJobFileSpec, UNSUPPORTED_JOB_FIELDS, type CommandJobSpec } from '../protocol/job-spec.ts';
import { checkSweepFields, type SweepJobDraft } from './sweep-file.ts';

/**
 * A command job as the client holds it before submitting: an inline environment's conda file is
 * inlined already, its build folder not yet uploaded (submitJob does that and sets `build.snapshot_id`).
 */
export type CommandJobDraft = Omit<CommandJobSpec, 'environment'> & { environment?: string | EnvironmentDraft };

export interface LoadedJob {
  /** A command job, or a sweep (whose trial holds the code and environment). */
  spec: CommandJobDraft | SweepJobDraft;
  /** Absolute code folder, or null when the job has no `code`. */
  codeDir: string | null;
  /** Absolute build context of an inline environment's `build.path`, or null. */
  environmentBuildDir: string | null;
  /** Data inputs with a local path: the absolute file or folder each one uploads. */
  inputPaths: Record<string, string>;
}

const KNOWN = new Set(Object.keys(CommandJobFileSpec.shape));

/**
 * `azureml:name:version` -> `name:version`, as the server reads references; an
 * `azureml://registries/...` URI is a reference of its own and stays whole.
 */
export const stripAzureml = (ref: string): string => ref.replace(/^azureml:(?!\/\/)/, '');

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
  if (raw.type !== undefined && raw.type !== 'command') {
    const why = raw.type === 'pipeline' ? 'pipeline jobs are not supported yet' : `unknown job type '${String(raw.type)}' (expected command or sweep)`;
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

/** The absolute code folder a job's `code` names, which must be a folder. */
export function codeFolder(code: string, baseDir: string, where: Where, at: string[], fs: LocalFiles): string {
  const codeDir = resolve(baseDir, code);
  const kind = fs.kind(codeDir, 'dir');
  if (kind === null) throw new CairnError('ValidationError', `${where(at)}: code folder '${code}' does not exist (looked in ${codeDir})`);
  if (kind !== 'dir') throw new CairnError('ValidationError', `${where(at)}: code '${code}' is not a folder`);
  return codeDir;
}

/** Data inputs with a local path: the absolute file or folder each uploads, checked to be what its type says. */
export function localInputPaths(inputs: CommandJobSpec['inputs'], baseDir: string, where: Where, fs: LocalFiles): Record<string, string> {
  const inputPaths: Record<string, string> = {};
  for (const [name, input] of Object.entries(inputs ?? {})) {
    if (!isDataInput(input)) continue;
    const p = parseDataPath(input.path);
    if ('error' in p) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: inputs.${name}.path: ${p.error}`);
    if (p.kind !== 'local') continue;
    const abs = resolve(baseDir, p.path);
    const kind = fs.kind(abs, input.type === 'uri_file' ? 'file' : 'dir');
    if (kind === null) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: input '${name}': path '${p.path}' does not exist (looked in ${abs})`);
    const isDir = kind === 'dir';
    if (input.type === 'uri_file' && isDir) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: input '${name}' is uri_file, but '${p.path}' is a folder (use uri_folder)`);
    if (input.type !== 'uri_file' && !isDir) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: input '${name}' is ${input.type}, but '${p.path}' is a file (use uri_file)`);
    inputPaths[name] = abs;
  }
  return inputPaths;
}

/** `--set a.b=value`, as `az ml job create --set`: the value is read as YAML (numbers, booleans). */
export const codeFolderName = (codeDir: string) => basename(codeDir);
