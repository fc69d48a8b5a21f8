import type { Updateable } from 'kysely';
import { isTerminal, type JobStatus } from '../protocol/job.ts';
import type { Db } from '../store/index.ts';
import { JobsRepo } from '../store/jobs.ts';
import type { JobsTable } from '../store/schema.ts';
import type { EventHub } from './events.ts';

export interface MoveOptions {
  from?: string[];
  set?: Updateable<JobsTable>;
  attempt?: number | null;
}

/**
 * The one way a job changes status: stored with its reason and time, then told to open streams.
 * Returns false when the guard did not hold (the job ended already, or moved meanwhile).
 */
export async function moveJob(db: Db, events: EventHub, jobId: string, status: JobStatus, reason: string | null, opts: MoveOptions = {}): Promise<boolean> {
  const at = new Date().toISOString();
  const set = { ...opts.set };
  if (isTerminal(status) && set.end_time === undefined) set.end_time = at;
  const moved = await new JobsRepo(db).transition(jobId, status, reason, at, { ...opts, set });
  if (moved) events.publish(jobId, { type: 'status', status, reason, at });
  return moved;
}
