import { CairnError } from '../../protocol/errors.ts';
import { type Asset, type AssetKind, type AssetRef, AssetFileSpec, type AssetType, type CreateAssetRequest, DATA_TYPES, MODEL_TYPES, parseDataPath } from '../../protocol/data.ts';
import { isUniqueViolation, type Store } from '../../store/index.ts';
import type { AssetRow } from '../../store/assets.ts';
import { type Content, type ContentResolver, contentKey } from './data-content.ts';

export interface AssetsDeps {
  store: Store;
  content: ContentResolver;
}

/** A version to register from content already in the blob store (a job's output, an MLflow model). */
export interface NewVersion {
  kind: AssetKind;
  name: string;
  version?: string;
  type: AssetType;
  content: Content;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  stage?: string;
  job_id?: string;
  run_id?: string;
  created_by: string;
  /** A new number even for content a version already holds (MLflow numbers every registration anew). */
  alwaysNew?: boolean;
}

const label = (k: AssetKind) => (k === 'data' ? 'data asset' : 'model');

/**
 * `az ml data` and `az ml model`: versions never change; the same content again answers with the
 * existing version (as environments do); without a version, the next number. The MLflow model
 * registry is a view of the model assets.
 */
export class AssetsService {
  private readonly d: AssetsDeps;
  constructor(deps: AssetsDeps) {
    this.d = deps;
  }

  async create(workspace: string, kind: AssetKind, req: CreateAssetRequest, createdBy: string): Promise<{ asset: Asset; created: boolean }> {
    const spec = AssetFileSpec.parse(req.spec);
    const type = spec.type ?? (kind === 'data' ? 'uri_folder' : 'custom_model');
    const allowed: readonly string[] = kind === 'data' ? DATA_TYPES : MODEL_TYPES;
    if (!allowed.includes(type)) throw new CairnError('ValidationError', `${label(kind)} '${spec.name}': type must be one of ${allowed.join(', ')} (found ${type})`);
    const path = parseDataPath(spec.path);
    if ('error' in path) throw new CairnError('ValidationError', `${label(kind)} '${spec.name}': path ${path.error}`);
    if (path.kind === 'run' && kind !== 'model') throw new CairnError('ValidationError', `data asset '${spec.name}': runs:/ paths name MLflow models; use azureml://jobs/JOB/outputs/NAME for a job's output`);
    if (path.kind === 'asset') throw new CairnError('ValidationError', `${label(kind)} '${spec.name}': path may not name another asset; give the content's own path`);
    const content = await this.d.content.resolve(workspace, `${label(kind)} '${spec.name}'`, type, path, { snapshot_id: req.snapshot_id, file: req.file });
    return this.register(workspace, {
      kind,
      name: spec.name,
      version: spec.version,
      type,
      content,
      description: spec.description,
      tags: spec.tags,
      properties: spec.properties,
      stage: spec.stage,
      job_id: content.job_id,
      run_id: content.run_id,
      created_by: createdBy,
    });
  }

  /** Registers a version (in the caller's transaction when given one's store). */
  async register(workspace: string, v: NewVersion, store: Store | { assets: Store['assets'] } = this.d.store): Promise<{ asset: Asset; created: boolean }> {
    const assets = store.assets;
    const key = contentKey(v.type, v.content.snapshot_id, v.content.file);
    const same = v.alwaysNew ? undefined : await assets.byContent(workspace, v.kind, v.name, key);
    if (same && (v.version === undefined || v.version === same.version)) return { asset: await this.view(same), created: false };
    const now = Date.now();
    await assets.ensureContainer({ workspace, kind: v.kind, name: v.name, description: null, tags: '{}', created_ms: now, updated_ms: now, created_by: v.created_by }).catch((err) => {
      if (!isUniqueViolation(err)) throw err; // made meanwhile by another request
    });
    for (let tries = 0; tries < 3; tries++) {
      const version = v.version ?? String((await assets.maxNumericVersion(workspace, v.kind, v.name)) + 1);
      const existing = await assets.get(workspace, v.kind, v.name, version);
      if (existing) {
        if (v.version !== undefined)
          throw new CairnError('AlreadyExists', `${label(v.kind)} '${v.name}' version ${version} already exists with other content; versions never change: give a new version, or leave version out to get the next number`);
        continue;
      }
      const row = {
        workspace,
        kind: v.kind,
        name: v.name,
        version,
        version_num: /^\d{1,15}$/.test(version) ? Number(version) : null,
        type: v.type,
        snapshot_id: v.content.snapshot_id,
        file: v.content.file ?? null,
        file_count: v.content.file_count,
        total_size: v.content.total_size,
        path: v.content.uri,
        content_key: key,
        description: v.description ?? null,
        tags: JSON.stringify(v.tags ?? {}),
        properties: v.properties ? JSON.stringify(v.properties) : null,
        stage: v.stage ?? null,
        job_id: v.job_id ?? null,
        run_id: v.run_id ?? null,
        created_at: new Date(now).toISOString(),
        created_ms: now,
        updated_ms: now,
        created_by: v.created_by,
      };
      try {
        await assets.insert(row);
      } catch (err) {
        if (isUniqueViolation(err) && v.version === undefined) continue;
        if (isUniqueViolation(err)) throw new CairnError('AlreadyExists', `${label(v.kind)} '${v.name}' version ${version} already exists`);
        throw err;
      }
      return { asset: await this.view((await assets.get(workspace, v.kind, v.name, version))!), created: true };
    }
    throw new CairnError('Conflict', `${label(v.kind)} '${v.name}': too many versions made at once; try again`);
  }

