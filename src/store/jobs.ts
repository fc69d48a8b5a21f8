import { PostgresAdapter, sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, type Transaction, type Insertable, type Updateable } from 'kysely';
import type { Database, JobsTable, AttemptsTable } from './schema.ts';
import { RunsRepo } from './runs.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type JobRow = Selectable<JobsTable>;
export type AttemptRow = Selectable<AttemptsTable>;
const TERMINAL = ['Completed', 'Failed', 'Canceled'];
/** Not yet placed (protocol/job.ts WAITING_STATUSES). */
const WAITING = ['Queued', 'Provisioning'];

export interface JobFilter {
  workspace: string;
  statuses?: string[];
  experiment_name?: string;
  compute?: string;
  /** At most this many; null for all of them. Default 50. */
  limit?: number | null;
  /** Text the name or the display name holds (ASCII letters in any case). */
  search?: string;
  /** Tags the job's spec must have: a value to equal, or null for any value. */
  tags?: [string, string | null][];
  /** Keyset paging: only jobs after (older than) this one in the newest-first order... */
  after?: JobKey;
  /** ...or only jobs before (newer than) it, the nearest ones, still newest first. */
  before?: JobKey;
  /** Only the trials of this sweep (its id); without it, trials are left out. */
  parent_id?: string;
}
/** Where a job sits in the newest-first order. */
export interface JobKey {
  queued_at_ms: number;
  id: string;
}

/** Jobs after `k` in the newest-first order. */
const older = (eb: ExpressionBuilder<Database, 'jobs'>, k: JobKey) =>
  eb.or([eb('queued_at_ms', '<', k.queued_at_ms), eb.and([eb('queued_at_ms', '=', k.queued_at_ms), eb('id', '<', k.id)])]);

