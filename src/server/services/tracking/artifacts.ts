import type { Readable } from 'node:stream';
import { checkRelativePath } from '../../../protocol/paths.ts';
import { invalidParam, MlflowError } from '../../../protocol/mlflow/errors.ts';
import type { FileInfo } from '../../../protocol/mlflow/entities.ts';
import type { Store } from '../../../store/index.ts';
import type { ArtifactRow } from '../../../store/resources.ts';
import type { RunRow } from '../../../store/runs.ts';
import type { FsBlobs } from '../../blobs/fs-blobs.ts';
import type { RunsService, Scope } from './runs.ts';
import type { SnapshotsService } from '../snapshots.ts';
import { isLoggedModelId, loggedModelOf } from './logged-models.ts';

/**
 * MLflow's artifact proxy over the job's artifact list: what the job wrote to outputs/ (stored
 * as `outputs/...` when the job ends) and what was logged through MLflow or the `cairn` module
 * share one tree per run, as in Azure ML. An MLflow 3 logged model's files are a tree of their
 * own, under its id; a registered model version's files are its content snapshot, read-only.
 */
export class ArtifactsService {
  private readonly store: Store;
  private readonly blobs: FsBlobs;
  private readonly runs: RunsService;
  private readonly snapshots: SnapshotsService;
  constructor(store: Store, blobs: FsBlobs, runs: RunsService, snapshots: SnapshotsService) {
    this.store = store;
    this.blobs = blobs;
    this.runs = runs;
    this.snapshots = snapshots;
  }

  /** The artifacts-table key of a writable tree (a run's id, or a logged model's), checked for the caller. */
  private async writableTree(scope: Scope, t: Target): Promise<{ key: string; isJobRun: boolean }> {
    if (t.kind === 'version') throw invalidParam(`Invalid path: the files of model '${t.name}' version ${t.version} never change; register a new version instead`);
    if (t.kind === 'logged') {
      const m = await loggedModelOf(this.store, scope, t.modelId);
      sameModelExperiment(m.experiment_id, m.model_id, t.experimentId);
      return { key: m.model_id, isJobRun: false };
    }
    const run = sameExperiment(await this.runs.writable(scope, t.runId), t.experimentId);
    return { key: run.run_id, isJobRun: !!run.job_id };
  }

  /** The files of a tree the caller may read, as [path, size, sha256] rows. */
  private async readableFiles(scope: Scope, t: Target): Promise<{ owner: string; files: ArtifactRow[] }> {
    if (t.kind === 'run') {
      const run = sameExperiment(await this.runs.artifactsReadable(scope, t.runId), t.experimentId);
      return { owner: `run ${run.run_id}`, files: await this.store.resources.artifacts(run.run_id) };
    }
    if (t.kind === 'logged') {
      const m = await loggedModelOf(this.store, scope, t.modelId);
      sameModelExperiment(m.experiment_id, m.model_id, t.experimentId);
      return { owner: `logged model ${m.model_id}`, files: await this.store.resources.artifacts(m.model_id) };
    }
    // A registered version is the workspace's: any caller reads it, as a job reads a model input.
    const row = await this.store.assets.get(this.runs.workspace, 'model', t.name, t.version);
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Model Version (name=${t.name}, version=${t.version}) not found`);
    // The snapshot's kept entries: a download asks once per file.
    const files = (await this.snapshots.entries(row.snapshot_id)).filter((e) => e.link === undefined).map((e) => ({ job_id: '', path: e.path, size: e.size, sha256: e.sha256 }));
    return { owner: `model '${t.name}' version ${t.version}`, files };
  }

  async put(scope: Scope, proxied: string, body: Readable, maxBytes: number): Promise<void> {
    const t = parseProxied(proxied);
    const rel = t.rel;
    if (!rel) throw invalidParam('Invalid path: an artifact needs a file name');
    const tree = await this.writableTree(scope, t);
    // A job's outputs/ is the folder its files are collected into when it ends: never a file.
    if (tree.isJobRun && rel === 'outputs') throw invalidParam(`Invalid path 'outputs': in a job's run it is the folder of the job's outputs; log the file under outputs/ or another name`);
    // A path is a file or a folder, never both: the tree must download as a tree.
    for (const a of await this.store.resources.artifacts(tree.key)) {
      if (rel.startsWith(`${a.path}/`)) throw invalidParam(`Invalid path '${rel}': '${a.path}' is a file, not a folder`);
      if (a.path.startsWith(`${rel}/`)) throw invalidParam(`Invalid path '${rel}': it is a folder holding '${a.path}'`);
    }
    const { sha256, size } = await this.blobs.putStream(body, { maxBytes });
    await this.store.resources.putArtifacts(tree.key, [{ path: rel, size, sha256 }]);
  }

  /** MLflow's list: direct children by name; a file or a missing path answers no entries. */
  async list(scope: Scope, proxied: string): Promise<FileInfo[] | undefined> {
    const t = parseProxied(proxied);
    const prefix = t.rel ? `${t.rel}/` : '';
    const files: FileInfo[] = [];
    const dirs = new Set<string>();
    for (const a of (await this.readableFiles(scope, t)).files) {
      if (!a.path.startsWith(prefix)) continue;
      const rest = a.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) files.push({ path: rest, is_dir: false, file_size: Number(a.size) });
      else dirs.add(rest.slice(0, slash));
    }
    if (!files.length && !dirs.size) return undefined;
    return [...[...dirs].map((d) => ({ path: d, is_dir: true })), ...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async get(scope: Scope, proxied: string): Promise<{ row: ArtifactRow; stream: Readable }> {
    const t = parseProxied(proxied);
    const { owner, files } = await this.readableFiles(scope, t);
    const row = files.find((a) => a.path === t.rel);
    // The real server answers a missing file with a 500, which the client retries for minutes.
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No artifact '${t.rel}' in ${owner}`);
    await this.blobs.check(row.sha256, { size: Number(row.size), what: `artifact '${t.rel}' of ${owner}` });
    return { row, stream: this.blobs.stream(row.sha256) };
  }

  async delete(scope: Scope, proxied: string): Promise<void> {
    const t = parseProxied(proxied);
    const tree = await this.writableTree(scope, t);
    await this.store.resources.deleteArtifacts(tree.key, t.rel);
  }
}

