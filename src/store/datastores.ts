import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database, DatastoresTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type DatastoreRow = Selectable<DatastoresTable>;

/** Registered datastores, and what a datastore file's stamp hashed to (imports skip unchanged files). */
export class DatastoresRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async insert(row: Insertable<DatastoresTable>): Promise<void> {
    await this.db.insertInto('datastores').values(row).execute();
  }

  async replace(row: Insertable<DatastoresTable>): Promise<void> {
    await this.db.updateTable('datastores').set({ type: row.type, spec: row.spec, secrets: row.secrets }).where('workspace', '=', row.workspace).where('name', '=', row.name).execute();
  }

  get(workspace: string, name: string): Promise<DatastoreRow | undefined> {
    return this.db.selectFrom('datastores').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
  }

  list(workspace: string): Promise<DatastoreRow[]> {
    return this.db.selectFrom('datastores').selectAll().where('workspace', '=', workspace).orderBy('name').execute();
  }

  async delete(workspace: string, name: string): Promise<number> {
    const r = await this.db.deleteFrom('datastores').where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async stamp(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('datastore_stamps').select('sha256').where('key', '=', key).executeTakeFirst())?.sha256;
  }

  async setStamps(entries: { key: string; sha256: string }[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 500) {
      const chunk = entries.slice(i, i + 500);
      await this.db
        .insertInto('datastore_stamps')
        .values(chunk)
        .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ sha256: eb.ref('excluded.sha256') })))
        .execute();
    }
  }
}
