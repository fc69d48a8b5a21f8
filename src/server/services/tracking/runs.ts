import { createHash, randomUUID } from 'node:crypto';
import { MlflowError, invalidParam } from '../../../protocol/mlflow/errors.ts';
import type { Run, RunInfo } from '../../../protocol/mlflow/entities.ts';
import type { KeyValueIn, LogBatchIn } from '../../../protocol/mlflow/validation.ts';
import type { Store } from '../../../store/index.ts';
import type { RunRow } from '../../../store/runs.ts';
import type { LatestMetric, RunGuardRow } from '../../../store/metrics.ts';
import { searchRuns, type RunView } from '../../../tracking/search/index.ts';
import { generateNames } from '../names.ts';
import type { ExperimentsService } from './experiments.ts';
import { viewTypeOf } from './experiments.ts';
import { artifactUriOf, toRun, toRunInfo } from './views.ts';
import { addRunIo } from './run-io.ts';

/** Who is asking: a user, or a job through its job token (which may write only to its own runs). */
export interface Scope {
  jobId?: string;
  /** The attempt of that job the token was issued for: its points are recorded as that attempt's. */
  attempt?: number;
}

const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const TERMINAL = ['FINISHED', 'FAILED', 'KILLED'];

/** MLflow's runs. A job is a run whose id is the job's id; its status follows the job. */
export class RunsService {
  private readonly store: Store;
  private readonly experiments: ExperimentsService;
  constructor(store: Store, experiments: ExperimentsService) {
    this.store = store;
    this.experiments = experiments;
  }

  async create(scope: Scope, r: { experimentId?: string; userId?: string; runName?: string; startTime?: number; tags: KeyValueIn[] }): Promise<Run> {
    const exp = await this.experiments.row(r.experimentId ?? '0');
    if (exp.lifecycle_stage !== 'active') throw invalidParam(`The experiment ${exp.id} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`);
    const tagName = r.tags.find((t) => t.key === 'mlflow.runName')?.value;
    const name = r.runName || tagName || generateNames().display_name.replace('_', '-');
    const tags = [...r.tags.filter((t) => t.key !== 'mlflow.runName'), { key: 'mlflow.runName', value: name }];
    const row: RunRow = {
      run_id: randomUUID().replace(/-/g, ''),
      experiment_id: Number(exp.id),
      name,
      user_id: r.userId ?? tags.find((t) => t.key === 'mlflow.user')?.value ?? '',
      status: 'RUNNING',
      start_time: r.startTime ?? Date.now(),
      end_time: null,
      lifecycle_stage: 'active',
      deleted_time: null,
      job_id: null,
      created_by_job: scope.jobId ?? null,
    };
    await this.store.transaction((trx) => this.store.runs.with(trx).insertRun(row, tags));
    return toRun(row, {}, Object.fromEntries(tags.map((t) => [t.key, t.value])), []);
  }

  /** The workspace MLflow's API works in (it has none of its own). */
  get workspace(): string {
    return this.experiments.workspace;
  }

  /** A run by id; a job's name is accepted too, as Azure ML's run ids are job names. */
  async row(runId: string): Promise<RunRow> {
    const row = (await this.store.runs.run(runId)) ?? (await this.byJobName(runId));
    if (!row) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return row;
  }

  private async byJobName(name: string): Promise<RunRow | undefined> {
    const job = await this.store.jobs.getByName(this.experiments.workspace, name);
    return job ? this.store.runs.run(job.id) : undefined;
  }

  /** Reading is open to every caller of the workspace, jobs included (a script may compare with earlier runs). */
  readable(_scope: Scope, runId: string): Promise<RunRow> {
    return this.row(runId);
  }

  /**
   * A run whose files a caller may read: anyone's for a user; for a job, only its own runs (it may
   * compare with other runs' metrics, but their artifacts are theirs).
   */
  async artifactsReadable(scope: Scope, runId: string): Promise<RunRow> {
    const row = await this.row(runId);
    if (scope.jobId && row.job_id !== scope.jobId && row.created_by_job !== scope.jobId) {
      throw new MlflowError('PERMISSION_DENIED', `a job token can only read its own runs' artifacts; run ${row.run_id} is not one of them`);
    }
    return row;
  }

  /** The run, checked for writing: a job writes only to its own runs, and nobody to a deleted run. */
  async writable(scope: Scope, runId: string): Promise<RunRow> {
    const row = await this.row(runId);
    checkWrite(scope, row);
    return row;
  }

  async get(scope: Scope, runId: string): Promise<Run> {
    const row = await this.readable(scope, runId);
    const d = await this.data(row.run_id);
    return (await addRunIo(this.store, [toRun(row, d.params, d.tags, d.metrics)]))[0];
  }

  /** A run's params, tags and the latest value of each metric. */
  async data(runId: string): Promise<{ params: Record<string, string>; tags: Record<string, string>; metrics: LatestMetric[] }> {
    const [params, tags, metrics] = await Promise.all([this.store.runs.params([runId]), this.store.runs.tags([runId]), this.store.metrics.latest(runId)]);
    return { params: params.get(runId) ?? {}, tags: tags.get(runId) ?? {}, metrics };
  }

