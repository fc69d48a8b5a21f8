import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { VmSize } from '../../protocol/compute-sizes.ts';
import type { ComputeSecrets, ComputeSpec } from '../../protocol/compute.ts';
import { connectSsh, shellQuote, type SshSession, type SshTarget } from '../../transports/ssh/index.ts';
import { AgentArtifacts } from '../../compute/virtualmachine/agent-bundle.ts';
import { checkHost, refuseHost, type HostFacts } from '../../compute/virtualmachine/host-check.ts';
import { agentRunning, installAgent, remoteLayout, removeAgent, startAgent, stopAgent, writeAgentConfig, writeServerFile, type RemoteLayout } from '../../compute/virtualmachine/remote-agent.ts';
import { type NodeHandle, type ProviderDeps, ProviderError } from '../types.ts';

/** Where a remote node's files live on its host: one folder per node, apart from attached machines' ~/.cairn-agent. */
export const NODE_WORK_DIR = '~/.cairn-node';
const KEEP_EVERY_MS = 2_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** A host's MemTotal is a little under the size's nominal memory (the kernel keeps some). */
const MEMORY_SLACK = 1.15;
const KEPT_STATES = ['starting', 'ready', 'unreachable'];

/** What the ssh and command providers keep of a node on a host they reach over SSH. */
export interface RemoteHandle extends NodeHandle {
  workspace: string;
  compute: string;
  /** Where other ranks of a distributed job reach the node. */
  address: string;
  ssh_port: number;
  admin_username: string;
  /** The host key pinned at first contact (or given), checked on every later connection. */
  host_key: string | null;
  /** The host's home folder, once known: with the node's name it gives where its files are. */
  home: string | null;
}

export interface Credentials {
  privateKey?: string;
  password?: string;
}

type ProviderSettings = { type: string; ssh_settings?: { admin_username?: string; ssh_private_key_file?: string } };

/** A folder name from a node name (`compute:node-1a2b3c` has a ':' that PYTHONPATH would split on). */
export const safeName = (node: string): string => node.replace(/[^A-Za-z0-9_.-]/g, '_');
export const whereOf = (h: Pick<RemoteHandle, 'admin_username' | 'address' | 'ssh_port'>): string => `${h.admin_username}@${h.address}:${h.ssh_port}`;
const layoutOf = (name: string, home: string): RemoteLayout => remoteLayout(NODE_WORK_DIR, home, safeName(name), false);

/** The credentials of a provider's ssh_settings: sealed text first, else a key file on the server's machine. */
export function credentialsOf(spec: ProviderSettings, secrets: ComputeSecrets | undefined): Credentials {
  const s = secrets?.provider ?? {};
  let privateKey = s.ssh_private_key;
  const file = spec.ssh_settings?.ssh_private_key_file;
  if (!privateKey && file && (file.startsWith('/') || file.startsWith('~/'))) {
    try {
      privateKey = readFileSync(file.startsWith('~/') ? resolve(homedir(), file.slice(2)) : file, 'utf8');
    } catch {}
  }
  return { ...(privateKey ? { privateKey } : {}), ...(s.admin_password ? { password: s.admin_password } : {}) };
}

/** Why a node of `size` cannot be this host, naming it; null when it fits. */
export function sizeProblem(size: VmSize, f: HostFacts, where: string): string | null {
  const gb = f.memory_mb / 1024;
  if (size.vcpus <= f.cpus && size.memory_gb <= gb * MEMORY_SLACK && size.gpus <= f.gpus.length) return null;
  const gpus = (n: number) => (size.gpus ? ` and ${n} GPU${n === 1 ? '' : 's'}` : '');
  return `size '${size.name}' needs ${size.vcpus} vCPUs, ${size.memory_gb} GB${gpus(size.gpus)}; host ${where} has ${f.cpus} vCPUs, ${gb.toFixed(1)} GB${gpus(f.gpus.length)}: choose a smaller size (\`cairn compute list-sizes\`)`;
}

export const asProviderError = (err: unknown): ProviderError => (err instanceof ProviderError ? err : new ProviderError((err as Error).message));

interface Link {
  session: SshSession;
  remotePort: number;
  close: () => Promise<void>;
}

