import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './dialects.ts';

/**
 * Data and models, in one migration:
 * - datastores (their spec without secrets, the secrets sealed apart);
 * - asset containers (a data or model name: description, tags, and what MLflow's registered model keeps)
 *   and asset versions (immutable content: a snapshot, and for uri_file the file inside it);
 * - model aliases (MLflow's `@champion`);
 * - job inputs as resolved at submit (lineage: which versions a job read);
 * - what a datastore file's stamp hashed to (an import downloads only what changed);
 * - run dataset inputs (MLflow's log-inputs) and logged models (MLflow 3).
 */
export function dataMigration(dialect: Dialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      // A job's data inputs and outputs as resolved at submit (ResolvedInput[] / ResolvedOutput[], JSON).
      await db.schema.alterTable('jobs').addColumn('data', 'text').execute();
      await db.schema
        .createTable('datastores')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('secrets', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('datastores_pk', ['workspace', 'name'])
        .execute();
      await db.schema
        .createTable('asset_containers')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('created_ms', int64, (c) => c.notNull())
        .addColumn('updated_ms', int64, (c) => c.notNull())
        // The highest version number ever given: a deleted version's number is never given again (as MLflow).
        .addColumn('last_version', int64, (c) => c.notNull().defaultTo(0))
        // Who made the name: a job token may change only names and versions its job made.
        .addColumn('created_by', 'text', (c) => c.notNull().defaultTo(''))
        .addPrimaryKeyConstraint('asset_containers_pk', ['workspace', 'kind', 'name'])
        .execute();
      await db.schema
        .createTable('assets')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        // Numeric versions order as numbers ("10" after "9").
        .addColumn('version_num', int64)
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text', (c) => c.notNull())
        .addColumn('file', 'text')
        .addColumn('file_count', 'integer', (c) => c.notNull())
        .addColumn('total_size', int64, (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        // type + snapshot + file: the same content again answers with the existing version.
        .addColumn('content_key', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('properties', 'text')
        .addColumn('stage', 'text')
        .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('job_id', 'text')
        .addColumn('run_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_ms', int64, (c) => c.notNull())
        .addColumn('updated_ms', int64, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('assets_pk', ['workspace', 'kind', 'name', 'version'])
        .execute();
      await db.schema.createIndex('assets_content').on('assets').columns(['workspace', 'kind', 'name', 'content_key']).execute();
      await db.schema.createIndex('assets_job').on('assets').column('job_id').execute();
      await db.schema
        .createTable('model_aliases')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_aliases_pk', ['workspace', 'name', 'alias'])
        .execute();
      await db.schema
        .createTable('job_inputs')
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('uri', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text')
        .addColumn('asset_kind', 'text')
        .addColumn('asset_name', 'text')
        .addColumn('asset_version', 'text')
        .addPrimaryKeyConstraint('job_inputs_pk', ['job_id', 'name'])
        .execute();
      await db.schema.createIndex('job_inputs_asset').on('job_inputs').columns(['asset_kind', 'asset_name', 'asset_version']).execute();
      await db.schema
        .createTable('datastore_stamps')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('run_inputs')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('context', 'text', (c) => c.notNull())
        // The whole DatasetInput as MLflow sent it (dataset + tags), decoded through the protocol's schema.
        .addColumn('body', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_inputs_pk', ['run_id', 'name', 'digest', 'context'])
        .execute();
      await db.schema
        .createTable('logged_models')
        .addColumn('model_id', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('experiment_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('source_run_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('model_type', 'text')
        .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
        .addColumn('creation_ms', int64, (c) => c.notNull())
        .addColumn('updated_ms', int64, (c) => c.notNull())
        // params, tags and metrics as MLflow sent them (JSON), decoded through the protocol's schema.
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('metrics', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('logged_models_experiment').on('logged_models').columns(['experiment_id', 'name']).execute();
    },
  };
}
