import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CairnError } from '../protocol/errors.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import { hashFile, sha256Hex } from './hash.ts';
import { describeRules, outerRules } from './ignore-rules.ts';
import { checkHardLimit, DEFAULT_WARN_BYTES, DEFAULT_WARN_FILES, sizeWarning } from './limits.ts';
import { sortByPath } from './manifest.ts';
import { cachePath, RACY_MS, StatCache } from './stat-cache.ts';
import { walk } from './walk.ts';

export { manifestId, comparePaths, canonicalManifestJson } from './manifest.ts';
export { sha256Hex } from './hash.ts';
export { readGitFacts } from './git-facts.ts';

export interface SnapshotOptions {
  /** Folder for the stat cache; when absent every file is hashed. */
  cacheDir?: string;
  /** Warn past this many bytes (default 300 MB). */
  warnBytes?: number;
  /** Warn past this many files (default 2,000). */
  warnFiles?: number;
  /** Refuse past this many bytes (default: no limit). */
  maxBytes?: number;
  /** Refuse past this many files (default: no limit). */
  maxFiles?: number;
}

export interface SnapshotResult {
  root: string;
  /** Files and symlinks, sorted by path in byte order. */
  entries: ManifestEntry[];
  /** Bytes of file content; symlinks carry none. */
  totalBytes: number;
  /** Entries, symlinks included. */
  fileCount: number;
  warnings: string[];
  ignoreSource: string;
  /** Bytes hashed by this build: 0 when the stat cache vouched for every file. */
  readBytes: number;
}

// Hashing runs synchronously; handing the event loop back now and then keeps a CLI's spinner
// and signal handling alive during a cold build of a large tree.
const YIELD_EVERY_BYTES = 64 << 20;

function codeRoot(codeDir: string): string {
  let root: string;
  try {
    root = realpathSync(resolve(codeDir));
  } catch {
    throw new CairnError('NotFound', `code folder ${codeDir} does not exist`);
  }
  if (!statSync(root).isDirectory()) throw new CairnError('BadRequest', `code folder ${codeDir} is not a folder`);
  return root;
}

/**
 * Builds the manifest of a code folder: what is uploaded, with which mode and content hash. The
 * code folder itself is never tested against ignore rules of its parents: the user named it.
 */
export async function buildSnapshot(codeDir: string, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  const startedMs = Date.now();
  const root = codeRoot(codeDir);
  const outer = outerRules(root);
  const found = walk(root, outer);

  let listedBytes = 0;
  for (const f of found.files) listedBytes += f.st.size;
  const listed = () => found.files.map((f) => ({ path: f.path, size: f.st.size }));
  checkHardLimit({ totalBytes: listedBytes, fileCount: found.files.length + found.links.length }, listed, opts.maxBytes ?? Infinity, opts.maxFiles ?? Infinity);

  const file = opts.cacheDir ? cachePath(opts.cacheDir, root) : null;
  const cache = file ? StatCache.load(file, root) : null;
  const racyFrom = startedMs - RACY_MS;

  const entries: ManifestEntry[] = [];
  let totalBytes = 0;
  let readBytes = 0;
  let sinceYield = 0;
  for (const { path, st } of found.files) {
    const mode = st.mode & 0o111 ? 0o755 : 0o644;
    let sha = cache ? cache.lookup(path, st) : undefined;
    let size = st.size;
    if (sha === undefined) {
      let h;
      try {
        h = hashFile(root + '/' + path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // deleted since the walk
        throw new CairnError('BadRequest', `cannot read '${path}' of the code folder: ${(e as Error).message}`);
      }
      sha = h.sha256;
      size = h.size;
      readBytes += size;
      sinceYield += size;
      // A size that moved under us means the stats describe other content than we hashed.
      if (cache && size === st.size && st.mtimeMs < racyFrom) cache.record(path, st, sha);
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
    totalBytes += size;
    entries.push({ path, mode, size, sha256: sha });
  }
  for (const { path, target } of found.links) {
    entries.push({ path, mode: 0o777, size: Buffer.byteLength(target), sha256: sha256Hex(target), link: target });
  }
  sortByPath(entries);

  if (cache && file && cache.changed) cache.save(file, opts.cacheDir!, root);

  const warnings = found.warnings;
  const totals = { totalBytes, fileCount: entries.length };
  const big = sizeWarning(totals, entries, opts.warnBytes ?? DEFAULT_WARN_BYTES, opts.warnFiles ?? DEFAULT_WARN_FILES);
  if (big) warnings.push(big);

  const ruleFiles = [...found.ruleFiles, ...outer.flatMap((r) => r.files)];
  return { root, entries, totalBytes, fileCount: entries.length, warnings, ignoreSource: describeRules(ruleFiles), readBytes };
}
