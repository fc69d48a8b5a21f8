import { createHash } from 'node:crypto';
import { CairnError } from '../../protocol/errors.ts';
import { registerVersion } from './versions.ts';
import {
  type Environment,
  EnvironmentSpec,
  kindOf,
  parseEnvironmentRef,
  type ResolvedEnvironment,
  specMaterial,
} from '../../protocol/environment.ts';
import type { Store } from '../../store/index.ts';
import type { EnvironmentRow } from '../../store/environments.ts';
import type { AliasTarget } from '../config.ts';

export interface EnvironmentsDeps {
  store: Store;
  /** Curated-name pattern -> what it runs with (server configuration). */
  aliases: Record<string, AliasTarget>;
}

export const specHash = (s: EnvironmentSpec): string => createHash('sha256').update(specMaterial(s)).digest('hex');

/** `az ml environment` and the resolution of a job's `environment:` to what its node prepares. */
export class EnvironmentsService {
  private readonly d: EnvironmentsDeps;
  constructor(deps: EnvironmentsDeps) {
    this.d = deps;
  }

  /**
   * Registers a version. Versions never change: the same content again answers with the existing
   * version; other content under a taken version is refused. Without a version, the next number.
   */
  async create(workspace: string, spec: EnvironmentSpec, createdBy: string): Promise<Environment> {
    const { store } = this.d;
    if (!spec.name) throw new CairnError('ValidationError', 'an environment to register needs a name');
    if (parseEnvironmentRef(spec.name)?.name !== spec.name) throw new CairnError('ValidationError', `environment name '${spec.name}' may not contain ':', '@' or '/'`);
    await this.checkSnapshot(spec);
    const hash = specHash(spec);
    const stored = { ...spec };
    const row = await registerVersion({
      what: 'environment',
      workspace,
      name: spec.name,
      version: spec.version,
      hash,
      repo: store.environments,
      insert: async (version, version_num) => {
        const row = { workspace, name: spec.name!, version, version_num, spec: JSON.stringify({ ...stored, version }), spec_hash: hash, archived: 0, created_at: new Date().toISOString(), created_by: createdBy };
        await store.environments.insert(row);
        return row;
      },
    });
    return toEnvironment(row);
  }

  async get(workspace: string, name: string, version?: string, label?: string): Promise<Environment> {
    return toEnvironment(await this.row(workspace, name, version, label));
  }

  async list(workspace: string, o: { name?: string; include_archived?: boolean }): Promise<Environment[]> {
    const rows = o.name ? await this.d.store.environments.versions(workspace, o.name, o.include_archived ?? false) : await this.d.store.environments.list(workspace, o.include_archived ?? false);
    return rows.map(toEnvironment);
  }

  /** Archived versions stay usable by exact version but leave lists and `@latest`. */
  async setArchived(workspace: string, name: string, version: string | undefined, archived: boolean): Promise<Environment[]> {
    if (version !== undefined) await this.row(workspace, name, version, undefined, true);
    const n = await this.d.store.environments.setArchived(workspace, name, version ?? null, archived);
    if (n === 0) throw new CairnError('NotFound', `environment '${name}' does not exist in workspace '${workspace}'`);
    return (await this.d.store.environments.versions(workspace, name, true)).filter((r) => version === undefined || r.version === version).map(toEnvironment);
  }

  private async row(workspace: string, name: string, version?: string, label?: string, anyState = false): Promise<EnvironmentRow> {
    const { store } = this.d;
    if (version !== undefined) {
      const r = await store.environments.get(workspace, name, version);
      if (r) return r;
      const have = (await store.environments.versions(workspace, name, true)).map((v) => v.version);
      throw new CairnError('NotFound', have.length ? `environment '${name}' has no version ${version}; versions: ${have.join(', ')}` : await this.unknown(workspace, name));
    }
    if (label !== undefined && label !== 'latest') throw new CairnError('ValidationError', `unknown label '${label}': the only label is 'latest'`);
    const all = await store.environments.versions(workspace, name, true);
    const r = anyState ? all[0] : all.find((v) => !v.archived);
    if (r) return r;
    if (all.length) {
      const have = all.map((v) => v.version);
      throw new CairnError('NotFound', `environment '${name}' has only archived versions (${have.join(', ')}), so no latest: name one exactly, like ${name}:${have[0]}, or restore it with \`cairn environment restore -n ${name}\``);
    }
    throw new CairnError('NotFound', await this.unknown(workspace, name));
  }

