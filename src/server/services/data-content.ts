import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CairnError } from '../../protocol/errors.ts';
import { type AssetKind, type AssetRef, type AssetType, type DataPath, kindOfType } from '../../protocol/data.ts';
import type { ManifestEntry } from '../../protocol/snapshot.ts';
import type { Store } from '../../store/index.ts';
import type { AssetRow } from '../../store/assets.ts';
import type { FsBlobs } from '../blobs/fs-blobs.ts';
import type { SnapshotsService } from './snapshots.ts';
import type { DatastoresService } from './datastores.ts';
import { pipelineView, stepFacts, storedPipeline } from '../../domain/pipelines/view.ts';
import type { JobRow } from '../../store/jobs.ts';

/** Content ready for a node: a snapshot (and the file in it, for uri_file), and where it came from. */
export interface Content {
  snapshot_id: string;
  file?: string;
  file_count: number;
  total_size: number;
  /** The source as a URI: azureml:NAME:VERSION, azureml://datastores/..., azureml://jobs/..., runs:/..., or the local path. */
  uri: string;
  asset?: AssetRef;
  /** The job whose output this is (lineage of registered outputs). */
  job_id?: string;
  run_id?: string;
}

export interface ContentDeps {
  store: Store;
  blobs: FsBlobs;
  snapshots: SnapshotsService;
  datastores: DatastoresService;
  maxBlobBytes: number;
}

/** An asset's http(s) source is fetched by the server at create: given up if it takes longer than this. */
const HTTP_TIMEOUT_MS = 30 * 60_000;

/**
 * Turns any path Azure ML lets a job, a data asset or a model name into content the blob store
 * holds. Used when a job is submitted (its inputs) and when an asset is registered, so both refuse
 * the same things with the same words.
 */
export class ContentResolver {
  private readonly d: ContentDeps;
  constructor(deps: ContentDeps) {
    this.d = deps;
  }

  /** `what` names the thing in errors: "input 'training_data'", "data asset 'iris'". */
  async resolve(workspace: string, what: string, type: AssetType, path: DataPath, uploaded?: { snapshot_id?: string; file?: string }): Promise<Content> {
    switch (path.kind) {
      case 'local':
        return this.uploaded(what, type, path.path, uploaded);
      case 'asset':
        return this.fromAsset(workspace, what, type, path);
      case 'datastore':
        return this.fromDatastore(workspace, what, type, path.datastore, path.path);
      case 'job_output':
        return this.fromJobOutput(workspace, what, type, path.job, path.output);
      case 'run':
        return this.fromRun(workspace, what, type, path.run, path.path);
      case 'http':
        return this.fromUrl(workspace, what, type, path.url);
    }
  }

  private async uploaded(what: string, type: AssetType, local: string, u?: { snapshot_id?: string; file?: string }): Promise<Content> {
    if (!u?.snapshot_id) throw new CairnError('ValidationError', `${what}: the local path '${local}' was not uploaded with the request (submit with the cairn CLI or SDK, which upload it)`);
    const snap = await this.d.store.resources.getSnapshot(u.snapshot_id);
    if (!snap) throw new CairnError('ValidationError', `${what}: uploaded content ${u.snapshot_id.slice(0, 12)} does not exist on the server`);
    if (type === 'uri_file' && !u.file) throw new CairnError('ValidationError', `${what}: a uri_file input needs the file's name in the upload`);
    return { snapshot_id: snap.id, ...(u.file ? { file: u.file } : {}), file_count: snap.file_count, total_size: Number(snap.total_size), uri: local };
  }

  async versionExists(workspace: string, kind: AssetKind, name: string, version: string): Promise<boolean> {
    return (await this.d.store.assets.get(workspace, kind, name, version)) !== undefined;
  }

