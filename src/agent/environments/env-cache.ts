import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capture, BuildError, type LineSink } from './run-logged.ts';
import type { Built, Plan } from './plans.ts';

/** An environment that was built completely: written last, so its presence means "usable". */
export interface ReadyFile extends Built {
  key: string;
  builder: string;
  created_at: string;
  build_seconds: number;
  size_bytes: number;
}

interface Build {
  promise: Promise<ReadyFile>;
  lines: string[];
  sinks: Set<LineSink>;
}

const REPLAY_LINES = 20_000;
const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Environments on one node, one folder per cache key. A key is built once: jobs of this agent
 * that need a key being built wait for that build and see its output; another process building
 * the same key is waited for through its lock file; a lock whose owner died is broken and its
 * half-built folder removed. Past the size cap, the least recently used environments not in use
 * are removed.
 */
export class EnvCache {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly builds = new Map<string, Build>();
  private readonly inUse = new Map<string, number>();
  /** Counted for the bench and tests: how many builds this process ran. */
  buildsRun = 0;

  constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    mkdirSync(dir, { recursive: true });
  }

  /** The ready environment of a key, if one is: a cache hit costs one small file read. */
  ready(key: string): ReadyFile | null {
    try {
      const f = join(this.dir, key, 'ready.json');
      const r = JSON.parse(readFileSync(f, 'utf8')) as ReadyFile;
      const now = new Date();
      utimesSync(f, now, now); // the LRU clock
      return r;
    } catch {
      return null;
    }
  }

  /** Marks a key as used by a running job, so the size cap never removes it under the job. */
  acquire(key: string): void {
    this.inUse.set(key, (this.inUse.get(key) ?? 0) + 1);
  }

  release(key: string): void {
    const n = (this.inUse.get(key) ?? 0) - 1;
    if (n > 0) this.inUse.set(key, n);
    else this.inUse.delete(key);
  }

  /** Whether `sink` joined a build already under way (rather than starting one). */
  building(key: string): boolean {
    return this.builds.has(key);
  }

  /** Builds the plan's key, or waits for the build already under way; `sink` gets its output from the start. */
  get(plan: Plan, materialize: (snapshotId: string, into: string) => Promise<void>, env: NodeJS.ProcessEnv, sink: LineSink): Promise<ReadyFile> {
    let b = this.builds.get(plan.key);
    if (!b) {
      const build: Build = { lines: [], sinks: new Set(), promise: null as unknown as Promise<ReadyFile> };
      const fanout: LineSink = (l) => {
        if (build.lines.length < REPLAY_LINES) build.lines.push(l);
        for (const s of build.sinks) s(l);
      };
      build.promise = this.buildOnce(plan, materialize, env, fanout).finally(() => this.builds.delete(plan.key));
      this.builds.set(plan.key, build);
      b = build;
    }
    for (const l of b.lines) sink(l);
    b.sinks.add(sink);
    return b.promise.finally(() => b.sinks.delete(sink));
  }

  private async buildOnce(plan: Plan, materialize: (id: string, into: string) => Promise<void>, env: NodeJS.ProcessEnv, sink: LineSink): Promise<ReadyFile> {
    const dir = join(this.dir, plan.key);
    const lock = `${dir}.lock`;
    for (;;) {
      const done = this.ready(plan.key);
      if (done) return done;
      if (this.tryLock(lock)) break;
      const owner = readLock(lock);
      if (!owner && lockAgeMs(lock) < 5_000) {
        await sleep(POLL_MS); // written this instant: read it again
        continue;
      }
      if (owner && alive(owner.pid)) {
        await sleep(POLL_MS); // another agent process builds it: wait for its ready.json
        continue;
      }
      if (owner?.pgid) killGroup(owner.pgid); // its builder may outlive it
      rmSync(lock, { force: true });
      sink(`a build of this environment was interrupted (its agent died); building it again`);
    }
    const started = Date.now();
    try {
      rmSync(dir, { recursive: true, force: true }); // nothing half-built is reused
      mkdirSync(dir, { recursive: true });
      this.buildsRun++;
      const built = await plan.build({ dir, sink, env, materialize, onStart: (pgid) => writeLock(lock, pgid) });
      rmSync(join(dir, 'context'), { recursive: true, force: true });
      const ready: ReadyFile = {
        ...built,
        key: plan.key,
        builder: plan.builder,
        created_at: new Date().toISOString(),
        build_seconds: Math.round((Date.now() - started) / 100) / 10,
        size_bytes: (await folderBytes(dir)) + (built.external_bytes ?? 0),
      };
      const tmp = join(dir, `ready.json.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(ready));
      renameSync(tmp, join(dir, 'ready.json'));
      sink(`environment ${plan.key.slice(0, 12)} built in ${ready.build_seconds} s`);
      return ready;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err instanceof BuildError ? err : new BuildError((err as Error).message, (err as Error).message);
    } finally {
      rmSync(lock, { force: true });
      void this.evict(plan.key).catch(() => {}); // the new one is about to be used: never its victim
    }
  }

  private tryLock(lock: string): boolean {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid }));
      closeSync(fd);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes least recently used environments (never one in use or being built) until the total fits the cap. */
  async evict(keep?: string): Promise<string[]> {
    const all: { key: string; used: number; bytes: number; ready: ReadyFile }[] = [];
    for (const key of readdirSync(this.dir)) {
      const f = join(this.dir, key, 'ready.json');
      if (!existsSync(f)) continue;
      try {
        all.push({ key, used: statSync(f).mtimeMs, bytes: 0, ready: JSON.parse(readFileSync(f, 'utf8')) as ReadyFile });
      } catch {}
    }
    for (const e of all) e.bytes = e.ready.size_bytes;
    let total = all.reduce((n, e) => n + e.bytes, 0);
    const removed: string[] = [];
    for (const e of all.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      if (e.key === keep || this.inUse.has(e.key) || this.builds.has(e.key)) continue;
      rmSync(join(this.dir, e.key, 'ready.json'), { force: true }); // unusable first, then gone
      if (e.ready.launch.type === 'container' && e.ready.image?.startsWith('localhost/cairn-env:')) await capture(e.ready.launch.engine, ['rmi', '-f', e.ready.image]);
      rmSync(join(this.dir, e.key), { recursive: true, force: true });
      total -= e.bytes;
      removed.push(e.key);
    }
    return removed;
  }
}

function readLock(lock: string): { pid: number; pgid?: number } | null {
  try {
    return JSON.parse(readFileSync(lock, 'utf8'));
  } catch {
    return null;
  }
}

function writeLock(lock: string, pgid: number): void {
  try {
    const tmp = `${lock}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, pgid }));
    renameSync(tmp, lock);
  } catch {}
}

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {}
}

async function folderBytes(dir: string): Promise<number> {
  const out = await capture('du', ['-sk', dir]);
  return Number.parseInt(out ?? '0', 10) * 1024 || 0;
}
