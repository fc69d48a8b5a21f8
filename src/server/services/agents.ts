import { CairnError } from '../../protocol/errors.ts';
import type { AttemptAssignment, AttemptReport, LogBatch, OutputsReport, RegisterRequest, RegisterResponse, WorkResponse } from '../../protocol/agent.ts';
import { AttemptAssignment as AssignmentSchema } from '../../protocol/agent.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import type { Store } from '../../store/index.ts';
import type { AttemptRow, JobRow } from '../../store/jobs.ts';
import type { NodeRow } from '../../store/nodes.ts';
import type { FsBlobs } from '../blobs/fs-blobs.ts';
import type { EventHub } from '../../domain/events.ts';
import type { JobTokens } from '../auth.ts';
import { moveJob } from '../../domain/transitions.ts';
import { endRank, OPEN_RANK_STATES } from '../../domain/attempts.ts';
import { StopMark } from '../../domain/gangs.ts';


export interface AgentsDeps {
  store: Store;
  events: EventHub;
  blobs: FsBlobs;
  tokens: JobTokens;
  heartbeatIntervalMs: number;
  cancelGraceMs: number;
  /** A finished attempt frees a slot: the scheduler looks at the queue again at once. */
  onAttemptEnded: () => void;
  /** Registers and writes out a succeeded job's named outputs; a reason fails the job instead. */
  finishOutputs?: (job: JobRow) => Promise<string | null>;
}

/**
 * The server's side of the agent protocol: every call is authenticated as one node. A job's
 * attempt is a gang of ranks (one row each, on one node or several): the job runs when its first
 * rank runs, and ends when its last rank has ended; a rank that fails or is preempted stops the
 * others, and a preempted gang is requeued as a new attempt while retries remain.
 */
export class AgentsService {
  private readonly d: AgentsDeps;
  constructor(deps: AgentsDeps) {
    this.d = deps;
  }

  async register(node: NodeRow, req: RegisterRequest): Promise<RegisterResponse> {
    if (req.node !== node.name) throw new CairnError('Forbidden', `this token belongs to node '${node.name}', not '${req.node}'`);
    const { store, events } = this.d;
    const now = Date.now();
    await store.nodes.update(node.name, {
      // A node being taken back or removed stays so; anything else is ready now.
      ...(node.state === 'preempting' || node.state === 'deleting' ? {} : { state: 'ready' }),
      agent_version: req.agent_version,
      shape: JSON.stringify(req.shape),
      pid: req.pid ?? node.pid,
      last_heartbeat_ms: now,
    });
    await store.nodes.markIdleIfFree(node.name, now);
    const known = new Set(req.known_attempts);
    const expected = await this.nodeIsBack(node.name, known);
    const ended: string[] = [];
    for (const id of known) if ((await store.jobs.getAttempt(id))?.state === 'ended') ended.push(id);
    events.wake(node.name);
    return {
      node: node.name,
      heartbeat_interval_ms: this.d.heartbeatIntervalMs,
      cancel_grace_ms: this.d.cancelGraceMs,
      expected_attempts: expected.filter((a) => known.has(a.id)).map((a) => a.id),
      ended_attempts: ended,
    };
  }

  /**
   * An agent that was silent answers again: its jobs leave NotResponding. With `known` (the
   * attempts it reported at registration) the ones it has no trace of end as lost.
   */
  private async nodeIsBack(nodeName: string, known: Set<string> | null): Promise<AttemptRow[]> {
    const { store, events } = this.d;
    const active = await store.jobs.attemptsOnNode(nodeName, ['preparing', 'running', 'finalizing']);
    for (const a of active) {
      if (!known || known.has(a.id)) {
        await moveJob(store.db, events, a.job_id, 'Running', `the agent on node '${nodeName}' is back`, { from: ['NotResponding'], attempt: a.number });
        continue;
      }
      // The node has no trace of it (its folder is gone): nobody can finish it.
      await this.endAttempt(a, { phase: 'ended', at: new Date().toISOString(), outcome: 'lost', exit_code: null, reason: `the agent on node '${nodeName}' restarted without any trace of this attempt` });
    }
    return active;
  }

