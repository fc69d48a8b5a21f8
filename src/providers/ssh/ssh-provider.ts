import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshProviderSpec } from '../../protocol/compute.ts';
import type { HostFacts } from '../../compute/virtualmachine/host-check.ts';
import { refuseHost } from '../../compute/virtualmachine/host-check.ts';
import { type NodeHandle, type NodeRequest, type ProviderWithSuspend, type ProviderDeps, ProviderError, type ProviderSize, type RefuseRequest } from '../types.ts';
import { credentialsOf, NODE_WORK_DIR, RemoteAgents, sizeProblem, whereOf, type RemoteHandle } from './remote-agents.ts';

/** A node whose host cannot be reached is retried this long before it is forgotten (what was left there is logged). */
const GIVE_UP_DELETE_MS = 10 * 60_000;

type Host = SshProviderSpec['hosts'][number];
export interface SshHandle extends RemoteHandle {
  provider: 'ssh';
}
/** Which node holds a host: one file per host, made with O_EXCL, so two creates never get the same one. */
interface Claim {
  node: string;
  workspace: string;
  compute: string;
}

const hostId = (h: Host) => `${h.address}:${h.ssh_port}`;
const claimFile = (h: Host) => `${h.address.replace(/[^A-Za-z0-9_.-]/g, '_')}_${h.ssh_port}.json`;

/**
 * A fleet of existing machines (`provider: {type: ssh, hosts: [...]}`): a node is one free host
 * (one no node of any compute holds), with the agent installed and started there and a reverse
 * tunnel to the server; scaling down removes everything Cairn put on it. Host keys are pinned at
 * first contact (or given in host_keys) and checked afterwards.
 */
export class SshProvider implements ProviderWithSuspend {
  readonly name = 'ssh';
  private readonly d: ProviderDeps;
  private readonly remote: RemoteAgents;
  private readonly dir: string;
  private readonly facts = new Map<string, HostFacts>();
  private readonly failingSince = new Map<string, number>();
  private claiming: Promise<unknown> = Promise.resolve();

  constructor(deps: ProviderDeps) {
    this.d = deps;
    this.remote = new RemoteAgents(deps, 'ssh');
    this.dir = join(deps.dataDir, 'providers', 'ssh');
    mkdirSync(join(this.dir, 'claims'), { recursive: true });
  }

  /** Sizes and how many free hosts (of every ssh compute, or of `spec`) could take a node of each now. */
  async catalog(spec?: SshProviderSpec): Promise<ProviderSize[]> {
    const hosts = spec ? spec.hosts : await this.allHosts();
    const free = (await this.freeHosts(hosts)).map((h) => this.facts.get(hostId(h)));
    return this.d.sizes.all.map((s) => ({ ...s, available: free.filter((f) => !f || !sizeProblem(s, f, '')).length }));
  }

  async refuse(req: RefuseRequest): Promise<string | null> {
    const spec = providerOf(req.spec);
    if (!spec) return null;
    const creds = credentialsOf(spec, req.secrets);
    // Every host at once (a fleet may be large); the first problem in the spec's order is the answer.
    const problems = await Promise.all(
      spec.hosts.map(async (host) => {
        const h = this.handleFor(spec, host, '');
        try {
          const { facts, hostKey } = await this.remote.probe(h, creds);
          this.pin(host, hostKey);
          this.facts.set(hostId(host), facts);
          const problem = refuseHost(facts, whereOf(h), NODE_WORK_DIR) ?? sizeProblem(req.size, facts, whereOf(h));
          return problem ? `${problem}: the ssh provider cannot make such a node` : null;
        } catch (err) {
          return `the ssh provider cannot use host ${hostId(host)}: ${fleetWords((err as Error).message, host)}`;
        }
      }),
    );
    const problem = problems.find((p) => p !== null);
    if (problem) return problem;
    const free = await this.freeHosts(spec.hosts);
    if (req.minInstances > free.length) {
      const held = (await this.claims()).filter((c) => spec.hosts.some((h) => claimFile(h) === c.file)).map((c) => `${c.host} is node ${c.claim.node}`);
      return `min_instances ${req.minInstances} is more than the ${free.length} free host${free.length === 1 ? '' : 's'} of this fleet of ${spec.hosts.length}${held.length ? ` (${held.join(', ')})` : ''}`;
    }
    return null;
  }

  async create(req: NodeRequest): Promise<NodeHandle> {
    const s = await this.remote.settings<SshProviderSpec>(req.workspace, req.compute, 'ssh');
    if (!s) throw new ProviderError(`the ssh provider has no settings for compute ${req.compute} (it is gone, or not an ssh fleet)`);
    return this.remote.serial(req.name, async () => {
      const host = await this.claim(req, s.spec);
      try {
        const made = (await this.remote.install(this.handleFor(s.spec, host, req.name, req), s.creds, req.agent.token, req.size)) as SshHandle;
        this.pin(host, made.host_key!);
        return made;
      } catch (err) {
        rmSync(join(this.dir, 'claims', claimFile(host)), { force: true });
        throw new ProviderError(fleetWords((err as Error).message, host));
      }
    });
  }