  private async unknown(workspace: string, name: string): Promise<string> {
    const names = await this.d.store.environments.names(workspace);
    return `environment '${name}' does not exist in workspace '${workspace}'; environments: ${names.join(', ') || 'none (register one with `cairn environment create -f env.yml`)'}`;
  }

  private async checkSnapshot(spec: EnvironmentSpec): Promise<void> {
    const id = spec.build?.snapshot_id;
    if (id && !(await this.d.store.resources.getSnapshot(id))) throw new CairnError('NotFound', `build context snapshot ${id} does not exist; upload the build folder first`);
  }

  /**
   * A job's `environment:` as its node will prepare it: registered ones copied in (so later
   * versions and archiving never change this job), curated names through the alias table.
   */
  async resolve(workspace: string, env: string | EnvironmentSpec | undefined, pythonPath?: string, depth = 0): Promise<ResolvedEnvironment> {
    const extra = pythonPath ? { python_path: pythonPath } : {};
    if (env === undefined) return { kind: 'user_managed', ref: null, spec_hash: null, ...extra };
    if (typeof env !== 'string') {
      await this.checkSnapshot(env);
      return { ...fromSpec(env), ref: null, ...extra };
    }
    const ref = parseEnvironmentRef(env);
    if (!ref) throw new CairnError('UnknownEnvironment', `environment '${env}' is not a reference Cairn understands: write azureml:name:version, name@latest, or an inline environment`);
    const display = ref.registry ? `azureml://registries/${ref.registry}/environments/${ref.name}` : ref.name;
    if (!ref.registry) {
      const rows = await this.d.store.environments.versions(workspace, ref.name, true);
      if (rows.length) {
        const row = await this.row(workspace, ref.name, ref.version, ref.label).catch((err: unknown) => {
          // On a job, a reference that does not resolve is bad input (400), not a missing page.
          throw err instanceof CairnError && err.code === 'NotFound' ? new CairnError('UnknownEnvironment', err.message) : err;
        });
        return { ...fromSpec(JSON.parse(row.spec)), ref: `${row.name}:${row.version}`, ...extra };
      }
    }
    const alias = this.alias(display);
    if (alias) {
      const [pattern, target] = alias;
      const why = `'${env}' is an Azure ML curated environment, which Cairn does not have; it runs as `;
      if (target === 'user_managed') return { kind: 'user_managed', ref: env, spec_hash: null, ...extra, warnings: [`${why}the node's own Python (alias '${pattern}' in the environment alias table)`] };
      if (typeof target === 'string') {
        if (depth > 4) throw new CairnError('UnknownEnvironment', `the environment alias '${pattern}' leads through more than 5 aliases (a loop?); fix the alias table`);
        const r = await this.resolve(workspace, target, pythonPath, depth + 1);
        return { ...r, ref: env, warnings: [...(r.warnings ?? []), `${why}'${target}' (alias '${pattern}')`] };
      }
      return { ...fromSpec(target), ref: env, ...extra, warnings: [`${why}the environment the alias '${pattern}' names`] };
    }
    throw new CairnError('UnknownEnvironment', ref.registry ? `registry '${ref.registry}' is not known here, and no alias names '${display}'; add one to the environment alias table (CAIRN_ENVIRONMENT_ALIASES)` : await this.unknown(workspace, ref.name));
  }

  private alias(name: string): [string, AliasTarget] | undefined {
    for (const [pattern, target] of Object.entries(this.d.aliases)) {
      const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i');
      if (re.test(name)) return [pattern, target];
    }
    return undefined;
  }
}

function fromSpec(s: EnvironmentSpec): Omit<ResolvedEnvironment, 'ref'> {
  const kind = kindOf(s);
  return {
    kind,
    spec_hash: kind === 'user_managed' ? null : specHash(s),
    ...(s.image ? { image: s.image } : {}),
    ...(s.conda_file ? { conda_file: s.conda_file } : {}),
    ...(s.build ? { build: { snapshot_id: s.build.snapshot_id, dockerfile_path: s.build.dockerfile_path } } : {}),
  };
}

function toEnvironment(r: EnvironmentRow): Environment {
  const spec = EnvironmentSpec.parse(JSON.parse(r.spec));
  return {
    ...spec,
    name: r.name,
    version: r.version,
    kind: kindOf(spec),
    spec_hash: r.spec_hash,
    archived: Boolean(r.archived),
    creation_context: { created_at: r.created_at, created_by: r.created_by },
  };
}
