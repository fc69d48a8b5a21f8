import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** Kysely's SqliteDialect over Node's built-in node:sqlite (no native addon to compile). */
function nodeSqlite(path: string): { kysely: SqliteDatabase; raw: DatabaseSync } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes in WAL mode.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  const kysely = {
    close: () => db.close(),
    prepare(sql: string) {
      const stmt = db.prepare(sql);
      const reader = stmt.columns().length > 0;
      return {
        reader,
        all: (params: readonly unknown[]) => stmt.all(...(params as any[])) as unknown[],
        run: (params: readonly unknown[]) => {
          const r = stmt.run(...(params as any[]));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params: readonly unknown[]) => stmt.iterate(...(params as any[])) as IterableIterator<unknown>,
      };
    },
  } as SqliteDatabase;
  return { kysely, raw: db };
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** A printable location without credentials. */
  where: string;
  /** SQLite's own handle, for hot paths that run whole transactions synchronously under Kysely's connection lock. */
  sqlite?: DatabaseSync;
}

/** `sqlite:PATH` or `postgres://...` / `postgresql://...`; anything else is refused, naming the forms. */
export function openDatabase(url: string): OpenedDatabase {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // int8 and numeric come back as numbers: our counters and millisecond times fit in a double.
    const types = {
      getTypeParser: (oid: number, format?: any) =>
        oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    };
    const pool = new pg.Pool({ connectionString: url, max: 10, types });
    const where = url.replace(/\/\/[^@/]*@/, '//***@');
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', where };
  }
  if (!/^sqlite:./.test(url)) throw new Error(`'${url}' is not a database this server can open: use sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB`);
  const path = url.slice('sqlite:'.length);
  const { kysely, raw } = nodeSqlite(path);
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: kysely }) }), dialect: 'sqlite', where: `sqlite:${path}`, sqlite: raw };
}
