import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ManifestEntry } from '../protocol/snapshot.ts';

/** What identifies an entry's content: two entries with equal keys need not be sent again. */
export const entryKey = (e: ManifestEntry) => `${e.mode}\0${e.size}\0${e.sha256}\0${e.link ?? ''}`;

// Records end with NUL+newline and fields are NUL-separated: no path or link target holds a NUL.
const REC = '\0\n';

/**
 * The snapshot this folder last uploaded to a server, with its entries. A re-submit then sends
 * only the difference (SnapshotDelta) and asks only about contents that changed. If the server
 * no longer has that snapshot or a blob, it says so and the caller sends everything.
 */
export class UploadMemory {
  private readonly file: string | null;
  constructor(cacheDir: string | undefined, serverUrl: string, root: string) {
    this.file = cacheDir ? join(cacheDir, `uploaded-${createHash('sha256').update(`${serverUrl}\0${root}`).digest('hex')}.v2`) : null;
  }

  load(): { snapshot: string | null; entries: Map<string, string> } {
    const entries = new Map<string, string>();
    if (!this.file) return { snapshot: null, entries };
    try {
      const recs = readFileSync(this.file, 'utf8').split(REC);
      const snapshot = recs[0] ?? '';
      if (!/^[0-9a-f]{64}$/.test(snapshot)) return { snapshot: null, entries };
      for (let i = 1; i < recs.length; i++) {
        const r = recs[i]!;
        if (!r) continue;
        const cut = r.indexOf('\0');
        entries.set(r.slice(0, cut), r.slice(cut + 1));
      }
      return { snapshot, entries };
    } catch {
      return { snapshot: null, entries };
    }
  }

  save(snapshot: string, entries: ManifestEntry[]): void {
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      const parts = [snapshot];
      for (const e of entries) parts.push(`${e.path}\0${entryKey(e)}`);
      writeFileSync(tmp, parts.join(REC) + REC);
      renameSync(tmp, this.file);
    } catch {
      // only an optimisation
    }
  }
}
