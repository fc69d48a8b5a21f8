import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which contents a server already holds, as of this folder's last upload to it. A re-submit then
 * asks the server only about contents that changed since, instead of about every file. If the
 * server lost blobs meanwhile, creating the snapshot says so and the caller asks about all of them.
 */
export class UploadMemory {
  private readonly file: string | null;
  constructor(cacheDir: string | undefined, serverUrl: string, root: string) {
    this.file = cacheDir ? join(cacheDir, `uploaded-${createHash('sha256').update(`${serverUrl}\0${root}`).digest('hex')}.txt`) : null;
  }

  /** Hashes the server confirmed it holds; empty when nothing is remembered. */
  load(): Set<string> {
    if (!this.file) return new Set();
    try {
      const text = readFileSync(this.file, 'utf8');
      return new Set(text.length ? text.split('\n') : []);
    } catch {
      return new Set();
    }
  }

  save(shas: Iterable<string>): void {
    if (!this.file) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, [...shas].join('\n'));
      renameSync(tmp, this.file);
    } catch {
      // only an optimisation
    }
  }
}