function sameModelExperiment(actual: string, modelId: string, experimentId: string): void {
  if (actual !== experimentId) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Logged model ${modelId} is in experiment ${actual}, not ${experimentId}`);
}

/** The path's experiment must be the run's: a client that mixed them up would write where nobody looks. */
function sameExperiment(run: RunRow, experimentId: string): RunRow {
  if (String(run.experiment_id) !== experimentId) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run ${run.run_id} is in experiment ${run.experiment_id}, not ${experimentId}`);
  }
  return run;
}

/** What a proxied path names: a run's tree, a logged model's tree, or a registered version's files. */
export type Target =
  | { kind: 'run'; experimentId: string; runId: string; rel: string }
  | { kind: 'logged'; experimentId: string; modelId: string; rel: string }
  | { kind: 'version'; name: string; version: string; rel: string };

/**
 * `<experiment>/<run>/artifacts[/<path>]` as the client builds it from a run's artifact URI,
 * `<experiment>/models/<model_id>/artifacts[/<path>]` from a logged model's (MLflow 3), and
 * `models/<name>/<version>[/<path>]` from get-download-uri (experiment ids are numbers, so the
 * forms cannot be mistaken for one another).
 */
export function parseProxied(path: string): Target {
  const decoded = safeDecode(path).replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = decoded.split('/');
  if (parts.some((p) => p === '..' || p === '.') || decoded.includes('\\') || decoded.includes('\0')) throw invalidParam('Invalid path');
  const relFrom = (i: number) => {
    const rel = parts.slice(i).filter(Boolean).join('/');
    if (rel) checkRelativePath(rel, 'artifact path');
    return rel;
  };
  if (parts[0] === 'models' && parts[1] && parts[2]) return { kind: 'version', name: parts[1], version: parts[2], rel: relFrom(3) };
  if (parts[1] === 'models' && isLoggedModelId(parts[2] ?? '') && parts[3] === 'artifacts' && parts[0]) {
    return { kind: 'logged', experimentId: parts[0], modelId: parts[2], rel: relFrom(4) };
  }
  if (parts.length < 3 || parts[2] !== 'artifacts' || !parts[0] || !parts[1]) {
    throw invalidParam(`Invalid path '${decoded}': artifact paths look like <experiment_id>/<run_id>/artifacts/<file>`);
  }
  return { kind: 'run', experimentId: parts[0], runId: parts[1], rel: relFrom(3) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidParam('Invalid path');
  }
}
