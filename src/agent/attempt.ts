import { watch, type FSWatcher, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AttemptReportResponse, type AgentLogLine, type AttemptAssignment, type AttemptReport } from '../protocol/agent.ts';
import { HttpError, isTransient } from './client.ts';
import type { AgentContext } from './context.ts';
import { type AttemptState, type EndedReport, loadState, saveState } from './attempt-state.ts';
import { FileTailer, type TailedLine } from './tailer.ts';
import { alive, describeExit, launchShim, readExitCode, readPgid, signalGroup } from './shim.ts';
import { uploadOutputs } from './outputs.ts';

const MAX_PENDING = 20_000;
const BATCH = 5_000;
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs (or resumes) one attempt from assignment to the acknowledged end report. */
export class AttemptRunner {
  readonly id: string;
  private readonly ctx: AgentContext;
  private readonly dir: string;
  private state: AttemptState;
  private tailers: FileTailer[] = [];
  private pending: TailedLine[] = [];
  private sending: Promise<void> | null = null;
  private watcher: FSWatcher | null = null;
  private timers: NodeJS.Timeout[] = [];
  private reports: Promise<unknown> = Promise.resolve();
  private shimExited = false;
  private lastStderr = '';
  private stopped = false;

  private constructor(ctx: AgentContext, dir: string, state: AttemptState) {
    this.ctx = ctx;
    this.dir = dir;
    this.state = state;
    this.id = state.assignment.attempt_id;
  }

  static create(ctx: AgentContext, a: AttemptAssignment): AttemptRunner {
    const dir = join(ctx.attemptsDir, a.attempt_id);
    const existing = loadState(dir);
    if (existing) return new AttemptRunner(ctx, dir, existing);
    mkdirSync(dir, { recursive: true });
    const state: AttemptState = { assignment: a, phase: 'preparing', acked: { stdout: 0, stderr: 0 } };
    saveState(dir, state);
    return new AttemptRunner(ctx, dir, state);
  }

  static resume(ctx: AgentContext, dir: string): AttemptRunner | null {
    const state = loadState(dir);
    return state && state.phase !== 'done' ? new AttemptRunner(ctx, dir, state) : null;
  }

  get done(): boolean {
    return this.state.phase === 'done';
  }

  async run(): Promise<void> {
    try {
      if (this.state.phase === 'preparing') await this.prepareAndLaunch();
      if (this.state.phase === 'running') await this.watchUntilExit();
      if (this.state.phase === 'finalizing') await this.finalize();
      if (this.state.phase === 'ending') await this.sendEnd();
    } catch (err) {
      if (!this.stopped) this.ctx.log(`attempt ${this.id}: ${(err as Error).message}`);
    } finally {
      this.cleanupWatchers();
    }
  }

  /** Stops watching without touching the job: a later agent picks it up from disk. */
  stop(): void {
    this.stopped = true;
    this.cleanupWatchers();
  }

  cancel(reason: string): void {
    if (this.state.cancel || this.state.phase === 'ending' || this.state.phase === 'done') return;
    this.state.cancel = { reason, at_ms: Date.now() };
    saveState(this.dir, this.state);
    if (this.state.phase === 'running') this.terminate();
  }

  // --- phases ------------------------------------------------------------------------------------

  private async prepareAndLaunch(): Promise<void> {
    const a = this.state.assignment;
    this.report({ phase: 'preparing', at: now(), detail: a.snapshot_id ? `fetching snapshot ${a.snapshot_id.slice(0, 12)}` : undefined });
    const wd = join(this.dir, 'wd');
    try {
      rmSync(wd, { recursive: true, force: true }); // a half-laid-out folder from a crash is redone
      if (a.snapshot_id) {
        const entries = await this.retrying(() => this.ctx.blobs.fetchManifest(a.snapshot_id!));
        await this.retrying(() => this.ctx.blobs.ensure(entries));
        this.ctx.blobs.materialize(entries, wd);
      }
      mkdirSync(join(wd, 'outputs'), { recursive: true });
      writeFileSync(join(this.dir, 'command'), a.command);
    } catch (err) {
      return this.end('spawn_failed', null, `preparing the job's code failed: ${(err as Error).message}`);
    }
    if (this.state.cancel) return this.end('canceled', null, this.state.cancel.reason);
    try {
      const launched = launchShim(this.dir, wd, this.jobEnv(wd));
      launched.exited.then(() => {
        this.shimExited = true;
      });
      this.state = { ...this.state, phase: 'running', started_at_ms: Date.now(), shim_pid: launched.shimPid };
      saveState(this.dir, this.state);
    } catch (err) {
      return this.end('spawn_failed', null, `the job could not be started: ${(err as Error).message}`);
    }
    this.report({ phase: 'running', at: now(), pid: this.state.shim_pid });
  }

