import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './dialects.ts';

/**
 * Registered components (Azure ML v2 `type: command`): versions that never change, like
 * environments. `spec` is the wire ComponentSpec as JSON (its environment reference resolved to a
 * version); `snapshot_id` is its uploaded code folder, kept in a column so the snapshot's users can
 * be found.
 */
export function componentMigration(dialect: Dialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('components')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        // Numeric versions order as numbers ("10" after "9"); others sort after them by creation.
        .addColumn('version_num', int64)
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('spec_hash', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text')
        .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('components_pk', ['workspace', 'name', 'version'])
        .execute();
    },
  };
}
