import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database, ExperimentsTable, RunsTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type ExperimentRow = Selectable<ExperimentsTable>;
export type RunRow = Selectable<RunsTable>;

/** A job's status as the MLflow run status its run shows. */
export function runStatusOfJob(status: string): string {
  switch (status) {
    case 'Queued':
    case 'Provisioning':
    case 'Preparing':
      return 'SCHEDULED';
    case 'Completed':
      return 'FINISHED';
    case 'Failed':
      return 'FAILED';
    case 'Canceled':
      return 'KILLED';
    default:
      return 'RUNNING';
  }
}

/** Experiments and runs (MLflow's entities); metric points live in MetricsRepo. */
export class RunsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  with(trx: Db): RunsRepo {
    return new RunsRepo(trx);
  }

  /** Inserts an experiment and returns its id; its artifact location needs the id, so it is set after. */
  async createExperiment(workspace: string, name: string, location: (id: number) => string, now: number): Promise<number> {
    const r = await this.db
      .insertInto('experiments')
      .values({ workspace, name, artifact_location: '', lifecycle_stage: 'active', creation_time: now, last_update_time: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(r.id);
    await this.db.updateTable('experiments').set({ artifact_location: location(id) }).where('id', '=', id).execute();
    return id;
  }

  experimentById(id: number): Promise<ExperimentRow | undefined> {
    return this.db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  experimentByName(workspace: string, name: string): Promise<ExperimentRow | undefined> {
    return this.db.selectFrom('experiments').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
  }

  experiments(workspace: string): Promise<ExperimentRow[]> {
    return this.db.selectFrom('experiments').selectAll().where('workspace', '=', workspace).orderBy('id').execute();
  }

  async updateExperiment(id: number, set: Updateable<ExperimentsTable>): Promise<void> {
    await this.db.updateTable('experiments').set(set).where('id', '=', id).execute();
  }

  async setExperimentTag(id: number, key: string, value: string): Promise<void> {
    await this.db
      .insertInto('experiment_tags')
      .values({ experiment_id: id, key, value })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value }))
      .execute();
  }

  async experimentTags(ids: number[]): Promise<Map<number, Record<string, string>>> {
    const out = new Map<number, Record<string, string>>();
    if (!ids.length) return out;
    const rows = await this.db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', ids).execute();
    for (const r of rows) {
      const id = Number(r.experiment_id);
      out.set(id, { ...out.get(id), [r.key]: r.value });
    }
    return out;
  }

  async insertRun(row: Insertable<RunsTable>, tags: { key: string; value: string }[]): Promise<void> {
    await this.db.insertInto('runs').values(row).execute();
    if (tags.length) await this.db.insertInto('run_tags').values(tags.map((t) => ({ run_id: row.run_id, ...t }))).execute();
  }

  /** The experiment of each job's run, for many jobs at once (placement builds assignments in bulk). */
  async experimentsOfJobs(jobIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < jobIds.length; i += 500) {
      const rows = await this.db.selectFrom('runs').select(['job_id', 'experiment_id']).where('job_id', 'in', jobIds.slice(i, i + 500)).execute();
      for (const r of rows) if (r.job_id) out.set(r.job_id, Number(r.experiment_id));
    }
    return out;
  }

  run(runId: string): Promise<RunRow | undefined> {
    return this.db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  }

  runsOfExperiments(ids: number[]): Promise<RunRow[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.db.selectFrom('runs').selectAll().where('experiment_id', 'in', ids).execute();
  }

  async updateRun(runId: string, set: Updateable<RunsTable>): Promise<void> {
    await this.db.updateTable('runs').set(set).where('run_id', '=', runId).execute();
  }

  /** A job's run follows the job: called inside the job's status transition. */
  async followJob(jobId: string, jobStatus: string, endTimeMs: number | null): Promise<void> {
    const set: Updateable<RunsTable> = { status: runStatusOfJob(jobStatus) };
    if (endTimeMs !== null) set.end_time = endTimeMs;
    await this.db.updateTable('runs').set(set).where('job_id', '=', jobId).execute();
  }

  async params(runIds: string[]): Promise<Map<string, Record<string, string>>> {
    return this.keyValues('run_params', runIds);
  }

  async tags(runIds: string[]): Promise<Map<string, Record<string, string>>> {
    return this.keyValues('run_tags', runIds);
  }

  async deleteTag(runId: string, key: string): Promise<number> {
    const r = await this.db.deleteFrom('run_tags').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private async keyValues(table: 'run_params' | 'run_tags', runIds: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (let i = 0; i < runIds.length; i += 500) {
      const ids = runIds.slice(i, i + 500);
      const rows = await this.db.selectFrom(table).selectAll().where('run_id', 'in', ids).orderBy('key').execute();
      for (const r of rows) {
        let m = out.get(r.run_id);
        if (!m) out.set(r.run_id, (m = {}));
        m[r.key] = r.value;
      }
    }
    return out;
  }
}
