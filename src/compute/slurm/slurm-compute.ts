import { arch as serverArch } from 'node:os';
import { posix } from 'node:path';
import { CairnError } from '../../protocol/errors.ts';
import type { ComputeSpec } from '../../protocol/compute.ts';
import type { ComputeRow } from '../../store/computes.ts';
import { connectSsh, SshPool, shellQuote as q, type SshSession, type SshTarget } from '../../transports/ssh/index.ts';
import type { BackendDeps, BatchObservation, BatchSubmission, ComputeContext, ComputeSecrets, ComputeWithBatchQueue, ComputeWithLiveView, ComputeWithProvisioning, JobDemand, PreflightResult } from '../types.ts';
import { SubmissionRefused } from '../types.ts';
import { AgentArtifacts } from '../virtualmachine/agent-bundle.ts';
import { installAgent } from '../virtualmachine/remote-agent.ts';
import { SlurmCommands, type SbatchCall } from './commands.ts';
import { arrayDir, arrayRequest, arraySetupScript, forgetScript, markersScript, parseMarkers, planArrays } from './arrays.ts';
import { LocalShell, SshShell, type ClusterShell } from './shell.ts';
import { agentEnvFile, batchScript, launcherScript, slurmLayout, subDir, type SlurmLayout } from './layout.ts';
import { EARLY_OUTPUT, nodeLocalBatchScript, type NodeLocalArtifacts } from './node-local.ts';
import { checkExtraOptions, sbatchArgs } from './sbatch-options.ts';
import { parseDuration } from './time.ts';
import { SlurmRest, type RestAuth } from './rest.ts';
import type { SlurmJobState } from './commands.ts';
import { checkCluster, describeCluster, scalingUpdates, type PartitionFacts } from './cluster-facts.ts';

export type SlurmSpec = Extract<ComputeSpec, { type: 'slurm' }>;

