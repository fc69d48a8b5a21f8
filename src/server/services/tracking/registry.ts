import { MlflowError, invalidParam } from '../../../protocol/mlflow/errors.ts';
import { checkAlias, type ModelVersion, type RegisteredModel } from '../../../protocol/mlflow/registry.ts';
import { isUniqueViolation, type Store } from '../../../store/index.ts';
import type { AssetContainerRow, AssetRow } from '../../../store/assets.ts';
import { checkComparator, compareValues, matchString, own, parseComparisons, stringValue, STRING_COMPARATORS } from '../../../tracking/search/filter.ts';
import { splitIdentifier } from '../../../tracking/search/lexer.ts';
import { parseOrderByClause } from '../../../tracking/search/order-by.ts';
import { paginate, parsePageToken } from '../../../tracking/search/page-token.ts';
import { aliasesByVersion, checkRegistryTag, latestPerStage, readRecord, toModelVersion, toRegisteredModel } from './registry-views.ts';

const MAX_REGISTERED_MODELS = 1000;

/**
 * MLflow's registered models and aliases over Cairn's model assets: `registered-models/create`
 * makes the model asset's name, and what `cairn model create` registers shows here too.
 */
export class RegisteredModelsService {
  private readonly store: Store;
  readonly workspace: string;
  constructor(store: Store, workspace: string) {
    this.store = store;
    this.workspace = workspace;
  }

  async create(name: string, o: { description?: string; tags: { key: string; value: string }[] }, createdBy = ''): Promise<RegisteredModel> {
    for (const t of o.tags) checkRegistryTag(t.key, t.value);
    const now = Date.now();
    const row = { workspace: this.workspace, kind: 'model', name, description: o.description || null, tags: JSON.stringify(Object.fromEntries(o.tags.map((t) => [t.key, t.value]))), created_ms: now, updated_ms: now, created_by: createdBy };
    let made = false;
    try {
      made = await this.store.assets.ensureContainer(row);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    if (!made) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    return toRegisteredModel({ ...row, last_version: 0 }, [], []);
  }

  /**
   * A job token changes only what its job made: a version it registered, or a name it made whose
   * every version it registered (MLflow's clients may create freely; changing a team's model, its
   * aliases or stages is for people). `by`: the job's created-by, null for an admin.
   */
  async checkMayChange(by: string | null, name: string, version?: string): Promise<void> {
    if (by === null) return;
    if (version !== undefined) {
      const v = await this.version(name, version);
      if (v.created_by !== by) throw new MlflowError('PERMISSION_DENIED', `a job token may change only the model versions its job registered; version ${version} of '${name}' was registered by ${v.created_by}`);
      return;
    }
    const c = await this.container(name);
    const others = (await this.store.assets.versions(this.workspace, 'model', name, true)).filter((v) => v.created_by !== by);
    if (c.created_by !== by || others.length) {
      throw new MlflowError('PERMISSION_DENIED', `a job token may change only the registered models its job made, with only versions it registered; '${name}' ${c.created_by !== by ? `was made by ${c.created_by || 'someone else'}` : `has version ${others[0]!.version} by ${others[0]!.created_by}`}`);
    }
  }

  async container(name: string): Promise<AssetContainerRow> {
    const c = await this.store.assets.container(this.workspace, 'model', name);
    if (!c) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    return c;
  }

  async get(name: string): Promise<RegisteredModel> {
    return this.view(await this.container(name));
  }

  private async view(c: AssetContainerRow): Promise<RegisteredModel> {
    const [versions, aliases] = await Promise.all([this.store.assets.versions(this.workspace, 'model', c.name, true), this.store.assets.aliases(this.workspace, c.name)]);
    return toRegisteredModel(c, versions, aliases);
  }

  async rename(name: string, newName: string): Promise<RegisteredModel> {
    await this.container(name);
    if (newName !== name && (await this.store.assets.container(this.workspace, 'model', newName))) {
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${newName}) already exists.`);
    }
    await this.store.transaction((trx) => this.store.assets.with(trx).renameContainer(this.workspace, 'model', name, newName, Date.now()));
    return this.get(newName);
  }

  async update(name: string, description: string | undefined): Promise<RegisteredModel> {
    await this.container(name);
    await this.store.assets.updateContainer(this.workspace, 'model', name, { ...(description !== undefined ? { description } : {}), updated_ms: Date.now() });
    return this.get(name);
  }

  /** Deletes the name with every version and alias (their content stays while anything else holds it). */
  async delete(name: string): Promise<void> {
    await this.container(name);
    await this.store.transaction((trx) => this.store.assets.with(trx).deleteContainer(this.workspace, 'model', name));
  }

  async setTag(name: string, key: string, value: string): Promise<void> {
    checkRegistryTag(key, value);
    const c = await this.container(name);
    await this.store.assets.updateContainer(this.workspace, 'model', name, { tags: JSON.stringify({ ...readRecord(c.tags), [key]: value }), updated_ms: Date.now() });
  }

  /** As MLflow's SQL store: deleting a tag the model lacks is not an error. */
  async deleteTag(name: string, key: string): Promise<void> {
    const c = await this.container(name);
    const tags = readRecord(c.tags);
    if (!Object.hasOwn(tags, key)) return;
    delete tags[key];
    await this.store.assets.updateContainer(this.workspace, 'model', name, { tags: JSON.stringify(tags), updated_ms: Date.now() });
  }

  async latestVersions(name: string, stages: string[]): Promise<ModelVersion[]> {
    await this.container(name);
    const [versions, aliases] = await Promise.all([this.store.assets.versions(this.workspace, 'model', name, true), this.store.assets.aliases(this.workspace, name)]);
    const byVersion = aliasesByVersion(aliases);
    const wanted = stages.map((s) => STAGE_NAMES.get(s.toLowerCase()) ?? s);
    return latestPerStage(versions, wanted).map((v) => toModelVersion(v, byVersion.get(v.version) ?? []));
  }

  // --- aliases -----------------------------------------------------------------------------------

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkAlias(alias);
    await this.version(name, version);
    await this.store.transaction((trx) => this.store.assets.with(trx).setAlias(this.workspace, name, alias, version));
    await this.touch(name);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.container(name);
    await this.store.assets.deleteAlias(this.workspace, name, alias);
    await this.touch(name);
  }

  async byAlias(name: string, alias: string): Promise<ModelVersion> {
    await this.container(name);
    const a = (await this.store.assets.aliases(this.workspace, name)).find((x) => x.alias === alias);
    if (!a) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered model alias ${alias} not found.`);
    const row = await this.version(name, a.version);
    return toModelVersion(row, await this.aliasesOf(name, row.version));
  }

