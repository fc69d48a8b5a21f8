// Moving content between a datastore and a content-addressed blob store (the server's blobs, or any
// store of the same shape), without knowing either: this folder imports protocol/ and nothing of
// the server, so the server, a CLI or a test can each hand in their own store.
import type { Readable } from 'node:stream';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import { byPath, eachLimit, quote, relParts } from './common.ts';
import { DatastoreError, type DatastoreBackend } from './types.ts';

/** Where imported bytes go: a content-addressed store (the server's FsBlobs has this shape). */
export interface BlobSink {
  has(sha: string): boolean;
  putStream(src: Readable, o: { maxBytes: number }): Promise<{ sha256: string; size: number }>;
}

/**
 * Which sha256 a (datastore, path, stamp) had when it was last imported, so importing the same
 * unchanged folder again downloads nothing. Keys are opaque strings made by importTree.
 */
export interface StampMemory {
  get(key: string): Promise<string | undefined>;
  set(entries: { key: string; sha256: string }[]): Promise<void>;
}

/** A StampMemory in a Map: for tests and one-off imports (the server keeps its own in the store). */
export class InMemoryStampMemory implements StampMemory {
  private readonly map = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.map.get(key);
  }
  async set(entries: { key: string; sha256: string }[]): Promise<void> {
    for (const e of entries) this.map.set(e.key, e.sha256);
  }
  get size(): number {
    return this.map.size;
  }
}

const DEFAULT_PARALLEL = 8;

export interface ImportOptions {
  /** The datastore's identity (e.g. workspace/name and its location), so two datastores never share memory. */
  memoryKey: string;
  maxFiles: number;
  maxBytes: number;
  parallel?: number;
}

/**
 * Copies the file or folder at `path` into `sink` and returns its manifest entries (sorted by path;
 * a single file's entry is named by its base name). A file whose stamp is remembered and whose blob
 * the sink still has is not downloaded again.
 */
export async function importTree(
  backend: DatastoreBackend,
  path: string,
  sink: BlobSink,
  memory: StampMemory,
  o: ImportOptions,
): Promise<{ isFile: boolean; entries: ManifestEntry[]; downloaded: number }> {
  const parts = relParts(path);
  const { isFile, files } = await backend.list(path, { maxFiles: o.maxFiles });
  if (files.length > o.maxFiles) throw new DatastoreError('TooLarge', `${quote(path)} holds ${files.length} files, more than the ${o.maxFiles} one import may take`);
  const listed = files.reduce((n, f) => n + f.size, 0);
  if (listed > o.maxBytes) throw tooLarge(path, listed, o.maxBytes);

  const items = files.map((f) => {
    const full = isFile ? parts.join('/') : [...parts, f.path].join('/');
    return { file: f, full, name: isFile ? (parts.at(-1) ?? f.path) : f.path, key: JSON.stringify([o.memoryKey, full, f.stamp]) };
  });
  const known = await Promise.all(items.map((i) => memory.get(i.key)));
  const entries: ManifestEntry[] = [];
  const toFetch: typeof items = [];
  items.forEach((item, i) => {
    const sha = known[i];
    if (sha && sink.has(sha)) entries.push({ path: item.name, mode: 0o644, size: item.file.size, sha256: sha });
    else toFetch.push(item);
  });

  const learned: { key: string; sha256: string }[] = [];
  let bytes = 0;
  try {
    await eachLimit(toFetch, o.parallel ?? DEFAULT_PARALLEL, async (item) => {
      const src = await backend.read(item.full);
      // Per file the whole budget: a file may have grown since it was listed; the total is checked below.
      const got = await sink.putStream(src, { maxBytes: o.maxBytes }).catch((err: unknown) => {
        src.destroy();
        throw err;
      });
      bytes += got.size;
      entries.push({ path: item.name, mode: 0o644, size: got.size, sha256: got.sha256 });
      learned.push({ key: item.key, sha256: got.sha256 });
    });
  } finally {
    // What did arrive is remembered even when another file failed, so a retry fetches only the rest.
    if (learned.length) await memory.set(learned);
  }
  const total = entries.reduce((n, e) => n + e.size, 0);
  if (total > o.maxBytes) throw tooLarge(path, total, o.maxBytes);
  return { isFile, entries: entries.sort(byPath), downloaded: toFetch.length };
}

/**
 * Writes each entry (links skipped: a datastore holds files) under `destPath`, reading its bytes
 * from `source`; returns how many files were written. Every destination is checked before the first
 * write, so a bad entry path leaves nothing half-exported.
 */
export async function exportTree(
  backend: DatastoreBackend,
  destPath: string,
  entries: ManifestEntry[],
  source: { stream(sha: string): Readable },
  o: { parallel?: number } = {},
): Promise<number> {
  const base = relParts(destPath);
  const jobs = entries.filter((e) => e.link === undefined).map((e) => ({ entry: e, dest: [...base, ...relParts(e.path)].join('/') }));
  for (const j of jobs) if (!j.dest) throw new DatastoreError('Invalid', `entry ${quote(j.entry.path)} names no file`);
  await eachLimit(jobs, o.parallel ?? DEFAULT_PARALLEL, async ({ entry, dest }) => {
    const src = source.stream(entry.sha256);
    try {
      await backend.write(dest, src, entry.size);
    } catch (err) {
      src.destroy();
      throw err;
    }
  });
  return jobs.length;
}

function tooLarge(path: string, bytes: number, max: number): DatastoreError {
  return new DatastoreError('TooLarge', `${quote(path)} is ${bytes} bytes, more than the ${max} one import may take`);
}
