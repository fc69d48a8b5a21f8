import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from './dialects.ts';

/**
 * Node pools, multi-node attempts and scaling history, in one migration:
 * - nodes belong to a compute and carry their state, size, tier, idle time and the provider's handle;
 * - an attempt runs as one row per rank (process), each on a node, with why it must stop (a rank of
 *   its gang failed, its node is preempted); log lines are kept per rank;
 * - jobs carry their queue priority, node count, retry budget and why they wait;
 * - computes are claimed by the autoscaler with a lease of their own; every scaling decision is an event;
 * - metric chunks record the attempt that logged them.
 */
export function poolsMigration(dialect: Dialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<any>) {
      const add = async (table: string, name: string, type: 'text' | 'integer' | 'bigint', notNullDefault?: string | number) =>
        db.schema
          .alterTable(table)
          .addColumn(name, type, (c) => (notNullDefault === undefined ? c : c.notNull().defaultTo(notNullDefault)))
          .execute();
      for (const c of ['label', 'size', 'tier', 'provider', 'provider_ref', 'ssh', 'created_at'] as const) await add('nodes', c, 'text');
      await add('nodes', 'idle_since_ms', int64);
      await sql`update nodes set label = name`.execute(db);

      await add('jobs', 'priority', 'integer', 2);
      await add('jobs', 'instance_count', 'integer', 1);
      await add('jobs', 'max_retries', 'integer', 3);
      await add('jobs', 'wait_code', 'text');
      await db.schema.createIndex('jobs_compute_queue').on('jobs').columns(['workspace', 'compute', 'status', 'priority', 'queued_at_ms']).execute();

      await add('computes', 'scaler_owner', 'text');
      await add('computes', 'scaler_until', int64);
      await add('metric_chunks', 'attempt', 'integer');
      // Every status change of a job updates its run: by job id, which had no index.
      await db.schema.createIndex('runs_job').on('runs').column('job_id').execute();

      await db.schema
        .createTable('compute_events')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('compute', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('compute_events_compute').on('compute_events').columns(['workspace', 'compute', 'id']).execute();

      // Attempts and log lines gain a rank in their identity. PostgreSQL changes the constraints in
      // place; SQLite cannot drop one, so those two tables are rebuilt with their rows.
      if (dialect === 'postgres') {
        await sql`alter table attempts drop constraint attempts_job_number`.execute(db);
        await add('attempts', 'rank', 'integer', 0);
        await add('attempts', 'world_size', 'integer', 1);
        await add('attempts', 'stop', 'text');
        await sql`alter table attempts add constraint attempts_job_number_rank unique (job_id, number, rank)`.execute(db);
        await sql`alter table log_lines drop constraint log_lines_identity`.execute(db);
        await add('log_lines', 'rank', 'integer', 0);
        await sql`alter table log_lines add constraint log_lines_identity unique (job_id, attempt, rank, stream, "offset")`.execute(db);
      } else {
        await rebuildSqlite(db);
      }
      await db.schema.createIndex('attempts_job').on('attempts').columns(['job_id', 'number']).execute();
    },
  };
}

async function rebuildSqlite(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('attempts_v5')
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
        .addColumn('rank', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('world_size', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('stop', 'text')
        .addUniqueConstraint('attempts_job_number_rank', ['job_id', 'number', 'rank'])
        .execute();
      await sql`insert into attempts_v5 (id, job_id, number, node, state, assignment, assigned_at, ended_at, outcome, exit_code, reason)
        select id, job_id, number, node, state, assignment, assigned_at, ended_at, outcome, exit_code, reason from attempts`.execute(db);
      await db.schema.dropTable('attempts').execute();
      await db.schema.alterTable('attempts_v5').renameTo('attempts').execute();
      await db.schema.createIndex('attempts_node_state').on('attempts').columns(['node', 'state']).execute();

      await db.schema
        .createTable('log_lines_v5')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('offset', 'integer', (c) => c.notNull())
        .addColumn('ts', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('rank', 'integer', (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint('log_lines_identity', ['job_id', 'attempt', 'rank', 'stream', 'offset'])
        .execute();
      await sql`insert into log_lines_v5 (seq, job_id, attempt, stream, "offset", ts, text) select seq, job_id, attempt, stream, "offset", ts, text from log_lines`.execute(db);
      await db.schema.dropTable('log_lines').execute();
      await db.schema.alterTable('log_lines_v5').renameTo('log_lines').execute();
      await db.schema.createIndex('log_lines_job_seq').on('log_lines').columns(['job_id', 'seq']).execute();
}
