import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildSnapshot, canonicalManifestJson, sha256Hex, type SnapshotOptions } from '../snapshot/index.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import type { CairnClient } from './client.ts';
import { UploadMemory, entryKey } from './upload-memory.ts';
import { CairnError } from './errors.ts';

/** How uploads report themselves, and the snapshot settings they use. */
export interface UploadOptions {
  snapshot?: SnapshotOptions;
  onWarning?: (msg: string) => void;
  onProgress?: (p: UploadProgress) => void;
}

export interface UploadProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

const PARALLEL_UPLOADS = 4;
const STREAM_FROM = 8 * 1024 * 1024;

/** Uploads what the server lacks of a code folder and returns the snapshot id. */
export async function uploadCode(client: CairnClient, codeDir: string, o: UploadOptions = {}): Promise<string> {
  const snap = await buildSnapshot(codeDir, o.snapshot);
  for (const w of snap.warnings) o.onWarning?.(w);
  const memory = new UploadMemory(o.snapshot?.cacheDir, client.url, snap.root);
  const last = memory.load();
  let id: string | null = null;
  if (last.snapshot) id = await sendDelta(client, snap.root, snap.entries, last.snapshot, last.entries, o.onProgress);
  id ??= await sendWhole(client, snap.root, snap.entries, o.onProgress);
  if (id !== last.snapshot) memory.save(id, snap.entries);
  return id;
}

/**
 * The changes since the last upload from this folder, against that snapshot. Null when the
 * server lacks the base or a blob it was thought to hold: then the whole manifest goes.
 */
async function sendDelta(client: CairnClient, root: string, entries: ManifestEntry[], base: string, before: Map<string, string>, onProgress?: (p: UploadProgress) => void): Promise<string | null> {
  const upsert: ManifestEntry[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    seen.add(e.path);
    if (before.get(e.path) !== entryKey(e)) upsert.push(e);
  }
  const remove = [...before.keys()].filter((p) => !seen.has(p));
  if (upsert.length === 0 && remove.length === 0) return base;
  try {
    await uploadMissing(client, root, upsert, onProgress);
    return (await client.createSnapshot(JSON.stringify({ base, upsert, remove }))).id;
  } catch (err) {
    if (err instanceof CairnError && (err.code === 'NotFound' || err.code === 'MissingBlobs')) return null;
    throw err;
  }
}

async function sendWhole(client: CairnClient, root: string, entries: ManifestEntry[], onProgress?: (p: UploadProgress) => void): Promise<string> {
  const body = canonicalManifestJson(entries);
  const id = sha256Hex(body);
  if (await client.snapshotExists(id)) return id;
  await uploadMissing(client, root, entries, onProgress);
  return (await client.createSnapshot(body)).id;
}

/** Asks which contents the server lacks and uploads each once. */
async function uploadMissing(client: CairnClient, root: string, entries: ManifestEntry[], onProgress?: (p: UploadProgress) => void): Promise<void> {
  const files = entries.filter((e) => e.link === undefined);
  if (files.length === 0) return;
  const missing = new Set(await client.missingBlobs([...new Set(files.map((e) => e.sha256))]));
  await putAll(client, root, files.filter((e) => missing.delete(e.sha256)), onProgress);
}

async function putAll(client: CairnClient, root: string, todo: ManifestEntry[], onProgress?: (p: UploadProgress) => void): Promise<void> {
  const total = { files: todo.length, bytes: todo.reduce((n, e) => n + e.size, 0) };
  const done = { files: 0, bytes: 0 };
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const e = todo[next++];
      // Big files go as they are read: a data folder may hold files bigger than memory.
      if (e.size > STREAM_FROM) await client.putBlobStream(e.sha256, createReadStream(join(root, e.path)), e.size);
      else await client.putBlob(e.sha256, readFileSync(join(root, e.path)));
      done.files++;
      done.bytes += e.size;
      onProgress?.({ files: done.files, totalFiles: total.files, bytes: done.bytes, totalBytes: total.bytes });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, todo.length) }, worker));
}


/** sha256 of a file, streamed (data files may be gigabytes). */
async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Uploads a local data path as content the server keeps: a folder as a snapshot (every file, no
 * ignore rules: data is data), a file as a one-file snapshot. Only what the server lacks is sent.
 */
export async function uploadData(client: CairnClient, path: string, o: UploadOptions = {}): Promise<{ snapshot_id: string; file?: string }> {
  const abs = resolve(path);
  const st = statSync(abs);
  if (st.isDirectory()) return { snapshot_id: await uploadCode(client, abs, { ...o, snapshot: { ...o.snapshot, data: true } }) };
  const sha256 = await hashFile(abs);
  const name = basename(abs);
  if ((await client.missingBlobs([sha256])).length) {
    await client.putBlobStream(sha256, createReadStream(abs), st.size);
    o.onProgress?.({ files: 1, totalFiles: 1, bytes: st.size, totalBytes: st.size });
  }
  const snap = await client.createSnapshot([{ path: name, mode: st.mode & 0o777, size: st.size, sha256 }]);
  return { snapshot_id: snap.id, file: name };
}

/** Every local input of a job uploaded: what `input_uploads` of the create request carries. */
export async function uploadInputs(client: CairnClient, inputPaths: Record<string, string>, o: UploadOptions = {}): Promise<Record<string, { snapshot_id: string; file?: string }>> {
  const out: Record<string, { snapshot_id: string; file?: string }> = {};
  for (const [name, path] of Object.entries(inputPaths)) out[name] = await uploadData(client, path, o);
  return out;
}
