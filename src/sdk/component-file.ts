import { dirname, resolve } from 'node:path';
import { Document, isMap } from 'yaml';
import { CairnError } from '../protocol/errors.ts';
import { ComponentFileShape, ComponentFileSpec, type ComponentSpec } from '../protocol/component.ts';
import { checkEnvironmentFields, resolveEnvironmentFiles, type EnvironmentDraft, type Where } from './environment-file.ts';
import { codeFolder, stripAzureml } from './job-paths.ts';
import { diskFiles, type LocalFiles } from './local-files.ts';
import { applySet, lineOf, parseYamlDocument, readYamlFile } from './yaml-file.ts';

/** A component as the client holds it before registering: an inline environment read, its build folder and the code not yet uploaded. */
export type ComponentDraft = Omit<ComponentSpec, 'environment' | 'name'> & { name?: string; environment?: string | EnvironmentDraft };

export interface LoadedComponent {
  spec: ComponentDraft;
  /** Absolute code folder (`code`) to upload, or null without code. */
  codeDir: string | null;
  /** Absolute build context of an inline environment's `build.path`, or null. */
  environmentBuildDir: string | null;
}

const KNOWN = new Set(Object.keys(ComponentFileShape.shape));
/** Component types Azure ML has that Cairn does not register (yet). */
const OTHER_TYPES: Record<string, string> = {
  pipeline: 'pipeline',
  parallel: 'parallel',
  spark: 'spark',
  import: 'import',
  data_transfer: 'data transfer',
  datatransfer: 'data transfer',
  automl: 'AutoML',
  flow: 'flow',
};
/** Fields of those other component types, so a command component that has one says what it is. */
const OTHER_TYPE_FIELDS: Record<string, string> = {
  jobs: 'pipeline',
  settings: 'pipeline',
  task: 'parallel',
  mini_batch_size: 'parallel',
  mini_batch_error_threshold: 'parallel',
  input_data: 'parallel',
  retry_settings: 'parallel',
  logging_level: 'parallel',
  max_concurrency_per_instance: 'parallel',
  error_threshold: 'parallel',
  partition_keys: 'parallel',
  entry: 'spark',
  py_files: 'spark',
  jars: 'spark',
  files: 'spark',
  archives: 'spark',
  conf: 'spark',
  args: 'spark',
  driver_cores: 'spark',
  driver_memory: 'spark',
  executor_cores: 'spark',
  executor_memory: 'spark',
  executor_instances: 'spark',
  dynamic_allocation_enabled: 'spark',
  dynamic_allocation_min_executors: 'spark',
  dynamic_allocation_max_executors: 'spark',
  source: 'import',
  output: 'import',
};
const NOT_SUPPORTED: Record<string, string> = {
  additional_includes: 'additional_includes are not supported yet: put what the command needs in the code folder',
  properties: 'user properties are not supported yet; use tags',
  instance_count: 'write it as resources.instance_count',
  environment_variables: 'a component has no environment_variables in Azure ML; set them on the step that uses it',
  intellectual_property: 'intellectual property settings are for Azure ML registries',
  identity: 'identities are not supported: every job runs with its own job token',
  compute: 'a component does not choose its compute; the step or pipeline that uses it does',
};

const ONLY_COMMAND = 'only command components (type: command) are supported';

/**
 * Reads an Azure ML v2 command component file (`az ml component create -f`). `overrides`
 * (`name`, `version`, ...) and then `--set a.b=v` change it before it is checked. Every problem is
 * one line naming the file, the line and the field; the code folder and an inline environment's
 * files are found and read, but nothing is uploaded.
 */
export function loadComponentFile(file: string, sets: string[] = [], o: { overrides?: Record<string, unknown> } = {}, fs: LocalFiles = diskFiles): LoadedComponent {
  return parseComponentYaml(readYamlFile(file, 'component', fs), file, sets, o, fs);
}

/** The text of a component file, read already. */
export function parseComponentYaml(text: string, file: string, sets: string[] = [], o: { overrides?: Record<string, unknown> } = {}, fs: LocalFiles = diskFiles): LoadedComponent {
  const { doc, lines } = parseYamlDocument(text, file);
  if (!isMap(doc.contents)) throw new CairnError('ValidationError', `${file}: a component file must be a YAML mapping of fields (name, inputs, command, ...)`);
  for (const [k, v] of Object.entries(o.overrides ?? {})) if (v !== undefined) doc.setIn(k.split('.'), v);
  for (const s of sets) applySet(doc, s);
  return checkComponentFields(doc.toJS(), (path) => `${file} line ${lineOf(doc, lines, path)}`, dirname(resolve(file)), fs);
}

