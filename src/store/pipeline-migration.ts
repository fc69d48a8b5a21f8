import type { Kysely, Migration } from 'kysely';

/**
 * Pipelines: a pipeline is a job of kind 'pipeline'; its steps are command jobs that point at it
 * (parent_id, trial_index: the step's place, unique per pipeline; trial: its StepFacts). A step's
 * reuse key hashes what it computes, so a later step with the same key can stand on its outputs.
 */
export function pipelineMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('jobs').addColumn('reuse_key', 'text').execute();
      await db.schema.createIndex('jobs_reuse').on('jobs').columns(['workspace', 'reuse_key']).execute();
    },
  };
}
