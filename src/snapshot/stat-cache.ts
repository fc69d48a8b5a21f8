import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { sha256Hex } from './hash.ts';

/**
 * A file changed again within the file system's timestamp granularity after we hashed it would
 * keep its size and times, and the cache would then vouch for stale content (git's "racy" entries).
 * So a file modified this recently before the build started is hashed but not remembered; it is
 * hashed again next time, which costs one small re-read for a file someone is editing right now.
 * Two seconds covers coarse file systems (ext3, HFS+, FAT) as well as Linux's jiffy-grained clock.
 * The same holds for a folder's listing and for the ignore files its listing was matched against.
 */
export const RACY_MS = 2000;

const MAGIC = 'CAIRNSC\n';
const VERSION = 3;
/** Magic, version, crc32 of everything after this field, header length, padding. */
const HEAD = 24;
const HEX = 64;
/** Per folder: mtimeMs, ctimeMs, ino, rule file count, child count. */
const DIR_NUMS = 5;
/** Per ignore file and per child: size, mtimeMs, ctimeMs, ino. A child without a row has size -1. */
export const SIG = 4;
const ZERO_SHA = '0'.repeat(HEX);
const RULE_NAMES = new Set(['.amlignore', '.cairnignore', '.gitignore']);

/** One cache file per absolute code folder, named by the hash of its path. */
export function cachePath(cacheDir: string, root: string): string {
  return join(cacheDir, sha256Hex(root) + '.cache');
}

/** Where cache version 2 (JSON, files only) was kept; removed when a new cache is written. */
function legacyPath(cacheDir: string, root: string): string {
  return join(cacheDir, sha256Hex(root) + '.json');
}

/**
 * What one folder looked like at the last build: git's "untracked cache" and its index in one.
 * The folder's own times and inode; the ignore files it chose, with their signatures; and its
 * included children (neither ignored nor `.git`) in manifest order, each with a stat row and the
 * hash the row vouches for.
 *
 * A folder's times move whenever an entry is created, removed or renamed in it, so while they and
 * every ignore file that applies are unchanged, the child list is what readdir and the rules would
 * give again. Content edits do not move a folder's times, so every child is still lstat-ed.
 */
export interface DirRec {
  /** Relative to the code folder, with a trailing slash; '' for the code folder. */
  readonly path: string;
  /** -1 when the listing must not be trusted next time (racy, or changed while walked). */
  mtime: number;
  readonly ctime: number;
  readonly ino: number;
  readonly rules: string[];
  /** SIG numbers per ignore file, as stored: mtime -1 (racy) or NaN (unreadable) never match. */
  readonly ruleSigs: number[];
  readonly names: string[];
  /** 1: a folder (matched with a trailing slash, no row), 0: anything else. */
  readonly kinds: Uint8Array | number[];
  /** SIG numbers per child. */
  readonly nums: Float64Array | number[];
  /** Loaded hashes, HEX characters per child; null for a record made in this build. */
  readonly hex: string | null;
  /** Hashes recorded in this build. */
  shas: (string | undefined)[] | null;
}

function sha(rec: DirRec, i: number): string | undefined {
  const own = rec.shas?.[i];
  if (own !== undefined || rec.hex === null) return own;
  return rec.hex.slice(HEX * i, HEX * i + HEX);
}

function splitStrings(buf: Buffer, start: number, end: number, count: number): string[] {
  return count === 0 ? [] : buf.toString('utf8', start, end).split('\0');
}

export class DirCache {
  private readonly dirs = new Map<string, DirRec>();
  private readonly loaded: number;
  /** The identity of the rules from outside the code folder at the last build; '' never matches. */
  readonly outerKey: string;
  private visitedOld = 0;
  private readonly visited: DirRec[] = [];
  private dirty = false;

  constructor(recs: DirRec[] = [], outerKey = '') {
    for (const r of recs) this.dirs.set(r.path, r);
    this.loaded = this.dirs.size;
    this.outerKey = outerKey;
  }

  /** The remembered folders, or none when the file is absent, unreadable, corrupt or for another folder. */
  static load(file: string, root: string): DirCache {
    try {
      const c = parse(readFileSync(file), root);
      if (c) return c;
    } catch {
      // A missing or corrupt cache only costs a full walk and hash.
    }
    return new DirCache();
  }

  get(path: string): DirRec | undefined {
    return this.dirs.get(path);
  }

  /** Called once per folder the walk enters, in walk order, with its old record and the one to keep. */
  visit(rec: DirRec, old: DirRec | undefined): void {
    this.visited.push(rec);
    if (old) this.visitedOld++;
    if (rec !== old && !(old && sameListing(old, rec))) this.dirty = true;
  }

  /** The remembered hash of child `i` when size, mtime, ctime and inode all still match. */
  lookup(rec: DirRec, i: number, st: Stats): string | undefined {
    const k = SIG * i;
    const nums = rec.nums;
    if (nums[k] !== st.size || nums[k + 1] !== st.mtimeMs || nums[k + 2] !== st.ctimeMs || nums[k + 3] !== st.ino) return undefined;
    return sha(rec, i);
  }