  /** One version, or the latest (`version` undefined or 'latest'). */
  async get(workspace: string, kind: AssetKind, name: string, version?: string): Promise<Asset> {
    const row = await this.row(workspace, kind, name, version);
    return this.view(row);
  }

  async row(workspace: string, kind: AssetKind, name: string, version?: string): Promise<AssetRow> {
    return this.d.content.findAsset(workspace, kind, name, version === 'latest' ? undefined : version, '', 'NotFound');
  }

  /** The latest version of every name, or every version of one name. */
  async list(workspace: string, kind: AssetKind, o: { name?: string; archived?: 'true' | 'false' | 'all'; max?: number }): Promise<Asset[]> {
    const archived = o.archived ?? 'false';
    const include = archived !== 'false';
    let rows = o.name ? await this.d.store.assets.versions(workspace, kind, o.name, include) : await this.d.store.assets.all(workspace, kind, include, 10_000);
    if (archived === 'true') rows = rows.filter((r) => r.archived);
    if (!o.name) {
      const seen = new Set<string>();
      rows = rows.filter((r) => !seen.has(r.name) && seen.add(r.name));
    }
    return Promise.all(rows.slice(0, o.max ?? 1000).map((r) => this.view(r, false)));
  }

  /** Archives or restores a version, or every version of the name. */
  async setArchived(workspace: string, kind: AssetKind, name: string, version: string | undefined, archived: boolean): Promise<number> {
    const n = await this.d.store.assets.setArchived(workspace, kind, name, version ?? null, archived);
    if (!n) {
      const exists = (await this.d.store.assets.versions(workspace, kind, name, true)).map((r) => r.version);
      throw new CairnError('NotFound', exists.length ? `${label(kind)} '${name}' has no version ${version} (it has ${exists.join(', ')})` : `${label(kind)} '${name}' does not exist`);
    }
    return n;
  }

  /** Lineage both ways: the job that produced a version, the jobs that read it. */
  async view(row: AssetRow, lineage = true): Promise<Asset> {
    const kind = row.kind as AssetKind;
    let produced_by: string | undefined;
    let consumed_by: string[] | undefined;
    if (lineage) {
      if (row.job_id) produced_by = (await this.d.store.jobs.getById(row.job_id))?.name;
      const ids = await this.d.store.assets.consumers(kind, row.name, row.version);
      consumed_by = (await Promise.all(ids.map((id) => this.d.store.jobs.getById(id)))).flatMap((j) => (j ? [j.name] : []));
    }
    const tags = parseRecord(row.tags);
    return {
      kind,
      name: row.name,
      version: row.version,
      type: row.type as AssetType,
      path: row.path,
      ...(row.description ? { description: row.description } : {}),
      tags,
      ...(row.properties ? { properties: parseRecord(row.properties) } : {}),
      ...(row.stage ? { stage: row.stage } : {}),
      archived: row.archived === 1,
      created_at: row.created_at,
      created_by: row.created_by,
      snapshot_id: row.snapshot_id,
      ...(row.file ? { file: row.file } : {}),
      file_count: row.file_count,
      total_size: Number(row.total_size),
      ...(produced_by ? { job: produced_by, produced_by } : {}),
      ...(row.run_id ? { run_id: row.run_id } : {}),
      ...(consumed_by ? { consumed_by } : {}),
      id: `azureml:${row.name}:${row.version}`,
    };
  }

  ref(row: AssetRow): AssetRef {
    return { kind: row.kind as AssetKind, name: row.name, version: row.version };
  }
}

function parseRecord(json: string): Record<string, string> {
  const v = JSON.parse(json) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
}
