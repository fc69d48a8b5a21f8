import { CairnError } from '../../../protocol/errors.ts';
import { MlflowError, invalidParam } from '../../../protocol/mlflow/errors.ts';
import { canonicalStage, modelVersionArtifactUri, type ModelVersion } from '../../../protocol/mlflow/registry.ts';
import type { Store } from '../../../store/index.ts';
import type { AssetRow } from '../../../store/assets.ts';
import type { AssetsService } from '../assets.ts';
import type { Content, ContentResolver } from '../data-content.ts';
import type { SnapshotsService } from '../snapshots.ts';
import type { LoggedModelsService } from './logged-models.ts';
import { parseProxied, type Target } from './artifacts.ts';
import type { RegisteredModelsService } from './registry.ts';
import { checkRegistryTag, MODEL_ID_PROPERTY, readRecord, toModelVersion } from './registry-views.ts';
import type { RunsService, Scope } from './runs.ts';
import { searchVersions } from './version-search.ts';

export interface ModelVersionsDeps {
  store: Store;
  runs: RunsService;
  registry: RegisteredModelsService;
  loggedModels: LoggedModelsService;
  assets: AssetsService;
  content: ContentResolver;
  snapshots: SnapshotsService;
}

/** Where a version's files come from, read from its MLflow `source`. */
type Source =
  | { kind: 'run'; runId: string; path: string; experimentId?: string }
  | { kind: 'logged'; modelId: string; path: string }
  | { kind: 'version'; name: string; version?: string; alias?: string };

/**
 * MLflow's model versions as Cairn model asset versions (type mlflow_model): creating one turns
 * its source (a run's artifacts, an MLflow 3 logged model, another version) into a content
 * snapshot, so the version keeps its files whatever later happens to the run; nothing is copied,
 * the snapshot names the same blobs.
 */
export class ModelVersionsService {
  private readonly d: ModelVersionsDeps;
  constructor(deps: ModelVersionsDeps) {
    this.d = deps;
  }

  private get workspace(): string {
    return this.d.registry.workspace;
  }

  async create(
    scope: Scope,
    createdBy: string,
    r: { name: string; source: string; runId?: string; modelId?: string; description?: string; tags: { key: string; value: string }[] },
  ): Promise<ModelVersion> {
    for (const t of r.tags) checkRegistryTag(t.key, t.value);
    await this.d.registry.container(r.name);
    const got = await this.contentOf(scope, r.source, r.modelId);
    const tags = Object.fromEntries(r.tags.map((t) => [t.key, t.value]));
    const properties = got.modelId ? { [MODEL_ID_PROPERTY]: got.modelId } : undefined;
    // MLflow numbers every registration anew, the same files again included.
    const { asset } = await this.d.assets.register(this.workspace, {
      kind: 'model',
      name: r.name,
      type: 'mlflow_model',
      content: { ...got.content, uri: r.source },
      description: r.description || undefined,
      tags,
      properties,
      job_id: got.content.job_id,
      run_id: r.runId || got.runId,
      created_by: createdBy,
      alwaysNew: true,
    });
    await this.d.registry.touch(r.name);
    return toModelVersion(await this.d.registry.version(r.name, asset.version), []);
  }

  async get(name: string, version: string): Promise<ModelVersion> {
    const row = await this.d.registry.version(name, version);
    return toModelVersion(row, await this.d.registry.aliasesOf(name, version));
  }

  async update(name: string, version: string, description: string | undefined): Promise<ModelVersion> {
    await this.d.registry.version(name, version);
    await this.d.store.assets.update(this.workspace, 'model', name, version, { ...(description !== undefined ? { description } : {}), updated_ms: Date.now() });
    return this.get(name, version);
  }

  async delete(name: string, version: string): Promise<void> {
    await this.d.registry.version(name, version);
    await this.d.store.transaction((trx) => this.d.store.assets.with(trx).deleteVersion(this.workspace, 'model', name, version));
    await this.d.registry.touch(name);
  }

