import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { BatchSubmissionsTable, Database } from './schema.ts';
import type { JobRow } from './jobs.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type BatchSubmissionRow = Selectable<BatchSubmissionsTable>;

/** Submissions to batch systems (Slurm): recorded before they are made, followed until they end. */
export class BatchRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  with(trx: Db): BatchRepo {
    return new BatchRepo(trx);
  }

  async insert(row: Insertable<BatchSubmissionsTable>): Promise<void> {
    await this.db.insertInto('batch_submissions').values(row).execute();
  }

  get(name: string): Promise<BatchSubmissionRow | undefined> {
    return this.db.selectFrom('batch_submissions').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Submissions of a compute not yet done, oldest first. */
  live(workspace: string, compute: string): Promise<BatchSubmissionRow[]> {
    return this.db.selectFrom('batch_submissions').selectAll().where('workspace', '=', workspace).where('compute', '=', compute).where('state', '!=', 'done').orderBy('recorded_at').orderBy('name').execute();
  }

  /** Computes with submissions not yet done. */
  liveComputes(): Promise<{ workspace: string; compute: string }[]> {
    return this.db.selectFrom('batch_submissions').select(['workspace', 'compute']).distinct().where('state', '!=', 'done').execute();
  }

  /**
   * A compute's waiting jobs that have no submission under way, in queue order (priority, then
   * submission): what the dispatcher hands over next. Jobs already in the batch system's queue
   * are Queued too, and must not hide the ones behind them.
   */
  unsubmitted(workspace: string, compute: string, limit: number): Promise<JobRow[]> {
    return this.db
      .selectFrom('jobs')
      .selectAll()
      .where('workspace', '=', workspace)
      .where('compute', '=', compute)
      .where('status', 'in', ['Queued', 'Provisioning'])
      .where('cancel_requested', '=', 0)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('batch_submissions as s').select('s.name').whereRef('s.job_id', '=', 'jobs.id').where('s.state', '!=', 'done'))))
      .orderBy('priority', 'desc')
      .orderBy('queued_at_ms')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  forJob(jobId: string): Promise<BatchSubmissionRow[]> {
    return this.db.selectFrom('batch_submissions').selectAll().where('job_id', '=', jobId).orderBy('attempt').execute();
  }

  /** Applies `set` only while the row is still in one of `from` (another writer may have moved it). */
  async update(name: string, set: Updateable<BatchSubmissionsTable>, from?: BatchSubmissionRow['state'][]): Promise<boolean> {
    let q = this.db.updateTable('batch_submissions').set(set).where('name', '=', name);
    if (from) q = q.where('state', 'in', from);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Counted before each try, so a crash during one is known to the next. */
  async countTries(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.db
      .updateTable('batch_submissions')
      .set((eb) => ({ tries: eb('tries', '+', 1) }))
      .where('name', 'in', names)
      .execute();
  }
}
