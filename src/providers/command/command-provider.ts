import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { VmSize } from '../../protocol/compute-sizes.ts';
import { HostKeyFingerprint, type CommandProviderSpec } from '../../protocol/compute.ts';
import { type NodeHandle, type NodeRequest, type ProviderWithSuspend, type ProviderDeps, ProviderError, type ProviderSize, type RefuseRequest } from '../types.ts';
import { RemoteAgents, safeName, type RemoteHandle } from '../ssh/remote-agents.ts';
import { runScript, scriptTail } from './run-script.ts';

/** What a create script prints: where the node is and whom Cairn logs in as. */
const Made = z.object({
  address: z.string().regex(/^[^\s@/]+$/, { error: 'expected a host name or IP address' }),
  ssh_port: z.number().int().min(1).max(65535).default(22),
  admin_username: z.string().regex(/^[^\s]+$/).optional(),
  host_key: HostKeyFingerprint.optional(),
});
type Made = z.infer<typeof Made>;
const SHAPE = '{"address": "10.0.0.5", "ssh_port": 22, "admin_username": "azureuser", "host_key": "SHA256:..." (optional)}';

export interface CommandHandle extends RemoteHandle {
  provider: 'command';
  size: string;
  tier: 'dedicated' | 'low_priority';
  /** The delete script as it was: a compute already gone still gets its nodes deleted. */
  delete_command: string;
  timeout_s: number;
}

/** The environment a script gets: the node's name and size. */
function nodeEnv(name: string, sizeName: string, size: VmSize | undefined, tier: string): Record<string, string> {
  return {
    CAIRN_NODE_NAME: name,
    CAIRN_NODE_SIZE: sizeName,
    CAIRN_NODE_TIER: tier,
    CAIRN_NODE_VCPUS: String(size?.vcpus ?? ''),
    CAIRN_NODE_MEMORY_GB: String(size?.memory_gb ?? ''),
    CAIRN_NODE_GPUS: String(size?.gpus ?? ''),
  };
}

/** The create script's JSON: the whole output, or its last line (a CLI may print progress first). */
function parseMade(stdout: string): Made {
  const lines = stdout.trim().split('\n').filter((l) => l.trim());
  let bad = '';
  for (const text of [stdout.trim(), lines.at(-1) ?? '']) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      continue;
    }
    const r = Made.safeParse(json);
    if (r.success) return r.data;
    const i = r.error.issues[0]!;
    bad = `${i.path.join('.') || 'its output'}: ${i.message}`;
  }
  throw new ProviderError(`create script printed ${bad ? `a JSON object Cairn cannot use (${bad})` : 'no JSON object'}; it must print ${SHAPE}${stdout.trim() ? `; it printed: ${scriptTail('', stdout)}` : ''}`);
}

/**
 * Nodes made and deleted by the user's scripts (`provider: {type: command, create, delete}`): the
 * bridge to any cloud's CLI. `create` prints where the node is; Cairn then reaches it over SSH with
 * the spec's ssh_settings and installs its agent there, as the ssh provider does. What a create
 * printed is kept, so a create made again after a crash reuses the node instead of making another;
 * a node whose agent cannot be installed is deleted again.
 */
export class CommandProvider implements ProviderWithSuspend {
  readonly name = 'command';
  private readonly d: ProviderDeps;
  private readonly remote: RemoteAgents;
  private readonly dir: string;

  constructor(deps: ProviderDeps) {
    this.d = deps;
    this.remote = new RemoteAgents(deps, 'command');
    this.dir = join(deps.dataDir, 'providers', 'command');
    mkdirSync(this.dir, { recursive: true });
  }

  /** The scripts decide: as many as they can make. */
  async catalog(): Promise<ProviderSize[]> {
    return this.d.sizes.all.map((s) => ({ ...s, available: null }));
  }

