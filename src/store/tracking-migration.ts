import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './dialects.ts';

/**
 * MLflow's entities: experiments, runs (a job is a run with the job's id), params, tags, and
 * metrics stored as chunks of packed points per (run, key) series, which is what makes a
 * million-point series cheap to write and to read back.
 */
export function trackingMigration(dialect: Dialect): Migration {
  const pg = dialect === 'postgres';
  const int64 = pg ? 'bigint' : 'integer';
  const double = pg ? 'double precision' : 'real';
  const bytes = pg ? 'bytea' : 'blob';
  const serial = pg ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('experiments')
        .addColumn('id', serial, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('artifact_location', 'text', (c) => c.notNull())
        .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
        .addColumn('creation_time', int64, (c) => c.notNull())
        .addColumn('last_update_time', int64, (c) => c.notNull())
        .addUniqueConstraint('experiments_workspace_name', ['workspace', 'name'])
        .execute();
      // MLflow's experiment 0, where runs go when a script names none.
      const now = Date.now();
      await db
        .insertInto('experiments')
        .values({ id: 0, workspace: 'default', name: 'Default', artifact_location: 'mlflow-artifacts:/0', lifecycle_stage: 'active', creation_time: now, last_update_time: now })
        .execute();
      await db.schema
        .createTable('experiment_tags')
        .addColumn('experiment_id', int64, (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
        .execute();
      await db.schema
        .createTable('runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('experiment_id', int64, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('start_time', int64, (c) => c.notNull())
        .addColumn('end_time', int64)
        .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
        .addColumn('deleted_time', int64)
        .addColumn('job_id', 'text')
        .addColumn('created_by_job', 'text')
        .execute();
      await db.schema.createIndex('runs_experiment').on('runs').columns(['experiment_id', 'start_time']).execute();
      for (const t of ['run_params', 'run_tags']) {
        await db.schema
          .createTable(t)
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${t}_pk`, ['run_id', 'key'])
          .execute();
      }
      await db.schema
        .createTable('metric_series')
        .addColumn('id', serial, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('count', int64, (c) => c.notNull())
        .addColumn('small_chunks', 'integer', (c) => c.notNull())
        .addColumn('last_step', int64, (c) => c.notNull())
        .addColumn('last_ts', int64, (c) => c.notNull())
        .addColumn('last_value', double)
        .addUniqueConstraint('metric_series_run_key', ['run_id', 'key'])
        .execute();
      await db.schema.createIndex('metric_series_small').on('metric_series').column('small_chunks').execute();
      // One row per appended batch of one series; `data` packs [step, timestamp, value] as float64.
      await db.schema
        .createTable('metric_chunks')
        .addColumn('series_id', int64, (c) => c.notNull())
        .addColumn('start_index', int64, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('min_step', int64, (c) => c.notNull())
        .addColumn('max_step', int64, (c) => c.notNull())
        .addColumn('data', bytes, (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_chunks_pk', ['series_id', 'start_index'])
        .execute();
      // Covers the chunk heads, so finding the chunks of a range never touches their packed data.
      await db.schema.createIndex('metric_chunks_heads').on('metric_chunks').columns(['series_id', 'start_index', 'count', 'min_step', 'max_step']).execute();
      // Digests of recently stored batches: a client retrying a batch whose answer it lost stores nothing twice.
      await db.schema
        .createTable('metric_batches')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('created_ms', int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_batches_pk', ['run_id', 'digest'])
        .execute();
      await db.schema.createIndex('metric_batches_age').on('metric_batches').column('created_ms').execute();
      if (pg) await sql`SELECT setval(pg_get_serial_sequence('experiments', 'id'), 1, false)`.execute(db);
    },
  };
}
