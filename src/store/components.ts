import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ComponentsTable, Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type ComponentRow = Selectable<ComponentsTable>;

/** Registered component versions. A version, once written, never changes; only `archived` does. */
export class ComponentsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async insert(row: Insertable<ComponentsTable>): Promise<void> {
    await this.db.insertInto('components').values(row).execute();
  }

  get(workspace: string, name: string, version: string): Promise<ComponentRow | undefined> {
    return this.db.selectFrom('components').selectAll().where('workspace', '=', workspace).where('name', '=', name).where('version', '=', version).executeTakeFirst();
  }

  /** Every version of one name, newest first. */
  versions(workspace: string, name: string, includeArchived: boolean): Promise<ComponentRow[]> {
    let q = this.db.selectFrom('components').selectAll().where('workspace', '=', workspace).where('name', '=', name);
    if (!includeArchived) q = q.where('archived', '=', 0);
    return q.execute().then(newestFirst);
  }

  async latest(workspace: string, name: string): Promise<ComponentRow | undefined> {
    return (await this.versions(workspace, name, false))[0];
  }

  /** The newest version of every name (archived ones only when asked), by name. */
  async list(workspace: string, includeArchived: boolean): Promise<ComponentRow[]> {
    let q = this.db.selectFrom('components').selectAll().where('workspace', '=', workspace);
    if (!includeArchived) q = q.where('archived', '=', 0);
    const rows = newestFirst(await q.execute());
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.name) && seen.add(r.name)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async names(workspace: string): Promise<string[]> {
    const rows = await this.db.selectFrom('components').select('name').distinct().where('workspace', '=', workspace).where('archived', '=', 0).orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  /** The largest numeric version of a name, archived ones included (a new version never reuses one). */
  async maxNumericVersion(workspace: string, name: string): Promise<number> {
    const r = await this.db.selectFrom('components').select((eb) => eb.fn.max('version_num').as('max')).where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
    return Number(r?.max ?? 0);
  }

  /** Archives (or restores) one version, or every version of the name; returns how many rows changed. */
  async setArchived(workspace: string, name: string, version: string | null, archived: boolean): Promise<number> {
    let q = this.db.updateTable('components').set({ archived: archived ? 1 : 0 }).where('workspace', '=', workspace).where('name', '=', name);
    if (version !== null) q = q.where('version', '=', version);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}

/** Azure's `latest`: the version created last (numbers break a tie within one millisecond). */
function newestFirst(rows: ComponentRow[]): ComponentRow[] {
  return [...rows].sort((a, b) => a.name.localeCompare(b.name) || b.created_at.localeCompare(a.created_at) || Number(b.version_num ?? -1) - Number(a.version_num ?? -1));
}
