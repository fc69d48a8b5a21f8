import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { NodeShape } from '../../protocol/agent.ts';
import { type NodeHandle, type NodeRequest, type ProviderDeps, ProviderError, type ProviderSize, type ProviderWithPreemption, type ProviderWithSuspend, type RefuseRequest } from '../types.ts';
import { agentOf, isAgentProcess, nodeAgentEnv, startAgentProcess, stopProcess } from '../local/agent-process.ts';

/** How the stand-in cloud behaves; given in code (tests), or as JSON in CAIRN_FAKE_PROVIDER for a server process. */
export interface FakeCloudOptions {
  /** How long making an instance takes (a cloud's provisioning time). */
  createDelayMs?: number;
  /** Instances the region has room for, across all computes. */
  capacity?: number;
  /** A create failure to inject: the cloud's words, or null to let the create go on. */
  failCreate?: (req: NodeRequest) => string | null;
  /** Low-priority instances are taken back this long after they came up, their agent running (it dies, as on a reclaimed VM). */
  preemptAfterMs?: number | null;
}

/** The fake cloud's settings as a server takes them (JSON in CAIRN_FAKE_PROVIDER, parsed with the server's config). */
export const FakeCloudSettings = z
  .object({
    create_delay_ms: z.number().int().nonnegative().optional(),
    capacity: z.number().int().nonnegative().optional(),
    fail: z.record(z.string(), z.string()).optional(),
    preempt_after_ms: z.number().int().positive().optional(),
  })
  .strict();
export type FakeCloudSettings = z.infer<typeof FakeCloudSettings>;

export function fakeOptions(o: FakeCloudSettings): FakeCloudOptions {
  return {
    createDelayMs: o.create_delay_ms,
    capacity: o.capacity,
    failCreate: o.fail ? (req) => o.fail![req.compute] ?? null : undefined,
    preemptAfterMs: o.preempt_after_ms ?? null,
  };
}

/** The cloud's record of an instance: kept in its own folder, as a cloud keeps it whatever the server does. */
interface Instance {
  name: string;
  state: 'provisioning' | 'running' | 'preempted';
  tier: 'dedicated' | 'low_priority';
  size: string;
  dir: string;
  pid: number | null;
}

export interface FakeHandle extends NodeHandle {
  provider: 'fake';
  dir: string;
  address: string;
  tier: 'dedicated' | 'low_priority';
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A stand-in for a cloud API (none can be reached here): its instances are real agent processes on
 * this machine, and it behaves as a cloud does: creates take time, the region has a capacity, a
 * create can fail with the cloud's words, low-priority instances are taken back, and a create
 * repeated by name returns the instance it made. Not for YAML users: a server has it only when
 * CAIRN_FAKE_PROVIDER is set.
 */
export class FakeProvider implements ProviderWithPreemption, ProviderWithSuspend {
  readonly name = 'fake';
  private readonly d: ProviderDeps;
  private readonly o: FakeCloudOptions;
  private readonly dir: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ProviderDeps, options: FakeCloudOptions = {}) {
    this.d = deps;
    this.o = options;
    this.dir = join(deps.dataDir, 'providers', 'fake');
    mkdirSync(join(this.dir, 'instances'), { recursive: true });
  }

  private get capacity(): number {
    return this.o.capacity ?? Number.POSITIVE_INFINITY;
  }

  async catalog(): Promise<ProviderSize[]> {
    const left = Math.max(0, this.capacity - this.held().length);
    return this.d.sizes.all.map((s) => ({ ...s, available: Number.isFinite(left) ? left : null }));
  }

  async refuse(req: RefuseRequest): Promise<string | null> {
    const left = Math.max(0, this.capacity - this.held().length);
    return req.minInstances > left ? `fake cloud: min_instances ${req.minInstances} is more than the region's capacity left (${left} of ${this.capacity} instances)` : null;
  }

  create(req: NodeRequest): Promise<NodeHandle> {
    const next = this.queue.then(() => this.make(req));
    this.queue = next.catch(() => {});
    return next;
  }

