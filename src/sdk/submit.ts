import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentSpec } from '../protocol/environment.ts';
import type { CommandJobSpec } from '../protocol/job-spec.ts';
import type { Job } from '../protocol/job.ts';
import { buildSnapshot, canonicalManifestJson, readGitFacts, sha256Hex, type SnapshotOptions } from '../snapshot/index.ts';
import type { CairnClient } from './client.ts';
import type { EnvironmentDraft } from './environment-file.ts';
import { codeFolderName, type CommandJobDraft } from './job-file.ts';
import { UploadMemory, entryKey } from './upload-memory.ts';
import { CairnError } from './errors.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';

export interface UploadProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface SubmitOptions {
  /** The job; an inline environment with a `build` is completed by uploading `environmentBuildDir`. */
  spec: CommandJobSpec | CommandJobDraft;
  codeDir?: string | null;
  /**
   * The build context (`build.path`) of an inline environment: uploaded as a snapshot, like code,
   * and its id put in `environment.build.snapshot_id`. The code folder's ignore rules apply to it too
   * (`.amlignore`/`.cairnignore`, else `.gitignore`).
   */
  environmentBuildDir?: string | null;
  snapshot?: SnapshotOptions;
  onWarning?: (msg: string) => void;
  onProgress?: (p: UploadProgress) => void;
}

const PARALLEL_UPLOADS = 4;

/** Uploads what the server lacks of a code folder and returns the snapshot id. */
export async function uploadCode(client: CairnClient, codeDir: string, o: Omit<SubmitOptions, 'spec' | 'codeDir'> = {}): Promise<string> {
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
      await client.putBlob(e.sha256, readFileSync(join(root, e.path)));
      done.files++;
      done.bytes += e.size;
      onProgress?.({ files: done.files, totalFiles: total.files, bytes: done.bytes, totalBytes: total.bytes });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, todo.length) }, worker));
}

/**
 * An environment ready to send: the build folder, when it has one, uploaded as a snapshot (the
 * same content-addressed upload as code, so an unchanged folder sends nothing) and its id set.
 */
export async function completeEnvironment(client: CairnClient, env: EnvironmentDraft, buildDir: string | null | undefined, o: Omit<SubmitOptions, 'spec' | 'codeDir'> = {}): Promise<EnvironmentSpec> {
  if (!env.build) return env as EnvironmentSpec;
  if (env.build.snapshot_id && !buildDir) return env as EnvironmentSpec;
  if (!buildDir) throw new CairnError('ValidationError', `the environment's build folder${env.build.path ? ` '${env.build.path}'` : ''} was not uploaded: load the file with loadEnvironmentFile or loadJobFile and pass its build folder`);
  const snapshotId = await uploadCode(client, buildDir, o);
  return { ...env, build: { ...env.build, snapshot_id: snapshotId } } as EnvironmentSpec;
}

/**
 * Snapshot the code (and an inline environment's build folder), record git facts, create the job:
 * what `cairn job create` does. The server's warnings about the job (a curated environment that runs
 * as something else, say) go to `onWarning`.
 */
export async function submitJob(client: CairnClient, o: SubmitOptions): Promise<Job> {
  // git runs in its own processes: start it first so it works on the other core while the walk runs here.
  const git = o.codeDir ? readGitFacts(o.codeDir) : null;
  const snapshotId = o.codeDir ? await uploadCode(client, o.codeDir, o) : undefined;
  const env = o.spec.environment;
  const spec = (typeof env === 'object' ? { ...o.spec, environment: await completeEnvironment(client, env, o.environmentBuildDir, o) } : o.spec) as CommandJobSpec;
  const job = o.codeDir ? await client.createJob(spec, { snapshotId, codeFolderName: codeFolderName(o.codeDir), git: await git }) : await client.createJob(spec);
  for (const w of job.environment_details?.warnings ?? []) o.onWarning?.(w);
  return job;
}