  /** A version, or the latest; `code`: UnknownAsset where a job or an asset names it, NotFound where it is asked for itself. */
  async findAsset(workspace: string, kind: AssetKind, name: string, version: string | undefined, what: string, code: 'UnknownAsset' | 'NotFound' = 'UnknownAsset'): Promise<AssetRow> {
    const assets = this.d.store.assets;
    const row = version === undefined ? await assets.latest(workspace, kind, name) : await assets.get(workspace, kind, name, version);
    if (row) return row;
    const versions = (await assets.versions(workspace, kind, name, true)).map((r) => r.version);
    const label = kind === 'data' ? 'data asset' : 'model';
    const at = what ? `${what}: ` : '';
    if (!versions.length) throw new CairnError(code, `${at}${label} '${name}' does not exist (cairn ${kind} list shows what does)`);
    if (version === undefined) throw new CairnError(code, `${at}every version of ${label} '${name}' is archived (name one, or restore it)`);
    throw new CairnError(code, `${at}${label} '${name}' has no version ${version} (it has ${versions.slice(0, 20).join(', ')})`);
  }

  private async fromAsset(workspace: string, what: string, type: AssetType, p: Extract<DataPath, { kind: 'asset' }>): Promise<Content> {
    const kind = kindOfType(type);
    const row = await this.findAsset(workspace, kind, p.name, p.version, what);
    if (row.type !== type && !(kind === 'data' && type === 'uri_folder' && row.type === 'mltable')) {
      throw new CairnError('ValidationError', `${what} is ${type}, but ${kind === 'data' ? 'data asset' : 'model'} '${row.name}:${row.version}' is ${row.type}`);
    }
    return {
      snapshot_id: row.snapshot_id,
      ...(row.file ? { file: row.file } : {}),
      file_count: row.file_count,
      total_size: Number(row.total_size),
      uri: `azureml:${row.name}:${row.version}`,
      asset: { kind, name: row.name, version: row.version },
    };
  }

  private async fromDatastore(workspace: string, what: string, type: AssetType, datastore: string, path: string): Promise<Content> {
    const uri = `azureml://datastores/${datastore}/paths/${path}`;
    const got = await this.d.datastores.importPath(workspace, datastore, path).catch((err: Error) => {
      throw new CairnError((err as CairnError).code ?? 'Internal', `${what}: ${err.message}`);
    });
    checkShape(what, type, got.isFile, uri);
    return this.snapshotOf(workspace, got.entries, uri, got.isFile);
  }

  private async fromJobOutput(workspace: string, what: string, type: AssetType, jobName: string, output: string): Promise<Content> {
    const job = await this.d.store.jobs.getByName(workspace, jobName);
    if (!job) throw new CairnError('ValidationError', `${what}: job '${jobName}' does not exist`);
    if (job.kind === 'pipeline') return this.fromPipelineOutput(workspace, what, type, job, output);
    if (job.status !== 'Completed') throw new CairnError('ValidationError', `${what}: job '${jobName}' is ${job.status}; its outputs can be read once it has completed`);
    const spec = JSON.parse(job.spec) as { outputs?: Record<string, unknown> };
    if (!spec.outputs || !(output in spec.outputs)) throw new CairnError('ValidationError', `${what}: job '${jobName}' has no output '${output}'${spec.outputs ? ` (it has: ${Object.keys(spec.outputs).join(', ')})` : ''}`);
    // A pipeline step that was reused made no files: the job it was reused from holds its outputs.
    const from = stepFacts(job)?.reused_from;
    const holder = from ? ((await this.d.store.jobs.getByName(workspace, from)) ?? job) : job;
    const entries = await this.artifactEntries(holder.id, `outputs/${output}`);
    const uri = `azureml://jobs/${jobName}/outputs/${output}`;
    const isFile = type === 'uri_file' || (entries.length === 1 && entries[0].path === '');
    if (type === 'uri_file' && entries.length !== 1) throw new CairnError('ValidationError', `${what} is uri_file, but job '${jobName}' wrote ${entries.length} files to output '${output}'`);
    const c = await this.snapshotOf(workspace, entries.map((e) => (isFile ? { ...e, path: e.path === '' ? output : e.path.split('/').pop()! } : e)), uri, isFile);
    return { ...c, job_id: holder.id };
  }

  /** A pipeline's output is the output of the step bound to it, read once that step completed. */
  private async fromPipelineOutput(workspace: string, what: string, type: AssetType, pipeline: JobRow, output: string): Promise<Content> {
    const out = (await pipelineView(this.d.store, pipeline)).outputs.find((o) => o.name === output);
    const declared = Object.keys(storedPipeline(pipeline).outputs_from);
    if (!out) throw new CairnError('ValidationError', `${what}: pipeline '${pipeline.name}' has no output '${output}'${declared.length ? ` (it has: ${declared.join(', ')})` : ' (it has none)'}`);
    if (!out.job_name) throw new CairnError('ValidationError', `${what}: pipeline '${pipeline.name}' has not made output '${output}' yet: step '${out.step}' has not completed`);
    const c = await this.fromJobOutput(workspace, what, type, out.job_name, out.output);
    return { ...c, uri: `azureml://jobs/${pipeline.name}/outputs/${output}` };
  }

