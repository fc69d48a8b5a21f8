import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './dialects.ts';

/**
 * Computes whose own scheduler queues the jobs (Slurm): one row per attempt handed over, recorded
 * before the submission is made, so a crash between the two is found by name instead of submitted
 * twice; and the batch system's id of a job's latest submission, shown on the job.
 */
export function batchMigration(dialect: Dialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('batch_submissions')
        // The name the batch system knows it by (unique per server and attempt): found again by it after a crash.
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('compute', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        // recorded -> submitted -> done
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        // The batch system's last word on it (its raw state), and what that means in words.
        .addColumn('external_state', 'text')
        .addColumn('detail', 'text')
        .addColumn('node_count', 'integer', (c) => c.notNull())
        // How many times a submission was started: after one, a crash may have left it submitted.
        .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cancel_sent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('submitted_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('last_seen_ms', int64)
        .execute();
      await db.schema.createIndex('batch_submissions_live').on('batch_submissions').columns(['workspace', 'compute', 'state']).execute();
      await db.schema.createIndex('batch_submissions_job').on('batch_submissions').column('job_id').execute();
      await db.schema.alterTable('jobs').addColumn('external_id', 'text').execute();
    },
  };
}
