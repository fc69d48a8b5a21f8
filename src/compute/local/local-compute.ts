import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, totalmem, platform, arch } from 'node:os';
import type { ComputeRow } from '../../store/computes.ts';
import type { BackendDeps, ComputeWithManagedNodes } from '../types.ts';

const AGENT_MAIN = resolve(fileURLToPath(new URL('../../agent/main.ts', import.meta.url)));
export const LOCAL_NODE = 'local';

/** True when `pid` is a live Cairn agent (a recycled pid belongs to something else). */
function isAgentProcess(pid: number | null): boolean {
  if (!pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('agent/main.ts');
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The server's own machine. Its one node is an agent process started by the server, detached, so
 * that jobs and their logs survive a server crash; a new server finds the agent and carries on.
 */
export class LocalCompute implements ComputeWithManagedNodes {
  readonly type = 'local';
  readonly unsupported = {
    delete: "the local compute is built in: it is the server's own machine and cannot be deleted",
    detach: "the local compute is built in: it is the server's own machine and cannot be detached",
    update: 'the local compute is configured by the server (--max-concurrent-jobs, CAIRN_LOCAL_MAX_JOBS), not by update',
    start: 'the local compute runs whenever the server runs',
    stop: 'the local compute runs whenever the server runs: stop the server (`cairn server stop`) instead',
    restart: 'the local compute runs whenever the server runs: restart the server instead',
  };
  private readonly deps: BackendDeps;
  private starting: Promise<void> | null = null;

  constructor(deps: BackendDeps) {
    this.deps = deps;
  }

  get agentDir(): string {
    return join(this.deps.dataDir, 'agents', LOCAL_NODE);
  }

  async ensureNodes(compute: ComputeRow): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.ensure(compute).finally(() => (this.starting = null));
    return this.starting;
  }

  private async ensure(compute: ComputeRow): Promise<void> {
    const { store } = this.deps;
    const node = await store.nodes.get(LOCAL_NODE);
    const slots = this.deps.local.maxConcurrentJobs;
    if (node && isAgentProcess(node.pid)) {
      if (node.slots !== slots) await store.nodes.update(LOCAL_NODE, { slots });
      return;
    }
    const token = randomBytes(24).toString('hex');
    mkdirSync(this.agentDir, { recursive: true });
    const logFd = openSync(join(this.agentDir, 'agent.log'), 'a');
    // The row goes in first: an agent that registers before we return must find its token.
    const row = {
      name: LOCAL_NODE,
      workspace: compute.workspace,
      compute: compute.name,
      state: 'starting',
      shape: JSON.stringify({ cpus: availableParallelism(), memory_mb: Math.floor(totalmem() / 2 ** 20), gpus: 0, os: platform(), arch: arch() }),
      slots,
      agent_version: null,
      token_hash: createHash('sha256').update(token).digest('hex'),
      pid: null,
      last_heartbeat_ms: null,
      registered_at: new Date().toISOString(),
    };
    await store.nodes.upsert(row);
    const child = spawn(process.execPath, [AGENT_MAIN], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: {
        ...this.deps.local.agentEnv,
        CAIRN_AGENT_HIDE: this.deps.isolation.hide.join(':'),
        CAIRN_AGENT_JOB_USER: this.deps.isolation.jobUser,
        CAIRN_AGENT_SERVER_URL: this.deps.serverUrl(),
        CAIRN_AGENT_SERVER_FILE: join(this.deps.dataDir, 'server.json'),
        CAIRN_AGENT_TOKEN: token,
        CAIRN_AGENT_NODE: LOCAL_NODE,
        CAIRN_AGENT_DIR: this.agentDir,
      },
    });
    closeSync(logFd);
    child.unref();
    await store.nodes.update(LOCAL_NODE, { pid: child.pid ?? null });
    this.deps.log('started the local agent', { pid: child.pid });
  }

  async shutdown(): Promise<void> {
    const node = await this.deps.store.nodes.get(LOCAL_NODE);
    if (node && isAgentProcess(node.pid)) {
      try {
        process.kill(node.pid!, 'SIGTERM');
      } catch {}
      await this.deps.store.nodes.update(LOCAL_NODE, { state: 'stopped' });
    }
  }
}
