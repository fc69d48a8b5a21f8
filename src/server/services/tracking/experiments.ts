import { MlflowError, invalidParam } from '../../../protocol/mlflow/errors.ts';
import type { Experiment } from '../../../protocol/mlflow/entities.ts';
import { LIMITS } from '../../../protocol/mlflow/validation.ts';
import { isUniqueViolation, type Store, type Db } from '../../../store/index.ts';
import { RunsRepo, type ExperimentRow } from '../../../store/runs.ts';
import { searchExperiments } from '../../../tracking/search/index.ts';
import { experimentLocationOf, toExperiment } from './views.ts';
import type { Scope } from './runs.ts';

/** MLflow's experiments. The MLflow API has no workspaces, so it works in one (the default). */
export class ExperimentsService {
  private readonly store: Store;
  readonly workspace: string;
  constructor(store: Store, workspace: string) {
    this.store = store;
    this.workspace = workspace;
  }

  async create(name: string, tags: { key: string; value: string }[]): Promise<string> {
    checkName(name);
    for (const t of tags) checkExperimentTag(t.key, t.value);
    try {
      return await this.store.transaction(async (trx) => {
        const repo = this.store.runs.with(trx);
        const id = await repo.createExperiment(this.workspace, name, experimentLocationOf, Date.now());
        for (const t of tags) await repo.setExperimentTag(id, t.key, t.value);
        return String(id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists.`);
      throw err;
    }
  }

  async row(id: string): Promise<ExperimentRow> {
    const n = /^\d{1,15}$/.test(id) ? Number(id) : NaN;
    const row = Number.isNaN(n) ? undefined : await this.store.runs.experimentById(n);
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    return row;
  }

  async get(id: string): Promise<Experiment> {
    const row = await this.row(id);
    return toExperiment(row, (await this.store.runs.experimentTags([row.id])).get(row.id));
  }

  async getByName(name: string): Promise<Experiment> {
    const row = await this.store.runs.experimentByName(this.workspace, name);
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
    return toExperiment(row, (await this.store.runs.experimentTags([row.id])).get(row.id));
  }

  async setTag(scope: Scope, id: string, key: string, value: string): Promise<void> {
    refuseJobs(scope, 'tag');
    const row = await this.row(id);
    checkExperimentTag(key, value);
    await this.store.runs.setExperimentTag(row.id, key, value);
  }

  async setLifecycle(scope: Scope, id: string, stage: 'active' | 'deleted'): Promise<void> {
    refuseJobs(scope, stage === 'deleted' ? 'delete' : 'restore');
    const row = await this.row(id);
    if (row.id === 0 && stage === 'deleted') throw invalidParam('Cannot delete the default experiment \'0\'. This is a reserved experiment for default runs.');
    await this.store.runs.updateExperiment(row.id, { lifecycle_stage: stage, last_update_time: Date.now() });
  }

  async rename(scope: Scope, id: string, newName: string): Promise<void> {
    refuseJobs(scope, 'rename');
    const row = await this.row(id);
    checkName(newName);
    if (row.lifecycle_stage !== 'active') throw invalidParam(`Cannot rename a non-active experiment ${id}.`);
    try {
      await this.store.runs.updateExperiment(row.id, { name: newName, last_update_time: Date.now() });
    } catch (err) {
      if (isUniqueViolation(err)) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${newName}) already exists.`);
      throw err;
    }
  }

  async search(o: { filter?: string; orderBy?: string[]; maxResults: number; pageToken?: string; viewType?: string }) {
    const rows = await this.store.runs.experiments(this.workspace);
    const tags = await this.store.runs.experimentTags(rows.map((r) => r.id));
    const views = rows.map((r) => ({
      experiment_id: String(r.id),
      name: r.name,
      lifecycle_stage: r.lifecycle_stage as 'active' | 'deleted',
      creation_time: Number(r.creation_time),
      last_update_time: Number(r.last_update_time),
      tags: tags.get(r.id) ?? {},
    }));
    const found = searchExperiments(views, { ...o, viewType: viewTypeOf(o.viewType) });
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return {
      experiments: found.experiments.map((e) => toExperiment(byId.get(e.experiment_id)!, e.tags)),
      nextPageToken: found.nextPageToken,
    };
  }
}

/** The experiment a job's run belongs to, made on first use (inside the job's create transaction). */
export async function ensureExperiment(db: Db, workspace: string, name: string): Promise<number> {
  const repo = new RunsRepo(db);
  const found = await repo.experimentByName(workspace, name);
  if (found) return Number(found.id);
  return repo.createExperiment(workspace, name, experimentLocationOf, Date.now());
}

/** A job may make experiments (for nested runs) but not change the workspace's existing ones. */
function refuseJobs(scope: Scope, what: string): void {
  if (scope.jobId) throw new MlflowError('PERMISSION_DENIED', `a job token cannot ${what} experiments; it writes only to its own runs`);
}

export function viewTypeOf(v: string | undefined): 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' {
  if (v === undefined || v === '' || v === 'ACTIVE_ONLY' || v === '1') return 'ACTIVE_ONLY';
  if (v === 'DELETED_ONLY' || v === '2') return 'DELETED_ONLY';
  if (v === 'ALL' || v === '3') return 'ALL';
  throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter 'view_type' supplied. It must be one of ACTIVE_ONLY, DELETED_ONLY, ALL`);
}

function checkName(name: string): void {
  if (!name.trim()) throw invalidParam('Invalid experiment name: \'\'. Experiment name cannot be empty.');
  if (name.length > LIMITS.experimentName) throw invalidParam(`'name' exceeds the maximum length of ${LIMITS.experimentName} characters`);
}

function checkExperimentTag(key: string, value: string): void {
  if (key.length > LIMITS.keyLength) throw invalidParam(`'Tag key' exceeds the maximum length of ${LIMITS.keyLength} characters`);
  if (value.length > LIMITS.experimentTagValue) throw invalidParam(`'Tag value' exceeds the maximum length of ${LIMITS.experimentTagValue} characters`);
}
