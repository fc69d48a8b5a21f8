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

  /** The last snapshot uploaded from this folder and the hashes the server confirmed it holds. */
  load(): { snapshot: string | null; held: Set<string> } {
    if (!this.file) return { snapshot: null, held: new Set() };
    try {
      const [snapshot, ...shas] = readFileSync(this.file, 'utf8').split('\n');
      return { snapshot: snapshot || null, held: new Set(shas) };
    } catch {
      return { snapshot: null, held: new Set() };
    }
  }

  save(snapshot: string, shas: Iterable<string>): void {
    if (!this.file) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, [snapshot, ...shas].join('\n'));
      renameSync(tmp, this.file);
    } catch {
      // only an optimisation
    }
  }
}
