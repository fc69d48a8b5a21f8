import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandJobSpec } from '../protocol/job-spec.ts';
import type { Job } from '../protocol/job.ts';
import { buildSnapshot, canonicalManifestJson, readGitFacts, sha256Hex, type SnapshotOptions } from '../snapshot/index.ts';
import type { CairnClient } from './client.ts';
import { codeFolderName } from './job-file.ts';
import { UploadMemory } from './upload-memory.ts';
import { CairnError } from './errors.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';

export interface UploadProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface SubmitOptions {
  spec: CommandJobSpec;
  codeDir?: string | null;
  snapshot?: SnapshotOptions;
  onWarning?: (msg: string) => void;
  onProgress?: (p: UploadProgress) => void;
}

const PARALLEL_UPLOADS = 4;

/** Uploads what the server lacks of a code folder and returns the snapshot id. */
export async function uploadCode(client: CairnClient, codeDir: string, o: Omit<SubmitOptions, 'spec' | 'codeDir'> = {}): Promise<string> {
  const snap = await buildSnapshot(codeDir, o.snapshot);
  for (const w of snap.warnings) o.onWarning?.(w);
  const body = canonicalManifestJson(snap.entries);
  const id = sha256Hex(body);
  const memory = new UploadMemory(o.snapshot?.cacheDir, client.url, snap.root);
  const { snapshot: last, held } = memory.load();
  // Unchanged since the last upload from here: nothing to send. Another unchanged tree the
  // server already has costs one small request.
  if (id === last || (last === null && (await client.snapshotExists(id)))) return id;
  const files = snap.entries.filter((e) => e.link === undefined);
  const all = [...new Set(files.map((e) => e.sha256))];
  const upload = async (candidates: string[]) => {
    const missing = new Set(candidates.length ? await client.missingBlobs(candidates) : []);
    await putAll(client, snap.root, files.filter((e) => missing.delete(e.sha256)), o.onProgress); // one upload per distinct content
  };
  await upload(all.filter((h) => !held.has(h)));
  let created;
  try {
    created = await client.createSnapshot(body);
  } catch (err) {
    if (!(err instanceof CairnError && err.code === 'MissingBlobs')) throw err;
    await upload(all); // the server lost some of what it had: ask about everything
    created = await client.createSnapshot(body);
  }
  memory.save(created.id, all);
  return created.id;
}

async function putAll(client: CairnClient, root: string, todo: ManifestEntry[], onProgress?: (p: UploadProgress) => void): Promise<void> {
  const total = { files: todo.length, bytes: todo.reduce((n, e) => n + e.size, 0) };
  const done = { files: 0, bytes: 0 };
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const e = todo[next++];
      await client.putBlob(e.sha256, readFileSync(join(root, e.path)));
      done.files++;
      done.bytes += e.size;
      onProgress?.({ files: done.files, totalFiles: total.files, bytes: done.bytes, totalBytes: total.bytes });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, todo.length) }, worker));
}

/** Snapshot the code, record git facts, create the job: what `cairn job create` does. */
export async function submitJob(client: CairnClient, o: SubmitOptions): Promise<Job> {
  if (!o.codeDir) return client.createJob(o.spec);
  // git runs in its own processes: start it first so it works on the other core while the walk runs here.
  const git = readGitFacts(o.codeDir);
  const snapshotId = await uploadCode(client, o.codeDir, o);
  return client.createJob(o.spec, { snapshotId, codeFolderName: codeFolderName(o.codeDir), git: await git });
}
