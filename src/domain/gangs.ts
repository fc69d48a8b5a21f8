import { z } from 'zod';
import type { JobStatus } from '../protocol/job.ts';

/** Why the server wants a rank stopped: a rank of its gang failed, or its node is being taken back. */
export const StopMark = z.object({ reason: z.string(), preempted: z.boolean().optional() });
export type StopMark = z.infer<typeof StopMark>;

export interface EndedRank {
  rank: number;
  world_size: number;
  node: string;
  outcome: string | null;
  exit_code: number | null;
  reason: string | null;
  ended_at: string | null;
}

const FAILED = ['failed', 'timed_out', 'lost', 'spawn_failed'];

/**
 * What a finished gang means for its job: preempted anywhere -> Preempted (requeued while retries
 * remain); else the first rank to fail decides (Failed, naming the rank when there are several);
 * else a cancel; else Completed.
 */
export function attemptOutcome(ranks: EndedRank[]): { status: JobStatus; reason: string; exitCode: number | null } {
  const byEnd = [...ranks].sort((a, b) => (a.ended_at ?? '').localeCompare(b.ended_at ?? '') || a.rank - b.rank);
  const where = (r: EndedRank) => (r.world_size > 1 ? `rank ${r.rank} on node '${r.node}': ` : '');
  const preempted = byEnd.find((r) => r.outcome === 'preempted');
  if (preempted) return { status: 'Preempted', reason: `${where(preempted)}${preempted.reason ?? 'preempted'}`, exitCode: null };
  const failed = byEnd.find((r) => r.outcome !== null && FAILED.includes(r.outcome));
  if (failed) return { status: 'Failed', reason: `${where(failed)}${failed.reason ?? failed.outcome}`, exitCode: failed.exit_code };
  const canceled = byEnd.find((r) => r.outcome === 'canceled');
  if (canceled) return { status: 'Canceled', reason: canceled.reason ?? 'canceled', exitCode: canceled.exit_code };
  const head = ranks.find((r) => r.rank === 0) ?? ranks[0]!;
  return { status: 'Completed', reason: head.reason ?? 'command exited with code 0', exitCode: head.exit_code };
}
