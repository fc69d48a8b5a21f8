import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { AttemptAssignment } from '../../protocol/agent.ts';
import type { EnvironmentRecord, ResolvedEnvironment } from '../../protocol/environment.ts';
import { EnvCache, type ReadyFile } from './env-cache.ts';
import { type Launch, type NodeFacts, planEnvironment } from './plans.ts';
import { onPath, sitePackagesStamp } from './python-finder.ts';
import { capture, type LineSink } from './run-logged.ts';

export interface PrepareHooks {
  /** Build output and notes, for the job's log. */
  sink: LineSink;
  /** A new status detail: `building environment <hash>`. */
  status: (detail: string) => void;
  materialize: (snapshotId: string, into: string) => Promise<void>;
}

export interface Prepared {
  /** The cache key, held in use until the job ends (null: user-managed, nothing cached). */
  key: string | null;
  /** Null for user-managed: the node's interpreter is described after the job starts, off its path. */
  record: EnvironmentRecord | null;
  launch: Launch | null;
  pythonPath?: string;
}

/** The node's side of environments: plans, the cache, and what each job ran with. */
export class EnvManager {
  readonly cache: EnvCache;
  private readonly facts: NodeFacts;
  private readonly env: NodeJS.ProcessEnv;
  private readonly freezes = new Map<string, { stamp: string; packages: Promise<string[]> }>();

  constructor(cache: EnvCache, facts: NodeFacts, env: NodeJS.ProcessEnv) {
    this.cache = cache;
    this.facts = facts;
    this.env = env;
  }

  async prepare(a: AttemptAssignment, h: PrepareHooks): Promise<Prepared> {
    const env: ResolvedEnvironment = a.environment ?? { kind: 'user_managed', ref: null, spec_hash: null };
    for (const w of env.warnings ?? []) h.sink(`warning: ${w}`);
    if (env.kind === 'user_managed') return { key: null, record: null, launch: null, pythonPath: env.python_path };
    const plan = await planEnvironment(env, a.pip, this.facts);
    let ready = this.cache.ready(plan.key);
    const built = !ready;
    if (!ready) {
      const short = plan.key.slice(0, 12);
      h.status(this.cache.building(plan.key) ? `building environment ${short} (started by another job; waiting for it)` : `building environment ${short}`);
      h.sink(`building environment ${short} with ${plan.builder}`);
      ready = await this.cache.get(plan, h.materialize, this.env, h.sink);
    }
    this.cache.acquire(plan.key);
    return { key: plan.key, record: toRecord(env, ready, built), launch: ready.launch, pythonPath: env.python_path };
  }

  /**
   * What a user-managed job ran with: its interpreter and `pip freeze`. Remembered per interpreter
   * until its site-packages change, so a node running many jobs freezes once.
   */
  async userManagedRecord(pythonPath: string | undefined): Promise<EnvironmentRecord | null> {
    // The interpreter the job finds: the first on PATH that it can run.
    let path: string | undefined;
    let info = null;
    for (const p of pythonPath ? [pythonPath] : onPath('python3', this.env.PATH)) {
      info = await this.facts.pythons.info(p);
      path = p;
      if (info) break;
    }
    if (!path || !info) return null;
    const stamp = sitePackagesStamp(info);
    let f = this.freezes.get(path);
    if (!f || f.stamp !== stamp) {
      f = { stamp, packages: capture(path, ['-m', 'pip', 'freeze'], { env: this.env, timeoutMs: 60_000 }).then((o) => (o ?? '').split('\n').map((l) => l.trim()).filter(Boolean)) };
      this.freezes.set(path, f);
    }
    const hash = createHash('sha256').update(JSON.stringify(['user_managed', path, info.version, this.facts.os, this.facts.arch, stamp])).digest('hex');
    // The interpreter that really ran: a shim or a link on PATH is named by what it runs.
    return { hash, kind: 'user_managed', builder: 'none', built: false, python: info.version, interpreter: info.executable, packages: await f.packages };
  }

  release(key: string | null): void {
    if (key) this.cache.release(key);
  }
}

function toRecord(env: ResolvedEnvironment, r: ReadyFile, built: boolean): EnvironmentRecord {
  return {
    hash: r.key,
    kind: env.kind,
    builder: r.builder,
    built,
    ...(built ? { build_seconds: r.build_seconds } : {}),
    ...(r.python ? { python: r.python } : {}),
    ...(r.interpreter ? { interpreter: r.interpreter } : {}),
    ...(r.image ? { image: r.image } : {}),
    ...(r.image_id ? { image_id: r.image_id } : {}),
    packages: r.packages.slice(0, 20_000),
  };
}

function findOnPath(name: string, pathVar: string | undefined): string | null {
  return name.includes('/') ? name : (onPath(name, pathVar)[0] ?? null);
}

/** conda, mamba or micromamba, as configured (a path, or `none`) or first found on PATH. */
export function detectConda(configured: string | undefined, pathVar: string | undefined): NodeFacts['conda'] {
  if (configured === 'none') return undefined;
  const candidates = configured ? [configured] : ['micromamba', 'mamba', 'conda'];
  for (const c of candidates) {
    const path = findOnPath(c, pathVar);
    const tool = (['micromamba', 'mamba', 'conda'] as const).find((t) => basename(c).startsWith(t));
    if (path && tool) return { tool, path };
  }
  return undefined;
}
