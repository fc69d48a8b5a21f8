import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, copyFileSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManifestEntry } from '../protocol/snapshot.ts';
import type { BlobBatchRequest } from '../protocol/agent.ts';
import { checkRelativePath } from '../protocol/paths.ts';
import { HttpError, PermanentError, type ServerClient } from './client.ts';

/** Batches fetched at once, and how big one gets: a few answers keep the disk and the server busy. */
const PARALLEL_FETCHES = 3;
const BATCH_BLOBS = 500;
const BATCH_BYTES = 64 * 1024 * 1024;
/** Blobs up to this size are gathered in memory and written with one call. */
const GATHER_BYTES = 4 * 1024 * 1024;

/**
 * Content-addressed cache of snapshot blobs on this node: a job fetches only what the node lacks,
 * and every job gets its own copy of the files, so a script that edits its code cannot poison the cache.
 */
export class BlobCache {
  private readonly dir: string;
  private readonly client: ServerClient;
  /** Cached blobs hashed since they last changed on disk (inode, size, mtime): a damaged copy is fetched again. */
  private readonly verified = new Map<string, string>();
  /** Cache folders known to exist (two hex characters each): made once, not once per blob. */
  private readonly dirs = new Set<string>();
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
    checkLinks(entries, snapshotId);
    return entries;
  }

  /**
   * Fetches the blobs this node lacks (or holds damaged); returns how many were fetched. They come
   * in batches, each one answer of blobs back to back (one request per file cost the server more
   * than the bytes), and go to disk as they arrive, hashed on the way: a file of gigabytes never
   * sits in memory. Content the server says is damaged, or that arrives not matching its hash, is a
   * permanent failure naming the file.
   */
  async ensure(entries: ManifestEntry[], what = 'code file'): Promise<number> {
    // Each content once, however many files share it.
    const pathOfSha = new Map<string, string>();
    const sizeOfSha = new Map<string, number>();
    for (const e of entries) {
      if (e.link !== undefined || sizeOfSha.has(e.sha256)) continue;
      pathOfSha.set(e.sha256, e.path);
      sizeOfSha.set(e.sha256, e.size);
    }
    const want = [...sizeOfSha].filter(([sha, size]) => !this.holds(sha, size)).map(([sha]) => sha);
    const batches: string[][] = [];
    let cur: string[] = [];
    let bytes = 0;
    for (const sha of want) {
      const size = sizeOfSha.get(sha)!;
      if (cur.length && (cur.length >= BATCH_BLOBS || bytes + size > BATCH_BYTES)) {
        batches.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(sha);
      bytes += size;
    }
    if (cur.length) batches.push(cur);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await this.fetchBatch(batches[next++]!, sizeOfSha, pathOfSha, what);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, batches.length) }, worker));
    return want.length;
  }

  private async fetchBatch(shas: string[], sizes: Map<string, number>, paths: Map<string, string>, what: string): Promise<void> {
    let res: AsyncIterable<Buffer>;
    try {
      res = await this.client.requestStream('POST', '/blobs/batch', { sha256: shas } satisfies BlobBatchRequest);
    } catch (err) {
      if (err instanceof HttpError && err.code === 'DamagedContent') {
        const sha = /[0-9a-f]{64}/.exec(err.message)?.[0];
        throw new PermanentError(`the ${what} '${sha ? paths.get(sha) : '?'}' is damaged on the server: ${err.message.replace(/^POST \S+: \d+ /, '')}`);
      }
      throw err;
    }
    let i = 0;
    let left = shas.length ? sizes.get(shas[0]!)! : 0;
    // A small blob is gathered and written in one call; a big one goes to its file as it comes.
    let out: { fd: number | null; pieces: Buffer[]; tmp: string; dest: string; hash: ReturnType<typeof createHash> } | null = null;
    const open = () => {
      const sha = shas[i]!;
      const dest = this.pathOf(sha);
      const dir = dirname(dest);
      if (!this.dirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.dirs.add(dir);
      }
      const tmp = `${dest}.${process.pid}.${i}.tmp`;
      out = { fd: left > GATHER_BYTES ? this.again(dir, () => openSync(tmp, 'w')) : null, pieces: [], tmp, dest, hash: createHash('sha256') };
    };
    const finish = () => {
      const sha = shas[i]!;
      const o = out!;
      out = null;
      if (o.fd !== null) closeSync(o.fd);
      if (o.hash.digest('hex') !== sha) {
        rmSync(o.tmp, { force: true });
        throw new PermanentError(`the ${what} '${paths.get(sha)}' arrived damaged: its bytes do not match its sha256 ${sha}`);
      }
      if (o.fd === null) this.again(dirname(o.dest), () => writeFileSync(o.tmp, o.pieces.length === 1 ? o.pieces[0]! : Buffer.concat(o.pieces)));
      renameSync(o.tmp, o.dest);
      this.verified.set(sha, stampOf(o.dest));
      i++;
      left = i < shas.length ? sizes.get(shas[i]!)! : 0;
    };
    try {
      // Empty files first: they take no bytes of the answer.
      while (i < shas.length && left === 0) (open(), finish());
      for await (const chunk of res) {
        let at = 0;
        while (at < chunk.length) {
          if (i >= shas.length) throw new Error('the server sent more bytes than the batch holds');
          if (!out) open();
          const o = out!;
          const take = Math.min(left, chunk.length - at);
          const piece = chunk.subarray(at, at + take);
          o.hash.update(piece);
          if (o.fd !== null) writeSync(o.fd, piece);
          else o.pieces.push(piece);
          at += take;
          left -= take;
          if (left === 0) {
            finish();
            while (i < shas.length && left === 0) (open(), finish());
          }
        }
      }
      if (i < shas.length) throw new Error(`the answer ended ${shas.length - i} file(s) early`);
    } finally {
      const o = out as { fd: number | null; tmp: string } | null;
      if (o) {
        if (o.fd !== null) closeSync(o.fd);
        rmSync(o.tmp, { force: true });
      }
    }
  }

  /** Runs a file operation again once its folder is made, if someone removed that folder meanwhile. */
  private again<T>(dir: string, op: () => T): T {
    try {
      return op();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dir, { recursive: true });
      return op();
    }
  }

  /** Whether this node has a whole copy: of the right size, hashing to its name (once per change of the file). */
  private holds(sha: string, size: number): boolean {
    const path = this.pathOf(sha);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return false;
    if (st.size !== size) {
      rmSync(path, { force: true });
      return false;
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (this.verified.get(sha) === stamp) return true;
    if (hashFile(path) !== sha) {
      rmSync(path, { force: true }); // damaged on this node: fetched again
      return false;
    }
    this.verified.set(sha, stamp);
    return true;
  }

  /**
   * Lays the snapshot out in `dest`: links as links, files by `place` (by default a copy, a reflink
   * where the file system can, with the entry's permission bits). Returns every folder it made,
   * `dest` included.
   */
  materialize(entries: ManifestEntry[], dest: string, place: (blob: string, target: string, e: ManifestEntry) => void = copyOf): Set<string> {
    mkdirSync(dest, { recursive: true });
    const made = new Set<string>([dest]);
    for (const e of entries) {
      const target = join(dest, e.path);
      const parent = dirname(target);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        for (let p = parent; !made.has(p); p = dirname(p)) made.add(p);
      }
      if (e.link !== undefined) symlinkSync(e.link, target);
      else place(this.pathOf(e.sha256), target, e);
    }
    return made;
  }
}

/**
 * No entry may share a link's path or lie under a link: laying it out would write through the link,
 * outside the folder. The server refuses such manifests; like the paths, the node checks again.
 */
function checkLinks(entries: ManifestEntry[], snapshotId: string): void {
  const links = new Set(entries.filter((e) => e.link !== undefined).map((e) => e.path));
  if (!links.size) return;
  const seen = new Set<string>();
  const bad = (why: string) => new PermanentError(`snapshot ${snapshotId.slice(0, 12)} cannot be laid out: ${why}`);
  for (const e of entries) {
    if (seen.has(e.path)) throw bad(`it lists '${e.path}' twice`);
    seen.add(e.path);
    for (let i = e.path.indexOf('/'); i !== -1; i = e.path.indexOf('/', i + 1)) {
      if (links.has(e.path.slice(0, i))) throw bad(`'${e.path}' lies under the symbolic link '${e.path.slice(0, i)}'`);
    }
  }
}

function copyOf(blob: string, target: string, e: ManifestEntry): void {
  copyFileSync(blob, target, constants.COPYFILE_FICLONE);
  chmodSync(target, e.mode & 0o777); // permission bits only, whatever a server sent
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
