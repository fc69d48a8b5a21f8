import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { JobsTable } from '../../store/schema.ts';

/**
 * The row of a job that runs nothing itself (a sweep, a pipeline): Running from submit, no node,
 * no attempts; its reconciler makes its child jobs and ends it. `child`: it is itself a child
 * (a pipeline's sweep step).
 */
export function parentJobRow(o: {
  workspace: string;
  name: string;
  display_name: string;
  experiment_name: string;
  compute: string;
  kind: 'sweep' | 'pipeline';
  status_reason: string;
  spec: string;
  snapshot_id: string | null;
  git: string | null;
  created_by: string;
  priority: number;
  child?: { parentId: string; index: number; facts: unknown };
}) {
  const now = new Date();
  const { child, ...fields } = o;
  return {
    ...fields,
    id: randomUUID(),
    status: 'Running',
    created_at: now.toISOString(),
    start_time: now.toISOString(),
    end_time: null,
    exit_code: null,
    attempt: 0,
    node: null,
    cancel_requested: 0,
    lease_owner: null,
    lease_until: null,
    queued_at_ms: now.getTime(),
    environment: null,
    environment_record: null,
    instance_count: 1,
    max_retries: 0,
    wait_code: null,
    parent_id: child?.parentId ?? null,
    trial_index: child?.index ?? null,
    trial: child ? JSON.stringify(child.facts) : null,
  } satisfies Insertable<JobsTable>;
}

/** The one answer to a name taken in a workspace. */
export const nameTaken = (name: string, workspace: string) => `a job named '${name}' already exists in workspace '${workspace}'; pick another name or leave it out to get a generated one`;
