import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A node's CPU and memory, enforced by the kernel where the cgroup file systems are writable:
 * cgroup v1 (cpu and memory controllers, as on this project's machines) or v2. Where they are not,
 * the sizes are advisory and the node says so. Every process the agent starts (its jobs too)
 * inherits the group.
 */
export interface NodeCgroup {
  /** Folders holding the node's processes, one per controller (v1) or one (v2). */
  paths: string[];
}

const ROOT = '/sys/fs/cgroup';

type Mode = { kind: 'v1'; memory: string; cpu: string } | { kind: 'v2'; root: string } | { kind: 'none'; why: string };

function detect(): Mode {
  const v1mem = join(ROOT, 'memory');
  const v1cpu = join(ROOT, 'cpu');
  if (existsSync(join(v1mem, 'memory.limit_in_bytes')) && existsSync(join(v1cpu, 'cpu.cfs_quota_us'))) return { kind: 'v1', memory: v1mem, cpu: v1cpu };
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    const controllers = readFileSync(join(ROOT, 'cgroup.controllers'), 'utf8');
    if (/\bmemory\b/.test(controllers) && /\bcpu\b/.test(controllers)) return { kind: 'v2', root: ROOT };
  }
  return { kind: 'none', why: 'no writable cgroup v1 (cpu, memory) or v2 hierarchy' };
}

/** Makes the node's group with its limits; null (and why) where the kernel's groups cannot be written. */
export function createNodeCgroup(name: string, limits: { cpus: number; memoryMb: number }): { group: NodeCgroup | null; note: string } {
  const mode = detect();
  const leaf = `cairn/${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  try {
    if (mode.kind === 'v1') {
      const mem = join(mode.memory, leaf);
      const cpu = join(mode.cpu, leaf);
      mkdirSync(mem, { recursive: true });
      mkdirSync(cpu, { recursive: true });
      writeFileSync(join(mem, 'memory.limit_in_bytes'), String(limits.memoryMb * 1024 * 1024));
      writeFileSync(join(cpu, 'cpu.cfs_period_us'), '100000');
      writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * 100_000)));
      return { group: { paths: [mem, cpu] }, note: `enforced by cgroup v1: ${limits.cpus} CPUs, ${limits.memoryMb} MB` };
    }
    if (mode.kind === 'v2') {
      const parent = join(mode.root, 'cairn');
      mkdirSync(parent, { recursive: true });
      writeFileSync(join(mode.root, 'cgroup.subtree_control'), '+cpu +memory');
      writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu +memory');
      const dir = join(mode.root, leaf);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), String(limits.memoryMb * 1024 * 1024));
      writeFileSync(join(dir, 'cpu.max'), `${Math.round(limits.cpus * 100_000)} 100000`);
      return { group: { paths: [dir] }, note: `enforced by cgroup v2: ${limits.cpus} CPUs, ${limits.memoryMb} MB` };
    }
    return { group: null, note: `advisory (${mode.why})` };
  } catch (err) {
    return { group: null, note: `advisory (cgroups cannot be written here: ${(err as Error).message.split('\n')[0]})` };
  }
}

export function joinCgroup(group: NodeCgroup, pid: number): void {
  for (const p of group.paths) writeFileSync(join(p, 'cgroup.procs'), String(pid));
}

/** Every process still in the group (a job that left its process group too). */
export function cgroupPids(group: NodeCgroup): number[] {
  const pids = new Set<number>();
  for (const p of group.paths) {
    try {
      for (const l of readFileSync(join(p, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {}
  }
  return [...pids];
}

export function removeCgroup(group: NodeCgroup): void {
  for (const p of group.paths) {
    try {
      rmdirSync(p);
    } catch {}
  }
}