  private jobEnv(wd: string): NodeJS.ProcessEnv {
    const a = this.state.assignment;
    const base = this.ctx.baseEnv;
    return {
      ...base,
      PYTHONUNBUFFERED: '1',
      // The job is an MLflow run: unmodified mlflow calls log into it. The job's own variables may
      // point elsewhere, so they come after.
      MLFLOW_TRACKING_URI: this.ctx.client.serverUrl,
      MLFLOW_RUN_ID: a.job_id,
      ...(a.experiment_id === undefined ? {} : { MLFLOW_EXPERIMENT_ID: a.experiment_id }),
      MLFLOW_TRACKING_TOKEN: a.job_token,
      ...a.environment_variables,
      // Appended, so a `cairn` package the job brings itself wins.
      PYTHONPATH: [a.environment_variables.PYTHONPATH ?? base.PYTHONPATH, this.ctx.pythonDir].filter(Boolean).join(':'),
      CAIRN_JOB_NAME: a.job_name,
      CAIRN_JOB_ID: a.job_id,
      CAIRN_ATTEMPT: String(a.attempt),
      CAIRN_EXPERIMENT_NAME: a.experiment_name,
      CAIRN_DISPLAY_NAME: a.display_name,
      CAIRN_OUTPUTS_DIR: join(wd, 'outputs'),
      CAIRN_SERVER_URL: this.ctx.client.serverUrl,
      CAIRN_JOB_TOKEN: a.job_token,
      CAIRN_NODE: this.ctx.node,
    };
  }

  private async watchUntilExit(): Promise<void> {
    this.tailers = [
      new FileTailer(join(this.dir, 'stdout.log'), 'stdout', this.state.acked.stdout),
      new FileTailer(join(this.dir, 'stderr.log'), 'stderr', this.state.acked.stderr),
    ];
    try {
      this.watcher = watch(this.dir, () => this.pump());
    } catch {
      // polling below still delivers, only later
    }
    this.armTimeout();
    if (this.state.cancel) this.terminate();
    let rc: number | null = null;
    for (;;) {
      this.pump();
      rc = readExitCode(this.dir);
      if (rc !== null) break;
      const shimGone = this.shimExited || !alive(this.state.shim_pid ?? null);
      if (shimGone && !alive(readPgid(this.dir), true)) {
        rc = readExitCode(this.dir); // the shim may have written it just now
        break;
      }
      await sleep(POLL_MS);
      if (this.stopped) throw new Error('stopped');
    }
    this.cleanupWatchers();
    await this.drainLogs();
    const s = this.state;
    let ended: [EndedReport['outcome'], number | null, string];
    if (s.cancel) ended = ['canceled', rc, s.cancel.reason];
    else if (s.timed_out) ended = ['timed_out', rc, `exceeded limits.timeout of ${s.assignment.timeout_s} s and was stopped`];
    else if (rc === null) ended = ['lost', null, "the job's processes ended while no agent was watching them; the exit status is unknown"];
    else if (rc === 0) ended = ['succeeded', 0, 'command exited with code 0'];
    else ended = ['failed', rc, describeExit(rc, this.lastStderr)];
    this.state = { ...this.state, phase: 'finalizing', ended: { phase: 'ended', at: now(), outcome: ended[0], exit_code: ended[1], reason: ended[2] } };
    saveState(this.dir, this.state);
  }

  private async finalize(): Promise<void> {
    this.report({ phase: 'finalizing', at: now() });
    const wd = join(this.dir, 'wd');
    try {
      if (existsSync(join(wd, 'outputs'))) await this.retrying(() => uploadOutputs(this.ctx, this.state.assignment.attempt_id, join(wd, 'outputs')));
    } catch (err) {
      const e = this.state.ended!;
      if (e.outcome === 'succeeded') this.state.ended = { ...e, outcome: 'failed', reason: `uploading outputs failed: ${(err as Error).message}` };
      else this.state.ended = { ...e, reason: `${e.reason}; uploading outputs failed too: ${(err as Error).message}` };
    }
    this.state.phase = 'ending';
    saveState(this.dir, this.state);
  }

