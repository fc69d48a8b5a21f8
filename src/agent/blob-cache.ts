import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, copyFileSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManifestEntry } from '../protocol/snapshot.ts';
import { checkRelativePath } from '../protocol/paths.ts';
import { HttpError, PermanentError, type ServerClient } from './client.ts';

const PARALLEL_FETCHES = 8;

/**
 * Content-addressed cache of snapshot blobs on this node: a job fetches only what the node lacks,
 * and every job gets its own copy of the files, so a script that edits its code cannot poison the cache.
 */
export class BlobCache {
  private readonly dir: string;
  private readonly client: ServerClient;
  /** Cached blobs hashed since they last changed on disk (inode, size, mtime): a damaged copy is fetched again. */
  private readonly verified = new Map<string, string>();
  constructor(dir: string, client: ServerClient) {
    this.dir = dir;
    this.client = client;
    mkdirSync(dir, { recursive: true });
  }

  pathOf(sha: string): string {
    return join(this.dir, sha.slice(0, 2), sha.slice(2));
  }

  async fetchManifest(snapshotId: string): Promise<ManifestEntry[]> {
    let body: { entries?: unknown };
    try {
      body = await this.client.request('GET', `/snapshots/${snapshotId}`);
    } catch (err) {
      if (err instanceof HttpError && err.code === 'DamagedContent') throw new PermanentError(`the job's code snapshot ${snapshotId.slice(0, 12)} is damaged on the server: ${err.message.replace(/^GET \S+: \d+ /, '')}`);
      throw err;
    }
    const entries = ManifestEntry.array().parse(body.entries);
    for (const e of entries) checkRelativePath(e.path, 'snapshot path');
    return entries;
  }

  /**
   * Fetches the blobs this node lacks (or holds damaged); returns how many were fetched. Content
   * the server says is damaged, or that arrives not matching its hash, is a permanent failure
   * naming the file.
   */
  async ensure(entries: ManifestEntry[]): Promise<number> {
    const pathOfSha = new Map(entries.map((e) => [e.sha256, e.path]));
    const want = [...new Set(entries.filter((e) => e.link === undefined && !this.holds(e.sha256, e.size)).map((e) => e.sha256))];
    let next = 0;
    const worker = async () => {
      while (next < want.length) {
        const sha = want[next++];
        const file = `'${pathOfSha.get(sha)}'`;
        let data: Buffer;
        try {
          data = await this.client.request('GET', `/blobs/${sha}`);
        } catch (err) {
          if (err instanceof HttpError && err.code === 'DamagedContent') throw new PermanentError(`the code file ${file} is damaged on the server: ${err.message.replace(/^GET \S+: \d+ /, '')}`);
          throw err;
        }
        if (createHash('sha256').update(data).digest('hex') !== sha) throw new PermanentError(`the code file ${file} arrived damaged: its bytes do not match its sha256 ${sha}`);
        const dest = this.pathOf(sha);
        mkdirSync(dirname(dest), { recursive: true });
        const tmp = `${dest}.${process.pid}.tmp`;
        writeFileSync(tmp, data);
        renameSync(tmp, dest);
        this.verified.set(sha, stampOf(dest));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, want.length) }, worker));
    return want.length;
  }

  /** Whether this node has a whole copy: of the right size, hashing to its name (once per change of the file). */
  private holds(sha: string, size: number): boolean {
    const path = this.pathOf(sha);
    let stamp: string;
    try {
      const st = statSync(path);
      if (st.size !== size) throw new Error('size');
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      rmSync(path, { force: true });
      return false;
    }
    if (this.verified.get(sha) === stamp) return true;
    if (hashFile(path) !== sha) {
      rmSync(path, { force: true }); // damaged on this node: fetched again
      return false;
    }
    this.verified.set(sha, stamp);
    return true;
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
      chmodSync(target, e.mode & 0o777); // permission bits only, whatever a server sent
    }
  }
}

function stampOf(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** sha256 of a file, read in pieces (a cached blob may be gigabytes). */
function hashFile(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