/**
 * Agents on hosts reached over SSH, for the ssh and command providers: installed, configured and
 * started with the attached machines' functions (remote-agent.ts), each reaching the server through
 * a reverse tunnel on its own connection, so a host needs no route to the server. A keeper makes
 * the tunnel again when a connection drops or the server restarted.
 */
export class RemoteAgents {
  private readonly d: ProviderDeps;
  private readonly kind: string;
  private readonly artifacts = new AgentArtifacts();
  private readonly links = new Map<string, Link>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly lastError = new Map<string, string>();
  private keeping = false;

  constructor(deps: ProviderDeps, kind: string) {
    this.d = deps;
    this.kind = kind;
    setInterval(() => void this.keep(), KEEP_EVERY_MS).unref();
  }

  /** One operation at a time per node: create, delete and the keeper never overlap on it. */
  serial<T>(node: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(node) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(node, tail);
    void tail.then(() => {
      if (this.locks.get(node) === tail) this.locks.delete(node);
    });
    return next;
  }

  /** The compute's provider settings and credentials, read anew (they may have been rotated); null once it is gone. */
  async settings<T extends ProviderSettings>(workspace: string, compute: string, type: string): Promise<{ spec: T; creds: Credentials } | null> {
    const row = await this.d.store.computes.get(workspace, compute);
    if (!row) return null;
    const { spec, secrets } = this.d.unseal(row);
    const p = (spec as ComputeSpec & { provider?: unknown }).provider as T | undefined;
    if (!p || typeof p !== 'object' || p.type !== type) return null;
    return { spec: p, creds: credentialsOf(p, secrets) };
  }

  target(h: Pick<RemoteHandle, 'address' | 'ssh_port' | 'admin_username' | 'host_key'>, c: Credentials): SshTarget {
    return { host: h.address, port: h.ssh_port, username: h.admin_username, ...c, hostKey: h.host_key ?? undefined, readyTimeoutMs: CONNECT_TIMEOUT_MS };
  }

  /** Connects once (pinning on first use) and reads the host's facts. */
  async probe(h: Pick<RemoteHandle, 'address' | 'ssh_port' | 'admin_username' | 'host_key'>, c: Credentials): Promise<{ facts: HostFacts; hostKey: string }> {
    const session = await connectSsh(this.target(h, c));
    try {
      return { facts: await checkHost(session, NODE_WORK_DIR), hostKey: session.hostKey };
    } finally {
      await session.close();
    }
  }

  /**
   * Installs the agent (what is there already is kept), hands it `token` and starts it, the old
   * one stopped first: a create made again gives the same node. Returns the handle with the pin and
   * the host's home. On failure nothing of it is left on the host; throws ProviderError naming it.
   */
  async install(h: RemoteHandle, c: Credentials, token: string, size: VmSize): Promise<RemoteHandle> {
    let session: SshSession | null = null;
    let layout: RemoteLayout | null = null;
    try {
      session = await this.session(h, c);
      const facts = await checkHost(session, NODE_WORK_DIR);
      const problem = refuseHost(facts, whereOf(h), NODE_WORK_DIR) ?? sizeProblem(size, facts, whereOf(h));
      if (problem) throw new ProviderError(problem);
      layout = layoutOf(h.name, facts.home);
      const installed = await installAgent(session, layout, facts, this.artifacts);
      const link = await this.link(h.name, session);
      await stopAgent(session, layout);
      await writeAgentConfig(session, layout, { token, node: h.name, serverUrl: `http://127.0.0.1:${link.remotePort}`, agentFile: installed.agentFile, nodeBin: installed.node });
      await startAgent(session, layout);
      return { ...h, host_key: session.hostKey, home: facts.home };
    } catch (err) {
      if (session && layout && !session.closed) {
        const l = layout;
        await stopAgent(session, l)
          .then(() => removeAgent(session!, l, false))
          .catch(() => {});
      }
      await this.unlink(h.name, true);
      await session?.close().catch(() => {});
      throw asProviderError(err);
    }
  }