  private async end(outcome: EndedReport['outcome'], rc: number | null, reason: string): Promise<void> {
    this.state = { ...this.state, phase: 'ending', ended: { phase: 'ended', at: now(), outcome, exit_code: rc, reason } };
    saveState(this.dir, this.state);
  }

  private async sendEnd(): Promise<void> {
    await this.reports; // earlier phases first, so the history reads in order
    try {
      await this.retrying(() => this.ctx.client.request('POST', `/attempts/${this.id}/report`, this.state.ended));
    } catch (err) {
      // The server forgot this attempt (its job was deleted or ended otherwise): nothing left to tell.
      if (!(err instanceof HttpError && (err.status === 404 || err.status === 409))) throw err;
    }
    this.state.phase = 'done';
    saveState(this.dir, this.state);
    rmSync(join(this.dir, 'wd'), { recursive: true, force: true });
  }

  // --- logs --------------------------------------------------------------------------------------

  private pump(): void {
    if (this.stopped) return;
    if (this.pending.length < MAX_PENDING) {
      for (const t of this.tailers) this.take(t.read(false, MAX_PENDING - this.pending.length));
    }
    if (!this.sending && this.pending.length) this.sending = this.sendBatch().finally(() => (this.sending = null));
  }

  private take(lines: TailedLine[]): void {
    for (const l of lines) {
      this.pending.push(l);
      if (l.line.stream === 'stderr' && l.line.text.trim()) this.lastStderr = l.line.text.trim();
    }
  }

  private async sendBatch(): Promise<void> {
    const batch = this.pending.slice(0, BATCH);
    const lines: AgentLogLine[] = batch.map((b) => b.line);
    try {
      await this.ctx.client.request('POST', `/attempts/${this.id}/logs`, { lines });
    } catch (err) {
      if (!isTransient(err)) this.ctx.log(`attempt ${this.id}: logs refused: ${(err as Error).message}`);
      await sleep(this.ctx.backoff());
      return;
    }
    this.ctx.connected();
    this.pending.splice(0, batch.length);
    for (const b of batch) this.state.acked[b.line.stream as 'stdout' | 'stderr'] = b.end;
    saveState(this.dir, this.state);
    if (this.pending.length) queueMicrotask(() => this.pump());
  }

  /** Reads to the end of both files (a last line without newline included) and waits for every ack. */
  private async drainLogs(): Promise<void> {
    for (;;) {
      if (this.pending.length < MAX_PENDING) for (const t of this.tailers) this.take(t.read(true, MAX_PENDING - this.pending.length));
      if (this.sending) await this.sending;
      if (!this.pending.length) return;
      this.sending = this.sendBatch().finally(() => (this.sending = null));
    }
  }

  // --- control -----------------------------------------------------------------------------------

  private armTimeout(): void {
    const t = this.state.assignment.timeout_s;
    if (!t || this.state.started_at_ms === undefined) return;
    const left = this.state.started_at_ms + t * 1000 - Date.now();
    this.timers.push(
      setTimeout(() => {
        if (this.state.cancel || this.state.phase !== 'running') return;
        this.state.timed_out = true;
        saveState(this.dir, this.state);
        this.terminate();
      }, Math.max(0, left)),
    );
  }

  /** SIGTERM to the job's process group, SIGKILL after the grace period. */
  private terminate(): void {
    const pgid = readPgid(this.dir);
    signalGroup(pgid, 'SIGTERM');
    this.timers.push(setTimeout(() => signalGroup(readPgid(this.dir), 'SIGKILL'), this.ctx.cancelGraceMs()));
  }

  private report(r: AttemptReport): void {
    this.reports = this.reports.then(() =>
      this.retrying(async () => {
        const res = AttemptReportResponse.parse(await this.ctx.client.request('POST', `/attempts/${this.id}/report`, r));
        if (!res.keep_running) this.cancel('the server no longer wants this attempt');
      }).catch(() => {}),
    );
  }

  /** Retries while the server is unreachable; a refusal (4xx) is final. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const r = await fn();
        this.ctx.connected();
        return r;
      } catch (err) {
        if (!isTransient(err) || this.stopped) throw err;
        await sleep(this.ctx.backoff());
      }
    }
  }

  private cleanupWatchers(): void {
    this.watcher?.close();
    this.watcher = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

const now = () => new Date().toISOString();
