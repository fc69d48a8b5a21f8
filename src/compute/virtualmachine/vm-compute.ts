import { createHash, randomBytes } from 'node:crypto';
import { CairnError } from '../../protocol/errors.ts';
import type { ComputeAction, ComputeSpec } from '../../protocol/compute.ts';
import type { ComputeRow } from '../../store/computes.ts';
import { connectSsh, SshPool, type SshSession, type SshTarget } from '../../transports/ssh/index.ts';
import type { BackendDeps, ComputeContext, ComputeSecrets, ComputeWithManagedNodes, ComputeWithPower, ComputeWithProvisioning, PreflightResult, JobDemand } from '../types.ts';
import { AgentArtifacts } from './agent-bundle.ts';
import { checkHost, hostCheckError, refuseHost, type HostFacts } from './host-check.ts';
import { agentLogTail, agentRunning, installAgent, remoteLayout, removeAgent, startAgent, stopAgent, writeAgentConfig, writeServerFile, type RemoteLayout } from './remote-agent.ts';

type VmSpec = Extract<ComputeSpec, { type: 'virtualmachine' }>;
const REPAIR_EVERY_MS = 2_000;
const REGISTER_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The node of an attached machine: one per compute, named after it (compute names are unique per workspace). */
export const vmNodeName = (row: Pick<ComputeRow, 'workspace' | 'name'>) => (row.workspace === 'default' ? row.name : `${row.workspace}.${row.name}`);

interface Link {
  session: SshSession;
  remotePort: number;
  close: () => Promise<void>;
}

/**
 * An existing machine attached over SSH (Azure ML's `virtualmachine`). Cairn installs its agent
 * there and reaches it through a reverse tunnel on the same SSH connection, so the host needs no
 * route to the server; the agent runs detached, so jobs outlive the connection and the server.
 */
export class VirtualMachineCompute implements ComputeWithProvisioning, ComputeWithManagedNodes, ComputeWithPower {
  refuseJob(compute: ComputeRow, job: JobDemand): string | null {
    return job.instanceCount > 1 ? `compute '${compute.name}' is one attached machine: a job on ${job.instanceCount} nodes needs a compute cluster (type: amlcompute)` : null;
  }

  readonly type = 'virtualmachine';
  private readonly deps: BackendDeps;
  private readonly pool = new SshPool();
  private readonly artifacts = new AgentArtifacts();
  private readonly links = new Map<string, Link>();
  private readonly homes = new Map<string, string>();
  private readonly repairs = new Map<string, { at: number; running: Promise<void> | null; lastError: string | null }>();

  constructor(deps: BackendDeps) {
    this.deps = deps;
  }

  private target(spec: VmSpec, secrets: ComputeSecrets, hostKey: string | null): SshTarget {
    return {
      host: spec.address,
      port: spec.ssh_settings.ssh_port,
      username: spec.ssh_settings.admin_username,
      privateKey: secrets.ssh_private_key,
      password: secrets.admin_password,
      hostKey: hostKey ?? undefined,
      readyTimeoutMs: this.deps.ssh.connectTimeoutMs,
    };
  }

  private where(spec: VmSpec): string {
    return `${spec.ssh_settings.admin_username}@${spec.address}:${spec.ssh_settings.ssh_port}`;
  }

  private workDir(spec: VmSpec): { dir: string; custom: boolean } {
    return spec.work_dir ? { dir: spec.work_dir, custom: true } : { dir: this.deps.ssh.defaultWorkDir, custom: false };
  }

  async preflight(spec: ComputeSpec, secrets: ComputeSecrets, hostKey: string | null): Promise<PreflightResult> {
    const vm = spec as VmSpec;
    const session = await connectSsh(this.target(vm, secrets, hostKey));
    try {
      const facts = await checkHost(session, this.workDir(vm).dir);
      const refusal = refuseHost(facts, this.where(vm), this.workDir(vm).dir);
      if (refusal) throw hostCheckError(refusal);
      return { hostKey: session.hostKey, warnings: [] };
    } finally {
      await session.close();
    }
  }