  /** Remembers a freshly hashed child. */
  record(rec: DirRec, i: number, st: Stats, hash: string): void {
    const k = SIG * i;
    const nums = rec.nums;
    nums[k] = st.size;
    nums[k + 1] = st.mtimeMs;
    nums[k + 2] = st.ctimeMs;
    nums[k + 3] = st.ino;
    (rec.shas ??= new Array<string | undefined>(rec.names.length))[i] = hash;
    this.dirty = true;
  }

  /** Stops trusting a folder's listing: it changed while we walked it. */
  distrust(rec: DirRec): void {
    if (rec.mtime !== -1) {
      rec.mtime = -1;
      this.dirty = true;
    }
  }

  /** Whether the file needs writing: something new was learnt, folders were not visited again, or the outer rules changed. */
  changed(outerKey: string): boolean {
    return this.dirty || this.visitedOld < this.loaded || outerKey !== this.outerKey;
  }

  /**
   * Binary, so that loading is a few native copies rather than a JSON parse of 10k rows: the head,
   * a JSON header, then columns of numbers, kinds, hex hashes, folder paths and names. Written to
   * a temporary name and renamed, so a crash or a concurrent build never leaves a torn file; the
   * last writer wins, and either version is a valid cache.
   */
  save(file: string, cacheDir: string, root: string, outerKey: string): void {
    const recs = this.visited;
    let R = 0;
    let C = 0;
    for (const rec of recs) {
      R += rec.rules.length;
      C += rec.names.length;
    }
    const D = recs.length;
    const nums = new Float64Array(DIR_NUMS * D + SIG * (R + C));
    const kinds = Buffer.alloc(C);
    const hashes: string[] = new Array(C);
    const paths: string[] = new Array(D);
    const names: string[] = new Array(R + C);
    let rn = DIR_NUMS * D;
    let cn = rn + SIG * R;
    let ri = 0;
    let ci = R;
    let row = 0;
    for (let d = 0; d < D; d++) {
      const rec = recs[d]!;
      paths[d] = rec.path;
      const k = DIR_NUMS * d;
      nums[k] = rec.mtime;
      nums[k + 1] = rec.ctime;
      nums[k + 2] = rec.ino;
      nums[k + 3] = rec.rules.length;
      nums[k + 4] = rec.names.length;
      for (let j = 0; j < rec.rules.length; j++) names[ri++] = rec.rules[j]!;
      for (let q = 0; q < rec.ruleSigs.length; q++) nums[rn++] = rec.ruleSigs[q]!;
      for (let i = 0; i < rec.names.length; i++) {
        names[ci++] = rec.names[i]!;
        const kind = rec.kinds[i]!;
        kinds[row] = kind;
        const h = kind ? undefined : sha(rec, i);
        const ok = h !== undefined && rec.nums[SIG * i] !== -1;
        for (let q = 0; q < SIG; q++) nums[cn++] = ok ? rec.nums[SIG * i + q]! : -1;
        hashes[row++] = ok ? h : ZERO_SHA;
      }
    }
    const pathBytes = Buffer.from(paths.join('\0'));
    const header = Buffer.from(JSON.stringify({ root, key: outerKey, d: D, r: R, c: C, p: pathBytes.length }));
    const pad = (8 - (header.length & 7)) & 7;
    const out = Buffer.concat([
      Buffer.alloc(HEAD),
      header,
      Buffer.alloc(pad),
      new Uint8Array(nums.buffer),
      kinds,
      Buffer.from(hashes.join(''), 'latin1'),
      pathBytes,
      Buffer.from(names.join('\0')),
    ]);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(VERSION, 8);
    out.writeUInt32LE(header.length, 16);
    out.writeUInt32LE(crc32(out.subarray(16)), 12);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(tmp, out);
      renameSync(tmp, file);
      rmSync(legacyPath(cacheDir, root), { force: true });
    } catch {
      // The cache is an optimisation: a read-only or full disk must not fail the submit.
      rmSync(tmp, { force: true });
    }
  }
}

/** A record for a freshly listed folder, taking over the rows of the files it had before. */
export function freshRec(path: string, st: Stats, racyFrom: number, rules: string[], ruleSigs: number[], names: string[], kinds: number[], old: DirRec | undefined): DirRec {
  const n = names.length;
  const nums = new Array<number>(SIG * n).fill(-1);
  const shas = new Array<string | undefined>(n);
  if (old && old.names.length) {
    const at = new Map<string, number>();
    for (let j = 0; j < old.names.length; j++) if (!old.kinds[j]) at.set(old.names[j]!, j);
    for (let i = 0; i < n; i++) {
      const j = kinds[i] ? undefined : at.get(names[i]!);
      if (j === undefined || old.nums[SIG * j] === -1) continue;
      const h = sha(old, j);
      if (h === undefined) continue;
      for (let q = 0; q < SIG; q++) nums[SIG * i + q] = old.nums[SIG * j + q]!;
      shas[i] = h;
    }
  }
  return { path, mtime: st.mtimeMs < racyFrom ? st.mtimeMs : -1, ctime: st.ctimeMs, ino: st.ino, rules, ruleSigs, names, kinds, nums, hex: null, shas };
}

