import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { VmSize } from '../../protocol/compute-sizes.ts';
import type { NodeShape } from '../../protocol/agent.ts';
import { type NodeHandle, type NodeRequest, type ProviderDeps, ProviderError, type ProviderSize, type ProviderWithPreemption, type ProviderWithSsh, type ProviderWithSuspend } from '../types.ts';
import { agentOf, nodeAgentEnv, startAgentProcess, stopProcess } from './agent-process.ts';
import { cgroupPids, createNodeCgroup, joinCgroup, removeCgroup, type NodeCgroup } from './cgroups.ts';
import { removeNodeWorkDir, startNodeSshd, stopNodeSshd, type NodeSsh } from './node-sshd.ts';

/** Memory the server's machine keeps for itself and the server: never given to nodes. */
const RESERVED_MB = 1024;

export interface LocalHandle extends NodeHandle {
  provider: 'local';
  dir: string;
  pid: number | null;
  gpus: number[];
  memory_mb: number;
  cgroup: NodeCgroup | null;
  /** Whether the node's size is enforced (cgroups) or advisory, in words. */
  limits: string;
  /** Where other ranks of a job reach it. */
  address: string;
  /** Its SSH endpoint and work folder, when its compute allows SSH. */
  ssh: NodeSsh | null;
}

/**
 * Nodes on the server's own machine: each is an agent process with its own work folder and the
 * shape of its size (CPU and memory enforced by cgroups where the kernel allows it) and the
 * machine's GPUs split among GPU sizes (a node's jobs see only its own). This is how one big box
 * is shared as several nodes, and how everything is tested.
 */
export class LocalProvider implements ProviderWithPreemption, ProviderWithSuspend, ProviderWithSsh {
  readonly name = 'local';
  private readonly d: ProviderDeps;
  private readonly machineGpus: number;
  /** Creates are one at a time, so two computes never get the same GPUs or the last of the memory twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ProviderDeps) {
    this.d = deps;
    this.machineGpus = countGpus();
  }

  async catalog(): Promise<ProviderSize[]> {
    const { freeMb, freeGpus } = await this.free();
    return this.d.sizes.all.map((s) => ({ ...s, available: fits(s, freeMb, freeGpus.length) }));
  }

  async refuse(req: { size: VmSize; tier: string; minInstances: number; maxInstances: number }): Promise<string | null> {
    const s = req.size;
    if (s.gpus > this.machineGpus) return `size '${s.name}' has ${s.gpus} GPU${s.gpus > 1 ? 's' : ''} and this machine has ${this.machineGpus || 'none'}: the local provider cannot make such a node; use a CPU size (\`cairn compute list-sizes\`)`;
    if (s.memory_gb * 1024 > totalmem() / 2 ** 20 - RESERVED_MB) return `size '${s.name}' needs ${s.memory_gb} GB of memory and this machine has ${Math.floor(totalmem() / 2 ** 30)} GB: the local provider cannot make such a node`;
    const { freeMb, freeGpus } = await this.free();
    const room = fits(s, freeMb, freeGpus.length);
    if (req.minInstances > room) {
      return `min_instances ${req.minInstances} of size '${s.name}' is more than the local provider can keep up (room for ${room} more: ${Math.floor(freeMb / 1024)} GB of memory free${s.gpus ? `, ${freeGpus.length} GPUs free` : ''})`;
    }
    return null;
  }

  create(req: NodeRequest): Promise<NodeHandle> {
    const next = this.queue.then(() => this.make(req));
    this.queue = next.catch(() => {});
    return next;
  }

  private async make(req: NodeRequest): Promise<LocalHandle> {
    const dir = join(this.d.dataDir, 'pools', req.workspace, req.compute, req.label);
    // Made before a server died mid-create: the same node (same folder), now answering to this request's token.
    const known = this.handleIn(dir);
    if (known) await this.suspend(known);
    const { freeMb, freeGpus } = await this.free(req.name);
    const memoryMb = Math.round(req.size.memory_gb * 1024);
    if (fits(req.size, freeMb, freeGpus.length) < 1) {
      throw new ProviderError(`the local provider has no room for another ${req.size.name} node: ${Math.floor(freeMb / 1024)} GB of memory free${req.size.gpus ? `, ${freeGpus.length} GPUs free` : ''}`);
    }
    const gpus = freeGpus.slice(0, req.size.gpus);
    const { group, note } = createNodeCgroup(req.name, { cpus: req.size.vcpus, memoryMb });
    const shape: NodeShape = { cpus: req.size.vcpus, memory_mb: memoryMb, gpus: gpus.length };
    const where = this.nodePaths(req.workspace, req.compute, req.label);
    let ssh: NodeSsh | null = null;
    if (req.ssh) {
      try {
        ssh = await startNodeSshd(where.sshDir, where.workDir, { user: req.ssh.user, publicKey: req.ssh.publicKey, previous: known?.ssh });
      } catch (err) {
        if (group) removeCgroup(group);
        throw new ProviderError(`the node's SSH endpoint could not start: ${(err as Error).message}`);
      }
    }
    let pid: number;
    try {
      pid = this.startAgent(dir, req, shape, gpus, ssh);
    } catch (err) {
      // Nothing of a node that never ran is left behind: its cgroup and its sshd go with it.
      if (group) removeCgroup(group);
      if (ssh) await stopNodeSshd(where.sshDir, ssh).catch(() => {});
      throw new ProviderError(`the node's agent could not start: ${(err as Error).message}`);
    }
    if (group) joinCgroup(group, pid);
    const handle: LocalHandle = { provider: 'local', name: req.name, dir, pid, gpus, memory_mb: memoryMb, cgroup: group, limits: note, address: '127.0.0.1', ssh };
    writeFileSync(join(dir, 'handle.json'), JSON.stringify(handle));
    return handle;
  }

  private startAgent(dir: string, req: NodeRequest, shape: NodeShape, gpus: number[], ssh: NodeSsh | null): number {
    return startAgentProcess(dir, nodeAgentEnv(this.d, req, shape, gpus, ssh ? { CAIRN_AGENT_NODE_WORK_DIR: ssh.workDir } : {}));
  }

  async delete(h: NodeHandle): Promise<void> {
    const handle = h as LocalHandle;
    await this.suspend(h);
    rmSync(handle.dir, { recursive: true, force: true });
    if (handle.ssh) {
      const where = this.nodePaths(...(handleParts(handle)));
      removeNodeWorkDir(handle.ssh.workDir);
      rmSync(where.sshDir, { recursive: true, force: true });
    }
  }

  sshEndpoint(h: NodeHandle): { host: string; port: number; user: string } | null {
    const s = (h as LocalHandle).ssh;
    return s ? { host: '127.0.0.1', port: s.port, user: s.user } : null;
  }

  /** A node's work folder (where an SSH login lands) and its sshd's files: beside the data folder, never in it. */
  private nodePaths(workspace: string, compute: string, label: string): { workDir: string; sshDir: string } {
    return { workDir: join(this.d.nodeHomes, workspace, compute, label), sshDir: join(this.d.nodeHomes, '.sshd', workspace, compute, label) };
  }

