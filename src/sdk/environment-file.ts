import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isMap } from 'yaml';
import type { z } from 'zod';
import { CairnError } from '../protocol/errors.ts';
import { CondaFile, EnvironmentFileSpec, EnvironmentSpec } from '../protocol/environment.ts';
import { applySet, lineOf, parseSet, parseYamlDocument, readYamlFile } from './yaml-file.ts';
import { diskFiles, type LocalFiles } from './local-files.ts';

/**
 * An environment in its wire form except for the upload: the conda file read and inlined, the
 * build folder found but not yet sent (`build.snapshot_id` comes from uploading `buildDir`).
 */
export type EnvironmentDraft = Omit<EnvironmentSpec, 'build'> & {
  build?: { dockerfile_path: string; path?: string; snapshot_id?: string };
};

export interface LoadedEnvironment {
  spec: EnvironmentDraft;
  /** Absolute build context folder (`build.path`) to upload, or null without a build. */
  buildDir: string | null;
  /** Absolute Dockerfile inside buildDir, or null without a build. */
  dockerfilePath: string | null;
}

/** Where a problem is, for its one-line message: `env.yml line 4`, or nothing for a spec given in code. */
export type Where = (path: (string | number)[]) => string;

const ZEROS = '0'.repeat(64);
const KNOWN = new Set(Object.keys(EnvironmentFileSpec.shape));
const NOT_SUPPORTED: Record<string, string> = {
  datastore: 'build contexts are uploaded to the Cairn server, not to a datastore',
  intellectual_property: 'intellectual property settings are for Azure ML registries',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const prefixed = (where: Where | undefined, path: (string | number)[], msg: string) => (where ? `${where(path)}: ${msg}` : msg);

/** A path as the user will recognise it: relative to the current folder when inside it. */
export function displayPath(abs: string, cwd = process.cwd()): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/**
 * Reads an Azure ML v2 environment file (`az ml environment create -f`): `image`, `conda_file`
 * (a path relative to the file, or written inline) or `build` (a folder with a Dockerfile).
 * `overrides` (dotted field names: `name`, `version`, ...) and then `--set a.b=v` change it before
 * it is checked. Every problem is one line naming the file, the line and the field; the conda
 * file is read and checked here and the build folder is found, but nothing is uploaded.
 */
export function loadEnvironmentFile(file: string, sets: string[] = [], o: { overrides?: Record<string, unknown> } = {}): LoadedEnvironment {
  return parseEnvironmentYaml(readYamlFile(file, 'environment'), file, sets, o);
}

/** The text of an environment file, read already (the server's parse route gets it from a client). */
export function parseEnvironmentYaml(text: string, file: string, sets: string[] = [], o: { overrides?: Record<string, unknown> } = {}, fs: LocalFiles = diskFiles): LoadedEnvironment {
  const { doc, lines } = parseYamlDocument(text, file);
  if (!isMap(doc.contents)) throw new CairnError('ValidationError', `${file}: an environment file must be a YAML mapping of fields (image, conda_file, build, ...)`);
  for (const [k, v] of Object.entries(o.overrides ?? {})) if (v !== undefined) doc.setIn(k.split('.'), v);
  for (const s of sets) applySet(doc, s);
  const where: Where = (path) => `${file} line ${lineOf(doc, lines, path)}`;
  const spec = checkEnvironmentFields(doc.toJS(), where);
  return resolveEnvironmentFiles(spec, dirname(resolve(file)), where, fs);
}

/**
 * An environment from fields rather than a file (`cairn environment create --image ...`, an SDK
 * call): the same checks, with paths relative to `baseDir` (default: the current folder).
 */
export function environmentFromFields(fields: Record<string, unknown>, sets: string[] = [], baseDir = process.cwd(), fs: LocalFiles = diskFiles): LoadedEnvironment {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) setPath(raw, k.split('.'), v);
  for (const s of sets) {
    const [path, value] = parseSet(s);
    setPath(raw, path, value);
  }
  const spec = checkEnvironmentFields(raw, undefined);
  return resolveEnvironmentFiles(spec, baseDir, undefined, fs);
}

