import { CairnError } from '../protocol/errors.ts';
import { type Component, type ComponentSpec, parseComponentRef } from '../protocol/component.ts';
import { ws } from '../protocol/routes.ts';
import type { SnapshotOptions } from '../snapshot/index.ts';
import type { CairnClient } from './client.ts';
import { loadComponentFile, parseComponentObject, type LoadedComponent } from './component-file.ts';
import { completeEnvironment, uploadCode, type UploadProgress } from './submit.ts';

/** Which version `get` answers: an exact `version`, or the `label` `latest` (the default). */
export interface ComponentSelector {
  version?: string;
  label?: string;
}

export interface CreateComponentOptions {
  /** Snapshot settings for uploading the code folder and an inline environment's build folder. */
  snapshot?: SnapshotOptions;
  onWarning?: (msg: string) => void;
  onProgress?: (p: UploadProgress) => void;
  /** With an object spec: the folder its `code` and environment files are relative to (default: the current folder). */
  baseDir?: string;
}

/** A component YAML file to register; `name`, `version` and `set` (`a.b=v`) override it. */
export interface ComponentFileInput {
  file: string;
  name?: string;
  version?: string;
  set?: string[];
}

/**
 * `name`, `azureml:name`, `name:version`, `name@latest`: the name and the version or label it
 * names. An explicit version or label wins over one inside the name only when they agree.
 */
export function componentTarget(raw: string, sel: ComponentSelector = {}): { name: string; version?: string; label?: string } {
  const ref = parseComponentRef(raw);
  if (!ref) throw new CairnError('ValidationError', `'${raw}' is not a component name of this workspace: write NAME, NAME:VERSION or NAME@latest (an azureml: prefix is fine)`);
  if ((sel.version !== undefined && ref.version !== undefined && sel.version !== ref.version) || (sel.label !== undefined && ref.label !== undefined && sel.label !== ref.label) || (ref.version !== undefined && sel.label !== undefined) || (ref.label !== undefined && sel.version !== undefined)) {
    throw new CairnError('ValidationError', `'${raw}' already names ${ref.version !== undefined ? `version ${ref.version}` : `label ${ref.label}`}; give the version or label once`);
  }
  const version = sel.version ?? ref.version;
  const label = sel.label ?? ref.label;
  if (version !== undefined && label !== undefined) throw new CairnError('ValidationError', 'give a version or a label, not both');
  return { name: ref.name, ...(version !== undefined ? { version } : {}), ...(label !== undefined ? { label } : {}) };
}

/**
 * Registered command components of the client's workspace, Azure ML's `ml_client.components`:
 * create (from a YAML file or an object like it), get a version or the latest, list, archive and
 * restore. Versions never change: the same content again answers with the version that has it;
 * other content under a taken version is refused.
 */
export class ComponentOperations {
  private readonly client: CairnClient;

  constructor(client: CairnClient) {
    this.client = client;
  }

  private url(path = ''): string {
    return `${this.client.url}${ws(this.client.workspace)}/components${path}`;
  }

  /** Registers a version from `{ file }` (a component YAML) or an object written like one (paths relative to `o.baseDir`). */
  async create(input: ComponentFileInput | Record<string, unknown>, o: CreateComponentOptions = {}): Promise<Component> {
    return this.register(this.load(input, o), o);
  }

  /** The file form checked and read, without sending anything: what `create` would register. */
  load(input: ComponentFileInput | Record<string, unknown>, o: Pick<CreateComponentOptions, 'baseDir'> = {}): LoadedComponent {
    if (typeof input.file === 'string') {
      const f = input as ComponentFileInput;
      return loadComponentFile(f.file, f.set ?? [], { overrides: { name: f.name?.replace(/^azureml:/, ''), version: f.version } });
    }
    return parseComponentObject(input as Record<string, unknown>, 'component', o.baseDir ?? process.cwd());
  }

  /** Registers what `load` read: uploads its code folder (and an inline environment's build folder), then creates the version. */
  async register(loaded: LoadedComponent, o: CreateComponentOptions = {}): Promise<Component> {
    const { spec } = loaded;
    if (!spec.name) throw new CairnError('ValidationError', 'a component to register needs a name');
    const snapshotId = loaded.codeDir ? await uploadCode(this.client, loaded.codeDir, o) : undefined;
    const env = typeof spec.environment === 'object' ? await completeEnvironment(this.client, spec.environment, loaded.environmentBuildDir, o) : spec.environment;
    const body = { spec: { ...spec, ...(env !== undefined ? { environment: env } : {}) } as ComponentSpec, ...(snapshotId ? { snapshot_id: snapshotId } : {}) };
    const created = await this.client.json<Component>('POST', this.url(), body);
    for (const w of created.warnings ?? []) o.onWarning?.(w);
    return created;
  }

  /** One version: `version`, or the latest (archived versions are found only by exact version). */
  async get(name: string, sel: ComponentSelector = {}): Promise<Component> {
    const t = componentTarget(name, sel);
    const q = new URLSearchParams(t.version !== undefined ? { version: t.version } : { label: t.label ?? 'latest' });
    return this.client.json('GET', this.url(`/${encodeURIComponent(t.name)}?${q}`));
  }

  /** The latest version of each name; with `name`, every version of it, newest first. Archived ones only with `includeArchived`. */
  async list(o: { name?: string; includeArchived?: boolean } = {}): Promise<Component[]> {
    const q = new URLSearchParams();
    if (o.name) q.set('name', componentTarget(o.name).name);
    if (o.includeArchived) q.set('include_archived', 'true');
    const qs = q.toString();
    return this.client.json('GET', this.url(qs ? `?${qs}` : ''));
  }

  /** Archives one version, or without a version every version of the name: they leave lists and `@latest` but stay usable by exact version. */
  async archive(name: string, o: { version?: string } = {}): Promise<Component[]> {
    return this.setArchived(name, o.version, 'archive');
  }

  /** Undoes archive, for one version or the whole name. */
  async restore(name: string, o: { version?: string } = {}): Promise<Component[]> {
    return this.setArchived(name, o.version, 'restore');
  }

  private async setArchived(name: string, version: string | undefined, action: 'archive' | 'restore'): Promise<Component[]> {
    const t = componentTarget(name, { version });
    if (t.label !== undefined) throw new CairnError('ValidationError', `${action} takes a version, or none for every version of '${t.name}'; not a label`);
    const q = t.version !== undefined ? `?${new URLSearchParams({ version: t.version })}` : '';
    return this.client.json('POST', this.url(`/${encodeURIComponent(t.name)}/${action}${q}`));
  }
}