  /** Long poll: answers at once when there is work, else when some arrives or the wait is over. */
  async work(node: NodeRow, waitMs: number, signal: AbortSignal): Promise<WorkResponse> {
    if (node.state === 'unreachable') await this.nodeIsBack(node.name, null);
    const deadline = Date.now() + Math.min(Math.max(waitMs, 0), this.d.heartbeatIntervalMs);
    for (;;) {
      if (signal.aborted) return { assignments: [], cancels: [] };
      await this.d.store.nodes.heartbeat(node.name, Date.now());
      const work = await this.pendingWork(node.name);
      const left = deadline - Date.now();
      if (work.assignments.length || work.cancels.length || left <= 0 || signal.aborted) return work;
      await this.d.events.waitForWork(node.name, left, signal);
    }
  }

  private async pendingWork(nodeName: string): Promise<WorkResponse> {
    const { store, tokens } = this.d;
    const attempts = await store.jobs.attemptsOnNode(nodeName, OPEN_RANK_STATES);
    const assignments: AttemptAssignment[] = [];
    const cancels: WorkResponse['cancels'] = [];
    for (const a of attempts) {
      if (a.state === 'assigned') assignments.push({ ...AssignmentSchema.omit({ job_token: true }).parse(JSON.parse(a.assignment)), job_token: tokens.issue(a.job_id, a.number) });
    }
    if (attempts.length) {
      const node = await store.nodes.get(nodeName);
      const jobs = await store.db.selectFrom('jobs').select(['id', 'cancel_requested']).where('id', 'in', [...new Set(attempts.map((a) => a.job_id))]).execute();
      const cancelled = new Set(jobs.filter((j) => j.cancel_requested).map((j) => j.id));
      for (const a of attempts) {
        const stop = a.stop ? StopMark.parse(JSON.parse(a.stop)) : null;
        if (node?.state === 'preempting') cancels.push({ attempt_id: a.id, reason: `node '${nodeName}' is being taken back (preempted)`, preempted: true });
        else if (stop) cancels.push({ attempt_id: a.id, reason: stop.reason, ...(stop.preempted ? { preempted: true } : {}) });
        else if (cancelled.has(a.job_id)) cancels.push({ attempt_id: a.id, reason: 'canceled by the user' });
      }
    }
    return { assignments, cancels };
  }

  async attemptOf(node: NodeRow, attemptId: string): Promise<AttemptRow> {
    const a = await this.d.store.jobs.getAttempt(attemptId);
    if (!a) throw new CairnError('NotFound', `attempt ${attemptId} does not exist`);
    if (a.node !== node.name) throw new CairnError('Forbidden', `attempt ${attemptId} does not run on node '${node.name}'`);
    return a;
  }

