import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { sweepMigration } from './sweep-migration.ts';
import { pipelineMigration } from './pipeline-migration.ts';
import { componentMigration } from './component-migration.ts';
import type { Dialect } from './dialects.ts';
import { trackingMigration } from './tracking-migration.ts';
import { poolsMigration } from './pools-migration.ts';
import { dataMigration } from './data-migration.ts';
import { registryMigration } from './registry-migration.ts';
import { batchMigration } from './batch-migration.ts';

/** Migrations are code, keyed by name; each takes the dialect for the few types that differ. */
function migrations(dialect: Dialect): Record<string, Migration> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_core': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('workspaces')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('computes')
          .addColumn('workspace', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('provisioning_state', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('computes_pk', ['workspace', 'name'])
          .execute();
        await db.schema
          .createTable('snapshots')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('workspace', 'text', (c) => c.notNull())
          .addColumn('file_count', 'integer', (c) => c.notNull())
          .addColumn('total_size', int64, (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('workspace', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('experiment_name', 'text', (c) => c.notNull())
          .addColumn('compute', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('status_reason', 'text')
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('snapshot_id', 'text')
          .addColumn('git', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('start_time', 'text')
          .addColumn('end_time', 'text')
          .addColumn('exit_code', 'integer')
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('node', 'text')
          .addColumn('cancel_requested', 'integer', (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', int64)
          .addColumn('queued_at_ms', int64, (c) => c.notNull())
          .addUniqueConstraint('jobs_workspace_name', ['workspace', 'name'])
          .execute();
        await db.schema.createIndex('jobs_status').on('jobs').columns(['status', 'queued_at_ms']).execute();
        await db.schema
          .createTable('job_events')
          .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer')
          .execute();
        await db.schema.createIndex('job_events_job').on('job_events').columns(['job_id', 'id']).execute();
        await db.schema
          .createTable('attempts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('number', 'integer', (c) => c.notNull())
          .addColumn('node', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('assignment', 'text', (c) => c.notNull())
          .addColumn('assigned_at', 'text', (c) => c.notNull())
          .addColumn('ended_at', 'text')
          .addColumn('outcome', 'text')
          .addColumn('exit_code', 'integer')
          .addColumn('reason', 'text')
          .addUniqueConstraint('attempts_job_number', ['job_id', 'number'])
          .execute();
        await db.schema.createIndex('attempts_node_state').on('attempts').columns(['node', 'state']).execute();
        await db.schema
          .createTable('log_lines')
          .addColumn('seq', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('stream', 'text', (c) => c.notNull())
          .addColumn('offset', int64, (c) => c.notNull())
          .addColumn('ts', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addUniqueConstraint('log_lines_identity', ['job_id', 'attempt', 'stream', 'offset'])
          .execute();
        await db.schema.createIndex('log_lines_job_seq').on('log_lines').columns(['job_id', 'seq']).execute();
        await db.schema
          .createTable('artifacts')
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('size', int64, (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('artifacts_pk', ['job_id', 'path'])
          .execute();
        await db.schema
          .createTable('nodes')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('workspace', 'text', (c) => c.notNull())
          .addColumn('compute', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('shape', 'text', (c) => c.notNull())
          .addColumn('slots', 'integer', (c) => c.notNull())
          .addColumn('agent_version', 'text')
          .addColumn('token_hash', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer')
          .addColumn('last_heartbeat_ms', int64)
          .addColumn('registered_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_tracking': trackingMigration(dialect),
    '0003_compute_lifecycle': {
      async up(db: Kysely<any>) {
        const add = (name: string, type: 'text' | 'integer' | 'bigint', notNullDefault?: string | number) =>
          db.schema
            .alterTable('computes')
            .addColumn(name, type, (c) => (notNullDefault === undefined ? c : c.notNull().defaultTo(notNullDefault)))
            .execute();
        await add('provisioning_errors', 'text', '[]');
        await add('secrets', 'text');
        await add('host_key', 'text');
        await add('power_state', 'text');
        await add('pending_action', 'text');
        await add('pending_force', 'integer', 0);
        await add('lease_owner', 'text');
        await add('lease_until', int64);
        await add('updated_at', 'text');
      },
    },
    '0004_environments': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('environments')
          .addColumn('workspace', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          // Numeric versions order as numbers ("10" after "9"); others sort after them by creation.
          .addColumn('version_num', int64)
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('spec_hash', 'text', (c) => c.notNull())
          .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('environments_pk', ['workspace', 'name', 'version'])
          .execute();
        // The environment a job runs with, frozen at submit, and what its node reported preparing.
        await db.schema.alterTable('jobs').addColumn('environment', 'text').execute();
        await db.schema.alterTable('jobs').addColumn('environment_record', 'text').execute();
      },
    },
    '0005_pools': poolsMigration(dialect),
    '0006_data': dataMigration(dialect),
    '0007_registry': registryMigration(dialect),
    '0008_batch': batchMigration(dialect),
    '0009_sweeps': sweepMigration(),
    '0010_components': componentMigration(dialect),
    '0011_pipelines': pipelineMigration(),
  };
}

class CodeMigrations implements MigrationProvider {
  readonly dialect: Dialect;
  constructor(dialect: Dialect) {
    this.dialect = dialect;
  }
  async getMigrations() {
    return migrations(this.dialect);
  }
}

export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: new CodeMigrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
}
