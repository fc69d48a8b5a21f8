import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from './hash.ts';

const VERSION = 2;
const NUMS = 4; // size, mtimeMs, ctimeMs, ino
const HEX = 64;

/**
 * A file changed again within the file system's timestamp granularity after we hashed it would
 * keep its size and times, and the cache would then vouch for stale content (git's "racy" entries).
 * So a file modified this recently before the build started is hashed but not remembered; it is
 * hashed again next time, which costs one small re-read for a file someone is editing right now.
 * Two seconds covers coarse file systems (ext3, HFS+, FAT) as well as Linux's jiffy-grained clock.
 */
export const RACY_MS = 2000;

// Native decode and re-encode: a regular expression over 640 KB of hex costs more than the lookups it guards.
function isLowerHex(s: string): boolean {
  return Buffer.from(s, 'hex').toString('hex') === s;
}

/** One cache file per absolute code folder, named by the hash of its path. */
export function cachePath(cacheDir: string, root: string): string {
  return join(cacheDir, sha256Hex(root) + '.json');
}

/**
 * Maps path -> [size, mtimeMs, ctimeMs, ino, sha256], stored as columns (a path list, one flat
 * number list, one string of concatenated hashes) in walk order. Columns parse and serialise
 * faster than an object of 10k small arrays, and since the next walk visits files in
 * the same order, lookups are mostly a compare with the next row instead of a hash-map probe.
 */
export class StatCache {
  private readonly paths: string[];
  private readonly nums: number[];
  private readonly shas: string;
  private index: Map<string, number> | null = null;
  private cursor = 0;
  /** Rows for the next save, in this walk's order. */
  private readonly outPaths: string[] = [];
  private readonly outNums: number[] = [];
  private readonly outShas: string[] = [];
  private fresh = 0;

  constructor(paths: string[] = [], nums: number[] = [], shas = '') {
    this.paths = paths;
    this.nums = nums;
    this.shas = shas;
  }

  /** The remembered rows, or none when the file is absent, unreadable, corrupt or for another folder. */
  static load(file: string, root: string): StatCache {
    try {
      const p = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; root?: unknown; paths?: unknown; nums?: unknown; shas?: unknown };
      const { paths, nums, shas } = p;
      if (
        p.version === VERSION &&
        p.root === root &&
        Array.isArray(paths) &&
        Array.isArray(nums) &&
        typeof shas === 'string' &&
        nums.length === paths.length * NUMS &&
        shas.length === paths.length * HEX &&
        isLowerHex(shas)
      ) {
        return new StatCache(paths as string[], nums as number[], shas);
      }
    } catch {
      // A missing or corrupt cache only costs a full hash.
    }
    return new StatCache();
  }

  get size(): number {
    return this.paths.length;
  }

  private find(path: string): number {
    const k = this.cursor;
    if (k < this.paths.length && this.paths[k] === path) return k;
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.paths.length; i++) this.index.set(this.paths[i]!, i);
    }
    return this.index.get(path) ?? -1;
  }

  /** The remembered hash when size, mtime, ctime and inode all still match; then the row is kept for the next save. */
  lookup(path: string, st: Stats): string | undefined {
    const i = this.find(path);
    if (i < 0) return undefined;
    this.cursor = i + 1;
    const n = i * NUMS;
    const nums = this.nums;
    if (nums[n] !== st.size || nums[n + 1] !== st.mtimeMs || nums[n + 2] !== st.ctimeMs || nums[n + 3] !== st.ino) return undefined;
    const sha = this.shas.slice(i * HEX, i * HEX + HEX);
    this.keep(path, st, sha);
    return sha;
  }

  private keep(path: string, st: Stats, sha: string): void {
    this.outPaths.push(path);
    this.outNums.push(st.size, st.mtimeMs, st.ctimeMs, st.ino);
    this.outShas.push(sha);
  }

  /** Remembers a freshly hashed file. */
  record(path: string, st: Stats, sha: string): void {
    this.keep(path, st, sha);
    this.fresh++;
  }

  /**
   * Whether the file needs writing. Rows of changed or deleted files can never match again, so
   * they are harmless: the file is rewritten only for new rows, or to drop many dead ones.
   */
  get changed(): boolean {
    const dead = this.paths.length - (this.outPaths.length - this.fresh);
    return this.fresh > 0 || dead > Math.max(100, this.paths.length >> 3);
  }

  /**
   * Written to a temporary name and renamed, so a crash or a concurrent build never leaves a torn
   * file; the last writer wins, and either version is a valid cache.
   */
  save(file: string, cacheDir: string, root: string): void {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(tmp, JSON.stringify({ version: VERSION, root, paths: this.outPaths, nums: this.outNums, shas: this.outShas.join('') }));
      renameSync(tmp, file);
    } catch {
      // The cache is an optimisation: a read-only or full disk must not fail the submit.
      rmSync(tmp, { force: true });
    }
  }
}
