import type { Kysely, Selectable, Transaction, Insertable, Updateable } from 'kysely';
import type { Database, JobsTable, AttemptsTable } from './schema.ts';
import { RunsRepo } from './runs.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type JobRow = Selectable<JobsTable>;
export type AttemptRow = Selectable<AttemptsTable>;
const TERMINAL = ['Completed', 'Failed', 'Canceled'];

export interface JobFilter {
  workspace: string;
  statuses?: string[];
  experiment_name?: string;
  compute?: string;
  /** At most this many; null for all of them. Default 50. */
  limit?: number | null;
}

export class JobsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  with(trx: Db): JobsRepo {
    return new JobsRepo(trx);
  }

  /** Runs `fn` atomically: inside the caller's transaction when there is one, else in its own. */
  private atomically<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? fn(this.db) : (this.db as Kysely<Database>).transaction().execute(fn);
  }

  insert(row: Insertable<JobsTable>, reason: string, at: string): Promise<void> {
    return this.atomically(async (db) => {
      await db.insertInto('jobs').values(row).execute();
      await db.insertInto('job_events').values({ job_id: row.id, status: row.status, reason, at, attempt: null }).execute();
    });
  }

  getByName(workspace: string, name: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
  }

  getById(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(f: JobFilter): Promise<JobRow[]> {
    let q = this.db.selectFrom('jobs').selectAll().where('workspace', '=', f.workspace);
    if (f.statuses?.length) q = q.where('status', 'in', f.statuses);
    if (f.experiment_name) q = q.where('experiment_name', '=', f.experiment_name);
    if (f.compute) q = q.where('compute', '=', f.compute);
    q = q.orderBy('queued_at_ms', 'desc').orderBy('id', 'desc');
    return (f.limit === null ? q : q.limit(f.limit ?? 50)).execute();
  }

  /**
   * Moves a job to `status` and records why. Guarded: a job that already ended never moves,
   * and `from` (when given) must match, so two writers cannot both apply a transition.
   * The update and its event commit together, so events are in the order the updates were applied.
   */
  async transition(
    id: string,
    status: string,
    reason: string | null,
    at: string,
    opts: { from?: string[]; set?: Updateable<JobsTable>; attempt?: number | null } = {},
  ): Promise<boolean> {
    return this.atomically(async (db) => {
      let q = db
        .updateTable('jobs')
        .set({ ...opts.set, status, status_reason: reason })
        .where('id', '=', id)
        .where('status', 'not in', TERMINAL);
      if (opts.from) q = q.where('status', 'in', opts.from);
      const r = await q.executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await db.insertInto('job_events').values({ job_id: id, status, reason, at, attempt: opts.attempt ?? null }).execute();
      await new RunsRepo(db).followJob(id, status, TERMINAL.includes(status) ? Date.parse(at) : null);
      return true;
    });
  }

  /** What a node reports it prepared for an attempt; only the job's latest attempt speaks for it. */
  setEnvironmentRecord(id: string, attempt: number, record: string): Promise<unknown> {
    return this.db.updateTable('jobs').set({ environment_record: record }).where('id', '=', id).where('attempt', '=', attempt).execute();
  }

  update(id: string, set: Updateable<JobsTable>): Promise<unknown> {
    return this.db.updateTable('jobs').set(set).where('id', '=', id).execute();
  }

  events(jobId: string) {
    return this.db.selectFrom('job_events').select(['status', 'reason', 'at', 'attempt']).where('job_id', '=', jobId).orderBy('id').execute();
  }

  /**
   * Claims up to `limit` queued jobs for `owner` until `until` (ms). A claim whose lease ran out
   * (its owner died) is claimable again; the claim is an UPDATE guarded by the old lease.
   */
  async claimQueued(owner: string, now: number, until: number, limit: number): Promise<JobRow[]> {
    const candidates = await this.db
      .selectFrom('jobs')
      .select(['id', 'lease_owner', 'lease_until'])
      .where('status', '=', 'Queued')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
      .orderBy('queued_at_ms')
      .limit(limit)
      .execute();
    const claimed: string[] = [];
    for (const c of candidates) {
      let q = this.db.updateTable('jobs').set({ lease_owner: owner, lease_until: until }).where('id', '=', c.id).where('status', '=', 'Queued');
      q = c.lease_until === null ? q.where('lease_until', 'is', null) : q.where('lease_until', '=', c.lease_until);
      const r = await q.executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) claimed.push(c.id);
    }
    if (claimed.length === 0) return [];
    return this.db.selectFrom('jobs').selectAll().where('id', 'in', claimed).orderBy('queued_at_ms').execute();
  }

  releaseLease(id: string, owner: string): Promise<unknown> {
    return this.db.updateTable('jobs').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
  }

  /** Unfinished jobs whose cancel was asked for before `cutoff` (ISO time) and that no agent has ended since. */
  async cancelRequestedBefore(cutoff: string): Promise<{ id: string; node: string | null; asked: string }[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .innerJoin('job_events', 'job_events.job_id', 'jobs.id')
      .select(['jobs.id', 'jobs.node', (eb) => eb.fn.max('job_events.at').as('asked')])
      .where('jobs.cancel_requested', '=', 1)
      .where('jobs.status', 'not in', [...TERMINAL, 'Queued'])
      .where('job_events.status', '=', 'CancelRequested')
      .groupBy(['jobs.id', 'jobs.node'])
      .execute();
    return rows.filter((r) => String(r.asked) < cutoff).map((r) => ({ id: r.id, node: r.node, asked: String(r.asked) }));
  }

  // Attempts ---------------------------------------------------------------------------------

  insertAttempt(row: Insertable<AttemptsTable>): Promise<unknown> {
    return this.db.insertInto('attempts').values(row).execute();
  }

  getAttempt(id: string): Promise<AttemptRow | undefined> {
    return this.db.selectFrom('attempts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  attemptsOf(jobId: string): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('job_id', '=', jobId).orderBy('number').execute();
  }

  attemptsOnNode(node: string, states: string[]): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('node', '=', node).where('state', 'in', states).orderBy('assigned_at').execute();
  }

  /** Number of unfinished attempts per node, for placement. */
  async busySlots(nodes: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(nodes.map((n) => [n, 0]));
    if (nodes.length === 0) return out;
    const rows = await this.db
      .selectFrom('attempts')
      .select(['node', (eb) => eb.fn.countAll<number>().as('n')])
      .where('node', 'in', nodes)
      .where('state', '!=', 'ended')
      .groupBy('node')
      .execute();
    for (const r of rows) out.set(r.node, Number(r.n));
    return out;
  }

  async updateAttempt(id: string, set: Updateable<AttemptsTable>, fromStates?: string[]): Promise<boolean> {
    let q = this.db.updateTable('attempts').set(set).where('id', '=', id);
    if (fromStates) q = q.where('state', 'in', fromStates);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
