import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database, LoggedModelsTable, RunInputsTable, RunModelLinksTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type LoggedModelRow = Selectable<LoggedModelsTable>;
export type RunInputRow = Selectable<RunInputsTable>;
export type RunModelLinkRow = Selectable<RunModelLinksTable>;

/** Bound on the ids of one `IN (...)`: both dialects take it, and a search page of runs stays one query each. */
const CHUNK = 500;

/**
 * What MLflow logs about models and data around a run: dataset inputs (log-inputs), MLflow 3
 * logged models, and the links between runs and logged models (runs/outputs).
 */
export class LoggedModelsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  with(db: Db): LoggedModelsRepo {
    return new LoggedModelsRepo(db);
  }

  // --- dataset inputs ----------------------------------------------------------------------------

  /** The (name, digest) pairs a run already has as inputs: MLflow keeps the first of each. */
  async inputKeys(runId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('run_inputs').select(['name', 'digest']).where('run_id', '=', runId).execute();
    return new Set(rows.map((r) => inputKey(r.name, r.digest)));
  }

  async putInputs(rows: Insertable<RunInputsTable>[]): Promise<void> {
    if (rows.length) await this.db.insertInto('run_inputs').values(rows).onConflict((oc) => oc.columns(['run_id', 'name', 'digest', 'context']).doNothing()).execute();
  }

  /** Inputs of many runs, each run's in logging order. */
  async inputsOf(runIds: string[]): Promise<Map<string, RunInputRow[]>> {
    const out = new Map<string, RunInputRow[]>();
    for (let i = 0; i < runIds.length; i += CHUNK) {
      const rows = await this.db.selectFrom('run_inputs').selectAll().where('run_id', 'in', runIds.slice(i, i + CHUNK)).orderBy('created_ms').orderBy('name').orderBy('digest').execute();
      groupInto(out, rows);
    }
    return out;
  }

  // --- links between runs and logged models -------------------------------------------------------

  async putLinks(rows: Insertable<RunModelLinksTable>[]): Promise<void> {
    if (rows.length) await this.db.insertInto('run_model_links').values(rows).onConflict((oc) => oc.columns(['run_id', 'direction', 'model_id', 'step']).doNothing()).execute();
  }

  async linksOf(runIds: string[]): Promise<Map<string, RunModelLinkRow[]>> {
    const out = new Map<string, RunModelLinkRow[]>();
    for (let i = 0; i < runIds.length; i += CHUNK) {
      const rows = await this.db.selectFrom('run_model_links').selectAll().where('run_id', 'in', runIds.slice(i, i + CHUNK)).orderBy('direction').orderBy('step').orderBy('model_id').execute();
      groupInto(out, rows);
    }
    return out;
  }

  // --- logged models -------------------------------------------------------------------------------

  async insert(row: Insertable<LoggedModelsTable>): Promise<void> {
    await this.db.insertInto('logged_models').values(row).execute();
  }

  get(modelId: string): Promise<LoggedModelRow | undefined> {
    return this.db.selectFrom('logged_models').selectAll().where('model_id', '=', modelId).executeTakeFirst();
  }

  async update(modelId: string, set: Partial<Pick<LoggedModelRow, 'status' | 'lifecycle_stage' | 'updated_ms' | 'params' | 'tags' | 'metrics'>>): Promise<void> {
    await this.db.updateTable('logged_models').set(set).where('model_id', '=', modelId).execute();
  }

  /** The active logged models of some experiments (a search filters and orders them itself). */
  async ofExperiments(workspace: string, experimentIds: string[]): Promise<LoggedModelRow[]> {
    if (!experimentIds.length) return [];
    return this.db
      .selectFrom('logged_models')
      .selectAll()
      .where('workspace', '=', workspace)
      .where('experiment_id', 'in', experimentIds)
      .where('lifecycle_stage', '=', 'active')
      .execute();
  }

  /** The active logged models a run produced with a given name (newest first). */
  bySourceRun(runId: string, name: string): Promise<LoggedModelRow[]> {
    return this.db
      .selectFrom('logged_models')
      .selectAll()
      .where('source_run_id', '=', runId)
      .where('name', '=', name)
      .where('lifecycle_stage', '=', 'active')
      .orderBy('creation_ms', 'desc')
      .execute();
  }
}

/** Appends rows to their run's list, keeping their order. */
function groupInto<R extends { run_id: string }>(out: Map<string, R[]>, rows: R[]): void {
  for (const r of rows) {
    const list = out.get(r.run_id);
    if (list) list.push(r);
    else out.set(r.run_id, [r]);
  }
}

export const inputKey = (name: string, digest: string) => `${name}\n${digest}`;
