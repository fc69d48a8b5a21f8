import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database, NodesTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type NodeRow = Selectable<NodesTable>;

export class NodesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  with(trx: Db): NodesRepo {
    return new NodesRepo(trx);
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
    // Only a node coming up or back turns ready: one stopped, being taken back or being removed stays so.
    await this.db.updateTable('nodes').set({ last_heartbeat_ms: at, state: 'ready' }).where('name', '=', name).where('state', 'in', ['ready', 'starting', 'unreachable']).execute();
    await this.db.updateTable('nodes').set({ last_heartbeat_ms: at }).where('name', '=', name).where('state', 'not in', ['ready', 'starting', 'unreachable']).execute();
  }

  /**
   * Marks a node taken: only a ready node, in the placing transaction. Clearing idle_since_ms is
   * what a scale-down checks (on the row itself, so PostgreSQL re-checks it under the row lock):
   * a node cannot be placed on and removed at once.
   */
  async take(names: string[]): Promise<boolean> {
    if (names.length === 0) return true;
    const r = await this.db.updateTable('nodes').set({ idle_since_ms: null }).where('name', 'in', names).where('state', '=', 'ready').executeTakeFirst();
    return Number(r.numUpdatedRows) === names.length;
  }

  /** A node whose last unfinished attempt ended (or that just came up empty) is idle from now. */
  async markIdleIfFree(name: string, now: number): Promise<void> {
    await this.db
      .updateTable('nodes')
      .set({ idle_since_ms: now })
      .where('name', '=', name)
      .where('idle_since_ms', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('attempts').select('id').where('node', '=', name).where('state', '!=', 'ended'))))
      .execute();
  }

  /** Starts removing a node only if it is ready and idle since before `cutoff`: never one a job was just placed on. */
  async claimIdleForRemoval(name: string, cutoff: number): Promise<boolean> {
    const r = await this.db
      .updateTable('nodes')
      .set({ state: 'deleting' })
      .where('name', '=', name)
      .where('state', '=', 'ready')
      .where('idle_since_ms', 'is not', null)
      .where('idle_since_ms', '<=', cutoff)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(name: string): Promise<void> {
    await this.db.deleteFrom('nodes').where('name', '=', name).execute();
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