  async report(node: NodeRow, attemptId: string, r: AttemptReport): Promise<{ keep_running: boolean }> {
    const a = await this.attemptOf(node, attemptId);
    const { store, events } = this.d;
    const job = await store.jobs.getById(a.job_id);
    const keep_running = !job?.cancel_requested && !a.stop && node.state !== 'preempting';
    if (r.phase === 'environment') {
      // A user-managed record may come after the end; rank 0 speaks for the job.
      if (a.rank === 0) await store.jobs.setEnvironmentRecord(a.job_id, a.number, JSON.stringify(r.environment));
      return { keep_running: keep_running && a.state !== 'ended' };
    }
    // An end reported again still goes to endRank: the job's own move may be what was lost.
    if (a.state === 'ended') {
      if (r.phase === 'ended') await this.endAttempt(a, r);
      return { keep_running: false };
    }
    // A job handed to a batch system (Slurm) waits in its queue until its agent starts: from there it is Preparing.
    const started = { from: ['Queued', 'Provisioning'], attempt: a.number, set: { node: a.node } };
    if (r.phase === 'preparing') {
      await store.jobs.updateAttempt(a.id, { state: 'preparing' }, ['assigned']);
      const moved = a.rank === 0 && job?.attempt === a.number && (await moveJob(store.db, events, a.job_id, 'Preparing', r.detail ?? `started on node '${node.name}'`, started));
      if (!moved && r.detail && a.rank === 0) await moveJob(store.db, events, a.job_id, 'Preparing', r.detail, { from: ['Preparing'], attempt: a.number });
    } else if (r.phase === 'running') {
      await store.jobs.updateAttempt(a.id, { state: 'running' }, ['assigned', 'preparing']);
      if (job?.attempt === a.number) await moveJob(store.db, events, a.job_id, 'Preparing', `started on node '${node.name}'`, started);
      await moveJob(store.db, events, a.job_id, 'Running', null, { from: ['Preparing', 'NotResponding'], attempt: a.number, set: { start_time: r.at } });
    } else if (r.phase === 'finalizing') {
      await store.jobs.updateAttempt(a.id, { state: 'finalizing' }, ['assigned', 'preparing', 'running']);
      // The job finalizes once none of its ranks still runs.
      const ranks = await store.jobs.attemptsOfNumber(a.job_id, a.number);
      if (!ranks.some((x) => ['assigned', 'preparing', 'running'].includes(x.state))) {
        await moveJob(store.db, events, a.job_id, 'Finalizing', 'uploading outputs', { from: ['Running', 'NotResponding'], attempt: a.number });
      }
    } else {
      await this.endAttempt(a, r);
    }
    return { keep_running };
  }

  /** Ends one rank; the last rank of a gang ends the attempt, and with it the job (or requeues it). */
  async endAttempt(a: AttemptRow, r: Extract<AttemptReport, { phase: 'ended' }>): Promise<void> {
    if (await endRank(this.d.store, this.d.events, a, r, { beforeCompleted: this.d.finishOutputs })) this.d.onAttemptEnded();
  }

  async logs(node: NodeRow, attemptId: string, batch: LogBatch): Promise<{ stored: number }> {
    const a = await this.attemptOf(node, attemptId);
    const stored = await this.d.store.logs.append(a.job_id, a.number, batch.lines, a.rank);
    for (const l of stored) this.d.events.publish(a.job_id, { type: 'log', line: { seq: l.seq, attempt: l.attempt, rank: l.rank, stream: l.stream as 'stdout', ts: l.ts, text: l.text } });
    return { stored: stored.length };
  }

  async outputs(node: NodeRow, attemptId: string, report: OutputsReport): Promise<{ stored: number }> {
    const a = await this.attemptOf(node, attemptId);
    for (const f of report.artifacts) {
      checkRelativePath(f.path, 'output path');
      if (!this.d.blobs.has(f.sha256)) throw new CairnError('MissingBlobs', `output '${f.path}' was not uploaded`);
    }
    const files = report.artifacts.map((f) => ({ path: `outputs/${f.path}`, size: f.size, sha256: f.sha256 }));
    // The tree must download as a tree: a file logged through MLflow where the job's outputs/ has a
    // folder (or the other way round) gives way to what the job wrote into outputs/.
    const paths = new Set(files.map((f) => f.path));
    const folders = new Set(files.flatMap((f) => ancestors(f.path)));
    for (const old of await this.d.store.resources.artifacts(a.job_id)) {
      if (folders.has(old.path) || ancestors(old.path).some((p) => paths.has(p))) await this.d.store.resources.deleteArtifacts(a.job_id, old.path);
    }
    await this.d.store.resources.putArtifacts(a.job_id, files);
    return { stored: files.length };
  }
}

/** The folders a path lies in: `a/b/c` -> `a`, `a/b`. */
function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
