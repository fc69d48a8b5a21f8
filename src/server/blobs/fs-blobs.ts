import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '../../protocol/errors.ts';

/** A stored blob whose bytes no longer match its name: refused, never served. */
export function damaged(sha: string, why: string, what = `content ${sha}`): CairnError {
  return new CairnError('DamagedContent', `${what} is damaged on the server (${why}); it cannot be served: upload it again or restore the data directory from a backup`, { sha256: sha });
}

/**
 * Content-addressed blobs on the filesystem. Writes land in a temporary file and are renamed only
 * after their hash checks out, so a blob that exists was whole when written; reads check that it
 * still is (once per change of the file), so a damaged or truncated file is refused, not served.
 */
export class FsBlobs {
  private readonly root: string;
  /** Sizes of blobs known to be present: a re-submit of a big tree asks about thousands at once. */
  private readonly known = new Map<string, number>();
  /** Blobs whose bytes were hashed since they last changed on disk (by inode, size and mtime). */
  private readonly verified = new Map<string, string>();

  constructor(root: string) {
    this.root = root;
    // Only one server runs on a data folder (it holds the lock), so whatever is in tmp/ now was
    // left by an upload that died with its server.
    rmSync(join(root, 'tmp'), { recursive: true, force: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  pathOf(sha: string): string {
    return join(this.root, sha.slice(0, 2), sha.slice(2));
  }

  has(sha: string): boolean {
    return this.sizeOf(sha) !== null;
  }

  /** The stored size, or null when the blob is absent. */
  sizeOf(sha: string): number | null {
    const k = this.known.get(sha);
    if (k !== undefined) return k;
    let st: Stats;
    try {
      st = statSync(this.pathOf(sha));
    } catch {
      return null;
    }
    this.known.set(sha, st.size);
    return st.size;
  }

  missing(shas: Iterable<string>): string[] {
    const out: string[] = [];
    for (const s of new Set(shas)) if (!this.has(s)) out.push(s);
    return out;
  }

  put(sha: string, data: Buffer): void {
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== sha) throw new CairnError('BadRequest', `blob content does not match its name: expected sha256 ${sha}, got ${actual}`);
    if (this.has(sha)) return;
    const tmp = this.tmpPath();
    writeFileSync(tmp, data);
    this.settle(tmp, sha, data.length);
  }

  private tmpPath(): string {
    return join(this.root, 'tmp', randomBytes(8).toString('hex'));
  }

  /** Moves a written, verified temporary file to its content address (or drops it if that exists). */
  private settle(tmp: string, sha: string, size: number): void {
    if (this.has(sha)) return rmQuietly(tmp);
    const dest = this.pathOf(sha);
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(tmp, dest);
    this.known.set(sha, size);
    // Its bytes were hashed on the way in: the first time it is served needs no second read.
    const st = statSync(dest);
    this.verified.set(sha, `${st.ino}:${st.size}:${st.mtimeMs}`);
  }

  /** Stores content under its own hash and returns the hash. */
  putContent(data: Buffer): string {
    const sha = createHash('sha256').update(data).digest('hex');
    this.put(sha, data);
    return sha;
  }

  /**
   * Stores a stream of any size without holding it in memory; returns its hash and size. With
   * `expect`, the content must hash to it; past `maxBytes` the upload stops with a 413.
   */
  async putStream(src: Readable, o: { expect?: string; maxBytes: number }): Promise<{ sha256: string; size: number }> {
    const tmp = this.tmpPath();
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > o.maxBytes) return cb(new CairnError('PayloadTooLarge', `upload is over the server's limit of ${o.maxBytes} bytes`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(src, count, createWriteStream(tmp));
    } catch (err) {
      rmQuietly(tmp);
      throw err;
    }
    const sha256 = hash.digest('hex');
    if (o.expect && sha256 !== o.expect) {
      rmQuietly(tmp);
      throw new CairnError('BadRequest', `blob content does not match its name: expected sha256 ${o.expect}, got ${sha256}`);
    }
    this.settle(tmp, sha256, size);
    return { sha256, size };
  }

  /**
   * Checks a blob before it is served: present, of the size recorded for it (when known), and
   * hashing to its name. The hash is skipped while the file is unchanged since it last checked out.
   */
  async check(sha: string, o: { size?: number; what?: string } = {}): Promise<number> {
    const what = o.what ?? `content ${sha}`;
    let st: Stats;
    try {
      st = statSync(this.pathOf(sha));
    } catch {
      this.known.delete(sha);
      throw damaged(sha, 'its file is missing', what);
    }
    if (o.size !== undefined && st.size !== o.size) throw damaged(sha, `it is ${st.size} bytes, not ${o.size}`, what);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (this.verified.get(sha) === stamp) return st.size;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.pathOf(sha))) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== sha) {
      this.verified.delete(sha);
      throw damaged(sha, 'its bytes do not match its sha256', what);
    }
    this.verified.set(sha, stamp);
    return st.size;
  }

  /** The whole blob, checked: for small things the server itself reads (manifests). */
  read(sha: string, what?: string): Buffer {
    const data = readFileSync(this.pathOf(sha));
    if (createHash('sha256').update(data).digest('hex') !== sha) throw damaged(sha, 'its bytes do not match its sha256', what);
    return data;
  }

  /** A stream of a blob; call check() first, so what is sent is what was stored. */
  stream(sha: string): Readable {
    return createReadStream(this.pathOf(sha));
  }

  /** The first `bytes` bytes, for previews. */
  streamRange(sha: string, bytes: number): Readable {
    return createReadStream(this.pathOf(sha), { start: 0, end: bytes - 1 });
  }

  remove(sha: string): void {
    this.known.delete(sha);
    this.verified.delete(sha);
    try {
      unlinkSync(this.pathOf(sha));
    } catch {}
  }

  /** Temporary files now in tmp/ (uploads under way): for tests of the start-up sweep. */
  pendingUploads(): string[] {
    return readdirSync(join(this.root, 'tmp'));
  }
}

function rmQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
