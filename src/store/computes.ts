import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { ComputesTable, Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type ComputeRow = Selectable<ComputesTable>;
export type NewCompute = Pick<Insertable<ComputesTable>, 'workspace' | 'name' | 'type' | 'spec' | 'provisioning_state' | 'created_at'> &
  Partial<Insertable<ComputesTable>>;

/** States in which the provisioner owes a compute some work. */
export const BUSY_STATES = ['Creating', 'Updating', 'Deleting'];

/** Compute targets and the provisioner's claims on them. */
export class ComputesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  with(trx: Transaction<Database>): ComputesRepo {
    return new ComputesRepo(trx);
  }

  /** Inserts the row if no compute of that name exists; false when one did. */
  async insert(row: NewCompute): Promise<boolean> {
    const r = await this.db
      .insertInto('computes')
      .values({ provisioning_errors: '[]', pending_force: 0, ...row })
      .onConflict((oc) => oc.columns(['workspace', 'name']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  get(workspace: string, name: string): Promise<ComputeRow | undefined> {
    return this.db.selectFrom('computes').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
  }

  list(workspace: string, type?: string): Promise<ComputeRow[]> {
    let q = this.db.selectFrom('computes').selectAll().where('workspace', '=', workspace);
    if (type) q = q.where('type', '=', type);
    return q.orderBy('name').execute();
  }

  async update(workspace: string, name: string, set: Updateable<ComputesTable>, guard?: { leaseOwner?: string }): Promise<boolean> {
    let q = this.db.updateTable('computes').set(set).where('workspace', '=', workspace).where('name', '=', name);
    if (guard?.leaseOwner) q = q.where('lease_owner', '=', guard.leaseOwner);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(workspace: string, name: string, guard?: { leaseOwner?: string }): Promise<boolean> {
    let q = this.db.deleteFrom('computes').where('workspace', '=', workspace).where('name', '=', name);
    if (guard?.leaseOwner) q = q.where('lease_owner', '=', guard.leaseOwner);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /**
   * Claims computes that wait for the provisioner (a state in BUSY_STATES or a pending action)
   * whose lease is free or expired, compare-and-set on the lease so two servers never both work on one.
   */
  async claimPending(owner: string, now: number, until: number, limit: number): Promise<ComputeRow[]> {
    const candidates = await this.db
      .selectFrom('computes')
      .select(['workspace', 'name', 'lease_until'])
      .where((eb) => eb.or([eb('provisioning_state', 'in', BUSY_STATES), eb('pending_action', 'is not', null)]))
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
      .limit(limit)
      .execute();
    const claimed: ComputeRow[] = [];
    for (const c of candidates) {
      let q = this.db.updateTable('computes').set({ lease_owner: owner, lease_until: until }).where('workspace', '=', c.workspace).where('name', '=', c.name);
      q = c.lease_until === null ? q.where('lease_until', 'is', null) : q.where('lease_until', '=', c.lease_until);
      const r = await q.executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) {
        const row = await this.get(c.workspace, c.name);
        if (row) claimed.push(row);
      }
    }
    return claimed;
  }

  /**
   * The scheduling lease of one compute (its queue and, for a pool, its scaling): one server at a
   * time places its jobs and sizes its pool. Compare-and-set, renewed by the holder on every pass.
   */
  async claimScheduling(workspace: string, name: string, owner: string, now: number, until: number): Promise<boolean> {
    const r = await this.db
      .updateTable('computes')
      .set({ scaler_owner: owner, scaler_until: until })
      .where('workspace', '=', workspace)
      .where('name', '=', name)
      .where((eb) => eb.or([eb('scaler_owner', 'is', null), eb('scaler_owner', '=', owner), eb('scaler_until', '<', now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** What the autoscaler decided for a compute, and why: its scaling history. */
  async addEvent(workspace: string, compute: string, kind: string, message: string, at = new Date().toISOString()): Promise<void> {
    await this.db.insertInto('compute_events').values({ workspace, compute, kind, message, at }).execute();
  }

  /** The latest events of a compute, oldest first. */
  async events(workspace: string, compute: string, limit = 50): Promise<{ at: string; kind: string; message: string }[]> {
    const rows = await this.db
      .selectFrom('compute_events')
      .select(['id', 'at', 'kind', 'message'])
      .where('workspace', '=', workspace)
      .where('compute', '=', compute)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map(({ at, kind, message }) => ({ at, kind, message }));
  }

  release(workspace: string, name: string, owner: string): Promise<boolean> {
    return this.update(workspace, name, { lease_owner: null, lease_until: null }, { leaseOwner: owner });
  }
}