  async setTag(name: string, version: string, key: string, value: string): Promise<void> {
    checkRegistryTag(key, value);
    const row = await this.d.registry.version(name, version);
    await this.d.store.assets.update(this.workspace, 'model', name, version, { tags: JSON.stringify({ ...readRecord(row.tags), [key]: value }), updated_ms: Date.now() });
  }

  async deleteTag(name: string, version: string, key: string): Promise<void> {
    const row = await this.d.registry.version(name, version);
    const tags = readRecord(row.tags);
    if (!Object.hasOwn(tags, key)) return;
    delete tags[key];
    await this.d.store.assets.update(this.workspace, 'model', name, version, { tags: JSON.stringify(tags), updated_ms: Date.now() });
  }

  /** Moves a version to a stage; with archive_existing_versions, the others in that stage go to Archived. */
  async transition(name: string, version: string, stage: string, archiveExisting: boolean): Promise<ModelVersion> {
    const to = canonicalStage(stage);
    await this.d.registry.version(name, version);
    const now = Date.now();
    await this.d.store.transaction(async (trx) => {
      const assets = this.d.store.assets.with(trx);
      if (archiveExisting && (to === 'Staging' || to === 'Production')) {
        for (const v of await assets.versions(this.workspace, 'model', name, true)) {
          if (v.version !== version && v.stage === to) await assets.update(this.workspace, 'model', name, v.version, { stage: 'Archived', updated_ms: now });
        }
      }
      await assets.update(this.workspace, 'model', name, version, { stage: to, updated_ms: now });
    });
    await this.d.registry.touch(name);
    return this.get(name, version);
  }

  /** The artifact proxy serves a version's own files (its snapshot), not the run they came from. */
  async downloadUri(name: string, version: string): Promise<string> {
    await this.d.registry.version(name, version);
    return modelVersionArtifactUri(name, version);
  }

  async search(o: { filter?: string; maxResults?: number; orderBy?: string[]; pageToken?: string }) {
    const rows = await this.d.store.assets.all(this.workspace, 'model', true, 200_000);
    const found = searchVersions(rows, o);
    const aliases = await this.d.store.assets.aliasesOf(this.workspace, [...new Set(found.rows.map((r) => r.name))]);
    const versions = found.rows.map((r) => toModelVersion(r, (aliases.get(r.name) ?? []).filter((a) => a.version === r.version).map((a) => a.alias)));
    return { ...(versions.length ? { model_versions: versions } : {}), ...(found.nextPageToken ? { next_page_token: found.nextPageToken } : {}) };
  }

  // --- sources ---------------------------------------------------------------------------------------

  private async contentOf(scope: Scope, source: string, modelIdHint?: string): Promise<{ content: Content; runId?: string; modelId?: string }> {
    const s = parseSource(source) ?? (modelIdHint ? { kind: 'logged' as const, modelId: modelIdHint, path: '' } : undefined);
    if (!s) {
      throw invalidParam(
        `Invalid model version source '${source}': this server makes versions from files it holds: runs:/RUN_ID/PATH, models:/MODEL_ID, models:/NAME/VERSION or mlflow-artifacts:/ URIs of its runs and logged models`,
      );
    }
    if (s.kind === 'version') return { content: await this.versionContent(s.name, s.version, s.alias) };
    if (s.kind === 'logged') return { content: await this.loggedContent(scope, s.modelId, s.path), modelId: s.modelId };
    const run = await this.d.runs.artifactsReadable(scope, s.runId);
    if (s.experimentId !== undefined && String(run.experiment_id) !== s.experimentId) {
      throw invalidParam(`Invalid model version source '${source}': run ${run.run_id} is in experiment ${run.experiment_id}`);
    }
    // MLflow 3 logs a model's files under the logged model, not the run: `runs:/RUN/NAME` names it
    // when the run has no files of its own there. The run's artifact list is read only when such a
    // logged model exists (resolve reads it again to make the content).
    if (s.path && !s.path.includes('/')) {
      const [logged] = await this.d.loggedModels.bySourceRun(run.run_id, s.path);
      if (logged && !(await this.d.content.artifactEntries(run.run_id, s.path)).length) {
        return { content: await this.loggedContent(scope, logged.model_id, ''), runId: run.run_id, modelId: logged.model_id };
      }
    }
    const content = await this.d.content.resolve(this.workspace, `model version source '${source}'`, 'mlflow_model', { kind: 'run', run: run.run_id, path: s.path });
    return { content, runId: run.run_id, ...(modelIdHint ? { modelId: modelIdHint } : {}) };
  }