  async version(name: string, version: string): Promise<AssetRow> {
    await this.container(name);
    const row = await this.store.assets.get(this.workspace, 'model', name, version);
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=${version}) not found`);
    return row;
  }

  async aliasesOf(name: string, version: string): Promise<string[]> {
    return (await this.store.assets.aliases(this.workspace, name)).filter((a) => a.version === version).map((a) => a.alias);
  }

  async touch(name: string): Promise<void> {
    await this.store.assets.updateContainer(this.workspace, 'model', name, { updated_ms: Date.now() });
  }

  // --- search --------------------------------------------------------------------------------------

  /** search: `name` and `tags.<key>` with =, !=, LIKE, ILIKE joined by AND; ordered by name unless told. */
  async search(o: { filter?: string; maxResults?: number; orderBy?: string[]; pageToken?: string }): Promise<{ registered_models?: RegisteredModel[]; next_page_token?: string }> {
    const max = o.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > MAX_REGISTERED_MODELS) {
      throw invalidParam(`Invalid value for request parameter max_results. It must be at most ${MAX_REGISTERED_MODELS}, but got value ${max}`);
    }
    const clauses = o.filter?.trim() ? parseComparisons(o.filter).map(containerClause) : [];
    const orders = (o.orderBy ?? []).map(containerOrder);
    const rows = (await this.store.assets.containers(this.workspace, 'model')).filter((c) => clauses.every((m) => m(c)));
    rows.sort((a, b) => {
      for (const ord of orders) {
        const d = ord(a, b);
        if (d) return d;
      }
      return compareValues(a.name, b.name);
    });
    const { page, nextPageToken } = paginate(rows, parsePageToken(o.pageToken), max);
    // Two queries for the page, not two per model.
    const names = page.map((c) => c.name);
    const [versions, aliases] = await Promise.all([this.store.assets.versionsOf(this.workspace, 'model', names), this.store.assets.aliasesOf(this.workspace, names)]);
    const models = page.map((c) => toRegisteredModel(c, versions.get(c.name) ?? [], aliases.get(c.name) ?? []));
    return { ...(models.length ? { registered_models: models } : {}), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
  }
}

const STAGE_NAMES = new Map(['None', 'Staging', 'Production', 'Archived'].map((s) => [s.toLowerCase(), s]));

function containerClause(c: { identifier: string; comparator: string; value: Parameters<typeof stringValue>[0] }): (r: AssetContainerRow) => boolean {
  const { entity, key } = splitIdentifier(c.identifier);
  const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
  const value = stringValue(c.value, entity ? "tag (e.g. 'my-value')" : 'attributes');
  if (entity === 'tags' || entity === 'tag') {
    return (r) => {
      const v = own(readRecord(r.tags), key);
      return v !== undefined && matchString(comparator, v, value);
    };
  }
  if ((entity === undefined || entity === 'attribute') && key === 'name') return (r) => matchString(comparator, r.name, value);
  throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '{'name'}'`);
}

function containerOrder(clause: string): (a: AssetContainerRow, b: AssetContainerRow) => number {
  const { identifier, ascending } = parseOrderByClause(clause);
  const key = splitIdentifier(identifier).key;
  const get: ((r: AssetContainerRow) => string | number) | undefined =
    key === 'name' ? (r) => r.name : key === 'last_updated_timestamp' || key === 'timestamp' ? (r) => Number(r.updated_ms) : key === 'creation_timestamp' ? (r) => Number(r.created_ms) : undefined;
  if (!get) throw invalidParam(`Invalid order by key '${key}' specified. Valid keys are 'name', 'last_updated_timestamp', 'timestamp'`);
  return (a, b) => (ascending ? 1 : -1) * compareValues(get(a), get(b));
}
