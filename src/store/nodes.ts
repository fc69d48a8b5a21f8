import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database, NodesTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type NodeRow = Selectable<NodesTable>;

export class NodesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(name: string): Promise<NodeRow | undefined> {
    return this.db.selectFrom('nodes').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** The node a token belongs to (tokens are stored as their sha256 only). */
  byTokenHash(hash: string): Promise<NodeRow | undefined> {
    return this.db.selectFrom('nodes').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  }

  forCompute(workspace: string, compute: string): Promise<NodeRow[]> {
    return this.db.selectFrom('nodes').selectAll().where('workspace', '=', workspace).where('compute', '=', compute).orderBy('name').execute();
  }

  all(): Promise<NodeRow[]> {
    return this.db.selectFrom('nodes').selectAll().orderBy('name').execute();
  }

  async upsert(row: Insertable<NodesTable>): Promise<void> {
    await this.db
      .insertInto('nodes')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ ...row, name: undefined } as Updateable<NodesTable>))
      .execute();
  }

  async update(name: string, set: Updateable<NodesTable>): Promise<void> {
    await this.db.updateTable('nodes').set(set).where('name', '=', name).execute();
  }

  /** A poll from the node's agent; a node stopped on purpose stays stopped while the poll of its departing agent runs out. */
  async heartbeat(name: string, at: number): Promise<void> {
    await this.db.updateTable('nodes').set({ last_heartbeat_ms: at, state: 'ready' }).where('name', '=', name).where('state', '!=', 'stopped').execute();
  }

  /** Ready nodes whose agent has been silent since before `deadline` (ms). */
  silentSince(deadline: number): Promise<NodeRow[]> {
    return this.db
      .selectFrom('nodes')
      .selectAll()
      .where('state', '=', 'ready')
      .where((eb) => eb.or([eb('last_heartbeat_ms', 'is', null), eb('last_heartbeat_ms', '<', deadline)]))
      .execute();
  }
}
