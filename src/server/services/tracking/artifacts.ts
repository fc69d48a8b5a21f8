import type { Readable } from 'node:stream';
import { checkRelativePath } from '../../../protocol/paths.ts';
import { invalidParam, MlflowError } from '../../../protocol/mlflow/errors.ts';
import type { FileInfo } from '../../../protocol/mlflow/entities.ts';
import type { Store } from '../../../store/index.ts';
import type { ArtifactRow } from '../../../store/resources.ts';
import type { RunRow } from '../../../store/runs.ts';
import type { FsBlobs } from '../../blobs/fs-blobs.ts';
import type { RunsService, Scope } from './runs.ts';

/**
 * MLflow's artifact proxy over the job's artifact list: what the job wrote to outputs/ (stored
 * as `outputs/...` when the job ends) and what was logged through MLflow or the `cairn` module
 * share one tree per run, as in Azure ML.
 */
export class ArtifactsService {
  private readonly store: Store;
  private readonly blobs: FsBlobs;
  private readonly runs: RunsService;
  constructor(store: Store, blobs: FsBlobs, runs: RunsService) {
    this.store = store;
    this.blobs = blobs;
    this.runs = runs;
  }

  async put(scope: Scope, proxied: string, body: Readable, maxBytes: number): Promise<void> {
    const { experimentId, runId, rel } = parseProxied(proxied);
    if (!rel) throw invalidParam('Invalid path: an artifact needs a file name');
    const run = sameExperiment(await this.runs.writable(scope, runId), experimentId);
    // A job's outputs/ is the folder its files are collected into when it ends: never a file.
    if (run.job_id && rel === 'outputs') throw invalidParam(`Invalid path 'outputs': in a job's run it is the folder of the job's outputs; log the file under outputs/ or another name`);
    // A path is a file or a folder, never both: the tree must download as a tree.
    for (const a of await this.store.resources.artifacts(run.run_id)) {
      if (rel.startsWith(`${a.path}/`)) throw invalidParam(`Invalid path '${rel}': '${a.path}' is a file, not a folder`);
      if (a.path.startsWith(`${rel}/`)) throw invalidParam(`Invalid path '${rel}': it is a folder holding '${a.path}'`);
    }
    const { sha256, size } = await this.blobs.putStream(body, { maxBytes });
    await this.store.resources.putArtifacts(run.run_id, [{ path: rel, size, sha256 }]);
  }

  /** MLflow's list: direct children by name; a file or a missing path answers no entries. */
  async list(scope: Scope, proxied: string): Promise<FileInfo[] | undefined> {
    const { experimentId, runId, rel } = parseProxied(proxied);
    const run = sameExperiment(await this.runs.artifactsReadable(scope, runId), experimentId);
    const prefix = rel ? `${rel}/` : '';
    const files: FileInfo[] = [];
    const dirs = new Set<string>();
    for (const a of await this.store.resources.artifacts(run.run_id)) {
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
    const { experimentId, runId, rel } = parseProxied(proxied);
    const run = sameExperiment(await this.runs.artifactsReadable(scope, runId), experimentId);
    const row = (await this.store.resources.artifacts(run.run_id)).find((a) => a.path === rel);
    // The real server answers a missing file with a 500, which the client retries for minutes.
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No artifact '${rel}' in run ${run.run_id}`);
    await this.blobs.check(row.sha256, { size: Number(row.size), what: `artifact '${rel}' of run ${run.run_id}` });
    return { row, stream: this.blobs.stream(row.sha256) };
  }

  async delete(scope: Scope, proxied: string): Promise<void> {
    const { experimentId, runId, rel } = parseProxied(proxied);
    const run = sameExperiment(await this.runs.writable(scope, runId), experimentId);
    await this.store.resources.deleteArtifacts(run.run_id, rel);
  }
}

/** The path's experiment must be the run's: a client that mixed them up would write where nobody looks. */
function sameExperiment(run: RunRow, experimentId: string): RunRow {
  if (String(run.experiment_id) !== experimentId) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run ${run.run_id} is in experiment ${run.experiment_id}, not ${experimentId}`);
  }
  return run;
}

/** `<experiment>/<run>/artifacts[/<path>]`, as the client builds it from the run's artifact URI. */
export function parseProxied(path: string): { experimentId: string; runId: string; rel: string } {
  const decoded = safeDecode(path).replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = decoded.split('/');
  if (parts.some((p) => p === '..' || p === '.') || decoded.includes('\\') || decoded.includes('\0')) throw invalidParam('Invalid path');
  if (parts.length < 3 || parts[2] !== 'artifacts' || !parts[0] || !parts[1]) {
    throw invalidParam(`Invalid path '${decoded}': artifact paths look like <experiment_id>/<run_id>/artifacts/<file>`);
  }
  const rel = parts.slice(3).filter(Boolean).join('/');
  if (rel) checkRelativePath(rel, 'artifact path');
  return { experimentId: parts[0], runId: parts[1], rel };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidParam('Invalid path');
  }
}