  private async fromRun(workspace: string, what: string, type: AssetType, runId: string, path: string): Promise<Content> {
    const run = await this.d.store.runs.run(runId);
    if (!run || run.lifecycle_stage === 'deleted') throw new CairnError('ValidationError', `${what}: MLflow run '${runId}' does not exist`);
    const entries = await this.artifactEntries(runId, path);
    if (!entries.length) throw new CairnError('ValidationError', `${what}: run '${runId}' has no artifacts under '${path || '/'}'`);
    const isFile = entries.length === 1 && entries[0].path === '';
    checkShape(what, type, isFile, `runs:/${runId}/${path}`);
    const c = await this.snapshotOf(workspace, isFile ? [{ ...entries[0], path: path.split('/').pop() || 'model' }] : entries, `runs:/${runId}/${path}`, isFile);
    return { ...c, run_id: runId, ...(run.job_id ? { job_id: run.job_id } : {}) };
  }

  /** An http(s) source of an asset: fetched once by the server, kept as content. (Job inputs leave URLs to their node.) */
  private async fromUrl(workspace: string, what: string, type: AssetType, url: string): Promise<Content> {
    if (type !== 'uri_file') throw new CairnError('ValidationError', `${what}: an http(s) URL is one file; use type uri_file (or register the folder in a datastore)`);
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    } catch (err) {
      throw new CairnError('ValidationError', `${what}: ${url} could not be fetched: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) throw new CairnError('ValidationError', `${what}: ${url} answered ${res.status}`);
    const { sha256, size } = await this.d.blobs.putStream(Readable.fromWeb(res.body as any), { maxBytes: this.d.maxBlobBytes });
    const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || 'download';
    return this.snapshotOf(workspace, [{ path: name, mode: 0o644, size, sha256 }], url, true);
  }

  /** The files a run (or job) holds under a prefix, as entries relative to it ('' when the prefix is one file). */
  async artifactEntries(runId: string, prefix: string): Promise<ManifestEntry[]> {
    return entriesUnder(await this.d.store.resources.artifacts(runId), prefix);
  }

  private async snapshotOf(workspace: string, entries: ManifestEntry[], uri: string, isFile: boolean): Promise<Content> {
    const snap = await this.d.snapshots.createData(workspace, entries);
    return { snapshot_id: snap.id, ...(isFile && entries[0] ? { file: entries[0].path } : {}), file_count: snap.file_count, total_size: snap.total_size, uri };
  }
}

/** Artifact rows under a prefix, as entries relative to it ('' when the prefix is one file). */
export function entriesUnder(rows: { path: string; size: number | bigint; sha256: string }[], prefix: string): ManifestEntry[] {
  const clean = prefix.replace(/^\/+|\/+$/g, '');
  const out: ManifestEntry[] = [];
  for (const r of rows) {
    if (clean && r.path === clean) out.push({ path: '', mode: 0o644, size: Number(r.size), sha256: r.sha256 });
    else if (!clean || r.path.startsWith(`${clean}/`)) out.push({ path: clean ? r.path.slice(clean.length + 1) : r.path, mode: 0o644, size: Number(r.size), sha256: r.sha256 });
  }
  return out;
}

function checkShape(what: string, type: AssetType, isFile: boolean, uri: string): void {
  if (type === 'uri_file' && !isFile) throw new CairnError('ValidationError', `${what} is uri_file, but ${uri} is a folder (use uri_folder)`);
  if (type !== 'uri_file' && isFile) throw new CairnError('ValidationError', `${what} is ${type}, but ${uri} is a single file (use uri_file)`);
}

/** What makes two versions the same: their type and content. */
export const contentKey = (type: string, snapshotId: string, file?: string | null): string => createHash('sha256').update(`${type}\n${snapshotId}\n${file ?? ''}`).digest('hex');
