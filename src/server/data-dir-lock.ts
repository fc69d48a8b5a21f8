import { DatabaseSync } from 'node:sqlite';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServerFile } from './server-file.ts';

/**
 * One server per data folder. The lock is an exclusive SQLite transaction on `server.lock`: a
 * kernel file lock, so it is released the moment its process dies (no stale lock to guess about)
 * and a second process asking for it is told no at once.
 */
export class DataDirLock {
  private readonly db: DatabaseSync;
  private readonly ownerFile: string;

  private constructor(db: DatabaseSync, ownerFile: string) {
    this.db = db;
    this.ownerFile = ownerFile;
  }

  static acquire(dataDir: string): DataDirLock {
    const db = new DatabaseSync(join(dataDir, 'server.lock'));
    try {
      db.exec('PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if (!/locked|busy/i.test((err as Error).message)) throw err;
      throw new Error(`another Cairn server already runs on ${dataDir}: ${describeHolder(dataDir)}; stop it first (cairn server stop), or give this one its own --data-dir`);
    }
    const ownerFile = join(dataDir, 'server.lock.owner');
    const tmp = `${ownerFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
    renameSync(tmp, ownerFile);
    return new DataDirLock(db, ownerFile);
  }

  release(): void {
    rmSync(this.ownerFile, { force: true });
    try {
      this.db.exec('ROLLBACK');
    } catch {}
    this.db.close();
  }
}

/** The holder as the user can find it: its pid and, once it listens, its address. */
function describeHolder(dataDir: string): string {
  let pid: number | undefined;
  try {
    pid = JSON.parse(readFileSync(join(dataDir, 'server.lock.owner'), 'utf8')).pid;
  } catch {}
  const file = readServerFile(dataDir);
  if (file && (pid === undefined || file.pid === pid)) return `pid ${file.pid}, listening on ${file.url}`;
  return pid === undefined ? 'it is starting' : `pid ${pid}, still starting`;
}
