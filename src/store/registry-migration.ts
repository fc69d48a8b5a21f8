import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './dialects.ts';

/**
 * What MLflow's model logging and registry need beyond the data migration:
 * - who may write a logged model: the job whose token made it (a job writes only its own);
 * - when a run's dataset input was logged, so runs/get lists them in logging order;
 * - the links between runs and MLflow 3 logged models (runs/outputs, and log-inputs' models).
 * A registered model is an asset container and a version an asset version: their tags,
 * description, stage and source (the version's path) already have columns there.
 */
export function registryMigration(dialect: Dialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('logged_models').addColumn('created_by_job', 'text').execute();
      await db.schema.alterTable('run_inputs').addColumn('created_ms', int64, (c) => c.notNull().defaultTo(0)).execute();
      await db.schema
        .createTable('run_model_links')
        .addColumn('run_id', 'text', (c) => c.notNull())
        // 'input' (log-inputs' models) or 'output' (runs/outputs).
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('step', int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_model_links_pk', ['run_id', 'direction', 'model_id', 'step'])
        .execute();
      await db.schema.createIndex('logged_models_source_run').on('logged_models').column('source_run_id').execute();
    },
  };
}
