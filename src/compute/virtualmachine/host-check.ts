import { arch as serverArch, platform as serverPlatform } from 'node:os';
import { CairnError } from '../../protocol/errors.ts';
import type { SshSession } from '../../transports/ssh/index.ts';
import { shellQuote } from '../../transports/ssh/index.ts';

/** What attach learns about a host; `cairn compute show` reports it. */
export interface HostFacts {
  os: string;
  arch: string;
  home: string;
  python: string | null;
  /** The host's own Node, when it is 24 or newer: then no runtime is copied. */
  node: { path: string; version: string } | null;
  cpus: number;
  memory_mb: number;
  disk_free_mb: number;
  gpus: string[];
}

export const MIN_FREE_DISK_MB = 1024;
const MIN_NODE_MAJOR = 24;
const ARCH_OF: Record<string, string> = { x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64' };

/** One round trip: every fact comes from one shell script, so attach costs a single exec. */
function script(workDir: string): string {
  return [
    'echo "os=$(uname -s)"',
    'echo "arch=$(uname -m)"',
    'echo "home=$HOME"',
    `echo "python=$(python3 -c 'import sys;print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)"`,
    'n=$(command -v node 2>/dev/null) && echo "node=$n $($n --version 2>/dev/null)"',
    'echo "cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"',
    `echo "mem_kb=$(awk '/^MemTotal/{print $2}' /proc/meminfo 2>/dev/null)"`,
    `d=${workDir.startsWith('~/') ? `"$HOME"/${shellQuote(workDir.slice(2))}` : shellQuote(workDir)}`,
    'while [ ! -d "$d" ]; do d=$(dirname "$d"); done',
    `echo "disk_kb=$(df -Pk "$d" | awk 'NR==2{print $4}')"`,
    `command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | sed 's/^/gpu=/'`,
    'true',
  ].join('\n');
}

export async function checkHost(session: SshSession, workDir: string): Promise<HostFacts> {
  const r = await session.exec(script(workDir), { timeoutMs: 20_000 });
  const kv = new Map<string, string>();
  const gpus: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const [k, v] = [line.slice(0, i), line.slice(i + 1).trim()];
    if (k === 'gpu') gpus.push(v);
    else kv.set(k, v);
  }
  const [nodePath, nodeVersion] = (kv.get('node') ?? '').split(' ');
  const major = Number(/^v(\d+)/.exec(nodeVersion ?? '')?.[1] ?? 0);
  return {
    os: kv.get('os') ?? 'unknown',
    arch: kv.get('arch') ?? 'unknown',
    home: kv.get('home') || '/root',
    python: kv.get('python') || null,
    node: major >= MIN_NODE_MAJOR ? { path: nodePath, version: nodeVersion } : null,
    cpus: Number(kv.get('cpus')) || 1,
    memory_mb: Math.floor(Number(kv.get('mem_kb') ?? 0) / 1024),
    disk_free_mb: Math.floor(Number(kv.get('disk_kb') ?? 0) / 1024),
    gpus,
  };
}

/** Why this host cannot take the agent, as one line naming the host and what to do; null if it can. */
export function refuseHost(f: HostFacts, where: string, workDir: string): string | null {
  if (f.os !== 'Linux') return `host ${where} runs ${f.os}; the agent runs on Linux hosts only`;
  const py = /^(\d+)\.(\d+)/.exec(f.python ?? '');
  if (!py) return `host ${where} has no python3 on its PATH; jobs run Python there: install python3 (3.8 or newer)`;
  if (Number(py[1]) < 3 || (Number(py[1]) === 3 && Number(py[2]) < 8)) return `host ${where} has Python ${f.python}; jobs need python3 3.8 or newer`;
  if (f.disk_free_mb < MIN_FREE_DISK_MB) return `host ${where} has only ${f.disk_free_mb} MB free under ${workDir}; the agent needs at least ${MIN_FREE_DISK_MB} MB`;
  if (!f.node && (serverPlatform() !== 'linux' || ARCH_OF[f.arch] !== serverArch())) {
    return `host ${where} (${f.arch}) has no Node ${MIN_NODE_MAJOR}, and this server can only copy its own runtime (${serverPlatform()}-${serverArch()}): install Node ${MIN_NODE_MAJOR} on the host`;
  }
  return null;
}

export function hostCheckError(message: string): CairnError {
  return new CairnError('HostCheckFailed', message);
}
