import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_VERSION } from '../protocol/routes.ts';
import { type AttemptAssignment, type NodeShape, RegisterResponse, WorkResponse } from '../protocol/agent.ts';
import { BlobCache } from './blob-cache.ts';
import { HttpInputs } from './http-inputs.ts';
import { InputTrees } from './input-trees.ts';
import { ServerClient, isTransient } from './client.ts';
import type { AgentConfig } from './config.ts';
import { detectShape } from './config.ts';
import type { AgentContext } from './context.ts';
import { AttemptRunner } from './attempt.ts';
import { alive } from './shim.ts';
import { EnvCache } from './environments/env-cache.ts';
import { detectEngines } from './environments/engines.ts';
import { detectConda, EnvManager } from './environments/manager.ts';
import { PythonFinder } from './environments/python-finder.ts';
import type { NodeFacts } from './environments/plans.ts';
import { arch, platform } from 'node:os';
import { copyPythonModule } from './python-module.ts';
import { canRun, probeIsolation } from './sandbox.ts';
import { cachedProbe } from './facts-cache.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FACTS_MAX_AGE_MS = 10 * 60_000;

/**
 * The process on a node: registers, long-polls for work, runs attempts and carries on with the
 * ones it finds on disk after a restart. It needs nothing of the server but the protocol.
 */
export class Agent {
  private readonly cfg: AgentConfig;
  private readonly client: ServerClient;
  private readonly ctx: AgentContext;
  private readonly runners = new Map<string, AttemptRunner>();
  private readonly pidFile: string;
  private abort = new AbortController();
  private stopping = false;
  private failures = 0;
  private heartbeatMs = 5_000;
  private lastContact = Date.now();
  private graceMs = 10_000;
  private readonly shape: NodeShape;
  /** One-shot: whether an attempt ran (its end is then this agent's cue to leave), and how the last one ended. */
  private ranOne = false;
  private lastOutcome: string | null = null;

  constructor(cfg: AgentConfig, env: NodeJS.ProcessEnv) {
    this.cfg = cfg;
    this.client = new ServerClient(cfg);
    const attemptsDir = join(cfg.dir, 'attempts');
    mkdirSync(attemptsDir, { recursive: true });
    this.pidFile = join(cfg.dir, 'agent.pid');
    const isolation = probeIsolation({ wanted: cfg.isolation, hide: [cfg.dir, ...cfg.hide], jobUser: cfg.jobUser });
    // One-shot agents share what they probed through the cache folder (every Slurm job starts one).
    const probed = cachedProbe(cfg.once ? cfg.cacheDir : undefined, FACTS_MAX_AGE_MS, () => {
      const engines = detectEngines(env, cfg.containerEngine);
      const conda = detectConda(cfg.conda, env.PATH);
      return { engines, conda, shape: detectShape({ container_engines: engines, ...(conda ? { conda: conda.tool } : {}) }, cfg.shape, cfg.gpus) };
    });
    const facts: NodeFacts = {
      os: platform(),
      arch: arch(),
      engines: probed.engines,
      conda: probed.conda,
      pythons: new PythonFinder(env.PATH, (p) => canRun(isolation.user, p)),
    };
    this.shape = { ...probed.shape, isolation: { mode: isolation.mode, note: isolation.note } };
    const cache = cfg.cacheDir ?? cfg.dir;
    const blobs = new BlobCache(join(cache, 'blobs'), this.client);
    this.ctx = {
      node: cfg.node,
      attemptsDir,
      client: this.client,
      blobs,
      inputTrees: new InputTrees(join(cache, 'input-trees'), cfg.inputTreesMaxBytes, blobs),
      httpInputs: new HttpInputs(join(cache, 'http-inputs'), (sha) => blobs.pathOf(sha), cfg.maxUrlBytes),
      baseEnv: env,
      // A copy in the agent's folder: readable by a job user wherever the agent itself was installed.
      pythonDir: copyPythonModule(cfg.pythonDir, join(cache, 'python')),
      log: (m) => this.log(m),
      backoff: () => Math.min(2_000, 50 * 2 ** Math.min(this.failures++, 6)),
      connected: () => {
        this.failures = 0;
      },
      cancelGraceMs: () => this.graceMs,
      envs: new EnvManager(new EnvCache(join(cache, 'envs'), cfg.envCacheMaxMb * 2 ** 20), facts, env),
      gpus: cfg.gpus ?? (this.shape.gpus > 0 ? 'all' : []),
      isolation,
      jobEnvExtra: cfg.jobEnv,
      nodeWorkDir: cfg.nodeWorkDir,
    };
  }

  /** Says once, at start, how jobs are kept apart here. */
  describeIsolation(): void {
    this.log(`isolation: ${this.ctx.isolation.mode}: ${this.ctx.isolation.note}`);
  }

  log(msg: string): void {
    process.stderr.write(`${new Date().toISOString()} agent ${this.cfg.node}: ${msg}\n`);
  }