  async delete(handle: NodeHandle): Promise<void> {
    const h = handle as SshHandle;
    const host = { address: h.address, ssh_port: h.ssh_port };
    await this.remote.serial(h.name, async () => {
      const s = await this.remote.settings<SshProviderSpec>(h.workspace, h.compute, 'ssh');
      if (s) {
        try {
          await this.remote.remove(h, s.creds);
        } catch (err) {
          const since = this.failingSince.get(h.name) ?? Date.now();
          this.failingSince.set(h.name, since);
          if (Date.now() - since < GIVE_UP_DELETE_MS) throw err;
          this.d.log(`ssh provider: gave up cleaning host ${whereOf(h)} for node ${h.name} after ${GIVE_UP_DELETE_MS / 60_000} min; left there: ~/${NODE_WORK_DIR.slice(2)} (${(err as Error).message})`);
        }
      } else {
        await this.remote.unlink(h.name, true);
      }
      this.failingSince.delete(h.name);
      if (this.readClaim(host)?.node === h.name) rmSync(join(this.dir, 'claims', claimFile(host)), { force: true });
    });
  }

  /** A stopped instance: its agent stops, the host (and its files) stay its own until it is started or deleted. */
  async suspend(handle: NodeHandle): Promise<void> {
    const h = handle as SshHandle;
    await this.remote.serial(h.name, async () => {
      const s = await this.remote.settings<SshProviderSpec>(h.workspace, h.compute, 'ssh');
      if (s) await this.remote.suspend(h, s.creds);
    });
  }

  async exists(handle: NodeHandle): Promise<boolean> {
    const h = handle as SshHandle;
    return this.readClaim({ address: h.address, ssh_port: h.ssh_port })?.node === h.name;
  }

  private handleFor(spec: SshProviderSpec, host: Host, name: string, req?: NodeRequest): SshHandle {
    return {
      provider: 'ssh',
      name,
      workspace: req?.workspace ?? '',
      compute: req?.compute ?? '',
      address: host.address,
      ssh_port: host.ssh_port,
      admin_username: spec.ssh_settings.admin_username,
      host_key: spec.host_keys?.[host.address] ?? this.pins()[hostId(host)] ?? null,
      home: null,
    };
  }

  /** The host this node holds (a create made again finds it), else the first free one of its fleet. */
  private claim(req: NodeRequest, spec: SshProviderSpec): Promise<Host> {
    const next = this.claiming.then(async () => {
      const mine = spec.hosts.find((h) => this.readClaim(h)?.node === req.name);
      if (mine) return mine;
      for (const h of await this.freeHosts(spec.hosts)) {
        try {
          writeFileSync(join(this.dir, 'claims', claimFile(h)), JSON.stringify({ node: req.name, workspace: req.workspace, compute: req.compute } satisfies Claim), { flag: 'wx' });
          return h;
        } catch {}
      }
      const held = (await this.claims()).filter((c) => spec.hosts.some((h) => claimFile(h) === c.file)).map((c) => `${c.host} is node ${c.claim.node}`);
      throw new ProviderError(`the ssh provider has no free host for compute ${req.compute}: all ${spec.hosts.length} of its hosts hold a node (${held.join(', ')})`);
    });
    this.claiming = next.catch(() => {});
    return next;
  }

  /** Hosts no node holds; a claim whose node no longer exists (a create that died) is dropped. */
  private async freeHosts(hosts: Host[]): Promise<Host[]> {
    const free: Host[] = [];
    for (const h of hosts) {
      const c = this.readClaim(h);
      if (c && (await this.d.store.nodes.get(c.node))) continue;
      if (c) rmSync(join(this.dir, 'claims', claimFile(h)), { force: true });
      if (!free.some((f) => hostId(f) === hostId(h))) free.push(h);
    }
    return free;
  }

  private readClaim(h: Host): Claim | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'claims', claimFile(h)), 'utf8')) as Claim;
    } catch {
      return null;
    }
  }

  private async claims(): Promise<{ file: string; host: string; claim: Claim }[]> {
    const out: { file: string; host: string; claim: Claim }[] = [];
    for (const file of readdirSync(join(this.dir, 'claims'))) {
      try {
        out.push({ file, host: file.replace(/\.json$/, '').replace(/_(\d+)$/, ':$1'), claim: JSON.parse(readFileSync(join(this.dir, 'claims', file), 'utf8')) as Claim });
      } catch {}
    }
    return out;
  }

  private async allHosts(): Promise<Host[]> {
    const rows = await this.d.store.db.selectFrom('computes').select(['spec']).where('type', 'in', ['amlcompute', 'computeinstance']).execute();
    return rows.flatMap((r) => providerOf(JSON.parse(r.spec))?.hosts ?? []);
  }

  /** Host keys seen first (trust on first use), by host:port: every later connection checks them. */
  private pins(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'host-keys.json'), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private pin(h: Host, key: string): void {
    const pins = this.pins();
    if (pins[hostId(h)] === key) return;
    pins[hostId(h)] = key;
    writeFileSync(join(this.dir, 'host-keys.json'), JSON.stringify(pins, null, 1));
  }
}

/** The transport says how to fix an attached machine's key; a fleet's keys are pinned in provider.host_keys. */
const fleetWords = (msg: string, h: Host) => msg.replace("update the compute's host_key", `set provider.host_keys['${h.address}']`);

function providerOf(spec: unknown): SshProviderSpec | null {
  const p = (spec as { provider?: unknown } | undefined)?.provider as SshProviderSpec | undefined;
  return p && typeof p === 'object' && p.type === 'ssh' ? p : null;
}
