import { chmodSync, constants, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import type { BlobCache } from './blob-cache.ts';

interface TreeMeta {
  bytes: number;
  files: number;
}

/**
 * Read-only input trees shared by every job on this node: each content tree is laid out once, in
 * `<dir>/<key>`, and shown to jobs as it is (a read-only bind, a symlink or a `:ro` volume), so a
 * second job using the same input pays nothing per file. Files are hard links to the blob cache
 * where the file system allows (no second copy of the bytes), else copies; all are read-only
 * (files 0444 or 0555, folders 0555). Past `maxBytes`, trees no running job holds are removed,
 * least recently used first; the last use is the mtime of the tree's `<key>.json`.
 */
export class InputTrees {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly blobs: BlobCache;
  private readonly holders = new Map<string, number>();
  private readonly making = new Map<string, Promise<string>>();
  /** Trees laid out by this process: a test sees a second job reuse the first one's tree. */
  made = 0;

  constructor(dir: string, maxBytes: number, blobs: BlobCache) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.blobs = blobs;
    mkdirSync(dir, { recursive: true });
    this.sweep();
  }

  pathOf(key: string): string {
    return join(this.dir, key);
  }

  /** Holds a tree against eviction (before it exists too); its path when it is already laid out. */
  acquire(key: string): string | null {
    this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
    const path = this.pathOf(key);
    if (!existsSync(path)) return null;
    this.touch(key);
    return path;
  }

  release(key: string): void {
    const n = (this.holders.get(key) ?? 0) - 1;
    if (n > 0) this.holders.set(key, n);
    else this.holders.delete(key);
  }

  private meta(key: string): TreeMeta | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as TreeMeta;
    } catch {
      return null;
    }
  }

  /**
   * The tree's path, laid out from `entries` (which fetches its blobs) unless it already is; two
   * jobs asking at once share one layout. The caller holds the tree.
   */
  async provide(key: string, entries: () => Promise<ManifestEntry[]>): Promise<string> {
    const path = this.pathOf(key);
    if (existsSync(path)) return path;
    let p = this.making.get(key);
    if (!p) {
      p = entries()
        .then((e) => this.make(key, e))
        .finally(() => this.making.delete(key));
      this.making.set(key, p);
    }
    return p;
  }

  /**
   * Lays the tree out unless it already is (the caller holds it and has ensured its blobs). Built
   * in a temporary folder and renamed into place: a tree that exists is whole.
   */
  private make(key: string, entries: ManifestEntry[]): string {
    const path = this.pathOf(key);
    if (existsSync(path)) return path;
    const tmp = join(this.dir, `.tmp-${key}-${process.pid}`);
    removeTree(tmp);
    const dirs = this.blobs.materialize(entries, tmp, (blob, target, e) => this.place(blob, target, e.mode & 0o111 ? 0o555 : 0o444));
    const bytes = entries.reduce((n, e) => n + (e.link === undefined ? e.size : 0), 0);
    // Deepest first: a folder made read-only cannot take its children's changes.
    for (const d of [...dirs].sort((a, b) => b.length - a.length)) chmodSync(d, 0o555);
    writeFileSync(join(this.dir, `${key}.json`), JSON.stringify({ bytes, files: entries.length } satisfies TreeMeta));
    renameSync(tmp, path);
    this.made++;
    this.evict();
    return path;
  }

  /**
   * A hard link shares its mode with the cached blob: link when the blob has (or may be given)
   * the mode wanted, copy when another tree already fixed it to the other one, or when the file
   * system refuses links (another device, too many links).
   */
  private place(blob: string, target: string, mode: number): void {
    const has = statSync(blob).mode & 0o777;
    const fixed = has === 0o444 || has === 0o555;
    if (!fixed || has === mode) {
      try {
        if (!fixed) chmodSync(blob, mode);
        linkSync(blob, target);
        return;
      } catch {
        // EXDEV, EMLINK, EPERM: a copy below
      }
    }
    copyFileSync(blob, target, constants.COPYFILE_FICLONE);
    chmodSync(target, mode);
  }

  private touch(key: string): void {
    const now = new Date();
    try {
      utimesSync(join(this.dir, `${key}.json`), now, now);
    } catch {
      // a tree from before its meta was written: it is simply oldest
    }
  }

  /** Removes trees no job holds, least recently used first, while the total is over the bound. */
  evict(): string[] {
    const trees: { key: string; bytes: number; used: number }[] = [];
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith('.') || name.endsWith('.json')) continue;
      let used = 0;
      try {
        used = statSync(join(this.dir, `${name}.json`)).mtimeMs;
      } catch {}
      trees.push({ key: name, bytes: this.meta(name)?.bytes ?? 0, used });
    }
    let total = trees.reduce((n, t) => n + t.bytes, 0);
    const gone: string[] = [];
    for (const t of trees.filter((x) => !this.holders.has(x.key)).sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      this.remove(t.key);
      total -= t.bytes;
      gone.push(t.key);
    }
    return gone;
  }

  /** Out of view at once (renamed), deleted in the background. */
  private remove(key: string): void {
    const trash = join(this.dir, `.trash-${key}-${process.pid}-${Date.now()}`);
    renameSync(this.pathOf(key), trash);
    rmSync(join(this.dir, `${key}.json`), { force: true });
    void removeTreeLater(trash);
  }

  /** What a crash left: half-made trees, trash, and metas without their tree. */
  private sweep(): void {
    for (const name of readdirSync(this.dir)) {
      const p = join(this.dir, name);
      if (name.startsWith('.tmp-') || name.startsWith('.trash-')) removeTree(p);
      else if (name.endsWith('.json') && !existsSync(p.slice(0, -'.json'.length))) rmSync(p, { force: true });
    }
  }
}

/** Read-only folders must be made writable before what is inside them can go (for an agent that is not root). */
function writable(path: string): void {
  try {
    // lstat: a job may have swapped a folder of its own for a link to anywhere; never follow one.
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return;
    chmodSync(path, 0o755);
    for (const d of readdirSync(path, { withFileTypes: true })) if (d.isDirectory()) writable(join(path, d.name));
  } catch {
    // gone already
  }
}

export function removeTree(path: string): void {
  writable(path);
  rmSync(path, { recursive: true, force: true });
}

async function removeTreeLater(path: string): Promise<void> {
  writable(path);
  await rm(path, { recursive: true, force: true }).catch(() => {});
}
