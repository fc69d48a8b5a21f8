import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { AssetsTable, AssetContainersTable, Database, JobInputsTable, ModelAliasesTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type AssetRow = Selectable<AssetsTable>;
export type AssetContainerRow = Selectable<AssetContainersTable>;
export type JobInputRow = Selectable<JobInputsTable>;
export type AssetKind = 'data' | 'model';

/**
 * Data and model assets: a container per name (description, tags) and immutable versions, each a
 * content snapshot. A version, once written, changes only in its archived flag, description, tags
 * and stage (what Azure and MLflow let users edit); its content never.
 */
export class AssetsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  with(db: Db): AssetsRepo {
    return new AssetsRepo(db);
  }

  // --- containers ----------------------------------------------------------------------------

  container(workspace: string, kind: AssetKind, name: string): Promise<AssetContainerRow | undefined> {
    return this.db.selectFrom('asset_containers').selectAll().where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
  }

  /** Makes the container when missing; returns whether it was made. */
  async ensureContainer(row: Insertable<AssetContainersTable>): Promise<boolean> {
    if (await this.container(row.workspace, row.kind as AssetKind, row.name)) return false;
    await this.db.insertInto('asset_containers').values(row).execute();
    return true;
  }

  async updateContainer(workspace: string, kind: AssetKind, name: string, set: Partial<Pick<AssetContainerRow, 'description' | 'tags' | 'updated_ms'>>): Promise<void> {
    await this.db.updateTable('asset_containers').set(set).where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).execute();
  }

  containers(workspace: string, kind: AssetKind): Promise<AssetContainerRow[]> {
    return this.db.selectFrom('asset_containers').selectAll().where('workspace', '=', workspace).where('kind', '=', kind).orderBy('name').execute();
  }

  /** Deletes a name with all its versions and aliases (MLflow's delete-registered-model). */
  async deleteContainer(workspace: string, kind: AssetKind, name: string): Promise<void> {
    await this.db.deleteFrom('assets').where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).execute();
    if (kind === 'model') await this.db.deleteFrom('model_aliases').where('workspace', '=', workspace).where('name', '=', name).execute();
    await this.db.deleteFrom('asset_containers').where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).execute();
  }

  async renameContainer(workspace: string, kind: AssetKind, name: string, to: string, nowMs: number): Promise<void> {
    await this.db.updateTable('asset_containers').set({ name: to, updated_ms: nowMs }).where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).execute();
    await this.db.updateTable('assets').set({ name: to }).where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).execute();
    if (kind === 'model') await this.db.updateTable('model_aliases').set({ name: to }).where('workspace', '=', workspace).where('name', '=', name).execute();
  }

  // --- versions ------------------------------------------------------------------------------

  async insert(row: Insertable<AssetsTable>): Promise<void> {
    await this.db.insertInto('assets').values(row).execute();
    const n = row.version_num;
    if (n !== null && n !== undefined) {
      await this.db.updateTable('asset_containers').set({ last_version: n }).where('workspace', '=', row.workspace).where('kind', '=', row.kind).where('name', '=', row.name).where('last_version', '<', n).execute();
    }
  }

  get(workspace: string, kind: AssetKind, name: string, version: string): Promise<AssetRow | undefined> {
    return this.db.selectFrom('assets').selectAll().where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).where('version', '=', version).executeTakeFirst();
  }

  /** The version of this name that already holds this content, if any (archived ones too). */
  byContent(workspace: string, kind: AssetKind, name: string, contentKey: string): Promise<AssetRow | undefined> {
    return this.db.selectFrom('assets').selectAll().where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).where('content_key', '=', contentKey).orderBy('created_ms').executeTakeFirst();
  }

  /** Every version of one name, newest first. */
  async versions(workspace: string, kind: AssetKind, name: string, includeArchived: boolean): Promise<AssetRow[]> {
    let q = this.db.selectFrom('assets').selectAll().where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name);
    if (!includeArchived) q = q.where('archived', '=', 0);
    return newestFirst(await q.execute());
  }

  async latest(workspace: string, kind: AssetKind, name: string): Promise<AssetRow | undefined> {
    return (await this.versions(workspace, kind, name, false))[0];
  }

  /** Every version of every name (newest first within a name), bounded. */
  async all(workspace: string, kind: AssetKind, includeArchived: boolean, limit: number): Promise<AssetRow[]> {
    let q = this.db.selectFrom('assets').selectAll().where('workspace', '=', workspace).where('kind', '=', kind);
    if (!includeArchived) q = q.where('archived', '=', 0);
    return newestFirst(await q.orderBy('created_ms', 'desc').limit(limit).execute());
  }

  /** The largest numeric version a name ever had, archived and deleted ones included (a new version never reuses one). */
  async maxNumericVersion(workspace: string, kind: AssetKind, name: string): Promise<number> {
    const r = await this.db.selectFrom('assets').select((eb) => eb.fn.max('version_num').as('max')).where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    const c = await this.container(workspace, kind, name);
    return Math.max(Number(r?.max ?? 0), Number(c?.last_version ?? 0));
  }

  async update(workspace: string, kind: AssetKind, name: string, version: string, set: Partial<Pick<AssetRow, 'description' | 'tags' | 'stage' | 'updated_ms' | 'archived'>>): Promise<number> {
    const r = await this.db.updateTable('assets').set(set).where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).where('version', '=', version).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Archives (or restores) one version, or every version of the name; returns how many rows changed. */
  async setArchived(workspace: string, kind: AssetKind, name: string, version: string | null, archived: boolean): Promise<number> {
    let q = this.db.updateTable('assets').set({ archived: archived ? 1 : 0 }).where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name);
    if (version !== null) q = q.where('version', '=', version);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async deleteVersion(workspace: string, kind: AssetKind, name: string, version: string): Promise<void> {
    await this.db.deleteFrom('assets').where('workspace', '=', workspace).where('kind', '=', kind).where('name', '=', name).where('version', '=', version).execute();
    if (kind === 'model') await this.db.deleteFrom('model_aliases').where('workspace', '=', workspace).where('name', '=', name).where('version', '=', version).execute();
  }

  /** Versions a job produced (registered outputs). */
  producedBy(jobId: string): Promise<AssetRow[]> {
    return this.db.selectFrom('assets').selectAll().where('job_id', '=', jobId).execute();
  }

  /** Every version of these names (archived ones too), grouped by name, newest first: one query for a page of names. */
  async versionsOf(workspace: string, kind: AssetKind, names: string[]): Promise<Map<string, AssetRow[]>> {
    const out = new Map<string, AssetRow[]>(names.map((n) => [n, []]));
    for (let i = 0; i < names.length; i += 500) {
      const rows = await this.db.selectFrom('assets').selectAll().where('workspace', '=', workspace).where('kind', '=', kind).where('name', 'in', names.slice(i, i + 500)).execute();
      for (const r of newestFirst(rows)) out.get(r.name)?.push(r);
    }
    return out;
  }

  // --- model aliases ---------------------------------------------------------------------------

  /** The aliases of these names, grouped by name: one query for a page of names. */
  async aliasesOf(workspace: string, names: string[]): Promise<Map<string, Selectable<ModelAliasesTable>[]>> {
    const out = new Map<string, Selectable<ModelAliasesTable>[]>(names.map((n) => [n, []]));
    for (let i = 0; i < names.length; i += 500) {
      const rows = await this.db.selectFrom('model_aliases').selectAll().where('workspace', '=', workspace).where('name', 'in', names.slice(i, i + 500)).orderBy('alias').execute();
      for (const r of rows) out.get(r.name)?.push(r);
    }
    return out;
  }

  aliases(workspace: string, name: string): Promise<Selectable<ModelAliasesTable>[]> {
    return this.db.selectFrom('model_aliases').selectAll().where('workspace', '=', workspace).where('name', '=', name).orderBy('alias').execute();
  }

  async setAlias(workspace: string, name: string, alias: string, version: string): Promise<void> {
    await this.db.deleteFrom('model_aliases').where('workspace', '=', workspace).where('name', '=', name).where('alias', '=', alias).execute();
    await this.db.insertInto('model_aliases').values({ workspace, name, alias, version }).execute();
  }

  async deleteAlias(workspace: string, name: string, alias: string): Promise<number> {
    const r = await this.db.deleteFrom('model_aliases').where('workspace', '=', workspace).where('name', '=', name).where('alias', '=', alias).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // --- lineage: what jobs read ------------------------------------------------------------------

  async putJobInputs(rows: Insertable<JobInputsTable>[]): Promise<void> {
    if (rows.length) await this.db.insertInto('job_inputs').values(rows).execute();
  }

  jobInputs(jobId: string): Promise<JobInputRow[]> {
    return this.db.selectFrom('job_inputs').selectAll().where('job_id', '=', jobId).orderBy('name').execute();
  }

  /** Ids of the jobs that read a version. */
  async consumers(kind: AssetKind, name: string, version: string): Promise<string[]> {
    const rows = await this.db.selectFrom('job_inputs').select('job_id').where('asset_kind', '=', kind).where('asset_name', '=', name).where('asset_version', '=', version).execute();
    return [...new Set(rows.map((r) => r.job_id))];
  }
}

/** Azure's `latest`: the version created last (numbers break a tie within one millisecond). */
function newestFirst(rows: AssetRow[]): AssetRow[] {
  return [...rows].sort((a, b) => a.name.localeCompare(b.name) || Number(b.created_ms) - Number(a.created_ms) || Number(b.version_num ?? -1) - Number(a.version_num ?? -1));
}