/** Whether a new record stores what the old one did (a folder listed again but still racy, say): then no rewrite is needed. */
function sameListing(a: DirRec, b: DirRec): boolean {
  const n = a.names.length;
  if (a.mtime !== b.mtime || a.ctime !== b.ctime || a.ino !== b.ino || n !== b.names.length || a.rules.length !== b.rules.length) return false;
  for (let j = 0; j < a.rules.length; j++) if (a.rules[j] !== b.rules[j]) return false;
  for (let j = 0; j < a.ruleSigs.length; j++) if (!Object.is(a.ruleSigs[j], b.ruleSigs[j])) return false;
  for (let i = 0; i < n; i++) {
    if (a.names[i] !== b.names[i] || a.kinds[i] !== b.kinds[i]) return false;
    // freshRec copied every valid row of the old record; a row only it lacks means new information.
    if (a.nums[SIG * i] !== b.nums[SIG * i] && b.nums[SIG * i] !== -1) return false;
  }
  return true;
}

function parse(buf: Buffer, root: string): DirCache | null {
  if (buf.length < HEAD || buf.toString('latin1', 0, 8) !== MAGIC) return null;
  if (buf.readUInt32LE(8) !== VERSION || buf.readUInt32LE(12) !== crc32(buf.subarray(16))) return null;
  const headLen = buf.readUInt32LE(16);
  const h = JSON.parse(buf.toString('utf8', HEAD, HEAD + headLen)) as Record<string, unknown>;
  const { d: D, r: R, c: C, p: P } = h;
  const count = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (h.root !== root || typeof h.key !== 'string' || !count(D) || !count(R) || !count(C) || !count(P)) return null;
  const numOff = HEAD + headLen + ((8 - (headLen & 7)) & 7);
  const kindOff = numOff + 8 * (DIR_NUMS * D + SIG * (R + C));
  const hexOff = kindOff + C;
  const pathOff = hexOff + HEX * C;
  const nameOff = pathOff + P;
  if (nameOff > buf.length) return null;
  // A copy: the file's bytes need not be aligned for a Float64Array. The cache is native-endian
  // (see the walk's rules key, which names the platform).
  const nums = new Float64Array(buf.buffer.slice(buf.byteOffset + numOff, buf.byteOffset + kindOff));
  const kinds = new Uint8Array(buf.buffer.slice(buf.byteOffset + kindOff, buf.byteOffset + hexOff));
  const hex = buf.toString('latin1', hexOff, pathOff);
  const paths = splitStrings(buf, pathOff, nameOff, D);
  const names = splitStrings(buf, nameOff, buf.length, R + C);
  if (paths.length !== D || names.length !== R + C) return null;
  // Names become paths that are lstat-ed, read and uploaded: none may step out of its folder.
  const nameBytes = buf.subarray(nameOff);
  if (nameBytes.includes(0x2f) || nameBytes.includes(0x5c)) return null; // '/', '\'
  for (let i = R; i < R + C; i++) {
    const n = names[i]!;
    if (n === '' || n === '.' || n === '..' || kinds[i - R]! > 1) return null;
  }
  const recs: DirRec[] = [];
  let rn = DIR_NUMS * D;
  let cn = rn + SIG * R;
  let ri = 0;
  let row = 0;
  for (let d = 0; d < D; d++) {
    const k = DIR_NUMS * d;
    const nr = nums[k + 3]!;
    const n = nums[k + 4]!;
    if (!count(nr) || !count(n) || ri + nr > R || row + n > C) return null;
    const path = paths[d]!;
    if (path !== '' && !path.endsWith('/')) return null;
    const rules = names.slice(ri, ri + nr);
    if (!rules.every((x) => RULE_NAMES.has(x))) return null;
    recs.push({
      path,
      mtime: nums[k]!,
      ctime: nums[k + 1]!,
      ino: nums[k + 2]!,
      rules,
      ruleSigs: Array.from(nums.subarray(rn, rn + SIG * nr)),
      names: names.slice(R + row, R + row + n),
      kinds: kinds.subarray(row, row + n),
      nums: nums.subarray(cn, cn + SIG * n),
      hex: hex.slice(HEX * row, HEX * (row + n)),
      shas: null,
    });
    ri += nr;
    rn += SIG * nr;
    row += n;
    cn += SIG * n;
  }
  if (ri !== R || row !== C) return null;
  return new DirCache(recs, h.key);
}