  /** Stops the agent and its jobs and removes everything Cairn put on the host for this node. */
  async remove(h: RemoteHandle, c: Credentials): Promise<void> {
    try {
      const session = await this.session(h, c);
      const home = h.home ?? (await session.exec('printf %s "$HOME"')).stdout;
      const layout = layoutOf(h.name, home);
      await stopAgent(session, layout);
      await removeAgent(session, layout, false);
    } catch (err) {
      throw asProviderError(err);
    } finally {
      await this.unlink(h.name, true);
    }
  }

  /** Stops the agent (its jobs end) and lets go of the tunnel; its files stay, for a create to start it again. */
  async suspend(h: RemoteHandle, c: Credentials): Promise<void> {
    try {
      const session = await this.session(h, c);
      const home = h.home ?? (await session.exec('printf %s "$HOME"')).stdout;
      const layout = layoutOf(h.name, home);
      await session.exec(`for f in ${shellQuote(layout.agentDir)}/attempts/*/pgid; do [ -f "$f" ] && kill -KILL -- -"$(cat "$f")" 2>/dev/null; done; true`);
      await stopAgent(session, layout);
    } catch (err) {
      throw asProviderError(err);
    } finally {
      await this.unlink(h.name, true);
    }
  }

  /** Lets go of a node's tunnel and connection (its agent, if any, is left alone). */
  async unlink(node: string, closeSession = false): Promise<void> {
    const l = this.links.get(node);
    this.links.delete(node);
    await l?.close().catch(() => {});
    if (closeSession) await l?.session.close().catch(() => {});
  }

  /** The node's live connection, or a new one. */
  private async session(h: RemoteHandle, c: Credentials): Promise<SshSession> {
    const l = this.links.get(h.name);
    return l && !l.session.closed ? l.session : connectSsh(this.target(h, c));
  }

  /** The reverse tunnel, one per connection: the host's 127.0.0.1:<port> reaches the server. */
  private async link(node: string, session: SshSession): Promise<Link> {
    const have = this.links.get(node);
    if (have && have.session === session && !session.closed) return have;
    if (have) await this.unlink(node, true);
    const server = new URL(this.d.serverUrl());
    const fwd = await session.forwardRemote(0, { host: server.hostname, port: Number(server.port) });
    const link = { session, remotePort: fwd.remotePort, close: fwd.close };
    this.links.set(node, link);
    session.onClose(() => {
      if (this.links.get(node) === link) this.links.delete(node);
    });
    return link;
  }

  /** Every node of this provider that should be up has its tunnel: made again after a dropped connection or a restart. */
  private async keep(): Promise<void> {
    if (this.keeping) return;
    this.keeping = true;
    try {
      const nodes = await this.d.store.db.selectFrom('nodes').select(['name']).where('provider', '=', this.kind).where('state', 'in', KEPT_STATES).execute();
      const loose = nodes.filter((n) => !this.links.get(n.name) || this.links.get(n.name)!.session.closed);
      await Promise.all(
        loose.map((n) =>
          this.serial(n.name, () => this.repair(n.name)).then(
            () => this.lastError.delete(n.name),
            (err) => {
              const msg = (err as Error).message;
              if (this.lastError.get(n.name) !== msg) this.d.log(`${this.kind} provider: node ${n.name}: ${msg}`);
              this.lastError.set(n.name, msg);
            },
          ),
        ),
      );
    } catch {
      // The store is closed (the server is stopping): nothing to keep.
    } finally {
      this.keeping = false;
    }
  }

  private async repair(name: string): Promise<void> {
    const n = await this.d.store.nodes.get(name); // again, under the node's lock: it may be going
    if (!n?.provider_ref || !KEPT_STATES.includes(n.state)) return;
    const have = this.links.get(name);
    if (have && !have.session.closed) return;
    const h = JSON.parse(n.provider_ref) as RemoteHandle;
    if (!h.home) return;
    const s = await this.settings<ProviderSettings>(h.workspace, h.compute, this.kind);
    if (!s) return;
    const session = await connectSsh(this.target(h, s.creds));
    try {
      const layout = layoutOf(name, h.home);
      const link = await this.link(name, session);
      await writeServerFile(session, layout, `http://127.0.0.1:${link.remotePort}`);
      if (!(await agentRunning(session, layout))) await startAgent(session, layout);
    } catch (err) {
      await this.unlink(name, true);
      await session.close().catch(() => {});
      throw err;
    }
  }
}
