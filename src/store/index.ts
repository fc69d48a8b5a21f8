import type { Kysely, Transaction } from 'kysely';
import { openDatabase, type Dialect } from './dialects.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';
import { JobsRepo } from './jobs.ts';
import { LogsRepo } from './logs.ts';
import { NodesRepo } from './nodes.ts';
import { ResourcesRepo } from './resources.ts';
import { ComputesRepo } from './computes.ts';
import { EnvironmentsRepo } from './environments.ts';
import { ComponentsRepo } from './components.ts';
import { RunsRepo } from './runs.ts';
import { MetricsRepo } from './metrics.ts';
import { AssetsRepo } from './assets.ts';
import { DatastoresRepo } from './datastores.ts';
import { BatchRepo } from './batch.ts';
import { rawSqlRunner } from './raw-sql.ts';
import type { DatabaseSync } from 'node:sqlite';

export type { Database } from './schema.ts';
export type { Dialect } from './dialects.ts';
export type Db = Kysely<Database> | Transaction<Database>;

/** The typed SQL layer: one object per concept, the same on SQLite and PostgreSQL. */
export class Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly where: string;
  readonly jobs: JobsRepo;
  readonly logs: LogsRepo;
  readonly nodes: NodesRepo;
  readonly resources: ResourcesRepo;
  readonly computes: ComputesRepo;
  readonly environments: EnvironmentsRepo;
  readonly components: ComponentsRepo;
  readonly runs: RunsRepo;
  readonly metrics: MetricsRepo;
  readonly assets: AssetsRepo;
  readonly datastores: DatastoresRepo;
  readonly batch: BatchRepo;

  private constructor(db: Kysely<Database>, dialect: Dialect, where: string, sqlite: DatabaseSync | undefined) {
    this.db = db;
    this.dialect = dialect;
    this.where = where;
    this.jobs = new JobsRepo(db);
    this.logs = new LogsRepo(db);
    this.nodes = new NodesRepo(db);
    this.resources = new ResourcesRepo(db);
    this.computes = new ComputesRepo(db);
    this.environments = new EnvironmentsRepo(db);
    this.components = new ComponentsRepo(db);
    this.runs = new RunsRepo(db);
    this.metrics = new MetricsRepo(rawSqlRunner(db, sqlite));
    this.assets = new AssetsRepo(db);
    this.datastores = new DatastoresRepo(db);
    this.batch = new BatchRepo(db);
  }

  static async open(url: string): Promise<Store> {
    const { db, dialect, where, sqlite } = openDatabase(url);
    try {
      await migrateToLatest(db, dialect);
    } catch (err) {
      await db.destroy().catch(() => {});
      throw dialect === 'postgres' ? explainPostgresError(err, where) : err;
    }
    return new Store(db, dialect, where, sqlite);
  }

  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

/** Unique-constraint violations look different per driver; callers only need to know it was one. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string; errcode?: number };
  return e?.code === '23505' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

/** Why PostgreSQL could not be opened, in words: the driver's own errors name a socket call. */
function explainPostgresError(err: unknown, where: string): Error {
  let e = err as { code?: string; message?: string; cause?: unknown };
  while (!e.code && e.cause) e = e.cause as typeof e;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'nothing listens there (is PostgreSQL running, on that port?)',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'the host cannot be reached',
    '28P01': 'the password was refused',
    '28000': 'the server refused this user',
    '3D000': 'the database does not exist (create it with createdb)',
  };
  const why = (e?.code && reasons[e.code]) ?? e?.message ?? String(err);
  return new Error(`cannot open PostgreSQL at ${where}: ${why}`);
}
