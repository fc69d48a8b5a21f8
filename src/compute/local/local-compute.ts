import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isAgentProcess, startAgentProcess } from '../../providers/local/agent-process.ts';
import { availableParallelism, totalmem, platform, arch } from 'node:os';
import type { ComputeRow } from '../../store/computes.ts';
import type { BackendDeps, ComputeWithManagedNodes, JobDemand } from '../types.ts';

export const LOCAL_NODE = 'local';

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

  refuseJob(_compute: ComputeRow, job: JobDemand): string | null {
    return job.instanceCount > 1 ? `compute 'local' is one machine: a job on ${job.instanceCount} nodes needs a compute cluster (type: amlcompute)` : null;
  }

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
    const pid = startAgentProcess(this.agentDir, {
      ...this.deps.local.agentEnv,
      CAIRN_AGENT_HIDE: this.deps.isolation.hide.join(':'),
      CAIRN_AGENT_JOB_USER: this.deps.isolation.jobUser,
      CAIRN_AGENT_SERVER_URL: this.deps.serverUrl(),
      CAIRN_AGENT_SERVER_FILE: join(this.deps.dataDir, 'server.json'),
      CAIRN_AGENT_TOKEN: token,
      CAIRN_AGENT_NODE: LOCAL_NODE,
    });
    await store.nodes.update(LOCAL_NODE, { pid });
    this.deps.log('started the local agent', { pid });
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