/** `%`, `_` and the escape itself stand for themselves in a LIKE pattern. */
const likeEscaped = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

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

  /** Several jobs at once (a dispatcher pass looks at all the jobs it follows). */
  async byIds(ids: string[]): Promise<Map<string, JobRow>> {
    const out = new Map<string, JobRow>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.selectFrom('jobs').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.id, r);
    }
    return out;
  }

  getById(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first (by submission, then id, so a page boundary is exact). */
  async list(f: JobFilter): Promise<JobRow[]> {
    let q = this.db.selectFrom('jobs').selectAll().where((eb) => this.matching(eb, f));
    if (f.after) q = q.where((eb) => older(eb, f.after!));
    // The page just before a job: the nearest newer ones, read oldest first and turned around.
    if (f.before) q = q.where((eb) => eb.not(older(eb, f.before!))).where('id', '!=', f.before.id);
    const dir = f.before ? 'asc' : 'desc';
    q = q.orderBy('queued_at_ms', dir).orderBy('id', dir);
    const rows = await (f.limit === null ? q : q.limit(f.limit ?? 50)).execute();
    return f.before ? rows.reverse() : rows;
  }

  /** How many jobs the filter matches in all (limit aside), or only those newer than `newerThan`. */
  async count(f: JobFilter, newerThan?: JobKey): Promise<number> {
    let q = this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where((eb) => this.matching(eb, f));
    if (newerThan) q = q.where((eb) => eb.not(older(eb, newerThan))).where('id', '!=', newerThan.id);
    const r = await q.executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  private matching(eb: ExpressionBuilder<Database, 'jobs'>, f: JobFilter): Expression<SqlBool> {
    const all: Expression<SqlBool>[] = [eb('workspace', '=', f.workspace), f.parent_id ? eb('parent_id', '=', f.parent_id) : eb('parent_id', 'is', null)];
    if (f.statuses?.length) all.push(eb('status', 'in', f.statuses));
    if (f.experiment_name) all.push(eb('experiment_name', '=', f.experiment_name));
    if (f.compute) all.push(eb('compute', '=', f.compute));
    if (f.search) {
      const p = `%${likeEscaped(f.search.toLowerCase())}%`;
      all.push(sql<SqlBool>`(lower(name) like ${p} escape '\\' or lower(display_name) like ${p} escape '\\')`);
    }
    // Tags live in the spec's JSON text; each dialect reads JSON its own way.
    for (const [key, value] of f.tags ?? []) {
      if (this.postgres) {
        const tag = sql`(spec::jsonb -> 'tags' ->> ${key})`;
        all.push(value === null ? sql<SqlBool>`${tag} is not null` : sql<SqlBool>`${tag} = ${value}`);
      } else {
        const each = sql`select 1 from json_each(jobs.spec, '$.tags') t where t.key = ${key}`;
        all.push(value === null ? sql<SqlBool>`exists (${each})` : sql<SqlBool>`exists (${each} and t.value = ${value})`);
      }
    }
    return eb.and(all);
  }

  private get postgres(): boolean {
    return this.db.getExecutor().adapter instanceof PostgresAdapter;
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

  /** Computes that have queued jobs: the scheduler looks at each one's own queue. */
  queuedComputes(): Promise<{ workspace: string; compute: string }[]> {
    return this.db.selectFrom('jobs').select(['workspace', 'compute']).distinct().where('status', 'in', WAITING).execute();
  }

  /** A compute's queue in order: priority first, then submission. */
  queueOf(workspace: string, compute: string, limit: number): Promise<JobRow[]> {
    return this.db
      .selectFrom('jobs')
      .selectAll()
      .where('workspace', '=', workspace)
      .where('compute', '=', compute)
      .where('status', 'in', WAITING)
      .orderBy('priority', 'desc')
      .orderBy('queued_at_ms')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** How many jobs wait ahead of this one in its compute's queue. */
  async ahead(job: Pick<JobRow, 'workspace' | 'compute' | 'priority' | 'queued_at_ms' | 'id'>): Promise<number> {
    const r = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace', '=', job.workspace)
      .where('compute', '=', job.compute)
      .where('status', 'in', WAITING)
      .where((eb) =>
        eb.or([
          eb('priority', '>', job.priority),
          eb.and([eb('priority', '=', job.priority), eb.or([eb('queued_at_ms', '<', job.queued_at_ms), eb.and([eb('queued_at_ms', '=', job.queued_at_ms), eb('id', '<', job.id)])])]),
        ]),
      )
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Queued jobs of a compute and the nodes they need together: what the autoscaler scales for. */
  async queuedDemand(workspace: string, compute: string): Promise<{ jobs: number; nodes: number }> {
    const r = await this.db
      .selectFrom('jobs')
      .select((eb) => [eb.fn.countAll<number>().as('jobs'), eb.fn.sum<number>('instance_count').as('nodes')])
      .where('workspace', '=', workspace)
      .where('compute', '=', compute)
      .where('status', 'in', WAITING)
      .executeTakeFirst();
    return { jobs: Number(r?.jobs ?? 0), nodes: Number(r?.nodes ?? 0) };
  }

  /** Why a queued job waits, written only when it changed. */
  setWait(id: string, code: string, detail: string): Promise<unknown> {
    return this.db.updateTable('jobs').set({ wait_code: code, status_reason: detail }).where('id', '=', id).where('status', 'in', WAITING).execute();
  }

  /** Unfinished jobs whose cancel was asked for before `cutoff` (ISO time) and that no agent has ended since. */
  async cancelRequestedBefore(cutoff: string): Promise<{ id: string; node: string | null; asked: string }[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .innerJoin('job_events', 'job_events.job_id', 'jobs.id')
      .select(['jobs.id', 'jobs.node', (eb) => eb.fn.max('job_events.at').as('asked')])
      .where('jobs.cancel_requested', '=', 1)
      // A sweep runs nothing itself: the sweeper ends it once its trials have ended.
      .where('jobs.kind', '=', 'command')
      .where('jobs.status', 'not in', [...TERMINAL, ...WAITING])
      .where('job_events.status', '=', 'CancelRequested')
      .groupBy(['jobs.id', 'jobs.node'])
      .execute();
    return rows.filter((r) => String(r.asked) < cutoff).map((r) => ({ id: r.id, node: r.node, asked: String(r.asked) }));
  }

  // Sweeps ------------------------------------------------------------------------------------

  /** Sweeps not yet ended: what the sweeper advances. */
  activeSweeps(): Promise<JobRow[]> {
    return this.activeOfKind('sweep');
  }

  /** Parent jobs of a kind (sweep, pipeline) not yet ended: what their reconciler advances. */
  activeOfKind(kind: 'sweep' | 'pipeline'): Promise<JobRow[]> {
    return this.db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('status', 'not in', TERMINAL).orderBy('queued_at_ms').execute();
  }

  /** A sweep's trials (or a pipeline's steps), by index. */
  trialsOf(parentId: string): Promise<JobRow[]> {
    return this.db.selectFrom('jobs').selectAll().where('parent_id', '=', parentId).orderBy('trial_index').execute();
  }

  /**
   * Takes a sweep's lease (free, lapsed or already ours) until `until`: only the holder advances
   * it, so two servers on one PostgreSQL never make the same trial or stop one twice.
   */
  claimSweep(id: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.claimParent(id, 'sweep', owner, now, until);
  }

  /** The same lease on a parent job of any kind (a pipeline's runner takes it the same way). */
  async claimParent(id: string, kind: 'sweep' | 'pipeline', owner: string, now: number, until: number): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ lease_owner: owner, lease_until: until })
      .where('id', '=', id)
      .where('kind', '=', kind)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The latest completed job with this reuse key: a pipeline step that would compute the same stands on its outputs. */
  reusable(workspace: string, key: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('workspace', '=', workspace).where('reuse_key', '=', key).where('status', '=', 'Completed').orderBy('queued_at_ms', 'desc').limit(1).executeTakeFirst();
  }

  /** Whether `owner` still holds a parent job's lease (checked before each change it makes). */
  async holdsSweep(id: string, owner: string, now: number): Promise<boolean> {
    const r = await this.db.selectFrom('jobs').select('id').where('id', '=', id).where('lease_owner', '=', owner).where('lease_until', '>=', now).executeTakeFirst();
    return !!r;
  }

  // Attempts ---------------------------------------------------------------------------------

  insertAttempt(row: Insertable<AttemptsTable>): Promise<unknown> {
    return this.db.insertInto('attempts').values(row).execute();
  }

  getAttempt(id: string): Promise<AttemptRow | undefined> {
    return this.db.selectFrom('attempts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The job each node runs now (pool nodes take one job at a time). */
  async currentJobs(nodes: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (nodes.length === 0) return out;
    const rows = await this.db
      .selectFrom('attempts')
      .innerJoin('jobs', 'jobs.id', 'attempts.job_id')
      .select(['attempts.node', 'jobs.name'])
      .where('attempts.node', 'in', nodes)
      .where('attempts.state', '!=', 'ended')
      .execute();
    for (const r of rows) out.set(r.node, r.name);
    return out;
  }

  /** The ranks of one attempt of a job. */
  attemptsOfNumber(jobId: string, number: number): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('job_id', '=', jobId).where('number', '=', number).orderBy('rank').execute();
  }

  attemptsOf(jobId: string): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('job_id', '=', jobId).orderBy('number').execute();
  }

  attemptsOnNode(node: string, states: string[]): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('node', '=', node).where('state', 'in', states).orderBy('assigned_at').execute();
  }

  /** Jobs with an unfinished attempt on each node (a distributed job's ranks on one node count once), for placement. */
  async busySlots(nodes: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(nodes.map((n) => [n, 0]));
    if (nodes.length === 0) return out;
    const rows = await this.db
      .selectFrom('attempts')
      .select(['node', (eb) => eb.fn.count<number>('job_id').distinct().as('n')])
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