  /** One agent per folder: a second one started on the same folder leaves at once. */
  lock(): boolean {
    for (let i = 0; i < 2; i++) {
      try {
        const fd = openSync(this.pidFile, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return true;
      } catch {
        const other = Number.parseInt(readFileSync(this.pidFile, 'utf8'), 10);
        if (other !== process.pid && alive(other)) return false;
        unlinkSync(this.pidFile);
      }
    }
    return false;
  }

  async run(): Promise<void> {
    this.resumeFromDisk();
    let registered = false;
    const onceUntil = Date.now() + this.cfg.onceWaitMs;
    while (!this.stopping) {
      if (this.cfg.once && this.ranOne && this.runners.size === 0) break;
      if (this.cfg.once && !this.ranOne && Date.now() > onceUntil) {
        this.log(`one-shot: no work came within ${Math.round(this.cfg.onceWaitMs / 1000)} s (the attempt ended or was canceled meanwhile); leaving`);
        this.lastOutcome = 'no work';
        break;
      }
      try {
        if (!registered) {
          await this.register();
          registered = true;
        }
        const res = await this.client.request('GET', `/nodes/${encodeURIComponent(this.cfg.node)}/work?wait_ms=${this.heartbeatMs}`, undefined, {
          signal: this.abort.signal,
        });
        this.failures = 0;
        this.lastContact = Date.now();
        const work = WorkResponse.parse(res);
        for (const a of work.assignments) if (!this.runners.has(a.attempt_id)) this.start(AttemptRunner.create(this.ctx, this.placed(a)));
        for (const c of work.cancels) this.runners.get(c.attempt_id)?.cancel(c.reason, c.preempted);
      } catch (err) {
        if (this.stopping || (this.cfg.once && this.ranOne && this.runners.size === 0)) break;
        registered = false;
        if (!isTransient(err)) this.log(`server refused: ${(err as Error).message}`);
        if (this.shouldGiveUp()) break;
        await sleep(this.ctx.backoff());
        this.client.refreshServerUrl();
      }
    }
  }

  /** A batch system knows where it put a distributed job's nodes; the server could only guess. */
  private placed(a: AttemptAssignment): AttemptAssignment {
    return this.cfg.rankHosts && a.rank ? { ...a, rank: { ...a.rank, hosts: this.cfg.rankHosts } } : a;
  }

  /** One-shot: the exit status the batch system records (0 only when every attempt here succeeded). */
  get exitCode(): number {
    return !this.cfg.once || this.lastOutcome === 'succeeded' ? 0 : 1;
  }

  /**
   * One-shot, on SIGTERM from the batch system (scancel, time limit, preemption): the jobs'
   * processes end now and their logs are flushed; their end is the server's to learn from the
   * batch system, which knows why.
   */
  async abandon(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await Promise.all([...this.runners.values()].map((r) => r.abandon()));
    await this.shutdown();
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    for (const r of this.runners.values()) r.stop();
    try {
      if (existsSync(this.pidFile) && Number(readFileSync(this.pidFile, 'utf8')) === process.pid) unlinkSync(this.pidFile);
    } catch {}
  }

  /**
   * An agent whose folder was deleted, or that has had no server and no job for a long while,
   * leaves instead of polling forever; a server that comes back starts a new one.
   */
  private shouldGiveUp(): boolean {
    if (!existsSync(this.cfg.dir)) {
      this.log(`${this.cfg.dir} is gone; leaving`);
      return true;
    }
    if (this.runners.size === 0 && Date.now() - this.lastContact > this.cfg.idleExitMs) {
      this.log(`no server for ${Math.round(this.cfg.idleExitMs / 1000)} s and no jobs; leaving`);
      return true;
    }
    return false;
  }

  private async register(): Promise<void> {
    const body = { node: this.cfg.node, agent_version: AGENT_VERSION, shape: this.shape, pid: process.pid, known_attempts: [...this.runners.keys()] };
    const res = RegisterResponse.parse(await this.client.request('POST', '/register', body));
    this.heartbeatMs = res.heartbeat_interval_ms;
    this.graceMs = res.cancel_grace_ms;
    for (const id of res.ended_attempts) this.runners.get(id)?.cancel('the server ended this attempt while this agent was away');
    this.log(`registered with ${this.client.serverUrl}`);
  }

  private resumeFromDisk(): void {
    for (const id of readdirSync(this.ctx.attemptsDir)) {
      const r = AttemptRunner.resume(this.ctx, join(this.ctx.attemptsDir, id));
      if (r) {
        this.log(`resuming attempt ${id}`);
        this.start(r);
      }
    }
  }

  private start(r: AttemptRunner): void {
    this.runners.set(r.id, r);
    this.ranOne = true;
    r.run().finally(() => {
      if (!r.done) return;
      this.runners.delete(r.id);
      this.lastOutcome = this.lastOutcome === null || this.lastOutcome === 'succeeded' ? r.outcome : this.lastOutcome;
      // One-shot: the last attempt has ended; the long poll under way need not run out.
      if (this.cfg.once && this.runners.size === 0) this.abort.abort();
    });
  }
}