  async refuse(req: RefuseRequest): Promise<string | null> {
    const p = (req.spec as { provider?: CommandProviderSpec } | undefined)?.provider;
    if (!p || typeof p !== 'object' || p.type !== 'command') return null;
    for (const [field, cmd] of [['create', p.create], ['delete', p.delete]] as const) {
      const first = /^\s*(?:'([^']*)'|(\S+))/.exec(cmd);
      const path = first?.[1] ?? first?.[2] ?? '';
      if (path.startsWith('/') && !existsSync(path)) return `provider.${field}: ${path} does not exist on the server's machine`;
    }
    return null;
  }

  create(req: NodeRequest): Promise<NodeHandle> {
    return this.remote.serial(req.name, async () => {
      const s = await this.remote.settings<CommandProviderSpec>(req.workspace, req.compute, 'command');
      if (!s) throw new ProviderError(`the command provider has no settings for compute ${req.compute} (it is gone, or not a command compute)`);
      const env = nodeEnv(req.name, req.size.name, req.size, req.tier);
      const timeoutMs = s.spec.timeout * 1000;
      let made = this.record(req.name);
      if (!made) {
        const out = await runScript(s.spec.create, env, timeoutMs, 'create script');
        try {
          made = parseMade(out);
        } catch (err) {
          // It may have made something: delete gets its chance (it has the node's name).
          await runScript(s.spec.delete, { ...env, CAIRN_NODE_ADDRESS: '' }, timeoutMs, 'delete script').catch(() => {});
          throw err;
        }
        writeFileSync(this.file(req.name), JSON.stringify(made));
      }
      const handle: CommandHandle = {
        provider: 'command',
        name: req.name,
        workspace: req.workspace,
        compute: req.compute,
        address: made.address,
        ssh_port: made.ssh_port,
        admin_username: made.admin_username ?? s.spec.ssh_settings.admin_username ?? '',
        host_key: made.host_key ?? null,
        home: null,
        size: req.size.name,
        tier: req.tier,
        delete_command: s.spec.delete,
        timeout_s: s.spec.timeout,
      };
      try {
        if (!handle.admin_username) throw new ProviderError(`create script printed no admin_username and provider.ssh_settings has none: Cairn does not know whom to log in to ${made.address} as`);
        const up = await this.remote.install(handle, s.creds, req.agent.token, req.size);
        writeFileSync(this.file(req.name), JSON.stringify({ ...made, host_key: up.host_key }));
        return up;
      } catch (err) {
        // Nothing half-made: the node the script made goes again.
        const undone = await runScript(s.spec.delete, { ...env, CAIRN_NODE_ADDRESS: made.address }, timeoutMs, 'delete script').then(
          () => 'the node was deleted again (delete script)',
          (e: Error) => `and it could not be deleted again: ${e.message}`,
        );
        rmSync(this.file(req.name), { force: true });
        throw new ProviderError(`node at ${made.address} made, but its agent could not be installed: ${(err as Error).message}; ${undone}`);
      }
    });
  }

  async delete(handle: NodeHandle): Promise<void> {
    const h = handle as CommandHandle;
    await this.remote.serial(h.name, async () => {
      const s = await this.remote.settings<CommandProviderSpec>(h.workspace, h.compute, 'command');
      // Cairn's files first, while the node is there (a node already gone is fine: delete decides).
      if (s) await this.remote.remove(h, s.creds).catch(() => {});
      else await this.remote.unlink(h.name, true);
      const env = { ...nodeEnv(h.name, h.size, this.d.sizes.find(h.size), h.tier), CAIRN_NODE_ADDRESS: h.address };
      await runScript(s?.spec.delete ?? h.delete_command, env, (s?.spec.timeout ?? h.timeout_s) * 1000, 'delete script');
      rmSync(this.file(h.name), { force: true });
    });
  }

  /** A stopped instance: its agent stops, the host (and its files) stay its own until it is started or deleted. */
  async suspend(handle: NodeHandle): Promise<void> {
    const h = handle as CommandHandle;
    await this.remote.serial(h.name, async () => {
      const s = await this.remote.settings<CommandProviderSpec>(h.workspace, h.compute, 'command');
      if (s) await this.remote.suspend(h, s.creds);
    });
  }

  async exists(handle: NodeHandle): Promise<boolean> {
    return this.record(handle.name) !== null;
  }

  private file(node: string): string {
    return join(this.dir, `${safeName(node)}.json`);
  }

  /** What the create script printed for this node, kept until it is deleted. */
  private record(node: string): Made | null {
    try {
      return JSON.parse(readFileSync(this.file(node), 'utf8')) as Made;
    } catch {
      return null;
    }
  }
}
