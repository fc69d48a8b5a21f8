import { realpathSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CairnError } from '../protocol/errors.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import { hashFile } from './hash.ts';
import { describeRules, outerRules, RULES_FLAVOR } from './ignore-rules.ts';
import { checkHardLimit, DEFAULT_WARN_BYTES, DEFAULT_WARN_FILES, sizeWarning } from './limits.ts';
import { sortByPath } from './manifest.ts';
import { cachePath, DirCache, RACY_MS } from './stat-cache.ts';
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
  /** Data, not code: every file is taken (no ignore files apply, as Azure ML uploads data). */
  data?: boolean;
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

function codeRoot(codeDir: string): { root: string; st: Stats } {
  let root: string;
  try {
    root = realpathSync(resolve(codeDir));
  } catch {
    throw new CairnError('NotFound', `code folder ${codeDir} does not exist`);
  }
  const st = statSync(root);
  if (!st.isDirectory()) throw new CairnError('BadRequest', `code folder ${codeDir} is not a folder`);
  return { root, st };
}

let flavor: string | undefined;
/**
 * Everything besides the rule files that decides which files a folder's listing keeps, and the
 * byte order of the cache's numbers: a cache made under any other is matched again from scratch.
 */
function cacheFlavor(): string {
  if (flavor === undefined) {
    let version = '?';
    try {
      version = String((createRequire(import.meta.url)('ignore/package.json') as { version?: unknown }).version);
    } catch {
      // Unknown: the flavor still changes with everything else.
    }
    flavor = `${RULES_FLAVOR} ignore@${version} ${process.platform} ${endianness()}`;
  }
  return flavor;
}

/**
 * Builds the manifest of a code folder: what is uploaded, with which mode and content hash. The
 * code folder itself is never tested against ignore rules of its parents: the user named it.
 */
export async function buildSnapshot(codeDir: string, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  const startedMs = Date.now();
  const racyFrom = startedMs - RACY_MS;
  const { root, st: rootSt } = codeRoot(codeDir);
  const outer = opts.data ? { key: 'data\n', files: [], rules: () => [] } : outerRules(root, racyFrom);
  const file = opts.cacheDir ? cachePath(opts.cacheDir, root) : null;
  const cache = file ? DirCache.load(file, root) : new DirCache();
  const outerKey = outer.key && file ? `${cacheFlavor()}\n${outer.key}` : '';
  const found = walk(root, rootSt, outer, cache, outerKey, racyFrom, !opts.data);
  let entries = found.entries;
  if (!found.sorted) sortByPath(entries);

  const listed = () => entries.filter((e) => e.link === undefined).map((e) => ({ path: e.path, size: e.size }));
  checkHardLimit({ totalBytes: found.fileBytes, fileCount: entries.length }, listed, opts.maxBytes ?? Infinity, opts.maxFiles ?? Infinity);

  let totalBytes = found.fileBytes;
  let readBytes = 0;
  let sinceYield = 0;
  let gone = false;
  for (const { entry, abs, st, rec, index } of found.pending) {
    let h;
    try {
      h = hashFile(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // Deleted since the walk.
        totalBytes -= st.size;
        gone = true;
        continue;
      }
      throw new CairnError('BadRequest', `cannot read '${entry.path}' of the code folder: ${(e as Error).message}`);
    }
    entry.sha256 = h.sha256;
    entry.size = h.size;
    totalBytes += h.size - st.size;
    readBytes += h.size;
    sinceYield += h.size;
    // A size that moved under us means the stats describe other content than we hashed.
    if (file && index >= 0 && h.size === st.size && st.mtimeMs < racyFrom) cache.record(rec, index, st, h.sha256);
    if (sinceYield >= YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  if (gone) entries = entries.filter((e) => e.sha256 !== '');

  if (file && cache.changed(outerKey)) cache.save(file, opts.cacheDir!, root, outerKey);

  const warnings = found.warnings;
  const totals = { totalBytes, fileCount: entries.length };
  const big = sizeWarning(totals, entries, opts.warnBytes ?? DEFAULT_WARN_BYTES, opts.warnFiles ?? DEFAULT_WARN_FILES);
  if (big) warnings.push(big);

  const ruleFiles = [...found.ruleFiles, ...outer.files];
  return { root, entries, totalBytes, fileCount: entries.length, warnings, ignoreSource: describeRules(ruleFiles), readBytes };
}
