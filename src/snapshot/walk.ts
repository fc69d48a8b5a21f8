import { lstatSync, readdirSync, readlinkSync, type Dirent, type Stats } from 'node:fs';
import { CairnError } from '../protocol/errors.ts';
import { checkRelativePath, linkStaysInside } from '../protocol/paths.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import { sha256Hex } from './hash.ts';
import { comparePaths } from './manifest.ts';
import { chooseRuleFiles, isIgnored, loadFolderRules, type FolderRules, type OuterRules } from './ignore-rules.ts';
import { freshRec, SIG, type DirCache, type DirRec } from './stat-cache.ts';

/** A file the cache could not vouch for: its entry's sha256 is '' until it is hashed. */
export interface Pending {
  entry: ManifestEntry;
  abs: string;
  st: Stats;
  rec: DirRec;
  index: number;
}

export interface WalkResult {
  /** Files and symlinks in manifest (UTF-8 byte) order. */
  entries: ManifestEntry[];
  pending: Pending[];
  /** Sum of the files' sizes as lstat-ed. */
  fileBytes: number;
  warnings: string[];
  /** The ignore files that applied inside the code folder. */
  ruleFiles: string[];
  /** False when an entry changed between file and folder during the walk, which can upset the order. */
  sorted: boolean;
}

/** Counters for tests: how many folders this process listed and how many it took from the cache. */
export const walkCounters = { listed: 0, reused: 0 };

const IGNORE_NAMES = new Set(['.amlignore', '.cairnignore', '.gitignore']);
const NO_THROW = { throwIfNoEntry: false } as const;