/**
 * Checks an environment written as YAML (a file's top level, or a job's inline `environment:`,
 * then `prefix` is `['environment']`) against the file form: unknown fields are named, a conda
 * file written inline is checked field by field, and image, build and conda_file must fit together.
 */
export function checkEnvironmentFields(raw: unknown, where: Where | undefined, prefix: (string | number)[] = []): EnvironmentFileSpec {
  const field = (path: (string | number)[]) => [...prefix, ...path].join('.');
  const fail = (path: (string | number)[], msg: string): never => {
    throw new CairnError('ValidationError', prefixed(where, [...prefix, ...path], msg));
  };
  if (!isObject(raw)) return fail([], `${prefix.length ? `field '${field([])}'` : 'an environment'} must be a mapping of fields (image, conda_file, build, ...)`);
  for (const key of Object.keys(raw)) {
    if (KNOWN.has(key)) continue;
    fail([key], NOT_SUPPORTED[key] ? `field '${field([key])}' is not supported: ${NOT_SUPPORTED[key]}` : `unknown field '${field([key])}' for an environment (expected ${[...KNOWN].filter((k) => k !== '$schema' && k !== 'inference_config').join(', ')})`);
  }
  const conda = raw.conda_file;
  if (conda !== undefined && conda !== null && typeof conda !== 'string' && !isObject(conda)) {
    fail(['conda_file'], `field '${field(['conda_file'])}' must be the path of a conda YAML file, or the conda environment written inline (channels, dependencies)`);
  }
  if (isObject(conda)) checkConda(conda, (path, msg) => fail(['conda_file', ...path], fieldMessage(field(['conda_file', ...path]), msg)));
  const parsed = EnvironmentFileSpec.safeParse(raw);
  if (!parsed.success) {
    const i = deepest(parsed.error.issues[0]);
    const path = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') return fail([...path, i.keys[0]], `unknown field '${field([...path, i.keys[0]])}'`);
    return fail(path, path.length ? fieldMessage(field(path), message(i)) : message(i));
  }
  const spec = parsed.data;
  // The rules the wire form adds (image or build, build without conda_file), checked before any file is read.
  const shape = EnvironmentSpec.safeParse({ ...spec, conda_file: spec.conda_file === undefined ? undefined : {}, build: spec.build && { snapshot_id: ZEROS, dockerfile_path: spec.build.dockerfile_path } });
  if (!shape.success) {
    const i = shape.error.issues[0];
    fail(i.path.length ? (i.path as (string | number)[]) : spec.build ? ['build'] : [], i.message);
  }
  return spec;
}

/**
 * The file form made the wire form, minus the upload: a `conda_file` path (relative to `baseDir`)
 * is read, parsed and checked; `build.path` must be a folder holding `build.dockerfile_path`.
 */