  private async make(req: NodeRequest): Promise<FakeHandle> {
    const failure = this.o.failCreate?.(req);
    if (failure) throw new ProviderError(`fake cloud: ${failure}`);
    let inst = this.instance(req.name);
    if (!inst || inst.state === 'preempted') {
      const used = this.held().filter((i) => i.name !== req.name).length;
      if (used >= this.capacity) throw new ProviderError(`fake cloud: InsufficientCapacity: no room for another ${req.size.name} instance (capacity ${this.capacity}, ${used} in use)`);
      inst = { name: req.name, state: 'provisioning', tier: req.tier, size: req.size.name, dir: join(this.dir, 'nodes', safe(req.name)), pid: null };
      this.save(inst);
    }
    await sleep(this.o.createDelayMs ?? 0);
    // Made before a server died mid-create: the same instance, its agent now answering to this request's token.
    await this.stop(inst.dir, inst.pid);
    const shape: NodeShape = { cpus: req.size.vcpus, memory_mb: Math.round(req.size.memory_gb * 1024), gpus: 0 };
    inst.pid = startAgentProcess(inst.dir, nodeAgentEnv(this.d, req, shape, []));
    inst.state = 'running';
    this.save(inst);
    if (req.tier === 'low_priority' && this.o.preemptAfterMs) void this.preemptOnceUp(req.name, inst.dir, this.o.preemptAfterMs);
    return { provider: 'fake', name: req.name, dir: inst.dir, address: '127.0.0.1', tier: req.tier };
  }

  async delete(h: NodeHandle): Promise<void> {
    const inst = this.instance(h.name);
    const dir = inst?.dir ?? (h as FakeHandle).dir;
    await this.stop(dir, inst?.pid ?? null);
    rmSync(dir, { recursive: true, force: true });
    rmSync(this.file(h.name), { force: true });
  }

  /** A deallocated instance: its agent and jobs stop, its disk (folder) and its place in the region stay. */
  async suspend(h: NodeHandle): Promise<void> {
    const inst = this.instance(h.name);
    await this.stop(inst?.dir ?? (h as FakeHandle).dir, inst?.pid ?? null);
  }

  async exists(h: NodeHandle): Promise<boolean> {
    const inst = this.instance(h.name);
    return inst !== null && inst.state !== 'preempted';
  }

  preemptible(h: NodeHandle): boolean {
    return (h as FakeHandle).tier === 'low_priority';
  }

  async takenBack(h: NodeHandle): Promise<boolean> {
    return this.instance(h.name)?.state === 'preempted';
  }

  /** Counts from when the instance is up (its agent running), so a slow start on a loaded machine still gets its time. */
  private async preemptOnceUp(name: string, dir: string, afterMs: number): Promise<void> {
    // Timers that never keep a process alive: the instance may be deleted first.
    const nap = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
    const deadline = Date.now() + 120_000;
    while (agentOf(dir) === null && Date.now() < deadline) {
      if (this.instance(name)?.state !== 'running') return;
      await nap(100);
    }
    await nap(afterMs);
    await this.preempt(name);
  }

  /** The cloud takes an instance back: its agent and jobs die at once, as on a reclaimed VM. */
  async preempt(name: string): Promise<void> {
    const inst = this.instance(name);
    if (!inst || inst.state !== 'running') return;
    await this.stop(inst.dir, inst.pid, 0);
    this.save({ ...inst, state: 'preempted', pid: null });
  }

  /** The cloud's instances now (what tests look at). */
  instances(): Instance[] {
    return readdirSync(join(this.dir, 'instances')).flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(join(this.dir, 'instances', f), 'utf8')) as Instance];
      } catch {
        return [];
      }
    });
  }

  /** Instances that hold capacity (one taken back holds none). */
  private held(): Instance[] {
    return this.instances().filter((i) => i.state !== 'preempted');
  }

  private async stop(dir: string, pid: number | null, graceMs = 2_000): Promise<void> {
    // By its folder (a recycled pid is not ours); the recorded pid for an agent that has not written its pid file yet.
    await stopProcess(agentOf(dir) ?? (isAgentProcess(pid, dir) ? pid : null), graceMs);
    // Its jobs' process groups (their supervisors record them), as the local provider ends them.
    const attempts = join(dir, 'attempts');
    for (const a of existsSync(attempts) ? readdirSync(attempts) : []) {
      try {
        const pg = Number.parseInt(readFileSync(join(attempts, a, 'pgid'), 'utf8'), 10);
        if (pg > 0) process.kill(-pg, 'SIGKILL');
      } catch {}
    }
  }

  private file(name: string): string {
    return join(this.dir, 'instances', `${safe(name)}.json`);
  }

  private instance(name: string): Instance | null {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as Instance;
    } catch {
      return null;
    }
  }

  private save(inst: Instance): void {
    writeFileSync(this.file(inst.name), JSON.stringify(inst));
  }
}