  async update(scope: Scope, runId: string, u: { status?: string; endTime?: number; runName?: string }): Promise<RunInfo> {
    const row = await this.writable(scope, runId);
    if (u.status !== undefined && !RUN_STATUSES.includes(u.status)) {
      throw invalidParam(`Invalid value ${JSON.stringify(u.status)} for parameter 'status' supplied. It must be one of ${RUN_STATUSES.join(', ')}`);
    }
    const set: Partial<RunRow> = {};
    // A job's run follows the job: the script saying FINISHED does not end the job.
    if (!row.job_id && u.status) {
      set.status = u.status;
      if (TERMINAL.includes(u.status)) set.end_time = u.endTime ?? Date.now();
      else set.end_time = null;
    } else if (!row.job_id && u.endTime !== undefined) set.end_time = u.endTime;
    if (u.runName) set.name = u.runName;
    if (Object.keys(set).length) await this.store.runs.updateRun(row.run_id, set);
    if (u.runName) await this.store.metrics.writeBatch({ runId: row.run_id, metrics: [], params: [], tags: [{ key: 'mlflow.runName', value: u.runName }] });
    return toRunInfo({ ...row, ...set });
  }

  async setLifecycle(scope: Scope, runId: string, stage: 'active' | 'deleted'): Promise<void> {
    const row = await this.row(runId);
    if (scope.jobId && row.job_id !== scope.jobId && row.created_by_job !== scope.jobId) {
      throw new MlflowError('PERMISSION_DENIED', `a job token can only change its own job's runs; run ${runId} is not one of them`);
    }
    await this.store.runs.updateRun(row.run_id, { lifecycle_stage: stage, deleted_time: stage === 'deleted' ? Date.now() : null });
  }

  /** Every log call ends here: params, tags and metric points of one run, in one transaction. */
  async logBatch(scope: Scope, b: LogBatchIn, rawBody?: string): Promise<void> {
    // A client that lost the answer sends the same bytes again; their digest makes the retry a no-op.
    const digest = rawBody && b.metrics.length ? createHash('sha1').update(rawBody).digest('base64') : undefined;
    const attempt = scope.jobId && scope.attempt !== undefined ? { jobId: scope.jobId, number: scope.attempt } : undefined;
    const write = (runId: string) =>
      this.store.metrics.writeBatch({ runId, metrics: b.metrics, params: b.params, tags: b.tags, digest, attempt, guard: (run) => checkWrite(scope, run) });
    let r = await write(b.runId);
    // Not a run id: perhaps a job's name, which Azure ML users know as the run id.
    if (!r.ok && 'noSuchRun' in r) r = await write((await this.row(b.runId)).run_id);
    if (!r.ok && 'paramConflict' in r) {
      const c = r.paramConflict;
      throw invalidParam(
        `Changing param values is not allowed. Param with key='${c.key}' was already logged with value='${c.old}' for run ID='${b.runId}'. Attempted logging new value '${c.new}'.`,
      );
    }
  }

  async deleteTag(scope: Scope, runId: string, key: string): Promise<void> {
    const row = await this.writable(scope, runId);
    if ((await this.store.runs.deleteTag(row.run_id, key)) === 0) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No tag with name: ${key} in run with id ${row.run_id}`);
    }
  }

  /** Points as [step, timestamp, value] triples in logging order. */
  async history(scope: Scope, runId: string, key: string, offset: number, limit: number): Promise<{ points: Float64Array; nextOffset?: number }> {
    const row = await this.readable(scope, runId);
    const { points, total } = await this.store.metrics.history(row.run_id, key, offset, limit);
    const next = offset + points.length / 3;
    return { points, nextOffset: next < total ? next : undefined };
  }

  async search(o: { experimentIds: string[]; filter?: string; orderBy?: string[]; maxResults: number; pageToken?: string; viewType?: string }) {
    // Like MLflow's database store, an experiment that does not exist simply has no runs.
    const ids = o.experimentIds.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
    const rows = await this.store.runs.runsOfExperiments(ids);
    const runIds = rows.map((r) => r.run_id);
    const [params, tags, metrics] = await Promise.all([this.store.runs.params(runIds), this.store.runs.tags(runIds), this.store.metrics.latestOfRuns(runIds)]);
    const views: RunView[] = rows.map((r) => ({
      run_id: r.run_id,
      run_name: r.name,
      experiment_id: String(r.experiment_id),
      user_id: r.user_id,
      status: r.status,
      start_time: Number(r.start_time),
      end_time: r.end_time === null ? null : Number(r.end_time),
      artifact_uri: artifactUriOf(r.experiment_id, r.run_id),
      lifecycle_stage: r.lifecycle_stage as RunView['lifecycle_stage'],
      params: params.get(r.run_id) ?? {},
      tags: tags.get(r.run_id) ?? {},
      metrics: Object.fromEntries((metrics.get(r.run_id) ?? []).map((m) => [m.key, m.value])),
    }));
    const found = searchRuns(views, { filter: o.filter, orderBy: o.orderBy, maxResults: o.maxResults, pageToken: o.pageToken, viewType: viewTypeOf(o.viewType) });
    const byId = new Map(rows.map((r) => [r.run_id, r]));
    const runs: Run[] = [];
    for (const v of found.runs) runs.push(toRun(byId.get(v.run_id)!, v.params, v.tags, metrics.get(v.run_id) ?? []));
    return { runs: await addRunIo(this.store, runs), nextPageToken: found.nextPageToken };
  }
}

function checkWrite(scope: Scope, run: RunGuardRow): void {
  if (scope.jobId && run.job_id !== scope.jobId && run.created_by_job !== scope.jobId) {
    throw new MlflowError('PERMISSION_DENIED', `a job token can only write to its own job's runs; run ${run.run_id} is not one of them`);
  }
  if (run.lifecycle_stage !== 'active') throw invalidParam(`The run ${run.run_id} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`);
}