/** A component given as an object (an SDK call): the same checks, each problem starting with `label`; paths relative to `baseDir`. */
export function parseComponentObject(fields: Record<string, unknown>, label: string, baseDir: string, sets: string[] = [], fs: LocalFiles = diskFiles): LoadedComponent {
  const doc = new Document(fields);
  for (const s of sets) applySet(doc, s);
  return checkComponentFields(doc.toJS(), () => label, baseDir, fs);
}

/**
 * Checks a component written as YAML: its type (command only), unknown fields and fields of other
 * component types by name, inputs and outputs with their types and defaults, the command's
 * `${{...}}` and `$[[ ... ]]`, the code folder and an inline environment.
 */
export function checkComponentFields(raw: unknown, where: Where, baseDir: string, fs: LocalFiles = diskFiles): LoadedComponent {
  const fail = (path: (string | number)[], msg: string): never => {
    throw new CairnError('ValidationError', `${where(path)}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail([], 'a component must be a mapping of fields (name, inputs, command, ...)');
  const r = raw as Record<string, unknown>;
  if (r.type !== undefined && r.type !== 'command') {
    const other = typeof r.type === 'string' ? OTHER_TYPES[r.type] : undefined;
    fail(['type'], other ? `${other} components are not supported: ${ONLY_COMMAND}` : `unknown component type '${String(r.type)}': ${ONLY_COMMAND}`);
  }
  for (const key of Object.keys(r)) {
    if (KNOWN.has(key)) continue;
    if (OTHER_TYPE_FIELDS[key]) fail([key], `field '${key}' belongs to ${OTHER_TYPE_FIELDS[key]} components: ${ONLY_COMMAND}`);
    fail([key], NOT_SUPPORTED[key] ? `field '${key}' is not supported: ${NOT_SUPPORTED[key]}` : `unknown field '${key}' for a command component (expected ${[...KNOWN].filter((k) => k !== '$schema').join(', ')})`);
  }
  // An inline environment is checked on its own, so its problems name their field (environment.build.path).
  const envRaw = r.environment;
  const inlineEnv = typeof envRaw === 'object' && envRaw !== null ? checkEnvironmentFields(envRaw, where, ['environment']) : undefined;
  const parsed = ComponentFileSpec.safeParse(inlineEnv ? { ...r, environment: undefined } : r);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const path = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') {
      const at = [...path, i.keys[0]!];
      return fail(at, `unknown field '${at.join('.')}'${path[0] === 'inputs' ? ' (an input takes type, description, optional, default, min, max, enum and mode)' : path[0] === 'outputs' ? ' (an output takes type, description and mode)' : ''}`);
    }
    return fail(path, path.length ? fieldMessage(path.join('.'), message(i.message)) : message(i.message));
  }
  const { environment, ...fields } = parsed.data;
  const spec: ComponentDraft = fields;
  let environmentBuildDir: string | null = null;
  if (inlineEnv) {
    const env = resolveEnvironmentFiles(inlineEnv, baseDir, (p) => where(['environment', ...p]), fs);
    spec.environment = env.spec;
    environmentBuildDir = env.buildDir;
  } else if (typeof environment === 'string') spec.environment = stripAzureml(environment);
  let codeDir: string | null = null;
  if (spec.code !== undefined) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(spec.code) && !/^[a-z]:[\\/]/i.test(spec.code)) {
      fail(['code'], `code '${spec.code}' must be a local folder: registered code assets, git and http(s) code are not supported yet`);
    }
    codeDir = codeFolder(spec.code, baseDir, where, ['code'], fs);
  }
  return { spec, codeDir, environmentBuildDir };
}

/** `field 'x' must be ...`, or `field 'x': <a sentence of its own>`. */
function fieldMessage(name: string, msg: string): string {
  return /^(must|is |invalid|expected|too )/i.test(msg) ? `field '${name}' ${msg}` : `field '${name}': ${msg}`;
}

function message(m: string): string {
  const s = m.replace(/^Invalid input: /, 'invalid: ').replace(/^Invalid input$/, 'is invalid');
  return s.charAt(0).toLowerCase() + s.slice(1);
}
