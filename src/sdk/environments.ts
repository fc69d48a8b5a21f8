import { CairnError } from '../protocol/errors.ts';
import { parseEnvironmentRef, type Environment, type EnvironmentFileSpec, type EnvironmentSpec } from '../protocol/environment.ts';
import { ws } from '../protocol/routes.ts';
import type { z } from 'zod';
import type { SnapshotOptions } from '../snapshot/index.ts';
import type { CairnClient } from './client.ts';
import { checkEnvironmentFields, loadEnvironmentFile, resolveEnvironmentFiles, type LoadedEnvironment } from './environment-file.ts';
import { completeEnvironment, type UploadProgress } from './submit.ts';

/** An environment as written in YAML, as an object: `conda_file` and `build.path` may be paths. */
export type EnvironmentDefinition = z.input<typeof EnvironmentFileSpec>;

/** Which version `get` answers: an exact `version`, or the `label` `latest` (the default). */
export interface EnvironmentSelector {
  version?: string;
  label?: string;
}

export interface CreateEnvironmentOptions {
  /** Snapshot settings for uploading a build folder (stat cache, limits). */
  snapshot?: SnapshotOptions;
  onWarning?: (msg: string) => void;
  onProgress?: (p: UploadProgress) => void;
  /** With an object spec whose `conda_file` or `build.path` are paths: the folder they are relative to (default: the current folder). */
  baseDir?: string;
}

/** An environment YAML file to register; `name`, `version` and `set` (`a.b=v`) override it. */
export interface EnvironmentFileInput {
  file: string;
  name?: string;
  version?: string;
  set?: string[];
}

/**
 * `name`, `azureml:name`, `name:version`, `name@latest`: the name and the version or label it
 * names. An explicit version or label wins over one inside the name only when they agree.
 */
export function environmentTarget(raw: string, sel: EnvironmentSelector = {}): { name: string; version?: string; label?: string } {
  const ref = parseEnvironmentRef(raw);
  if (!ref || ref.registry) {
    throw new CairnError('ValidationError', `'${raw}' is not an environment name of this workspace: write name, name:version or name@latest (registry URIs name Azure ML registries)`);
  }
  const inName = /[:@]/.test(raw.replace(/^azureml:/, ''));
  const version = sel.version ?? (inName ? ref.version : undefined);
  const label = sel.label ?? (inName ? ref.label : undefined);
  if (inName && ((sel.version !== undefined && sel.version !== ref.version) || (sel.label !== undefined && sel.label !== ref.label))) {
    throw new CairnError('ValidationError', `'${raw}' already names ${ref.version !== undefined ? `version ${ref.version}` : `label ${ref.label}`}; give the version or label once`);
  }
  if (version !== undefined && label !== undefined) throw new CairnError('ValidationError', 'give a version or a label, not both');
  return { name: ref.name, ...(version !== undefined ? { version } : {}), ...(label !== undefined ? { label } : {}) };
}

/**
 * Registered environments of the client's workspace, Azure ML's `ml_client.environments`: create
 * (from a YAML file, a spec whose files are paths, or a wire spec), get a version or the latest,
 * list, archive and restore. Versions never change: creating the same content again answers with
 * the version that has it; other content under a taken version is refused.
 */
export class EnvironmentOperations {
  private readonly client: CairnClient;

  constructor(client: CairnClient) {
    this.client = client;
  }

  private url(path = ''): string {
    return `${this.client.url}${ws(this.client.workspace)}/environments${path}`;
  }

  /**
   * Registers a version. `{ file }` reads an environment YAML (its conda file and build folder
   * relative to it); an object with `conda_file` or `build.path` as paths is read relative to
   * `o.baseDir`. A build folder is uploaded first (its ignore rules apply). Without a version, the
   * server gives the next number, or the latest version when its content is the same.
   */
  async create(input: EnvironmentFileInput | EnvironmentDefinition | EnvironmentSpec, o: CreateEnvironmentOptions = {}): Promise<Environment> {
    return this.register(this.load(input, o), o);
  }

  /** Registers what `load` (or loadEnvironmentFile) read: uploads its build folder, if any, then creates the version. */
  async register(loaded: LoadedEnvironment, o: CreateEnvironmentOptions = {}): Promise<Environment> {
    return this.client.json('POST', this.url(), await completeEnvironment(this.client, loaded.spec, loaded.buildDir, o));
  }

  /** The file form checked and read, without sending anything: what `create` would register. */
  load(input: EnvironmentFileInput | EnvironmentDefinition | EnvironmentSpec, o: Pick<CreateEnvironmentOptions, 'baseDir'> = {}): LoadedEnvironment {
    if ('file' in input && typeof input.file === 'string') {
      const f = input as EnvironmentFileInput;
      return loadEnvironmentFile(f.file, f.set ?? [], { overrides: { name: f.name?.replace(/^azureml:/, ''), version: f.version } });
    }
    const spec = input as EnvironmentDefinition | EnvironmentSpec;
    if (spec.build && 'snapshot_id' in spec.build && spec.build.snapshot_id) {
      return { spec: spec as EnvironmentSpec, buildDir: null, dockerfilePath: null }; // uploaded already: the server checks it
    }
    const checked: EnvironmentFileSpec = checkEnvironmentFields({ ...spec, ...(spec.name ? { name: spec.name.replace(/^azureml:/, '') } : {}) }, undefined);
    return resolveEnvironmentFiles(checked, o.baseDir ?? process.cwd());
  }

  /** One version: `version`, or the latest (archived versions are found only by exact version). */
  async get(name: string, sel: EnvironmentSelector = {}): Promise<Environment> {
    const t = environmentTarget(name, sel);
    const q = new URLSearchParams(t.version !== undefined ? { version: t.version } : { label: t.label ?? 'latest' });
    return this.client.json('GET', this.url(`/${encodeURIComponent(t.name)}?${q}`));
  }

  /** The latest version of each name; with `name`, every version of it, newest first. Archived ones only with `includeArchived`. */
  async list(o: { name?: string; includeArchived?: boolean } = {}): Promise<Environment[]> {
    const q = new URLSearchParams();
    if (o.name) q.set('name', environmentTarget(o.name).name);
    if (o.includeArchived) q.set('include_archived', 'true');
    const qs = q.toString();
    return this.client.json('GET', this.url(qs ? `?${qs}` : ''));
  }

  /** Archives one version, or without a version every version of the name: they leave lists and `@latest` but stay usable by exact version. */
  async archive(name: string, o: { version?: string } = {}): Promise<Environment[]> {
    return this.setArchived(name, o.version, 'archive');
  }

  /** Undoes archive, for one version or the whole name. */
  async restore(name: string, o: { version?: string } = {}): Promise<Environment[]> {
    return this.setArchived(name, o.version, 'restore');
  }

  private async setArchived(name: string, version: string | undefined, action: 'archive' | 'restore'): Promise<Environment[]> {
    const t = environmentTarget(name, { version });
    if (t.label !== undefined && t.label !== 'latest') throw new CairnError('ValidationError', `unknown label '${t.label}': the only label is 'latest'`);
    if (t.label !== undefined) throw new CairnError('ValidationError', `${action} takes a version, or none for every version of '${t.name}'; not a label`);
    const q = t.version !== undefined ? `?${new URLSearchParams({ version: t.version })}` : '';
    return this.client.json('POST', this.url(`/${encodeURIComponent(t.name)}/${action}${q}`));
  }
}
