import { CairnError } from '../../protocol/errors.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import type { Manifest, Snapshot } from '../../protocol/snapshot.ts';
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

  missing(shas: string[]): string[] {
    return this.blobs.missing(shas);
  }

  async create(workspace: string, manifest: Manifest): Promise<Snapshot> {
    const entries = sortByPath(manifest.entries.map(canonicalEntry));
    let total = 0;
    const seen = new Set<string>();
    for (const e of entries) {
      checkRelativePath(e.path, 'snapshot path');
      if (seen.has(e.path)) throw new CairnError('ValidationError', `snapshot lists '${e.path}' twice`);
      seen.add(e.path);
      if (e.link !== undefined) {
        if (e.link.length === 0 || e.link.length > 4096 || e.link.includes('\0')) throw new CairnError('ValidationError', `symlink '${e.path}' has an invalid target`);
        continue;
      }
      total += e.size;
    }
    if (entries.length > this.limits.maxFiles || total > this.limits.maxBytes) {
      throw new CairnError('PayloadTooLarge', `snapshot of ${entries.length} files and ${total} bytes is over the server's limit of ${this.limits.maxFiles} files or ${this.limits.maxBytes} bytes`);
    }
    const lacking = this.blobs.missing(entries.filter((e) => e.link === undefined).map((e) => e.sha256));
    if (lacking.length) throw new CairnError('MissingBlobs', `${lacking.length} file contents of this snapshot were not uploaded (first: ${lacking[0]})`, { missing: lacking.slice(0, 1000) });
    // The same bytes the client hashed in manifestId(): the id is known before anything is sent.
    const canonical = Buffer.from(JSON.stringify({ entries }));
    const id = this.blobs.putContent(canonical);
    const created_at = new Date().toISOString();
    await this.store.resources.putSnapshot({ id, workspace, file_count: entries.length, total_size: total, created_at });
    const row = await this.store.resources.getSnapshot(id);
    return { id, file_count: entries.length, total_size: total, created_at: row?.created_at ?? created_at };
  }

  async manifest(id: string): Promise<Manifest> {
    if (!(await this.store.resources.getSnapshot(id)) || !this.blobs.has(id)) throw new CairnError('NotFound', `snapshot ${id} does not exist`);
    return JSON.parse(this.blobs.read(id).toString('utf8'));
  }
}
