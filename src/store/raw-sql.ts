import { CompiledQuery, type Kysely } from 'kysely';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Database } from './schema.ts';

/**
 * Hand-written SQL for the few hot paths (metric ingest): the same `?`-placeholder text runs on
 * SQLite as cached prepared statements and on PostgreSQL through Kysely with `$n` placeholders.
 * ` FOR_UPDATE` marks a row lock that only PostgreSQL needs.
 */
export interface RawSql {
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  run(sql: string, params: unknown[]): Promise<number>;
}

export interface RawSqlRunner {
  /** Runs `fn` in one transaction; on SQLite it holds Kysely's connection so nothing interleaves. */
  transaction<T>(fn: (q: RawSql) => Promise<T>): Promise<T>;
  /** Runs `fn` outside any explicit transaction. */
  read<T>(fn: (q: RawSql) => Promise<T>): Promise<T>;
}

export function rawSqlRunner(db: Kysely<Database>, sqlite: DatabaseSync | undefined): RawSqlRunner {
  return sqlite ? new SqliteRaw(db, sqlite) : new PostgresRaw(db);
}

class SqliteRaw implements RawSqlRunner, RawSql {
  private readonly stmts = new Map<string, StatementSync>();
  private readonly db: Kysely<Database>;
  private readonly sqlite: DatabaseSync;
  constructor(db: Kysely<Database>, sqlite: DatabaseSync) {
    this.db = db;
    this.sqlite = sqlite;
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) {
      // SQLite locks the whole database for a write transaction; row locks have no meaning there.
      s = this.sqlite.prepare(sql.replace(' FOR_UPDATE', ''));
      this.stmts.set(sql, s);
    }
    return s;
  }

  async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.stmt(sql).all(...(params as any[])) as T[];
  }

  async run(sql: string, params: unknown[]): Promise<number> {
    return Number(this.stmt(sql).run(...(params as any[])).changes);
  }

  transaction<T>(fn: (q: RawSql) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async () => {
      this.sqlite.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this);
        this.sqlite.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.sqlite.isTransaction) this.sqlite.exec('ROLLBACK');
        throw err;
      }
    });
  }

  read<T>(fn: (q: RawSql) => Promise<T>): Promise<T> {
    return this.db.connection().execute(() => fn(this));
  }
}

class PostgresRaw implements RawSqlRunner {
  private readonly db: Kysely<Database>;
  private readonly texts = new Map<string, string>();
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (!t) {
      let n = 0;
      t = sql.replace(' FOR_UPDATE', ' FOR UPDATE').replace(/\?/g, () => `$${++n}`);
      this.texts.set(sql, t);
    }
    return t;
  }

  private over(db: Kysely<any>): RawSql {
    return {
      all: async <T>(sql: string, params: unknown[]) => (await db.executeQuery<T>(CompiledQuery.raw(this.text(sql), params))).rows,
      run: async (sql: string, params: unknown[]) => Number((await db.executeQuery(CompiledQuery.raw(this.text(sql), params))).numAffectedRows ?? 0),
    };
  }

  transaction<T>(fn: (q: RawSql) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(this.over(trx)));
  }

  read<T>(fn: (q: RawSql) => Promise<T>): Promise<T> {
    return fn(this.over(this.db));
  }
}
