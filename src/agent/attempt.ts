import { watch, type FSWatcher, mkdirSync, writeFileSync, rmSync, existsSync, appendFileSync, symlinkSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { AttemptReportResponse, type AgentLogLine, type AttemptAssignment, type AttemptReport } from '../protocol/agent.ts';
import { HttpError, PermanentError, isTransient } from './client.ts';
import type { AgentContext } from './context.ts';
import { type AttemptState, type EndedReport, loadState, saveState } from './attempt-state.ts';
import { FileTailer, type TailedLine } from './tailer.ts';
import { alive, describeExit, earlierLaunch, launchShim, readExitCode, readPgid, signalGroup } from './shim.ts';
import { uploadOutputs } from './outputs.ts';
import { JobInputs } from './inputs.ts';
import type { Prepared } from './environments/manager.ts';
import { removeContainer, runArgs } from './environments/engines.ts';
import { BuildError, shellQuote } from './environments/run-logged.ts';
import { giveTo, launchScript } from './sandbox.ts';
import { rankVariables } from './ranks.ts';
import { engineClientEnv, inheritedEnv } from '../protocol/job-env.ts';

const MAX_PENDING = 20_000;
const BATCH = 5_000;
/** Characters of log text in one batch: even if JSON escaping grows them sixfold it stays under the server's 16 MiB. */
const BATCH_CHARS = 2 * 1024 * 1024;
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
  private onCancel: () => void = () => {};
  /** The job's data inputs and output folders. */
  private readonly data: JobInputs;
  private readonly canceledWhilePreparing = new Promise<'canceled'>((r) => (this.onCancel = () => r('canceled')));

  private constructor(ctx: AgentContext, dir: string, state: AttemptState) {
    this.ctx = ctx;
    this.dir = dir;
    this.state = state;
    this.id = state.assignment.attempt_id;
    this.data = new JobInputs({ blobs: ctx.blobs, trees: ctx.inputTrees, http: ctx.httpInputs }, dir, state.assignment.inputs, state.assignment.outputs);
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
      if (this.state.env_key) this.ctx.envs.cache.acquire(this.state.env_key); // resumed: still in use
      if (this.state.phase !== 'preparing') this.data.resume();
      this.startTailing();
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

  /** How it ended, once it has (what it reported). */
  get outcome(): string | null {
    return this.state.ended?.outcome ?? null;
  }

  /**
   * The batch system is ending this job step: the job's processes go at once (SIGTERM, SIGKILL
   * after a short grace), the logs so far are sent, and nothing more is reported.
   */
  async abandon(graceMs = 1_500): Promise<void> {
    this.stopped = true;
    this.data.cancel();
    const running = this.state.phase === 'running';
    if (running) signalGroup(readPgid(this.dir), 'SIGTERM');
    await sleep(running ? graceMs : 0);
    if (running) signalGroup(readPgid(this.dir), 'SIGKILL');
    await Promise.race([this.drainLogs().catch(() => {}), sleep(1_000)]);
    this.cleanupWatchers();
  }

  cancel(reason: string, preempted = false): void {
    if (this.state.cancel || this.state.phase === 'ending' || this.state.phase === 'done') return;
    this.state.cancel = { reason, at_ms: Date.now(), ...(preempted ? { preempted } : {}) };
    saveState(this.dir, this.state);
    this.onCancel();
    this.data.cancel();
    if (this.state.phase === 'running') this.terminate();
  }

  // --- phases ------------------------------------------------------------------------------------

  private async prepareAndLaunch(): Promise<void> {
    // An agent that died right after starting the command left its supervisor running: watch that one.
    const earlier = await earlierLaunch(this.dir);
    if (earlier) {
      this.state = { ...this.state, phase: 'running', started_at_ms: earlier.atMs, ...(earlier.shimPid ? { shim_pid: earlier.shimPid } : {}) };
      saveState(this.dir, this.state);
      return this.report({ phase: 'running', at: now(), pid: earlier.shimPid ?? undefined });
    }
    const a = this.state.assignment;
    this.report({ phase: 'preparing', at: now(), detail: a.snapshot_id ? `fetching snapshot ${a.snapshot_id.slice(0, 12)}` : undefined });
    const wd = join(this.dir, 'wd');
    try {
      rmSync(wd, { recursive: true, force: true }); // a half-laid-out folder from a crash is redone
      if (a.snapshot_id) await this.layOut(a.snapshot_id, wd);
      mkdirSync(join(wd, 'outputs'), { recursive: true });
      await this.data.layOut(wd, {
        retrying: (fn) => this.retrying(fn),
        status: (detail) => this.report({ phase: 'preparing', at: now(), detail }),
        log: (line) => this.systemLog(line),
      });
    } catch (err) {
      if (this.state.cancel) return this.endCanceled();
      const e = err as Error;
      this.systemLog(`error: ${e.message}`);
      return this.end('spawn_failed', null, e instanceof PermanentError ? e.message : `preparing the job's code failed: ${e.message}`);
    }
    let prepared: Prepared | 'canceled';
    const asked = performance.now();
    try {
      // A build may take minutes and serve other jobs too: a cancel ends this job without stopping it.
      const preparing = this.ctx.envs.prepare(a, {
        sink: (line) => this.systemLog(line),
        status: (detail) => this.report({ phase: 'preparing', at: now(), detail }),
        materialize: (id, into) => this.layOut(id, into),
      });
      prepared = await Promise.race([preparing, this.canceledWhilePreparing]);
      if (prepared === 'canceled') preparing.then((p) => this.ctx.envs.release(p.key), () => {});
    } catch (err) {
      const e = err as Error;
      // Builders print their own error last; a plan refused before any builder ran says why here.
      if (!(e instanceof BuildError) || !e.tail) this.systemLog(`error: ${e.message}`);
      return this.end('failed', null, `preparing the environment failed: ${e.message}`.slice(0, 2_000));
    }
    if (prepared === 'canceled') return this.endCanceled();
    this.state.env_key = prepared.key;
    saveState(this.dir, this.state);
    if (this.state.cancel) return this.endCanceled();
    try {
      const env = this.jobEnv(wd, prepared);
      writeFileSync(join(this.dir, 'command'), this.commandFor(prepared, wd, env));
      this.sandbox(prepared, wd);
      const launched = launchShim(this.dir, wd, env);
      launched.exited.then(() => {
        this.shimExited = true;
      });
      this.state = { ...this.state, phase: 'running', started_at_ms: Date.now(), shim_pid: launched.shimPid };
      saveState(this.dir, this.state);
    } catch (err) {
      return this.end('spawn_failed', null, `the job could not be started: ${(err as Error).message}`);
    }
    const ready_ms = Math.round((performance.now() - asked) * 10) / 10;
    this.report({ phase: 'running', at: now(), pid: this.state.shim_pid });
    const record = prepared.record ? Promise.resolve(prepared.record) : this.ctx.envs.userManagedRecord(prepared.pythonPath);
    void record.then((r) => r && this.report({ phase: 'environment', at: now(), environment: { ...r, ready_ms } }));
  }

  private async layOut(snapshotId: string, into: string): Promise<void> {
    const entries = await this.retrying(() => this.ctx.blobs.fetchManifest(snapshotId));
    await this.retrying(() => this.ctx.blobs.ensure(entries));
    this.ctx.blobs.materialize(entries, into);
  }

  private systemLog(line: string): void {
    appendFileSync(join(this.dir, 'prepare.log'), `${line.replace(/\n/g, ' ')}\n`);
    this.pump();
  }

  /** The job's command as the shim runs it: as written on the host, or inside its container. */
  private commandFor(p: Prepared, wd: string, env: NodeJS.ProcessEnv): string {
    const a = this.state.assignment;
    if (p.launch?.type !== 'container') return a.command;
    const name = `cairn-${a.attempt_id}`;
    this.state.container = { engine: p.launch.engine, name };
    saveState(this.dir, this.state);
    const args = runArgs({
      engine: p.launch.engine,
      image: p.launch.image,
      name,
      workdir: wd,
      mounts: [{ path: wd }, { path: this.ctx.pythonDir, ro: true }, ...this.data.containerMounts()],
      envNames: Object.keys(this.jobVars(wd)).filter((k) => k in env),
      gpus: this.ctx.gpus,
      command: a.command,
    });
    return `exec ${[p.launch.engine, ...args].map(shellQuote).join(' ')}`;
  }

  /** What a job's processes see: the node's allow-listed variables, its environment's, and its own; never the agent's or the server's. */
  private jobEnv(wd: string, p: Prepared): NodeJS.ProcessEnv {
    const base = inheritedEnv(this.ctx.baseEnv, this.ctx.jobEnvExtra);
    const path = [...(p.pythonPath ? [this.pythonBin(p.pythonPath)] : []), ...(p.launch?.type === 'host' ? p.launch.path : []), base.PATH].filter(Boolean).join(':');
    const iso = this.ctx.isolation;
    const sandboxed = p.launch?.type !== 'container' && iso.mode !== 'none';
    const own = sandboxed ? { TMPDIR: join(this.dir, 'tmp'), ...(iso.user ? { HOME: join(this.dir, 'home'), USER: iso.user.name, LOGNAME: iso.user.name } : {}) } : {};
    // A node that is a slice of a machine: its jobs see only its GPUs (none, for a CPU node).
    const gpus = this.ctx.gpus === 'all' ? {} : { CUDA_VISIBLE_DEVICES: this.ctx.gpus.join(','), NVIDIA_VISIBLE_DEVICES: this.ctx.gpus.length ? this.ctx.gpus.join(',') : 'void' };
    // A container job's launcher is the engine's client: it needs to reach its engine.
    const engine = p.launch?.type === 'container' ? engineClientEnv(this.ctx.baseEnv) : {};
    return { ...base, ...engine, ...(p.launch?.type === 'host' ? p.launch.env : {}), PATH: path, ...own, ...gpus, ...this.jobVars(wd) };
  }

  /**
   * Host jobs run in the node's sandbox (see sandbox.ts): the folders a job writes in are handed
   * to the job user, and the launch script binds back only the job's own paths.
   */
  private sandbox(p: Prepared, wd: string): void {
    const iso = this.ctx.isolation;
    const launch = join(this.dir, 'launch');
    rmSync(launch, { force: true });
    if (p.launch?.type === 'container') return;
    if (iso.mode === 'none') {
      const note = this.data.unsandboxedNote();
      if (note) this.systemLog(note);
      return this.systemLog(`warning: this job is not isolated on node '${this.ctx.node}' (${iso.note}): it can read whatever the agent's user can`);
    }
    const own = [join(this.dir, 'tmp'), ...(iso.user ? [join(this.dir, 'home')] : [])];
    for (const d of own) mkdirSync(d, { recursive: true, mode: 0o700 });
    for (const d of [wd, ...own]) giveTo(iso.user, d);
    const binds = [
      ...own.map((path) => ({ path })),
      { path: this.ctx.pythonDir, ro: true },
      { path: this.ctx.envs.cache.dir, ro: true },
      ...(this.ctx.nodeWorkDir ? [{ path: this.ctx.nodeWorkDir }] : []),
      ...(p.pythonPath ? [{ path: join(this.dir, 'bin'), ro: true }] : []),
      ...this.data.sandboxBinds(iso.user),
    ];
    writeFileSync(launch, launchScript(iso, { attemptDir: this.dir, wd, binds }));
  }

  /** The variables that are the job's own (a container gets these and nothing of the host). */
  private jobVars(wd: string): Record<string, string> {
    const a = this.state.assignment;
    return {
      PYTHONUNBUFFERED: '1',
      // The job is an MLflow run: unmodified mlflow calls log into it. The job's own variables may
      // point elsewhere, so they come after.
      MLFLOW_TRACKING_URI: this.ctx.client.serverUrl,
      MLFLOW_RUN_ID: a.job_id,
      ...(a.experiment_id === undefined ? {} : { MLFLOW_EXPERIMENT_ID: a.experiment_id }),
      MLFLOW_TRACKING_TOKEN: a.job_token,
      ...a.environment_variables,
      // Appended, so a `cairn` package the job brings itself wins.
      PYTHONPATH: [a.environment_variables.PYTHONPATH, this.ctx.pythonDir].filter(Boolean).join(':'),
      CAIRN_JOB_NAME: a.job_name,
      CAIRN_JOB_ID: a.job_id,
      CAIRN_ATTEMPT: String(a.attempt),
      CAIRN_EXPERIMENT_NAME: a.experiment_name,
      CAIRN_DISPLAY_NAME: a.display_name,
      CAIRN_OUTPUTS_DIR: join(wd, 'outputs'),
      ...this.data.vars(wd),
      CAIRN_SERVER_URL: this.ctx.client.serverUrl,
      CAIRN_JOB_TOKEN: a.job_token,
      CAIRN_NODE: this.ctx.node,
      ...(this.ctx.nodeWorkDir ? { CAIRN_NODE_WORK_DIR: this.ctx.nodeWorkDir } : {}),
      ...(a.rank ? rankVariables(a.rank, wd) : {}),
    };
  }

  /**
   * `python_path`: a folder where `python` and `python3` are that interpreter, and `pip` and `pip3`
   * its own pip, first on PATH: a login shell that puts another Python first (a pyenv in ~/.bashrc)
   * changes neither.
   */
  private pythonBin(pythonPath: string): string {
    const bin = join(this.dir, 'bin');
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin, { recursive: true });
    for (const n of ['python', 'python3']) symlinkSync(pythonPath, join(bin, n));
    for (const n of ['pip', 'pip3']) writeFileSync(join(bin, n), `#!/bin/sh\nexec ${shellQuote(pythonPath)} -m pip "$@"\n`, { mode: 0o755 });
    return bin;
  }

  private startTailing(): void {
    this.tailers = [
      new FileTailer(join(this.dir, 'prepare.log'), 'system', this.state.acked.system ?? 0),
      new FileTailer(join(this.dir, 'stdout.log'), 'stdout', this.state.acked.stdout),
      new FileTailer(join(this.dir, 'stderr.log'), 'stderr', this.state.acked.stderr),
    ];
    try {
      this.watcher = watch(this.dir, () => this.pump());
    } catch {
      // polling below still delivers, only later
    }
  }

  private async watchUntilExit(): Promise<void> {
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
    if (s.cancel) ended = [s.cancel.preempted ? 'preempted' : 'canceled', rc, s.cancel.reason];
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

  /** Stopped before it ran: canceled, or preempted (its node was taken back). */
  private endCanceled(): Promise<void> {
    const c = this.state.cancel!;
    return this.end(c.preempted ? 'preempted' : 'canceled', null, c.reason);
  }

  private async end(outcome: EndedReport['outcome'], rc: number | null, reason: string): Promise<void> {
    this.state = { ...this.state, phase: 'ending', ended: { phase: 'ended', at: now(), outcome, exit_code: rc, reason } };
    saveState(this.dir, this.state);
  }

  private async sendEnd(): Promise<void> {
    await this.drainLogs(); // a failed build's last words reach the log before the end does
    this.cleanupWatchers();
    const c = this.state.container;
    // Gone already with --rm, unless it was stopped or killed: either way none is left once the job has ended.
    if (c) await removeContainer(c.engine, c.name, this.ctx.baseEnv);
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
    this.data.end();
    this.ctx.envs.release(this.state.env_key ?? null);
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
    // At most BATCH lines and BATCH_CHARS of text: every batch fits the server's body limit.
    let n = 0;
    for (let chars = 0; n < this.pending.length && n < BATCH && (n === 0 || chars + this.pending[n].line.text.length <= BATCH_CHARS); n++) chars += this.pending[n].line.text.length;
    const batch = this.pending.slice(0, n);
    const lines: AgentLogLine[] = batch.map((b) => b.line);
    try {
      await this.ctx.client.request('POST', `/attempts/${this.id}/logs`, { lines });
    } catch (err) {
      const refused = err instanceof HttpError && err.status >= 400 && err.status < 500 && ![401, 403, 429].includes(err.status);
      if (!refused) {
        await sleep(this.ctx.backoff());
        return;
      }
      // The server will never take these lines (its attempt ended, or it finds them invalid): sending them again would stall every later line.
      this.ctx.log(`attempt ${this.id}: ${batch.length} log lines refused and dropped: ${(err as Error).message}`);
    }
    this.ctx.connected();
    this.pending.splice(0, batch.length);
    for (const b of batch) this.state.acked[b.line.stream as 'stdout' | 'stderr' | 'system'] = b.end;
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
    const c = this.state.container;
    // A container's first process ignores SIGTERM unless it handles it: the engine stops it, killing after the grace period.
    if (c) execFile(c.engine, ['stop', '--time', String(Math.ceil(this.ctx.cancelGraceMs() / 1000)), c.name], () => {});
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

  /** Retries while the server is unreachable; a refusal (4xx) or a permanent failure is final, and so is a cancel while preparing. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const r = await fn();
        this.ctx.connected();
        return r;
      } catch (err) {
        if (!isTransient(err) || this.stopped) throw err;
        if (this.state.cancel && this.state.phase === 'preparing') throw new PermanentError(this.state.cancel.reason);
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
