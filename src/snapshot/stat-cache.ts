import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from './hash.ts';

/** [size, mtimeMs, ctimeMs, ino, sha256]: a tuple, not an object, to keep a 10k-file cache small and quick to parse. */
export type CacheRow = [number, number, number, number, string];
export type CacheRows = Record<string, CacheRow>;

const VERSION = 1;

/**
 * A file changed again within the file system's timestamp granularity after we hashed it would
 * keep its size and times, and the cache would then vouch for stale content (git's "racy" entries).
 * So a file modified this recently before the build started is hashed but not remembered; it is
 * hashed again next time, which costs one small re-read for a file someone is editing right now.
 * Two seconds covers coarse file systems (ext3, HFS+, FAT) as well as Linux's jiffy-grained clock.
 */
export const RACY_MS = 2000;

/** One cache file per absolute code folder, named by the hash of its path. */
export function cachePath(cacheDir: string, root: string): string {
  return join(cacheDir, sha256Hex(root) + '.json');
}

/** The remembered rows, or none when the file is absent, unreadable, corrupt or for another folder. */
export function loadCache(file: string, root: string): CacheRows {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; root?: unknown; files?: unknown };
    if (parsed && parsed.version === VERSION && parsed.root === root && parsed.files && typeof parsed.files === 'object' && !Array.isArray(parsed.files)) {
      return parsed.files as CacheRows;
    }
  } catch {
    // A missing or corrupt cache only costs a full hash.
  }
  return Object.create(null) as CacheRows;
}

/** The remembered hash when size, mtime, ctime and inode all still match; rows are checked since the file is ours but could be hand-edited. */
export function lookup(rows: CacheRows, path: string, st: Stats): string | undefined {
  const row = rows[path];
  if (row === undefined || !Array.isArray(row) || row.length !== 5) return undefined;
  if (row[0] !== st.size || row[1] !== st.mtimeMs || row[2] !== st.ctimeMs || row[3] !== st.ino) return undefined;
  const sha = row[4];
  return typeof sha === 'string' && sha.length === 64 ? sha : undefined;
}

export function rowOf(st: Stats, sha256: string): CacheRow {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino, sha256];
}

/**
 * Written to a temporary name and renamed, so a crash or a concurrent build never leaves a torn
 * file; the last writer wins, and either version is a valid cache.
 */
export function saveCache(file: string, cacheDir: string, root: string, rows: CacheRows): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(tmp, JSON.stringify({ version: VERSION, root, files: rows }));
    renameSync(tmp, file);
  } catch {
    // The cache is an optimisation: a read-only or full disk must not fail the submit.
    rmSync(tmp, { force: true });
  }
}