function kindOf(st: Stats): string {
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

function readDir(abs: string, rel: string): Dirent[] {
  try {
    return readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A folder deleted while we walk is simply gone; anything else would silently drop code.
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new CairnError('BadRequest', `cannot read folder '${rel || '.'}' of the code folder: ${(e as Error).message}`);
  }
}

/** SIG numbers per ignore file, as they are now; NaN for one that is gone or no longer a file. */
function ruleSigs(absDir: string, names: string[]): number[] {
  const sigs: number[] = [];
  for (const n of names) {
    const st = lstatSync(absDir + n, NO_THROW);
    if (st?.isFile()) sigs.push(st.size, st.mtimeMs, st.ctimeMs, st.ino);
    else sigs.push(NaN, NaN, NaN, NaN);
  }
  return sigs;
}

function sameNums(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Walks the code folder with synchronous calls: on a warm tree the walk is nearly all the time a
 * snapshot takes, that time is in the system calls, and promise forms only add overhead per call.
 * Ignored folders are not entered (git cannot re-include anything below them), and `.git` is
 * never taken at any depth, whether it is a folder or a worktree's `.git` file.
 *
 * A folder whose times and applicable ignore files are those its cache record was made with is
 * neither listed nor matched (see DirRec); its children are lstat-ed, in the order the manifest
 * wants, so the entries come out sorted. Ignore files are read and compiled only when a folder
 * below them has to be matched.
 */
export function walk(root: string, rootSt: Stats, outer: OuterRules, cache: DirCache, outerKey: string, racyFrom: number, ignoreFiles = true): WalkResult {
  const entries: ManifestEntry[] = [];
  const pending: Pending[] = [];
  const warnings: string[] = [];
  const ruleFiles: string[] = [];
  let fileBytes = 0;
  let sorted = true;

  const visit = (relDir: string, absDir: string, st: Stats, parentRules: () => FolderRules[], parentSame: boolean): void => {
    const old = cache.get(relDir);
    // The folder's times are taken before it is listed: an entry created in between is listed
    // under the old times, and only makes the next build list the folder again.
    let dirSame = old !== undefined && old.mtime === st.mtimeMs && old.ctime === st.ctimeMs && old.ino === st.ino;
    let dirents: Dirent[] | null = null;
    let ruleNames: string[];
    let sigs: number[];
    for (;;) {
      if (dirSame) {
        ruleNames = old!.rules;
      } else {
        dirents = readDir(absDir, relDir);
        let present: Set<string> | null = null;
        for (const d of dirents) if (IGNORE_NAMES.has(d.name) && d.isFile()) (present ??= new Set()).add(d.name);
        const names = present;
        ruleNames = names && ignoreFiles ? chooseRuleFiles((n) => names.has(n)) : [];
      }
      sigs = ruleSigs(absDir, ruleNames);
      // An ignore file gone or replaced behind unchanged folder times: the folder changed as we looked.
      if (dirSame && sigs.some(Number.isNaN)) dirSame = false;
      else break;
    }
    const ownSame = old !== undefined && sameStrings(old.rules, ruleNames) && sameNums(old.ruleSigs, sigs);
    const rulesSame = parentSame && ownSame;

    let rules = parentRules;
    if (ruleNames.length) {
      for (const n of ruleNames) ruleFiles.push(relDir + n);
      let list: FolderRules[] | null = null;
      const names = ruleNames;
      rules = () => (list ??= [loadFolderRules(absDir, names, '', relDir.length, relDir)!, ...parentRules()]);
    }

    let rec: DirRec;
    if (dirSame && rulesSame) {
      rec = old!;
      walkCounters.reused++;
    } else {
      walkCounters.listed++;
      dirents ??= readDir(absDir, relDir);
      const matched = rules();
      const found: { key: string; name: string; dir: number }[] = [];
      for (const d of dirents) {
        const name = d.name;
        if (name === '.git') continue;
        const rel = relDir + name;
        if (d.isDirectory()) {
          if (!isIgnored(matched, rel + '/')) found.push({ key: name + '/', name, dir: 1 });
        } else if (!isIgnored(matched, rel)) {
          checkRelativePath(rel, 'code path');
          found.push({ key: name, name, dir: 0 });
        }
      }
      // A folder's entries sort as `name/`, so a depth-first walk in this order is in path order.
      found.sort((a, b) => comparePaths(a.key, b.key));
      // Racy ignore files are stored so that they never match: the folders below are matched again.
      const stored = sigs.slice();
      for (let k = 1; k < stored.length; k += SIG) if (stored[k]! >= racyFrom) stored[k] = -1;
      rec = freshRec(
        relDir,
        st,
        racyFrom,
        ruleNames,
        stored,
        found.map((f) => f.name),
        found.map((f) => f.dir),
        old,
      );
    }
    cache.visit(rec, old);

    const names = rec.names;
    const kinds = rec.kinds;
    const n = names.length;
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      const abs = absDir + name;
      const cst = lstatSync(abs, NO_THROW);
      if (cst === undefined) {
        cache.distrust(rec); // deleted since listed
        continue;
      }
      const isDir = cst.isDirectory();
      if (isDir !== (kinds[i] === 1)) {
        // Replaced by a folder or a file since listed: take it as what it now is.
        cache.distrust(rec);
        sorted = false;
        const rel = relDir + name;
        if (isIgnored(rules(), isDir ? rel + '/' : rel)) continue;
        if (!isDir) checkRelativePath(rel, 'code path');
      }
      if (isDir) {
        visit(relDir + name + '/', abs + '/', cst, rules, rulesSame);
        continue;
      }
      const rel = relDir + name;
      if (cst.isFile()) {
        const size = cst.size;
        const sha = kinds[i] === 1 ? undefined : cache.lookup(rec, i, cst);
        const entry: ManifestEntry = { path: rel, mode: cst.mode & 0o111 ? 0o755 : 0o644, size, sha256: sha ?? '' };
        entries.push(entry);
        fileBytes += size;
        if (sha === undefined) pending.push({ entry, abs, st: cst, rec, index: kinds[i] === 1 ? -1 : i });
      } else if (cst.isSymbolicLink()) {
        let target: string;
        try {
          target = readlinkSync(abs);
        } catch {
          continue; // replaced since lstat
        }
        if (!linkStaysInside(rel, target)) {
          warnings.push(`symlink ${rel} points outside the code folder; it is stored as a link and will dangle`);
        }
        entries.push({ path: rel, mode: 0o777, size: Buffer.byteLength(target), sha256: sha256Hex(target), link: target });
      } else {
        warnings.push(`skipped ${rel}: a ${kindOf(cst)} cannot be part of a snapshot`);
      }
    }
  };

  const rootSame = outerKey !== '' && outerKey === cache.outerKey;
  visit('', root === '/' ? '/' : root + '/', rootSt, outer.rules, rootSame);
  // Readdir order is the file system's; users should see the same warnings in the same order.
  warnings.sort(comparePaths);
  return { entries, pending, fileBytes, warnings, ruleFiles, sorted };
}
