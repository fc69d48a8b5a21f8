import { createHash, randomBytes } from 'node:crypto';
import type { PipOptions } from '../protocol/environment.ts';
import { CommandJobSpec } from '../protocol/job-spec.ts';
import { isTerminal, WAITING_STATUSES } from '../protocol/job.ts';
import type { Store } from '../store/index.ts';
import type { JobRow } from '../store/jobs.ts';
import type { NodeRow } from '../store/nodes.ts';
import type { ComputeRow } from '../store/computes.ts';
import type { BatchSubmissionRow } from '../store/batch.ts';
import type { EventHub } from '../domain/events.ts';
import { moveJob } from '../domain/transitions.ts';
import { endRank, OPEN_RANK_STATES } from '../domain/attempts.ts';
import { buildAssignments, insertRanks, pipOf } from '../domain/assignments.ts';
import { hasBatchQueue, SubmissionRefused, type BatchObservation, type BatchSubmission, type ComputeBackend, type ComputeContext, type ComputeWithBatchQueue } from '../compute/types.ts';

const LEASE_MS = 30_000;
/** Jobs recorded per compute and pass: a burst is handed over in slices the size of one sbatch batch. */
const RECORD_PER_PASS = 200;
const RECORD_PER_TRANSACTION = 50;
const OBSERVE_EVERY_MS = 500;
const PRIORITY: Record<number, BatchSubmission['priority']> = { 1: 'low', 2: 'medium', 3: 'high' };

export interface BatchDispatcherDeps {
  store: Store;
  events: EventHub;
  backends: Map<string, ComputeBackend>;
  unseal: (row: ComputeRow) => ComputeContext;
  /** The scheduler's owner: both take the same per-compute lease, so two servers never work one compute. */
  owner: string;
  pip: PipOptions;
  log: (msg: string) => void;
  now?: () => number;
}

/**
 * Jobs on computes whose own scheduler queues them (Slurm). Per compute, under its scheduling
 * lease: (1) record: each waiting job's next attempt is written down in one transaction (its
 * ranks, the nodes its agents will register as, a submission row) before anything is submitted;
 * (2) submit: recorded submissions are made, outside any transaction; one that may have been
 * made before a crash is first looked for by name; (3) observe: the batch system's states become
 * job statuses, and an end no agent reported (a failed node, a time limit, a cancel in the queue)
 * ends the attempt with the batch system's reason. Results are applied only while the lease holds.
 */
export class BatchDispatcher {
  private readonly d: BatchDispatcherDeps;
  private readonly now: () => number;
  /** Unknown states and lost submissions are logged once each, not every pass. */
  private readonly said = new Map<string, string>();
  /** When each compute's queue was last asked. */
  private readonly observed = new Map<string, number>();

  constructor(deps: BatchDispatcherDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
  }

  /** Compute types whose jobs this dispatcher hands over (the scheduler leaves them alone). */
  static types(backends: Map<string, ComputeBackend>): Set<string> {
    return new Set([...backends.values()].filter(hasBatchQueue).map((b) => b.type));
  }

