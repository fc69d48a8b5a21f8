import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '../../protocol/errors.ts';

/**
 * Content-addressed blobs on the filesystem. Writes land in a temporary file and are renamed only
 * after their hash checks out, so a blob that exists is whole.
 */
export class FsBlobs {
  private readonly root: string;
  /** Hashes known to be present: a re-submit of a big tree asks about thousands at once. */
  private readonly known = new Set<string>();
  constructor(root: string) {
    this.root = root;
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  pathOf(sha: string): string {
    return join(this.root, sha.slice(0, 2), sha.slice(2));
  }

  has(sha: string): boolean {
    if (this.known.has(sha)) return true;
    if (!existsSync(this.pathOf(sha))) return false;
    this.known.add(sha);
    return true;
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
    this.settle(tmp, sha);
  }

  private tmpPath(): string {
    return join(this.root, 'tmp', randomBytes(8).toString('hex'));
  }

  /** Moves a written, verified temporary file to its content address (or drops it if that exists). */
  private settle(tmp: string, sha: string): void {
    if (this.has(sha)) return rmQuietly(tmp);
    const dest = this.pathOf(sha);
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(tmp, dest);
    this.known.add(sha);
  }

  /** Stores content under its own hash and returns the hash. */
  putContent(data: Buffer): string {
    const sha = createHash('sha256').update(data).digest('hex');
    this.put(sha, data);
    return sha;
  }

  /** Stores a stream of any size without holding it in memory; returns its hash and size. */
  async putStream(src: Readable): Promise<{ sha256: string; size: number }> {
    const tmp = this.tmpPath();
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
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
    this.settle(tmp, sha256);
    return { sha256, size };
  }

  read(sha: string): Buffer {
    return readFileSync(this.pathOf(sha));
  }

  stream(sha: string): Readable {
    return createReadStream(this.pathOf(sha));
  }

  /** The first `bytes` bytes, for previews. */
  streamRange(sha: string, bytes: number): Readable {
    return createReadStream(this.pathOf(sha), { start: 0, end: bytes - 1 });
  }

  size(sha: string): number {
    return statSync(this.pathOf(sha)).size;
  }

  remove(sha: string): void {
    this.known.delete(sha);
    try {
      unlinkSync(this.pathOf(sha));
    } catch {}
  }
}

function rmQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
