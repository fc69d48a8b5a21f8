import { createHash } from 'node:crypto';
import { CairnError } from '../../protocol/errors.ts';
import { registerVersion } from './versions.ts';
import { type Component, type ComponentSpec, type CreateComponentRequest, parseComponentRef } from '../../protocol/component.ts';
import { canonicalJson, parseEnvironmentRef } from '../../protocol/environment.ts';
import { componentWarnings } from '../../domain/components.ts';
import type { Store } from '../../store/index.ts';
import type { ComponentRow } from '../../store/components.ts';
import type { EnvironmentsService } from './environments.ts';

export interface ComponentsDeps {
  store: Store;
  environments: EnvironmentsService;
}

/**
 * What makes two versions the same: everything but the name, the version and the code folder's
 * path (its content counts, as the snapshot id), with the environment as resolved.
 */
export function componentHash(spec: ComponentSpec, snapshotId: string | undefined): string {
  const { name: _n, version: _v, $schema: _s, code: _c, ...rest } = spec;
  return createHash('sha256').update(canonicalJson({ ...rest, snapshot_id: snapshotId })).digest('hex');
}

/** `az ml component`: register command components, show, list, archive and restore their versions. */
export class ComponentsService {
  private readonly d: ComponentsDeps;
  constructor(deps: ComponentsDeps) {
    this.d = deps;
  }

  /**
   * Registers a version. Versions never change: the same content again answers with the existing
   * version; other content under a taken version is refused. Without a version, the next number.
   * The code folder must have been uploaded; a registered environment is pinned to a version
   * (`@latest` becomes the version it is now), so the component keeps running with what it was
   * registered with.
   */
  async create(workspace: string, req: CreateComponentRequest, createdBy: string): Promise<Component> {
    const { store } = this.d;
    const spec = req.spec;
    if (spec.code !== undefined && !req.snapshot_id) {
      throw new CairnError('ValidationError', `component '${spec.name}' has code '${spec.code}' but no snapshot_id: upload the code folder first (the CLI and SDK do)`);
    }
    if (req.snapshot_id && !(await store.resources.getSnapshot(req.snapshot_id))) {
      throw new CairnError('NotFound', `code snapshot ${req.snapshot_id} does not exist; upload the code folder first`);
    }
    const warnings = [...componentWarnings(spec)];
    const environment = await this.pinEnvironment(workspace, spec.environment, warnings);
    const stored: ComponentSpec = { ...spec, ...(environment !== undefined ? { environment } : {}) };
    const hash = componentHash(stored, req.snapshot_id);
    const answer = (row: ComponentRow) => ({ ...toComponent(row), ...(warnings.length ? { warnings } : {}) });
    const row = await registerVersion({
      what: 'component',
      workspace,
      name: spec.name,
      version: spec.version,
      hash,
      repo: store.components,
      insert: async (version, version_num) => {
        const row = { workspace, name: spec.name, version, version_num, spec: JSON.stringify({ ...stored, version }), spec_hash: hash, snapshot_id: req.snapshot_id ?? null, archived: 0, created_at: new Date().toISOString(), created_by: createdBy };
        await store.components.insert(row);
        return row;
      },
    });
    return answer(row);
  }

  async get(workspace: string, name: string, version?: string, label?: string): Promise<Component> {
    return toComponent(await this.row(workspace, name, version, label));
  }

  /**
   * A component a pipeline step names (`azureml:NAME:VERSION`, `NAME@latest`, ...). A reference
   * that does not resolve is bad input for the pipeline (400), not a missing page.
   */
  async resolve(workspace: string, ref: string): Promise<Component> {
    const r = parseComponentRef(ref);
    if (!r) throw new CairnError('ValidationError', `component '${ref}' is not a reference Cairn understands: write azureml:NAME:VERSION or azureml:NAME@latest`);
    return this.get(workspace, r.name, r.version, r.version === undefined ? (r.label ?? 'latest') : undefined).catch((err: unknown) => {
      throw err instanceof CairnError && err.code === 'NotFound' ? new CairnError('ValidationError', err.message) : err;
    });
  }