export function resolveEnvironmentFiles(env: EnvironmentFileSpec, baseDir: string, where?: Where | string, fs: LocalFiles = diskFiles): LoadedEnvironment {
  const at: Where | undefined = typeof where === 'string' ? () => where : where;
  const fail = (path: string[], msg: string): never => {
    throw new CairnError('ValidationError', prefixed(at, path, msg));
  };
  const { conda_file, build, ...rest } = env;
  const spec: EnvironmentDraft = { ...rest };
  if (typeof conda_file === 'string') spec.conda_file = readCondaFile(conda_file, baseDir, (msg) => fail(['conda_file'], msg), fs);
  else if (conda_file !== undefined) spec.conda_file = conda_file;
  if (!build) return { spec, buildDir: null, dockerfilePath: null };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(build.path) || build.path.startsWith('git@')) {
    fail(['build', 'path'], `build.path '${build.path}' must be a local folder: remote build contexts (git, http, azureml datastores) are not supported`);
  }
  const buildDir = resolve(baseDir, build.path);
  const dirKind = fs.kind(buildDir, 'dir');
  if (dirKind === null) fail(['build', 'path'], `build.path '${build.path}' does not exist (looked in ${buildDir})`);
  if (dirKind !== 'dir') fail(['build', 'path'], `build.path '${build.path}' is not a folder`);
  const dockerfilePath = resolve(buildDir, build.dockerfile_path);
  if (dockerfilePath !== buildDir && !dockerfilePath.startsWith(buildDir + sep)) {
    fail(['build', 'dockerfile_path'], `build.dockerfile_path '${build.dockerfile_path}' must be inside build.path (${buildDir})`);
  }
  if (fs.kind(dockerfilePath, 'file') !== 'file') {
    fail(['build', 'path'], `build.path '${build.path}' has no ${build.dockerfile_path} (looked for ${dockerfilePath}); add one, or set build.dockerfile_path`);
  }
  spec.build = { dockerfile_path: relative(buildDir, dockerfilePath).split(sep).join('/'), path: build.path };
  return { spec, buildDir, dockerfilePath };
}

/** A conda environment file: read, parsed as YAML (errors with line and column) and checked. */
function readCondaFile(path: string, baseDir: string, fail: (msg: string) => never, fs: LocalFiles): CondaFile {
  const abs = resolve(baseDir, path);
  const kind = fs.kind(abs, 'file');
  if (kind === null) return fail(`conda_file '${path}' does not exist (looked in ${abs})`);
  if (kind !== 'file') return fail(`conda_file '${path}' is not a file (${abs})`);
  let text: string;
  try {
    text = fs.readText(abs);
  } catch (err) {
    return fail(`cannot read conda_file ${abs}: ${(err as Error).message}`);
  }
  const shown = displayPath(abs, fs.cwd());
  const { doc, lines } = parseYamlDocument(text, shown);
  if (!isMap(doc.contents)) throw new CairnError('ValidationError', `${shown}: a conda file must be a YAML mapping (name, channels, dependencies)`);
  const raw = doc.toJS() as Record<string, unknown>;
  return checkConda(raw, (p, msg) => {
    throw new CairnError('ValidationError', `${shown} line ${lineOf(doc, lines, p)}: ${fieldMessage(p.join('.'), msg)}`);
  });
}

function checkConda(raw: Record<string, unknown>, fail: (path: (string | number)[], msg: string) => never): CondaFile {
  const r = CondaFile.safeParse(raw);
  if (r.success) return r.data;
  const i = deepest(r.error.issues[0]);
  const path = i.path as (string | number)[];
  if (path[0] === 'dependencies' && typeof path[1] === 'number' && path.length === 2 && i.code === 'invalid_union') {
    return fail(path, 'must be a package like numpy=1.26, or a "pip: [...]" entry');
  }
  return fail(path, message(i));
}

/** A union's issue made specific: the branch that got furthest into the value, when one did. */
function deepest(i: z.core.$ZodIssue): z.core.$ZodIssue {
  if (i.code !== 'invalid_union') return i;
  for (const branch of i.errors) {
    const first = branch[0];
    if (first && (first.path.length > 0 || first.code !== 'invalid_type')) return deepest({ ...first, path: [...i.path, ...first.path] } as z.core.$ZodIssue);
  }
  return i;
}

/** `field 'x' must be ...`, or `field 'x': <a sentence of its own>`. */
function fieldMessage(name: string, msg: string): string {
  return /^(must|is |invalid|expected|too )/i.test(msg) ? `field '${name}' ${msg}` : `field '${name}': ${msg}`;
}

function message(i: z.core.$ZodIssue): string {
  const m = i.message.replace(/^Invalid input: /, 'invalid: ').replace(/^Invalid input$/, 'is invalid');
  return m.charAt(0).toLowerCase() + m.slice(1);
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let at = obj;
  for (const k of path.slice(0, -1)) {
    if (!isObject(at[k])) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[path[path.length - 1]] = value;
}
