import type { Store } from '../store/index.ts';
import type { AttemptRow, JobRow } from '../store/jobs.ts';
import type { EventHub } from './events.ts';
import { moveJob } from './transitions.ts';
import { attemptOutcome, StopMark, type EndedRank } from './gangs.ts';

/** Rank states that still hold a slot on their node. */
export const OPEN_RANK_STATES = ['assigned', 'preparing', 'running', 'finalizing'];

export interface RankEnd {
  at: string;
  outcome: string;
  exit_code: number | null;
  reason: string;
}

/**
 * Ends one rank of a job's attempt, whoever learned of it (its agent's report, or the server when
 * the node is gone). The last rank of a gang ends the attempt, and with it the job, or requeues it
 * after a preemption while retries remain; a rank that did not succeed stops the rest of its gang.
 * Returns whether the whole attempt ended (a slot is free: the scheduler may look again).
 */
export interface EndRankHooks {
  /**
   * Runs when an attempt has succeeded, before its job is Completed (registering outputs, writing
   * them to datastores): a reason returned fails the job with it instead.
   */
  beforeCompleted?: (job: JobRow) => Promise<string | null>;
}

export async function endRank(store: Store, events: EventHub, a: AttemptRow, r: RankEnd, hooks: EndRankHooks = {}): Promise<boolean> {
  // A rank told to stop because its node was taken back ended by preemption, whatever it reported.
  const stop = a.stop ? StopMark.parse(JSON.parse(a.stop)) : null;
  const outcome = stop?.preempted && r.outcome === 'canceled' ? 'preempted' : r.outcome;
  // A report sent again: the rank's end was applied. The job's may not have been (a server that
  // died between the two): settle it now, or it would stay Finalizing with every rank ended.
  if (!OPEN_RANK_STATES.includes(a.state)) return a.state === 'ended' ? settleUnmovedJob(store, events, a, r, hooks) : false;
  // The last rank of a gang that succeeded: its job's outputs are registered before the rank is
  // marked ended, so a server that dies meanwhile leaves the rank open, the agent reports again,
  // and the (idempotent) registration runs again, instead of a job stuck with every rank ended.
  let outputs: string | null | undefined;
  if (outcome === 'succeeded' && hooks.beforeCompleted && !stop) {
    const others = (await store.jobs.attemptsOfNumber(a.job_id, a.number)).filter((x) => x.id !== a.id);
    const job = others.every((x) => x.state === 'ended' && x.outcome === 'succeeded') ? await store.jobs.getById(a.job_id) : undefined;
    if (job && !job.cancel_requested) outputs = await hooks.beforeCompleted(job);
  }
  const ended = await store.jobs.updateAttempt(a.id, { state: 'ended', ended_at: r.at, outcome, exit_code: r.exit_code, reason: r.reason }, OPEN_RANK_STATES);
  if (!ended) return false;
  await store.nodes.markIdleIfFree(a.node, Date.now());
  events.wake(a.node);
  return moveJobAfterRank(store, events, a, { ...r, outcome }, hooks, outputs);
}

/** Statuses in which a job still waits on the attempt its ranks belong to. */
const WAITING_ON_ATTEMPT = ['Preparing', 'Running', 'Finalizing', 'NotResponding', 'CancelRequested'];

async function settleUnmovedJob(store: Store, events: EventHub, a: AttemptRow, r: RankEnd, hooks: EndRankHooks): Promise<boolean> {
  const job = await store.jobs.getById(a.job_id);
  if (!job || job.attempt !== a.number || !WAITING_ON_ATTEMPT.includes(job.status)) return false;
  const ranks = await store.jobs.attemptsOfNumber(a.job_id, a.number);
  if (ranks.some((x) => x.state !== 'ended')) return false;
  return moveJobAfterRank(store, events, a, { ...r, at: a.ended_at ?? r.at }, hooks, undefined);
}

/** After a rank ended: the rest of its gang stopped when it failed, or, when it was the last, its job moved on. */
async function moveJobAfterRank(store: Store, events: EventHub, a: AttemptRow, r: RankEnd, hooks: EndRankHooks, outputs: string | null | undefined): Promise<boolean> {
  const outcome = r.outcome;
  const ranks = await store.jobs.attemptsOfNumber(a.job_id, a.number);
  const open = ranks.filter((x) => x.state !== 'ended');
  if (open.length) {
    if (outcome !== 'succeeded') {
      const mark: StopMark = outcome === 'preempted' ? { reason: `rank ${a.rank}'s node '${a.node}' was preempted; the whole gang is requeued`, preempted: true } : { reason: `rank ${a.rank} on node '${a.node}' ended: ${r.reason}` };
      for (const x of open) if (!x.stop) await store.jobs.updateAttempt(x.id, { stop: JSON.stringify(mark) });
      for (const x of open) events.wake(x.node);
    }
    return false;
  }
  const job = await store.jobs.getById(a.job_id);
  if (!job) return false;
  const result = attemptOutcome(ranks as EndedRank[]);
  if (result.status === 'Preempted') {
    await moveJob(store.db, events, job.id, 'Preempted', result.reason, { attempt: a.number, set: { exit_code: null } });
    const attemptsLeft = job.max_retries - (a.number - 1);
    if (attemptsLeft > 0 && !job.cancel_requested) {
      await moveJob(store.db, events, job.id, 'Queued', `requeued after preemption as attempt ${a.number + 1} (${attemptsLeft} of max_retries ${job.max_retries} left)`, {
        from: ['Preempted'],
        set: { node: null, wait_code: 'capacity' },
      });
    } else {
      const why = job.cancel_requested ? 'canceled by the user while its node was taken back' : `preempted on attempt ${a.number} with no retries left (max_retries ${job.max_retries})`;
      await moveJob(store.db, events, job.id, job.cancel_requested ? 'Canceled' : 'Failed', why, { from: ['Preempted'], attempt: a.number });
    }
  } else {
    const failed = result.status === 'Completed' && hooks.beforeCompleted ? (outputs !== undefined ? outputs : await hooks.beforeCompleted(job)) : null;
    if (failed) await moveJob(store.db, events, job.id, 'Failed', failed, { attempt: a.number, set: { exit_code: result.exitCode, end_time: r.at } });
    else await moveJob(store.db, events, job.id, result.status, result.reason, { attempt: a.number, set: { exit_code: result.exitCode, end_time: r.at } });
  }
  return true;
}

/**
 * A node that is gone (taken back by its provider, or silent past its grace and replaced) cannot
 * report its ranks: the server ends them with `outcome` and says why. Returns how many attempts ended.
 */
export async function endRanksOnLostNode(store: Store, events: EventHub, node: string, outcome: 'preempted' | 'lost', reason: string): Promise<number> {
  let ended = 0;
  for (const a of await store.jobs.attemptsOnNode(node, OPEN_RANK_STATES)) {
    if (await endRank(store, events, a, { at: new Date().toISOString(), outcome, exit_code: null, reason })) ended++;
  }
  return ended;
}