  /** Stops the node's agent and jobs and gives back its cgroup; its folder (disk, environments) stays. */
  async suspend(h: NodeHandle): Promise<void> {
    const handle = h as LocalHandle;
    const pid = agentOf(handle.dir) ?? handle.pid;
    await stopProcess(pid, 2_000);
    // The node goes away with everything on it: its jobs' process groups, then whatever is left in its cgroup.
    for (const pg of jobGroups(handle.dir)) signal(-pg, 'SIGKILL');
    if (handle.ssh) await stopNodeSshd(this.nodePaths(...handleParts(handle)).sshDir, handle.ssh);
    if (handle.cgroup) for (const p of cgroupPids(handle.cgroup)) signal(p, 'SIGKILL');
    if (handle.cgroup) {
      for (let i = 0; i < 40 && cgroupPids(handle.cgroup).length; i++) await new Promise((r) => setTimeout(r, 50));
      removeCgroup(handle.cgroup);
    }
  }

  async exists(h: NodeHandle): Promise<boolean> {
    return agentOf((h as LocalHandle).dir) !== null;
  }

  preemptible(): boolean {
    return true;
  }

  /** Nothing takes a local node back behind the server's back: preemption here is a drill (`cairn compute preempt-node`). */
  async takenBack(): Promise<boolean> {
    return false;
  }

  /** Memory and GPUs not held by the local provider's other nodes (a stopped instance holds none). */
  private async free(except?: string): Promise<{ freeMb: number; freeGpus: number[] }> {
    const nodes = (await this.d.store.nodes.all()).filter((n) => n.provider === 'local' && n.name !== except && n.state !== 'stopped');
    let usedMb = 0;
    const usedGpus = new Set<number>();
    for (const n of nodes) {
      const h = n.provider_ref ? (JSON.parse(n.provider_ref) as Partial<LocalHandle>) : null;
      usedMb += h?.memory_mb ?? (n.size ? Math.round((this.d.sizes.find(n.size)?.memory_gb ?? 0) * 1024) : 0);
      for (const g of h?.gpus ?? []) usedGpus.add(g);
    }
    const freeMb = Math.floor(totalmem() / 2 ** 20) - RESERVED_MB - usedMb;
    return { freeMb, freeGpus: Array.from({ length: this.machineGpus }, (_, i) => i).filter((g) => !usedGpus.has(g)) };
  }

  /** A handle the provider left in a node's folder, so a restart mid-create finds the node it made. */
  private handleIn(dir: string): LocalHandle | null {
    if (!existsSync(dir)) return null;
    try {
      return JSON.parse(readFileSync(join(dir, 'handle.json'), 'utf8')) as LocalHandle;
    } catch {
      return null;
    }
  }
}

function fits(s: VmSize, freeMb: number, freeGpus: number): number {
  const byMemory = Math.floor(freeMb / (s.memory_gb * 1024));
  return Math.max(0, s.gpus > 0 ? Math.min(byMemory, Math.floor(freeGpus / s.gpus)) : byMemory);
}

function countGpus(): number {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

/** The process groups of the jobs that ran on a node (their supervisors record them). */
function jobGroups(dir: string): number[] {
  const attempts = join(dir, 'attempts');
  if (!existsSync(attempts)) return [];
  const out: number[] = [];
  for (const a of readdirSync(attempts)) {
    try {
      const pg = Number.parseInt(readFileSync(join(attempts, a, 'pgid'), 'utf8'), 10);
      if (pg > 0) out.push(pg);
    } catch {}
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/** The workspace, compute and label a handle's folder was made for (pools/<ws>/<compute>/<label>). */
function handleParts(h: LocalHandle): [string, string, string] {
  const parts = h.dir.split('/');
  return [parts.at(-3)!, parts.at(-2)!, parts.at(-1)!];
}
