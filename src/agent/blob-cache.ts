import { createHash } from 'node:crypto';
import { chmodSync, constants, copyFileSync, existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManifestEntry } from '../protocol/snapshot.ts';
import { checkRelativePath } from '../protocol/paths.ts';
import type { ServerClient } from './client.ts';

const PARALLEL_FETCHES = 8;

/**
 * Content-addressed cache of snapshot blobs on this node: a job fetches only what the node lacks,
 * and every job gets its own copy of the files, so a script that edits its code cannot poison the cache.
 */
export class BlobCache {
  private readonly dir: string;
  private readonly client: ServerClient;
  constructor(dir: string, client: ServerClient) {
    this.dir = dir;
    this.client = client;
    mkdirSync(dir, { recursive: true });
  }

  pathOf(sha: string): string {
    return join(this.dir, sha.slice(0, 2), sha.slice(2));
  }

  async fetchManifest(snapshotId: string): Promise<ManifestEntry[]> {
    const body = await this.client.request('GET', `/snapshots/${snapshotId}`);
    const entries = ManifestEntry.array().parse(body.entries);
    for (const e of entries) checkRelativePath(e.path, 'snapshot path');
    return entries;
  }

  /** Fetches the blobs this node lacks; returns how many were fetched. */
  async ensure(entries: ManifestEntry[]): Promise<number> {
    const want = [...new Set(entries.filter((e) => e.link === undefined && !existsSync(this.pathOf(e.sha256))).map((e) => e.sha256))];
    let next = 0;
    const worker = async () => {
      while (next < want.length) {
        const sha = want[next++];
        const data: Buffer = await this.client.request('GET', `/blobs/${sha}`);
        if (createHash('sha256').update(data).digest('hex') !== sha) throw new Error(`blob ${sha} arrived corrupted`);
        const dest = this.pathOf(sha);
        mkdirSync(dirname(dest), { recursive: true });
        const tmp = `${dest}.${process.pid}.tmp`;
        writeFileSync(tmp, data);
        renameSync(tmp, dest);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, want.length) }, worker));
    return want.length;
  }

  /** Lays the snapshot out in `dest`: copies (reflinks where the filesystem can) and links. */
  materialize(entries: ManifestEntry[], dest: string): void {
    mkdirSync(dest, { recursive: true });
    const made = new Set<string>();
    for (const e of entries) {
      const target = join(dest, e.path);
      const parent = dirname(target);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      if (e.link !== undefined) {
        symlinkSync(e.link, target);
        continue;
      }
      copyFileSync(this.pathOf(e.sha256), target, constants.COPYFILE_FICLONE);
      chmodSync(target, e.mode);
    }
  }
}