  async list(workspace: string, o: { name?: string; include_archived?: boolean }): Promise<Component[]> {
    const rows = o.name ? await this.d.store.components.versions(workspace, o.name, o.include_archived ?? false) : await this.d.store.components.list(workspace, o.include_archived ?? false);
    return rows.map(toComponent);
  }

  /** Archived versions stay usable by exact version but leave lists and `@latest`. */
  async setArchived(workspace: string, name: string, version: string | undefined, archived: boolean): Promise<Component[]> {
    if (version !== undefined) await this.row(workspace, name, version, undefined);
    const n = await this.d.store.components.setArchived(workspace, name, version ?? null, archived);
    if (n === 0) throw new CairnError('NotFound', await this.unknown(workspace, name));
    return (await this.d.store.components.versions(workspace, name, true)).filter((r) => version === undefined || r.version === version).map(toComponent);
  }

  private async row(workspace: string, name: string, version?: string, label?: string): Promise<ComponentRow> {
    const { store } = this.d;
    if (version !== undefined) {
      const r = await store.components.get(workspace, name, version);
      if (r) return r;
      const have = (await store.components.versions(workspace, name, true)).map((v) => v.version);
      throw new CairnError('NotFound', have.length ? `component '${name}' has no version ${version}; versions: ${have.join(', ')}` : await this.unknown(workspace, name));
    }
    if (label !== undefined && label !== 'latest') throw new CairnError('ValidationError', `unknown label '${label}': the only label is 'latest'`);
    const all = await store.components.versions(workspace, name, true);
    const r = all.find((v) => !v.archived);
    if (r) return r;
    if (all.length) {
      const have = all.map((v) => v.version);
      throw new CairnError('NotFound', `component '${name}' has only archived versions (${have.join(', ')}), so no latest: name one exactly, like ${name}:${have[0]}, or restore it with \`cairn component restore -n ${name}\``);
    }
    throw new CairnError('NotFound', await this.unknown(workspace, name));
  }

  private async unknown(workspace: string, name: string): Promise<string> {
    const names = await this.d.store.components.names(workspace);
    return `component '${name}' does not exist in workspace '${workspace}'; components: ${names.join(', ') || 'none (register one with `cairn component create -f component.yml`)'}`;
  }

  /**
   * The environment as the component keeps it: a registered one by exact version, a curated name
   * (through the alias table) or an inline one as written, each checked to resolve now.
   */
  private async pinEnvironment(workspace: string, env: ComponentSpec['environment'], warnings: string[]): Promise<ComponentSpec['environment']> {
    if (env === undefined) return undefined;
    if (typeof env !== 'string') {
      await this.d.environments.resolve(workspace, env);
      return env;
    }
    const written = env.replace(/^azureml:(?!\/\/)/, '');
    const ref = parseEnvironmentRef(written);
    if (ref && !ref.registry && (await this.d.store.environments.versions(workspace, ref.name, true)).length) {
      const e = await this.d.environments.get(workspace, ref.name, ref.version, ref.label).catch((err: unknown) => {
        throw err instanceof CairnError && err.code === 'NotFound' ? new CairnError('UnknownEnvironment', err.message) : err;
      });
      return `${e.name}:${e.version}`;
    }
    const resolved = await this.d.environments.resolve(workspace, written);
    warnings.push(...(resolved.warnings ?? []));
    return written;
  }
}

function toComponent(r: ComponentRow): Component {
  const spec = JSON.parse(r.spec) as ComponentSpec;
  return {
    ...spec,
    name: r.name,
    version: r.version,
    ...(r.snapshot_id ? { snapshot_id: r.snapshot_id } : {}),
    spec_hash: r.spec_hash,
    archived: Boolean(r.archived),
    creation_context: { created_at: r.created_at, created_by: r.created_by },
  };
}
