import type { Kysely, Migration } from 'kysely';

/**
 * Sweeps: a sweep is a job of kind 'sweep' that runs nothing itself; its trials are command jobs
 * that point at it (parent_id) and keep their index and sampled values (trial, JSON of TrialFacts).
 * The trial's index is unique per sweep, so a sweeper that crashed after creating one cannot make
 * it twice.
 */
export function sweepMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('jobs').addColumn('kind', 'text', (c) => c.notNull().defaultTo('command')).execute();
      await db.schema.alterTable('jobs').addColumn('parent_id', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('trial_index', 'integer').execute();
      await db.schema.alterTable('jobs').addColumn('trial', 'text').execute();
      await db.schema.createIndex('jobs_parent_trial').on('jobs').columns(['parent_id', 'trial_index']).unique().execute();
      await db.schema.createIndex('jobs_kind_status').on('jobs').columns(['kind', 'status']).execute();
    },
  };
}
