import { CairnError } from '../../protocol/errors.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import { MAX_MANIFEST_ENTRIES, type Manifest, type ManifestEntry, type Snapshot, type SnapshotDelta } from '../../protocol/snapshot.ts';
import type { Store } from '../../store/index.ts';
import { canonicalEntry, sortByPath } from '../../snapshot/manifest.ts';
import type { FsBlobs } from '../blobs/fs-blobs.ts';

export interface SnapshotLimits {
  maxBytes: number;
  maxFiles: number;
}

/**
 * A snapshot is its manifest, stored as a blob under its own hash: the same tree always gets the
 * same id, and a re-submit of an unchanged tree uploads nothing at all.
 */
export class SnapshotsService {
  private readonly store: Store;
  private readonly blobs: FsBlobs;
  private readonly limits: SnapshotLimits;
  constructor(store: Store, blobs: FsBlobs, limits: SnapshotLimits) {
    this.store = store;
    this.blobs = blobs;
    this.limits = limits;
  }

  async create(workspace: string, manifest: Manifest): Promise<Snapshot> {
    const entries = sortByPath(manifest.entries.map(canonicalEntry));
    checkEntries(entries);
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.path)) throw new CairnError('ValidationError', `snapshot lists '${e.path}' twice`);
      seen.add(e.path);
    }
    return this.save(workspace, entries, entries);
  }

  /** A snapshot as changes to `base`: only the changed entries are checked, since the base's were. */
  async createFromDelta(workspace: string, delta: SnapshotDelta): Promise<Snapshot> {
    const base = await this.entries(delta.base);
    const upsert = delta.upsert.map(canonicalEntry);
    checkEntries(upsert);
    for (const p of delta.remove) checkRelativePath(p, 'removed path');
    const byPath = new Map(base.map((e) => [e.path, e]));
    for (const p of delta.remove) byPath.delete(p);
    for (const e of upsert) byPath.set(e.path, e);
    return this.save(workspace, sortByPath([...byPath.values()]), upsert);
  }

  /**
   * A content tree the server put together itself (a job's output, an imported datastore folder, a
   * run's artifacts): data, so the code limits do not apply; only the manifest's own bound does.
   */
  async createData(workspace: string, entries: ManifestEntry[]): Promise<Snapshot> {
    const sorted = sortByPath(entries.map(canonicalEntry));
    checkEntries(sorted);
    return this.save(workspace, sorted, sorted, { maxFiles: MAX_MANIFEST_ENTRIES, maxBytes: Number.MAX_SAFE_INTEGER });
  }

  /** Checks limits and that every new blob is here, then stores the manifest under its own hash. */
  private async save(workspace: string, entries: ManifestEntry[], fresh: ManifestEntry[], limits: SnapshotLimits = this.limits): Promise<Snapshot> {
    checkTree(entries);
    let total = 0;
    for (const e of entries) if (e.link === undefined) total += e.size;
    if (entries.length > limits.maxFiles || total > limits.maxBytes) {
      throw new CairnError('PayloadTooLarge', `snapshot of ${entries.length} files and ${total} bytes is over the server's limit of ${limits.maxFiles} files or ${limits.maxBytes} bytes`);
    }
    const lacking = this.blobs.missing(fresh.filter((e) => e.link === undefined).map((e) => e.sha256));
    if (lacking.length) throw new CairnError('MissingBlobs', `${lacking.length} file contents of this snapshot were not uploaded (first: ${lacking[0]})`, { missing: lacking.slice(0, 1000) });
    // Sizes are what the limits count: they must be the contents' own (the base's were checked when it was made).
    for (const e of fresh) {
      if (e.link !== undefined) continue;
      const actual = this.blobs.sizeOf(e.sha256);
      if (actual !== e.size) throw new CairnError('ValidationError', `snapshot lists '${e.path}' as ${e.size} bytes, but its content (${e.sha256.slice(0, 12)}) is ${actual} bytes`);
    }
    // The canonical bytes: the id is the client's manifestId() of the same entries.
    const id = this.blobs.putContent(Buffer.from(JSON.stringify({ entries })));
    this.remember(id, entries);
    const created_at = new Date().toISOString();
    await this.store.resources.putSnapshot({ id, workspace, file_count: entries.length, total_size: total, created_at });
    const row = await this.store.resources.getSnapshot(id);
    return { id, file_count: entries.length, total_size: total, created_at: row?.created_at ?? created_at };
  }

  /** Parsed manifests of recent snapshots: the next delta of the same folder starts from one. */
  private readonly recent = new Map<string, ManifestEntry[]>();
  private remember(id: string, entries: ManifestEntry[]): void {
    this.recent.delete(id);
    this.recent.set(id, entries);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
  }

  /** A snapshot's entries, from the recent ones kept parsed when it is one (a download asks per file). Do not change them. */
  async entries(id: string): Promise<readonly ManifestEntry[]> {
    const hit = this.recent.get(id);
    if (hit) return hit;
    const m = await this.manifest(id);
    this.remember(id, m.entries);
    return m.entries;
  }

  async manifest(id: string): Promise<Manifest> {
    if (!(await this.store.resources.getSnapshot(id)) || !this.blobs.has(id)) throw new CairnError('NotFound', `snapshot ${id} does not exist`);
    return JSON.parse(this.blobs.read(id).toString('utf8'));
  }
}

const RECENT = 16;

/** Paths inside the root, symlink targets sane. */
function checkEntries(entries: ManifestEntry[]): void {
  for (const e of entries) {
    checkRelativePath(e.path, 'snapshot path');
    if (e.link !== undefined && (e.link.length === 0 || e.link.length > 4096 || e.link.includes('\0'))) {
      throw new CairnError('ValidationError', `symlink '${e.path}' has an invalid target`);
    }
  }
}

/** A path cannot be a file and a folder at once ("a" and "a/b"): no node could lay that out. */
function checkTree(entries: ManifestEntry[]): void {
  const paths = new Set(entries.map((e) => e.path));
  for (const e of entries) {
    for (let i = e.path.indexOf('/'); i !== -1; i = e.path.indexOf('/', i + 1)) {
      if (paths.has(e.path.slice(0, i))) throw new CairnError('ValidationError', `snapshot has both a file '${e.path.slice(0, i)}' and '${e.path}' inside it`);
    }
  }
}
