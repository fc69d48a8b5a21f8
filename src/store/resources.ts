import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ArtifactsTable, Database, SnapshotsTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type ArtifactRow = Selectable<ArtifactsTable>;

/** Workspaces, snapshots and artifacts: small tables with plain reads and writes. */
export class ResourcesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async ensureWorkspace(name: string, at: string): Promise<void> {
    await this.db.insertInto('workspaces').values({ name, created_at: at }).onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  getSnapshot(id: string): Promise<Selectable<SnapshotsTable> | undefined> {
    return this.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async putSnapshot(row: Insertable<SnapshotsTable>): Promise<void> {
    await this.db.insertInto('snapshots').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  async putArtifacts(jobId: string, items: { path: string; size: number; sha256: string }[]): Promise<void> {
    for (let i = 0; i < items.length; i += 500) {
      const rows = items.slice(i, i + 500).map((a) => ({ job_id: jobId, ...a }));
      await this.db
        .insertInto('artifacts')
        .values(rows)
        .onConflict((oc) => oc.columns(['job_id', 'path']).doUpdateSet((eb) => ({ size: eb.ref('excluded.size'), sha256: eb.ref('excluded.sha256') })))
        .execute();
    }
  }

  /** Removes the artifact at `path` and everything under it; returns how many went. */
  async deleteArtifacts(runId: string, path: string): Promise<number> {
    const rows = await this.db.selectFrom('artifacts').select('path').where('job_id', '=', runId).execute();
    const gone = rows.map((r) => r.path).filter((p) => !path || p === path || p.startsWith(`${path}/`));
    for (let i = 0; i < gone.length; i += 500) {
      await this.db.deleteFrom('artifacts').where('job_id', '=', runId).where('path', 'in', gone.slice(i, i + 500)).execute();
    }
    return gone.length;
  }

  artifacts(jobId: string): Promise<ArtifactRow[]> {
    return this.db.selectFrom('artifacts').selectAll().where('job_id', '=', jobId).orderBy('path').execute();
  }
}