  /** One pass over every compute it serves; returns how many jobs it handed over (more may be waiting: go again). */
  async tick(): Promise<number> {
    const { store } = this.d;
    let handed = 0;
    const seen = new Set<string>();
    const targets = [...(await store.jobs.queuedComputes()), ...(await store.batch.liveComputes())];
    for (const t of targets) {
      const key = `${t.workspace}/${t.compute}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = await store.computes.get(t.workspace, t.compute);
      const backend = row && this.d.backends.get(row.type);
      if (!row || !backend || !hasBatchQueue(backend)) continue;
      if (row.provisioning_state !== 'Succeeded') continue;
      if (!(await this.lease(row))) continue;
      try {
        handed += await this.pass(row, backend);
      } catch (err) {
        this.say(`${key}:pass`, `compute '${row.name}': ${(err as Error).message}`);
      }
    }
    return handed;
  }

  private lease(row: ComputeRow): Promise<boolean> {
    const now = this.now();
    return this.d.store.computes.claimScheduling(row.workspace, row.name, this.d.owner, now, now + LEASE_MS);
  }

  private async pass(row: ComputeRow, backend: ComputeWithBatchQueue): Promise<number> {
    const recorded = await this.record(row);
    const c = this.d.unseal(row);
    await this.submit(c, backend);
    await this.observe(c, backend);
    return recorded;
  }

  // ---- 1. record ------------------------------------------------------------------------------

  private async record(row: ComputeRow): Promise<number> {
    const { store, events } = this.d;
    const todo = await store.batch.unsubmitted(row.workspace, row.name, RECORD_PER_PASS);
    if (todo.length === 0) return 0;
    const pip = pipOf(row.spec, this.d.pip);
    const experiments = await store.runs.experimentsOfJobs(todo.map((j) => j.id));
    // Many jobs per transaction: a burst is written in a few commits, not one per job.
    for (let i = 0; i < todo.length; i += RECORD_PER_TRANSACTION) {
      const chunk = todo.slice(i, i + RECORD_PER_TRANSACTION).map((job) => {
        const number = job.attempt + 1;
        const nodes = Array.from({ length: job.instance_count }, (_, n) => virtualNode(row, rankNodeName(row, job.id, number, n)));
        return { job, number, nodes, prepared: buildAssignments(job, nodes, pip, experiments.get(job.id)) };
      });
      const at = new Date(this.now()).toISOString();
      await store.transaction(async (trx) => {
        for (const { job, number, nodes, prepared } of chunk) {
          const moved = await moveJob(trx, events, job.id, 'Queued', `handing over to ${label(row)} as attempt ${number}`, {
            from: [...WAITING_STATUSES],
            attempt: number,
            set: { attempt: number, node: null, wait_code: 'batch', lease_owner: null, lease_until: null },
          });
          if (!moved) continue; // canceled meanwhile
          for (const n of nodes) await store.nodes.with(trx).upsert({ ...n, registered_at: at });
          await insertRanks(store.jobs.with(trx), job.id, number, prepared, at);
          await store.batch.with(trx).insert({ name: submissionName(job.id, number), workspace: row.workspace, compute: row.name, job_id: job.id, attempt: number, state: 'recorded', node_count: nodes.length, recorded_at: at, external_id: null, external_state: null, detail: null, submitted_at: null, ended_at: null, last_seen_ms: null });
        }
      });
    }
    return todo.length;
  }

  // ---- 2. submit ------------------------------------------------------------------------------

  private async submit(c: ComputeContext, backend: ComputeWithBatchQueue): Promise<void> {
    const { store } = this.d;
    const recorded = (await store.batch.live(c.row.workspace, c.row.name)).filter((s) => s.state === 'recorded');
    if (recorded.length === 0) return;
    const byId = await store.jobs.byIds(recorded.map((s) => s.job_id));
    const jobs = new Map<string, JobRow>();
    for (const s of recorded) {
      const job = byId.get(s.job_id);
      if (!job || job.cancel_requested || isTerminal(job.status) || job.attempt !== s.attempt) await this.finish(s, { outcome: 'canceled', reason: 'canceled before it was submitted', exitCode: null });
      else jobs.set(s.name, job);
    }
    const pending = recorded.filter((s) => jobs.has(s.name));
    // A submission tried before may have reached the batch system just before a crash: look for it by name first.
    const tried = pending.filter((s) => s.tries > 0);
    const found = tried.length ? await backend.find(c, tried.map((s) => s.name)) : new Map<string, string>();
    if (found.size) {
      if (!(await this.lease(c.row))) return;
      await this.submitted(c.row, pending.filter((s) => found.has(s.name)).map((s) => ({ s, id: found.get(s.name)! })));
    }
    const fresh = await this.prepare(c.row, pending.filter((s) => !found.has(s.name)), jobs);
    if (fresh.length === 0) return;
    await store.batch.countTries(fresh.map((s) => s.name));
    let results: Map<string, string | SubmissionRefused>;
    try {
      results = await backend.submit(c, fresh);
    } catch (err) {
      // Unreachable login host, controller down: the submissions stay recorded and are tried again.
      this.say(`${c.row.name}:submit`, `compute '${c.row.name}': submitting ${fresh.length} job(s) failed, will retry: ${(err as Error).message}`);
      for (const s of fresh) await store.batch.update(s.name, { detail: `not submitted yet: ${(err as Error).message}` }, ['recorded']);
      return;
    }
    this.said.delete(`${c.row.name}:submit`);
    if (!(await this.lease(c.row))) return;
    const rows = new Map(pending.map((p) => [p.name, p]));
    await this.submitted(c.row, fresh.flatMap((s) => (typeof results.get(s.name) === 'string' ? [{ s: rows.get(s.name)!, id: results.get(s.name) as string }] : [])));
    for (const s of fresh) {
      const r = results.get(s.name);
      if (r instanceof SubmissionRefused) await this.finish(rows.get(s.name)!, { outcome: 'failed', reason: `${label(c.row)} refused the job: ${r.message}`, exitCode: null });
    }
  }

  /**
   * New node tokens for each try (one per node: a token names its node), their hashes stored in
   * one transaction: only hashes are kept, so a try after a crash cannot reuse the last tokens.
   */
  private async prepare(row: ComputeRow, subs: BatchSubmissionRow[], jobs: Map<string, JobRow>): Promise<BatchSubmission[]> {
    const out = subs.map((s) => {
      const job = jobs.get(s.name)!;
      const nodeNames = Array.from({ length: s.node_count }, (_, i) => rankNodeName(row, job.id, s.attempt, i));
      const spec = CommandJobSpec.parse(JSON.parse(job.spec));
      return {
        name: s.name,
        jobId: job.id,
        jobName: job.name,
        attempt: s.attempt,
        nodeNames,
        nodeTokens: nodeNames.map(() => randomBytes(24).toString('hex')),
        nodes: s.node_count,
        timeoutS: spec.limits?.timeout ?? null,
        ...(spec.resources?.instance_type ? { instanceType: spec.resources.instance_type } : {}),
        priority: PRIORITY[job.priority] ?? 'medium',
      } satisfies BatchSubmission;
    });
    if (out.length === 0) return out;
    await this.d.store.transaction(async (trx) => {
      const nodes = this.d.store.nodes.with(trx);
      for (const b of out) for (const [i, n] of b.nodeNames.entries()) await nodes.update(n, { token_hash: createHash('sha256').update(b.nodeTokens[i]!).digest('hex') });
    });
    return out;
  }

  /** Submissions the batch system took, with its ids: recorded in one transaction. */
  private async submitted(row: ComputeRow, made: { s: BatchSubmissionRow; id: string }[]): Promise<void> {
    if (made.length === 0) return;
    const { store, events } = this.d;
    const at = new Date(this.now()).toISOString();
    await store.transaction(async (trx) => {
      for (const { s, id } of made) {
        if (!(await store.batch.with(trx).update(s.name, { state: 'submitted', external_id: id, submitted_at: at, detail: null }, ['recorded']))) continue;
        await store.jobs.with(trx).update(s.job_id, { external_id: id });
        await moveJob(trx, events, s.job_id, 'Queued', `submitted to ${label(row)} as job ${id}`, { from: ['Queued'], attempt: s.attempt });
      }
    });
  }

  // ---- 3. observe -----------------------------------------------------------------------------

  private async observe(c: ComputeContext, backend: ComputeWithBatchQueue): Promise<void> {
    const { store } = this.d;
    const subs = (await store.batch.live(c.row.workspace, c.row.name)).filter((s) => s.state === 'submitted' && s.external_id);
    if (subs.length === 0) return;
    const byId = await store.jobs.byIds(subs.map((s) => s.job_id));
    const jobs = new Map<string, JobRow | undefined>(subs.map((s) => [s.name, byId.get(s.job_id)]));
    // Cancels first: a job canceled in Cairn (or gone) is canceled in the batch system once.
    const cancel = subs.filter((s) => !s.cancel_sent && wantsCancel(jobs.get(s.name), s));
    if (cancel.length) {
      await backend.cancel(c, cancel.map((s) => s.external_id!));
      for (const s of cancel) await store.batch.update(s.name, { cancel_sent: 1 });
    }
    // While a burst is handed over, passes follow each other closely: the queue is asked at most every OBSERVE_EVERY_MS.
    const key = `${c.row.workspace}/${c.row.name}`;
    if (!cancel.length && this.now() - (this.observed.get(key) ?? 0) < OBSERVE_EVERY_MS) return;
    this.observed.set(key, this.now());
    const seen = await backend.observe(c, subs.map((s) => s.external_id!));
    if (!(await this.lease(c.row))) return;
    for (const s of subs) await this.apply(c, backend, s, jobs.get(s.name), seen.get(s.external_id!));
  }

  private async apply(c: ComputeContext, backend: ComputeWithBatchQueue, s: BatchSubmissionRow, job: JobRow | undefined, o: BatchObservation | undefined): Promise<void> {
    const { store, events } = this.d;
    const open = (await store.jobs.attemptsOfNumber(s.job_id, s.attempt)).filter((a) => OPEN_RANK_STATES.includes(a.state));
    if (!o) {
      // Forgotten by the batch system with nothing on record: if its agents reported, nothing is missing.
      if (open.length === 0) return this.finish(s, null);
      return this.say(`${s.name}:gone`, `${label(c.row)} job ${s.external_id} (job ${job?.name ?? s.job_id}) is not known to ${label(c.row)} any more and has no accounting record; keeping its last known status`);
    }
    if (o.raw !== s.external_state || o.reason !== s.detail) await store.batch.update(s.name, { external_state: o.raw, detail: o.reason, last_seen_ms: this.now() });
    if (o.phase === 'unknown') return this.say(`${s.name}:unknown`, `${o.reason}; keeping the job's last known status`);
    if (o.phase === 'ended') {
      if (open.length === 0) return this.finish(s, null, c, backend);
      const reason = await this.endReason(c, backend, s, o, job);
      return this.finish(s, { outcome: o.outcome === 'succeeded' ? 'lost' : (o.outcome ?? 'lost'), reason, exitCode: o.exitCode ?? null, at: o.endedAt ?? undefined }, c, backend);
    }
    if (!job || job.attempt !== s.attempt || job.cancel_requested) return;
    if (o.phase === 'queued') {
      if (job.status === 'Provisioning') await moveJob(store.db, events, job.id, 'Queued', o.reason, { from: ['Provisioning'], attempt: s.attempt });
      else if (job.status === 'Queued' && job.status_reason !== o.reason) await store.jobs.setWait(job.id, 'batch', o.reason);
    } else if (o.phase === 'provisioning') {
      if (job.status === 'Queued') await moveJob(store.db, events, job.id, 'Provisioning', o.reason, { from: ['Queued'], attempt: s.attempt });
      else if (job.status === 'Provisioning' && job.status_reason !== o.reason) await store.jobs.setWait(job.id, 'batch', o.reason);
    } else if (o.phase === 'running') {
      await moveJob(store.db, events, job.id, 'Preparing', o.reason, { from: [...WAITING_STATUSES], attempt: s.attempt });
    }
  }

  /** Why an attempt ended that its agents did not report: the batch system's words, and its script's last line when the agent never started. */
  private async endReason(c: ComputeContext, backend: ComputeWithBatchQueue, s: BatchSubmissionRow, o: BatchObservation, job: JobRow | undefined): Promise<string> {
    if (job?.cancel_requested && o.outcome === 'canceled') return `canceled by the user (${label(c.row)} job ${s.external_id} ${o.raw})`;
    if (o.outcome !== 'succeeded' && o.outcome !== 'failed') return o.reason;
    const tail = await backend.outputTail?.(c, s.name).catch(() => null);
    const why = o.outcome === 'succeeded' ? `${o.reason}, but its agent never reported the job's end` : o.reason;
    return tail ? `${why}; its output ends: ${tail}` : why;
  }

  /** Ends what is still open of a submission's attempt (with `end`), then forgets its nodes. */
  private async finish(s: BatchSubmissionRow, end: { outcome: string; reason: string; exitCode: number | null; at?: string } | null, c?: ComputeContext, backend?: ComputeWithBatchQueue): Promise<void> {
    const { store, events } = this.d;
    if (end) {
      const at = end.at ?? new Date(this.now()).toISOString();
      for (const a of await store.jobs.attemptsOfNumber(s.job_id, s.attempt)) {
        if (OPEN_RANK_STATES.includes(a.state)) await endRank(store, events, a, { at, outcome: end.outcome, exit_code: end.exitCode, reason: end.reason });
      }
      // A job that never got this far (canceled while recorded) ends here too.
      const job = await store.jobs.getById(s.job_id);
      if (job && !isTerminal(job.status) && job.attempt === s.attempt && job.cancel_requested) await moveJob(store.db, events, job.id, 'Canceled', end.reason, { attempt: s.attempt });
    }
    if (!(await store.batch.update(s.name, { state: 'done', ended_at: new Date(this.now()).toISOString() }, ['recorded', 'submitted']))) return;
    const nodes = [...new Set((await store.jobs.attemptsOfNumber(s.job_id, s.attempt)).map((a) => a.node))];
    for (const n of nodes) await store.nodes.remove(n);
    this.said.delete(`${s.name}:gone`);
    this.said.delete(`${s.name}:unknown`);
    if (c && backend?.forget) await backend.forget(c, s.name).catch((err) => this.d.log(`compute '${c.row.name}': could not tidy up after ${s.name}: ${(err as Error).message}`));
  }

  private say(key: string, msg: string): void {
    if (this.said.get(key) === msg) return;
    this.said.set(key, msg);
    this.d.log(msg);
  }
}

/** The node the agent of node `i` of a submission registers as. */
const rankNodeName = (row: ComputeRow, jobId: string, attempt: number, i: number): string => `${row.name}-${jobId}-a${attempt}-n${i}`;

/** The name a submission has in the batch system: unique per job and attempt, so it can be found again. */
export const submissionName = (jobId: string, attempt: number): string => `cairn-${jobId}-${attempt}`;

const label = (row: ComputeRow): string => (row.type === 'slurm' ? 'Slurm' : row.type);

/** A job canceled (or ended, or deleted) while its submission still lives in the batch system. */
function wantsCancel(job: JobRow | undefined, s: BatchSubmissionRow): boolean {
  return !job || job.cancel_requested === 1 || job.attempt !== s.attempt || isTerminal(job.status);
}

/** The node a rank's agent registers as: known to the store before the batch system places it. */
function virtualNode(row: ComputeRow, name: string): NodeRow {
  return {
    token_hash: '-',
    registered_at: '',
    name,
    workspace: row.workspace,
    compute: row.name,
    // Not `ready` until its agent registers: nothing is placed on it, and silence before that is no alarm.
    state: 'starting',
    shape: '{}',
    slots: 1,
    agent_version: null,
    pid: null,
    last_heartbeat_ms: null,
    label: name.slice(row.name.length + 1),
    size: null,
    tier: null,
    idle_since_ms: null,
    provider: null,
    provider_ref: null,
    ssh: null,
    created_at: null,
  };
}