  private async loggedContent(scope: Scope, modelId: string, path: string): Promise<Content> {
    await this.d.loggedModels.readableFiles(scope, modelId);
    const entries = await this.d.content.artifactEntries(modelId, path);
    if (!entries.length) throw invalidParam(`Invalid model version source: logged model ${modelId} has no files${path ? ` under '${path}'` : ''} (were its artifacts uploaded?)`);
    if (entries.length === 1 && entries[0].path === '') throw invalidParam(`Invalid model version source: '${path}' of logged model ${modelId} is one file, not a model folder`);
    const snap = await this.d.snapshots.createData(this.workspace, entries);
    return { snapshot_id: snap.id, file_count: snap.file_count, total_size: snap.total_size, uri: `models:/${modelId}` };
  }

  private async versionContent(name: string, version?: string, alias?: string): Promise<Content> {
    let row: AssetRow;
    if (alias) {
      const a = (await this.d.store.assets.aliases(this.workspace, name)).find((x) => x.alias === alias);
      if (!a) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered model alias ${alias} not found.`);
      row = await this.d.registry.version(name, a.version);
    } else if (version === undefined || version.toLowerCase() === 'latest') {
      const latest = await this.d.store.assets.latest(this.workspace, 'model', name);
      if (!latest) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} has no versions`);
      row = latest;
    } else row = await this.d.registry.version(name, version);
    return { snapshot_id: row.snapshot_id, ...(row.file ? { file: row.file } : {}), file_count: row.file_count, total_size: Number(row.total_size), uri: `models:/${name}/${row.version}` };
  }
}

/** The MLflow sources Cairn holds the files of; anything else is undefined. */
export function parseSource(source: string): Source | undefined {
  const clean = (p: string) => p.replace(/^\/+|\/+$/g, '');
  let m = /^runs:\/\/?([A-Za-z0-9][\w-]{0,255})(?:\/(.*))?$/.exec(source);
  if (m) return { kind: 'run', runId: m[1], path: clean(m[2] ?? '') };
  m = /^models:\/\/?(m-[0-9a-f]{32})(?:\/(.*))?$/.exec(source);
  if (m) return { kind: 'logged', modelId: m[1], path: clean(m[2] ?? '') };
  m = /^models:\/\/?([^/@]+)@([\w-]+)\/?$/.exec(source);
  if (m) return { kind: 'version', name: m[1], alias: m[2] };
  m = /^models:\/\/?([^/@]+)\/([^/]+)\/?$/.exec(source);
  if (m) return { kind: 'version', name: m[1], version: m[2] };
  m = /^mlflow-artifacts:\/\/?(.*)$/.exec(source);
  if (!m) return undefined;
  // The artifact proxy's own reading of its paths (decoding and path checks included).
  let t: Target;
  try {
    t = parseProxied(m[1]);
  } catch {
    return undefined;
  }
  if (t.kind === 'version') return { kind: 'version', name: t.name, version: t.version };
  if (t.kind === 'logged') return { kind: 'logged', modelId: t.modelId, path: t.rel };
  return { kind: 'run', experimentId: t.experimentId, runId: t.runId, path: t.rel };
}