const ARCH_OF: Record<string, string> = { x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64' };
/** Until a submission is made, `queue_settings.priority: low` is niced so the user's other jobs go first. */
const DEFAULT_PRIORITIES: NonNullable<SlurmSpec['priorities']> = { low: { nice: 100 } };

interface Attached {
  home: string;
  layout: SlurmLayout;
  partition: PartitionFacts | null;
}

/**
 * An existing Slurm cluster. Cairn does not schedule its jobs: each becomes one sbatch submission
 * (recorded first, by the batch dispatcher) whose script starts Cairn's agent once per node, from
 * a folder on the cluster's shared file system (or, where the nodes share none, from each node's
 * own copy in node_local_dir). Commands run on the login host over SSH, or on the server's own
 * host when the compute has no address.
 */
export class SlurmCompute implements ComputeWithProvisioning, ComputeWithBatchQueue, ComputeWithLiveView {
  readonly type = 'slurm';
  readonly unsupported = {
    start: "a Slurm cluster has no power switch in Cairn: Slurm powers its CLOUD nodes up and down itself (see `cairn compute show`: min_instances, max_instances, idle_time_before_scale_down)",
    stop: 'a Slurm cluster has no power switch in Cairn: `cairn compute update --set min_instances=0` lets Slurm suspend all its idle CLOUD nodes',
    restart: 'a Slurm cluster cannot be restarted from Cairn: restart slurmctld on the cluster; Cairn carries on where it was',
  };
  private readonly deps: BackendDeps;
  private readonly pool = new SshPool();
  private readonly artifacts = new AgentArtifacts();
  private readonly attached = new Map<string, Attached>();
  private readonly commands = new Map<string, { cmd: SlurmCommands; shell: ClusterShell }>();
  private readonly rests = new Map<string, { rest: SlurmRest; env: Record<string, string> }>();
  private readonly views = new Map<string, { view: Record<string, unknown>; until: number }>();

  constructor(deps: BackendDeps) {
    this.deps = deps;
  }

  refuseJob(compute: ComputeRow, job: JobDemand): string | null {
    const p = this.attached.get(key(compute))?.partition;
    if (!p) return null; // not looked at yet: Slurm itself refuses what cannot run, in its own words
    if (job.instanceCount > p.totalNodes) return `partition '${p.name}' has ${p.totalNodes} node${p.totalNodes === 1 ? '' : 's'}: a job on ${job.instanceCount} nodes cannot run there`;
    if (p.maxNodes !== null && job.instanceCount > p.maxNodes) return `partition '${p.name}' allows at most ${p.maxNodes} node${p.maxNodes === 1 ? '' : 's'} per job (MaxNodes): a job on ${job.instanceCount} nodes cannot run there`;
    if (p.maxTimeS !== null && job.timeoutS && job.timeoutS > p.maxTimeS) return `partition '${p.name}' allows at most ${p.maxTime} per job (MaxTime): limits.timeout of ${job.timeoutS} s is longer`;
    return null;
  }

  // ---- connecting ------------------------------------------------------------------------------

  private target(spec: SlurmSpec, secrets: ComputeSecrets, hostKey: string | null): SshTarget {
    const ssh = spec.ssh_settings!;
    return { host: spec.address!, port: ssh.ssh_port, username: ssh.admin_username, privateKey: secrets.ssh_private_key, password: secrets.admin_password, hostKey: hostKey ?? undefined, readyTimeoutMs: this.deps.ssh.connectTimeoutMs };
  }

  private async open(spec: SlurmSpec, secrets: ComputeSecrets, hostKey: string | null, pooled: string | null): Promise<{ shell: ClusterShell; session: SshSession | null }> {
    const env = spec.slurm_env ?? {};
    if (!spec.address) return { shell: new LocalShell(env, this.deps.hostPath), session: null };
    const t = this.target(spec, secrets, hostKey);
    const session = pooled ? await this.pool.get(pooled, t) : await connectSsh(t);
    return { shell: new SshShell(session, env), session };
  }

  /** slurmrestd for job submission, state and cancel, when the compute names one. */
  private async rest(c: ComputeContext): Promise<{ rest: SlurmRest; env: Record<string, string> } | null> {
    const spec = c.spec as SlurmSpec;
    if (!spec.slurmrestd_url) return null;
    const k = key(c.row);
    const have = this.rests.get(k);
    if (have) return have;
    const { shell } = await this.cmd(c);
    const made = restFor(spec.slurmrestd_url, shell, spec.slurm_env ?? {});
    this.rests.set(k, made);
    return made;
  }

  private async cmd(c: ComputeContext): Promise<{ cmd: SlurmCommands; shell: ClusterShell }> {
    const k = key(c.row);
    const have = this.commands.get(k);
    const spec = c.spec as SlurmSpec;
    if (have && (!spec.address || !(have.shell.host as SshSession).closed)) return have;
    const { shell } = await this.open(spec, c.secrets, c.row.host_key, k);
    const made = { cmd: new SlurmCommands(shell), shell };
    this.commands.set(k, made);
    if (!this.attached.has(k)) await this.look(c, made.cmd, made.shell);
    else made.cmd.learn((await made.cmd.facts()).config);
    return made;
  }

  /** What this server needs to know of an attached cluster: the login user's home (for `~/`), the layout, the partition's limits. */
  private async look(c: ComputeContext, cmd: SlurmCommands, shell: ClusterShell): Promise<Attached> {
    const spec = c.spec as SlurmSpec;
    const home = (await shell.run('printf %s "$HOME"')).out.trim();
    const facts = await cmd.facts();
    const partition = checkCluster(spec, facts).partition;
    const a = { home, layout: slurmLayout(rootOf(spec, home, c.row.name, this.deps.ssh.defaultWorkDir)), partition };
    this.attached.set(key(c.row), a);
    return a;
  }

  // ---- attach, update, detach -----------------------------------------------------------------

  async preflight(specIn: ComputeSpec, secrets: ComputeSecrets, hostKey: string | null): Promise<PreflightResult> {
    const spec = specIn as SlurmSpec;
    const extra = checkExtraOptions(spec.sbatch_options ?? []);
    if (extra) throw new CairnError('ValidationError', extra);
    if (spec.slurmrestd_url && spec.sbatch_options?.length) throw new CairnError('ValidationError', "sbatch_options are sbatch's command-line options, which slurmrestd does not take: remove them, or remove slurmrestd_url to submit with sbatch over SSH");
    const { shell, session } = await this.open(spec, secrets, hostKey, null);
    try {
      const cmd = new SlurmCommands(shell);
      const facts = await cmd.facts();
      if (spec.slurmrestd_url) await restFor(spec.slurmrestd_url, shell, spec.slurm_env ?? {}).rest.detect();
      const checked = checkCluster(spec, facts);
      const host = await shell.run('printf %s "$HOME"; echo; uname -m');
      const [home, machine] = host.out.trim().split('\n');
      if (spec.address && ARCH_OF[machine?.trim() ?? ''] !== serverArch()) {
        throw new CairnError('HostCheckFailed', `the login host ${shell.where} is ${machine?.trim() || 'of an unknown architecture'}; this server can only bring its agent to ${serverArch()} hosts`);
      }
      const layout = slurmLayout(rootOf(spec, home ?? '', spec.name, this.deps.ssh.defaultWorkDir));
      const shared = await this.checkShared(cmd, spec, layout, checked.partition?.name ?? null);
      const warnings = [...checked.warnings, ...shared.warnings];
      if (spec.address || spec.server_url) warnings.push(...(await this.checkServerReach(shell, spec)));
      return { ...(session ? { hostKey: session.hostKey } : {}), warnings, ...(shared.settled ? { settled: shared.settled } : {}) };
    } finally {
      await session?.close();
    }
  }

  /**
   * Whether the compute nodes see the work folder: written here, looked for from a compute node
   * with srun (bounded by --immediate, so a full cluster cannot hold attach). Where they do not,
   * each node will fetch its own copy into node_local_dir (settled here when not given), and the
   * attach says so.
   */
  private async checkShared(cmd: SlurmCommands, spec: SlurmSpec, l: SlurmLayout, partition: string | null): Promise<{ warnings: string[]; settled?: { node_local_dir: string } }> {
    const probe = posix.join(l.root, `.shared-check-${Date.now()}`);
    const opts = [...(partition ? [`--partition=${partition}`] : []), ...(spec.account ? [`--account=${spec.account}`] : [])].map(q).join(' ');
    const r = await cmd.run(`mkdir -p ${q(l.root)} && touch ${q(probe)} || exit 5\nout=$(srun --nodes=1 --ntasks=1 --time=1 --immediate=20 --job-name=cairn-attach-check ${opts} sh -c ${q(`test -f ${q(probe)} && echo seen || echo unseen`)} 2>&1); r=$?\nrm -f ${q(probe)}\nprintf '%s\\n%s\\n' "$r" "$out"`, 60_000);
    if (r.code === 5) throw new CairnError('HostCheckFailed', `cannot create the work folder ${l.root} on ${cmd.where}: ${r.err.trim().split('\n').pop() ?? ''}`);
    const [rc, ...rest] = r.out.trim().split('\n');
    const text = rest.join(' ');
    if (rc === '0' && text.includes('unseen')) {
      const dir = spec.node_local_dir ?? posix.join('/tmp', `cairn-slurm-${spec.name}`);
      return {
        warnings: [`the compute nodes do not see the work folder ${l.root} (no shared file system there): each node will fetch its own copy of Cairn's agent, its runtime, code and environments from this server into ${dir} on its own disk (node_local_dir), and keep it for the next jobs`],
        ...(spec.node_local_dir ? {} : { settled: { node_local_dir: dir } }),
      };
    }
    if (rc === '0' && text.includes('seen')) return { warnings: [] };
    return { warnings: [`could not check that the compute nodes see ${l.root} (srun could not start a step within 20 s: ${text.slice(0, 200) || `exit ${rc}`}); Cairn assumes they do${spec.node_local_dir ? '' : ' (set node_local_dir if they do not: each node then fetches its own copy)'}`] };
  }

  /** The agents on the compute nodes call the server: a login host that cannot reach it is worth a warning. */
  private async checkServerReach(shell: ClusterShell, spec: SlurmSpec): Promise<string[]> {
    const url = spec.server_url ?? this.deps.serverUrl();
    const r = await shell.run(`if command -v curl >/dev/null 2>&1; then curl -s -o /dev/null -m 5 -w '%{http_code}' ${q(`${url}/api/v1/health`)}; else echo nocurl; fi`);
    const code = r.out.trim();
    if (code === 'nocurl' || /^[1-5]\d\d$/.test(code)) return [];
    return [`the login host could not reach this server at ${url} (jobs' agents call it from the compute nodes): set server_url to an address the compute nodes can reach`];
  }

  async provision(c: ComputeContext): Promise<void> {
    const { cmd, shell } = await this.cmd(c);
    const a = this.attached.get(key(c.row)) ?? (await this.look(c, cmd, shell));
    const l = a.layout;
    const made = await shell.run(`mkdir -p ${[l.root, l.cacheDir, l.subsDir].map(q).join(' ')} && chmod 700 ${q(l.root)}`);
    if (made.code !== 0) throw new CairnError('HostCheckFailed', `cannot create ${l.root} on ${shell.where}: ${made.err.trim()}`);
    // Nodes that fetch their own copy need nothing here but the submissions' batch scripts.
    if ((c.spec as SlurmSpec).node_local_dir) return;
    // The Node runtime is always copied to the shared folder: the login host's own Node may not exist on the compute nodes.
    const installed = await installAgent(shell.host, { base: l.root, root: l.root, runtimeDir: l.runtimeDir, agentDir: l.subsDir, pythonDir: l.pythonDir, envFile: l.envFile, serverFile: '', logFile: '', launcher: l.launcher }, { node: null } as never, this.artifacts);
    const spec = c.spec as SlurmSpec;
    await shell.write(l.envFile, agentEnvFile(l, spec.server_url ?? this.deps.serverUrl()), 0o600);
    await shell.write(l.launcher, launcherScript(l, installed.node, installed.agentFile), 0o700);
  }

  /** What Slurm 22.05 cannot change with scontrol is refused here, naming the slurm.conf line to change, and nothing is stored. */
  async checkUpdate(current: ComputeContext, next: ComputeSpec): Promise<string[]> {
    const { cmd } = await this.cmd(current);
    const updates = scalingUpdates(next as SlurmSpec, await cmd.facts(), await cmd.nodes());
    if (updates.refused.length) throw new CairnError('Unsupported', updates.refused.join('; '));
    return [];
  }

  async apply(c: ComputeContext): Promise<void> {
    this.views.delete(key(c.row));
    this.commands.delete(key(c.row));
    this.attached.delete(key(c.row));
    this.rests.delete(key(c.row));
    await this.pool.drop(key(c.row));
    const { cmd } = await this.cmd(c);
    const facts = await cmd.facts();
    const nodes = await cmd.nodes();
    const updates = scalingUpdates(c.spec as SlurmSpec, facts, nodes);
    if (updates.refused.length) throw new CairnError('Unsupported', updates.refused.join('; '));
    for (const u of updates.commands) await cmd.update(u);
    await this.provision(c); // a new server_url or slurm_env reaches the agent's settings
  }

  async release(c: ComputeContext, _mode: 'delete' | 'detach'): Promise<void> {
    try {
      const { shell } = await this.cmd(c);
      const l = this.attached.get(key(c.row))?.layout;
      if (l) await shell.run(`rm -rf ${q(l.root)}`);
    } catch (err) {
      this.deps.log(`could not clean up Slurm compute ${c.row.name}: ${(err as Error).message}`);
    }
    this.commands.delete(key(c.row));
    this.attached.delete(key(c.row));
    this.rests.delete(key(c.row));
    this.views.delete(key(c.row));
    await this.pool.drop(key(c.row));
  }

  /**
   * The cluster as Slurm reports it, kept 2 s: each look runs sinfo and scontrol (over SSH for a
   * login host), and every open studio page asks every 3 s, so many pages cost one look, not one
   * each. An update forgets it.
   */
  async describe(c: ComputeContext): Promise<Record<string, unknown>> {
    const k = key(c.row);
    const have = this.views.get(k);
    if (have && have.until > Date.now()) return have.view;
    const { cmd } = await this.cmd(c);
    const [facts, nodes] = [await cmd.facts(), await cmd.nodes()];
    const view = describeCluster(c.spec as SlurmSpec, facts, nodes);
    this.views.set(k, { view, until: Date.now() + LIVE_VIEW_MS });
    return view;
  }

  // ---- jobs -----------------------------------------------------------------------------------

  async submit(c: ComputeContext, subs: BatchSubmission[]): Promise<Map<string, string | SubmissionRefused>> {
    const { cmd, shell } = await this.cmd(c);
    const spec = c.spec as SlurmSpec;
    const l = this.attached.get(key(c.row))!.layout;
    const made = await shell.run(`mkdir -p ${subs.map((s) => q(subDir(l, s.name))).join(' ')}`);
    if (made.code !== 0) throw new CairnError('HostCheckFailed', `cannot create submission folders under ${l.subsDir}: ${made.err.trim()}`);
    const calls: SbatchCall[] = [];
    const out = new Map<string, string | SubmissionRefused>();
    const local = spec.node_local_dir ? { dir: spec.node_local_dir, artifacts: await this.nodeLocalArtifacts() } : null;
    const serverUrl = spec.server_url ?? this.deps.serverUrl();
    const script = (s: BatchSubmission) => (local ? nodeLocalBatchScript(local.dir, serverUrl, local.artifacts, s) : batchScript(l, s));
    // Each submission's token and batch script, a few files at a time (over SSH each is an SFTP write).
    for (let i = 0; i < subs.length; i += 16) {
      await Promise.all(
        subs.slice(i, i + 16).map(async (s) => {
          const dir = subDir(l, s.name);
          if (!local) await shell.write(posix.join(dir, 'token.env'), Buffer.from(s.nodeTokens.map((t, n) => `CAIRN_AGENT_TOKEN_${n}=${t}\n`).join('')), 0o600);
          await shell.write(posix.join(dir, 'job.sh'), Buffer.from(script(s)), 0o700);
        }),
      );
    }
    for (const s of subs) {
      const dir = subDir(l, s.name);
      const prio = { ...DEFAULT_PRIORITIES, ...spec.priorities }[s.priority];
      const limit = s.timeoutS ?? (spec.default_time_limit ? parseDuration(spec.default_time_limit) : null);
      const gpus = s.instanceType ? (this.deps.sizes.find(s.instanceType)?.gpus ?? 0) : 0;
      try {
        // A node that cannot see the submission's folder writes its own output on its own disk (the script says where).
        const where = local ? { output: EARLY_OUTPUT, chdir: '/tmp' } : { output: posix.join(dir, 'slurm-%j.out'), chdir: dir };
        const request = { jobName: s.name, partition: spec.partition, account: spec.account, qos: prio?.qos ?? spec.qos, nice: prio?.nice, nodes: s.nodes, timeLimitSeconds: limit, gpusPerNode: gpus, ...where, extra: spec.sbatch_options ?? [] };
        calls.push({ name: s.name, args: sbatchArgs(request), script: posix.join(dir, 'job.sh'), request });
      } catch (err) {
        out.set(s.name, new SubmissionRefused((err as Error).message));
      }
    }
    const rest = await this.rest(c);
    if (rest) {
      for (const call of calls) {
        const r = await rest.rest.submit(call.request, script(subs.find((s) => s.name === call.name)!), rest.env);
        out.set(call.name, 'id' in r ? r.id : new SubmissionRefused(r.refused));
      }
      return out;
    }
    // Array tasks run from links in the shared folder: nodes that cannot see it get their jobs one by one.
    for (const [name, r] of await this.sbatchInArrays(cmd, shell, l, calls, local ? 1 : cmd.maxArrayTasks)) out.set(name, r);
    return out;
  }

  private async nodeLocalArtifacts(): Promise<NodeLocalArtifacts> {
    const [node, agent, python] = await Promise.all([this.artifacts.nodeRuntime(), this.artifacts.agent(), this.artifacts.pythonTar()]);
    return { node: node.sha256, agent: agent.sha256, python: python.sha256 };
  }

  /**
   * Like jobs as job arrays (one sbatch each), the rest one by one, all in one round trip after the
   * arrays' folders are laid out. An array Slurm refuses is tried again job by job, so each job gets
   * Slurm's own verdict (a per-user job limit may take some of them).
   */
  private async sbatchInArrays(cmd: SlurmCommands, shell: ClusterShell, l: SlurmLayout, calls: SbatchCall[], maxArrayTasks: number): Promise<Map<string, string | SubmissionRefused>> {
    const out = new Map<string, string | SubmissionRefused>();
    const plan = planArrays(calls, maxArrayTasks);
    if (plan.arrays.length) {
      const laid = await shell.run(arraySetupScript(l, plan.arrays));
      if (laid.code !== 0) throw new CairnError('HostCheckFailed', `cannot lay out job arrays under ${l.root}: ${laid.err.trim().split('\n').pop() ?? ''}`);
    }
    const arrayCalls = plan.arrays.map((g) => {
      const request = arrayRequest(l, g);
      return { name: g.name, args: sbatchArgs(request), script: posix.join(arrayDir(l, g.name), 'run.sh'), request };
    });
    const made = await cmd.sbatch([...arrayCalls, ...plan.singles]);
    const again: SbatchCall[] = [];
    for (const g of plan.arrays) {
      const r = made.get(g.name);
      if (r && 'id' in r) g.members.forEach((m, i) => out.set(m.name, `${r.id}_${i}`));
      else again.push(...g.members);
    }
    for (const s of plan.singles) {
      const r = made.get(s.name);
      if (r) out.set(s.name, 'id' in r ? r.id : new SubmissionRefused(r.refused));
    }
    if (again.length) {
      await shell.run(again.map((m) => `rm -f ${q(posix.join(subDir(l, m.name), 'array'))}`).join('\n'));
      for (const [name, r] of await cmd.sbatch(again)) out.set(name, 'id' in r ? r.id : new SubmissionRefused(r.refused));
    }
    return out;
  }

  async find(c: ComputeContext, names: string[]): Promise<Map<string, string>> {
    const rest = await this.rest(c);
    const { cmd, shell } = await this.cmd(c);
    const l = this.attached.get(key(c.row))!.layout;
    // A submission made in a job array is found by the array's name: its id is `array_task`.
    const markers = parseMarkers((await shell.run(markersScript(l, names))).out);
    const arrays = [...new Set([...markers.values()].map((m) => m.array))];
    // Arrays are submitted with sbatch only (slurmrestd's array ids differ): looked for with squeue.
    let byName: Map<string, string>;
    if (!rest) byName = await cmd.findByName([...names, ...arrays]);
    else {
      byName = await rest.rest.findByName(names);
      const left = [...names.filter((n) => !byName.has(n)), ...arrays];
      for (const [n, id] of left.length ? await cmd.findByName(left) : []) byName.set(n, id);
    }
    const found = new Map<string, string>();
    for (const n of names) {
      const m = markers.get(n);
      const inArray = m && byName.get(m.array);
      if (inArray) found.set(n, `${inArray}_${m.task}`);
      else if (byName.has(n)) found.set(n, byName.get(n)!);
    }
    return found;
  }

  async observe(c: ComputeContext, ids: string[]): Promise<Map<string, BatchObservation>> {
    const rest = await this.rest(c);
    const { cmd } = await this.cmd(c);
    let states: Map<string, SlurmJobState>;
    if (rest) {
      states = await rest.rest.states(ids);
      const left = ids.filter((id) => !states.has(id));
      for (const [id, st] of left.length ? await cmd.forgotten(left) : []) states.set(id, st);
    } else states = await cmd.states(ids);
    return new Map([...states].map(([id, s]) => [id, { phase: s.phase, ...(s.outcome ? { outcome: s.outcome } : {}), exitCode: s.exitCode ?? null, reason: s.reason, raw: s.raw, endedAt: s.endedAt }]));
  }

  async cancel(c: ComputeContext, ids: string[]): Promise<void> {
    const rest = await this.rest(c);
    if (rest) await rest.rest.cancel(ids);
    else await (await this.cmd(c)).cmd.scancel(ids);
  }

  async outputTail(c: ComputeContext, name: string): Promise<string | null> {
    const local = (c.spec as SlurmSpec).node_local_dir;
    if (local) return `the batch output stayed on the compute node, in ${posix.join(local, 'logs')}/slurm-<Slurm job id>.<node>.out (or ${EARLY_OUTPUT.replace('%u', '<user>').replace('%j', '<Slurm job id>')} when that folder could not be used)`;
    const { shell } = await this.cmd(c);
    const l = this.attached.get(key(c.row))!.layout;
    // The telling line: slurmstepd's word on memory when it killed the step, else the last one.
    const r = await shell.run(`f=$(ls ${q(subDir(l, name))}/slurm-*.out 2>/dev/null | tail -n 1); [ -n "$f" ] || exit 0; grep -i -m 1 -e 'exceeded .*memory limit' -e 'oom-kill' -e 'out of memory' "$f" || tail -n 20 "$f" | grep -v '^[[:space:]]*$' | tail -n 1`);
    return r.out.trim().slice(0, 400) || null;
  }

  async forget(c: ComputeContext, name: string): Promise<void> {
    const { shell } = await this.cmd(c);
    const l = this.attached.get(key(c.row))!.layout;
    await shell.run(forgetScript(l, name));
  }

  async shutdown(): Promise<void> {
    await this.pool.closeAll();
  }
}

const key = (row: Pick<ComputeRow, 'workspace' | 'name'>) => `${row.workspace}/${row.name}`;
const TOKEN_LIFESPAN_S = 3_600;
const LIVE_VIEW_MS = 2_000;

/**
 * slurmrestd as the login user: a JWT from `scontrol token` (renewed well before it expires), and
 * the environment REST-submitted jobs get (sbatch would pass the login shell's: PATH and slurm_env).
 */
function restFor(url: string, shell: ClusterShell, slurmEnv: Record<string, string>): { rest: SlurmRest; env: Record<string, string> } {
  let cached: { auth: RestAuth; until: number } | null = null;
  const env: Record<string, string> = { ...slurmEnv };
  const auth = async (): Promise<RestAuth> => {
    if (cached && Date.now() < cached.until) return cached.auth;
    const r = await shell.run(`id -un; printf '%s\n' "$PATH"; scontrol token lifespan=${TOKEN_LIFESPAN_S}`);
    const [user, path, tokenLine] = r.out.trim().split('\n');
    const token = /SLURM_JWT=(\S+)/.exec(tokenLine ?? '')?.[1];
    if (r.code !== 0 || !user || !token) throw new CairnError('HostCheckFailed', `could not get a slurmrestd token with \`scontrol token\` on ${shell.where}: ${r.err.trim().split('\n').pop() || 'no token printed'} (slurmrestd needs AuthAltTypes=auth/jwt)`);
    env.PATH ??= path ?? '/usr/bin:/bin';
    cached = { auth: { user, token }, until: Date.now() + (TOKEN_LIFESPAN_S / 2) * 1000 };
    return cached.auth;
  };
  return { rest: new SlurmRest(url, auth), env };
}

/** The compute's folder: under work_dir (a shared file system), `~/` being the login user's home. */
function rootOf(spec: SlurmSpec, home: string, compute: string, defaultWorkDir: string): string {
  const dir = spec.work_dir ?? defaultWorkDir;
  const abs = dir.startsWith('~/') ? posix.join(home, dir.slice(2)) : dir;
  return posix.join(abs, `slurm-${compute}`);
}