  private async session(c: ComputeContext): Promise<SshSession> {
    return this.pool.get(c.row.name, this.target(c.spec as VmSpec, c.secrets, c.row.host_key));
  }

  /** Provisioning and updates look at the host anew; the host's home folder is kept for the layout. */
  private async inspect(c: ComputeContext, session: SshSession): Promise<{ layout: RemoteLayout; facts: HostFacts }> {
    const wd = this.workDir(c.spec as VmSpec);
    const facts = await checkHost(session, wd.dir);
    this.homes.set(c.row.name, facts.home);
    return { layout: remoteLayout(wd.dir, facts.home, c.row.name, wd.custom), facts };
  }

  /** Where Cairn's files are on the host; asks the host only when this server has not yet. */
  private async layout(c: ComputeContext, session: SshSession): Promise<RemoteLayout> {
    const home = this.homes.get(c.row.name);
    if (!home) return (await this.inspect(c, session)).layout;
    const wd = this.workDir(c.spec as VmSpec);
    return remoteLayout(wd.dir, home, c.row.name, wd.custom);
  }

  async provision(c: ComputeContext): Promise<void> {
    const vm = c.spec as VmSpec;
    const session = await this.session(c);
    const { layout, facts } = await this.inspect(c, session);
    const refusal = refuseHost(facts, this.where(vm), layout.root);
    if (refusal) throw hostCheckError(refusal);
    const installed = await installAgent(session, layout, facts, this.artifacts);
    const node = vmNodeName(c.row);
    const token = randomBytes(24).toString('hex');
    await this.deps.store.nodes.upsert({
      name: node,
      workspace: c.row.workspace,
      compute: c.row.name,
      state: 'starting',
      shape: JSON.stringify({ cpus: facts.cpus, memory_mb: facts.memory_mb, gpus: facts.gpus.length, gpu_names: facts.gpus, os: 'linux', arch: facts.arch, python: facts.python }),
      slots: vm.max_concurrent_jobs ?? facts.cpus,
      agent_version: null,
      token_hash: createHash('sha256').update(token).digest('hex'),
      pid: null,
      last_heartbeat_ms: null,
      registered_at: new Date().toISOString(),
    });
    const link = await this.link(c.row.name, session);
    await stopAgent(session, layout); // a re-provision hands the agent a new token
    await writeAgentConfig(session, layout, { token, node, serverUrl: `http://127.0.0.1:${link.remotePort}`, agentFile: installed.agentFile, nodeBin: installed.node });
    await startAgent(session, layout);
    const deadline = Date.now() + REGISTER_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const n = await this.deps.store.nodes.get(node);
      if (n?.state === 'ready' && n.agent_version) return;
      await sleep(100);
    }
    const tail = await agentLogTail(session, layout).catch(() => '');
    throw new CairnError('HostCheckFailed', `the agent on ${this.where(vm)} did not register within ${REGISTER_TIMEOUT_MS / 1000} s${tail ? `; its log ends: ${tail.split('\n').pop()}` : ''}`);
  }

  /** The reverse tunnel, made once per SSH connection; a new connection gets a new one. */
  private async link(compute: string, session: SshSession): Promise<Link> {
    const have = this.links.get(compute);
    if (have && have.session === session && !session.closed) return have;
    const server = new URL(this.deps.serverUrl());
    const fwd = await session.forwardRemote(0, { host: server.hostname, port: Number(server.port) });
    const link = { session, remotePort: fwd.remotePort, close: fwd.close };
    this.links.set(compute, link);
    session.onClose(() => {
      if (this.links.get(compute) === link) this.links.delete(compute);
    });
    return link;
  }

  async apply(c: ComputeContext): Promise<void> {
    const vm = c.spec as VmSpec;
    // New credentials or a new pinned key take effect on the next connection.
    await this.pool.drop(c.row.name);
    this.links.delete(c.row.name);
    const session = await this.session(c);
    const { facts } = await this.inspect(c, session);
    await this.deps.store.nodes.update(vmNodeName(c.row), { slots: vm.max_concurrent_jobs ?? facts.cpus });
    await this.repair(c.row, true);
  }

  async power(c: ComputeContext, action: ComputeAction): Promise<void> {
    await this.repairs.get(c.row.name)?.running; // a repair in flight must not start the agent this stop ends
    const session = await this.session(c);
    const layout = await this.layout(c, session);
    if (action === 'stop' || action === 'restart') {
      await stopAgent(session, layout);
      await this.deps.store.nodes.update(vmNodeName(c.row), { state: 'stopped' });
    }
    if (action === 'start' || action === 'restart') {
      await this.link(c.row.name, session).then((l) => writeServerFile(session, layout, `http://127.0.0.1:${l.remotePort}`));
      await startAgent(session, layout);
    }
  }

  async release(c: ComputeContext, _mode: 'delete' | 'detach'): Promise<void> {
    const vm = c.spec as VmSpec;
    try {
      const session = await this.session(c);
      const layout = await this.layout(c, session);
      await stopAgent(session, layout);
      await removeAgent(session, layout, this.workDir(vm).custom);
    } catch (err) {
      // An unreachable host can still be forgotten; what Cairn left there is named in the server log.
      this.deps.log(`could not clean up ${this.where(vm)}: ${(err as Error).message}`);
    }
    await this.links.get(c.row.name)?.close().catch(() => {});
    this.links.delete(c.row.name);
    this.homes.delete(c.row.name);
    await this.pool.drop(c.row.name);
    await this.deps.store.db.deleteFrom('nodes').where('compute', '=', c.row.name).where('workspace', '=', c.row.workspace).execute();
  }

  /** Node health calls this every second: cheap while the tunnel and the agent are fine. */
  async ensureNodes(row: ComputeRow): Promise<void> {
    if (row.provisioning_state !== 'Succeeded' || row.power_state === 'Stopped' || row.pending_action) return;
    const node = await this.deps.store.nodes.get(vmNodeName(row));
    const link = this.links.get(row.name);
    if (link && !link.session.closed && node?.state === 'ready') return;
    await this.repair(row, false);
  }

  private async repair(row: ComputeRow, now: boolean): Promise<void> {
    const r = this.repairs.get(row.name) ?? { at: 0, running: null, lastError: null };
    this.repairs.set(row.name, r);
    if (r.running) return r.running;
    if (!now && Date.now() - r.at < REPAIR_EVERY_MS) return;
    r.at = Date.now();
    r.running = this.reconnect(row)
      .then(() => {
        r.lastError = null;
      })
      .catch((err) => {
        const msg = (err as Error).message;
        if (msg !== r.lastError) this.deps.log(`attached machine ${row.name}: ${msg}`);
        r.lastError = msg;
      })
      .finally(() => {
        r.running = null;
      });
    return r.running;
  }

  /** After a server restart or a dropped connection: a new tunnel, its port told to the agent, the agent started if it died. */
  private async reconnect(row: ComputeRow): Promise<void> {
    const c = this.deps.unseal(row);
    const session = await this.session(c);
    const layout = await this.layout(c, session);
    const before = this.links.get(row.name);
    const link = await this.link(row.name, session);
    if (link !== before) await writeServerFile(session, layout, `http://127.0.0.1:${link.remotePort}`);
    const now = await this.deps.store.computes.get(row.workspace, row.name);
    if (!now || now.power_state === 'Stopped' || now.pending_action) return; // stopped or being changed meanwhile
    if (!(await agentRunning(session, layout))) {
      this.deps.log(`attached machine ${row.name}: the agent is not running; starting it`);
      await startAgent(session, layout);
    }
  }

  async shutdown(): Promise<void> {
    for (const l of this.links.values()) await l.close().catch(() => {});
    this.links.clear();
    await this.pool.closeAll();
  }
}
