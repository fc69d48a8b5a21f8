import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { HostKeyFingerprint, type ComputeAction, type ComputeView } from '../../protocol/compute.ts';
import { CairnError } from '../../protocol/errors.ts';
import { computePatch, computeSpecFromFlags, loadComputeFile } from '../../sdk/compute-file.ts';
import type { CairnClient } from '../../sdk/client.ts';
import { TRANSITIONAL_STATES, isChanging, type ComputeAnswer } from '../../sdk/computes.ts';
import type { Cli } from '../context.ts';
import { COMPUTE_COLUMNS, SIZE_COLUMNS, computeDetail, nodeColumns, redact } from '../compute-view.ts';
import { render, type Format } from '../output.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const wholeNumber = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new CairnError('ValidationError', `${flag}: expected a whole number, got '${v}'`);
  return n;
};
const hostKey = (v: string) => {
  const r = HostKeyFingerprint.safeParse(v);
  if (!r.success) throw new CairnError('ValidationError', `--host-key: ${r.error.issues[0]!.message}`);
  return v;
};
const nameOpt = () => new Option('-n, --name <name>', 'compute name (an azureml: prefix is dropped)').makeOptionMandatory();
const noWaitOpt = () => new Option('--no-wait', 'answer at once with the compute in its new state instead of waiting for it to settle');
const setOpt = () => new Option('--set <key=value>', 'set a field, e.g. --set max_instances=4 or --set ssh_settings.ssh_port=2222 (value read as YAML; repeatable)').argParser(collect);

/** `az ml compute`: create, attach, update, delete and detach compute targets, start and stop them, see their nodes. */
export function computeCommand(cli: Cli): Command {
  const compute = new Command('compute').description(COMMAND_HELP.compute.description);

  const print = (cmd: Command, v: ComputeView | ComputeView[], fallback: Format = 'json') => cli.out(render(redact(v), cli.format(cmd, fallback), COMPUTE_COLUMNS, computeDetail));
  const warn = (v: ComputeAnswer) => {
    for (const w of v.warnings ?? []) cli.err(`warning: ${w}`);
  };

  /** Prints the compute once it has settled (or at once with --no-wait); a failed provisioning is an error. */
  const settle = async (cmd: Command, client: CairnClient, answer: ComputeAnswer, wait: boolean): Promise<ComputeView> => {
    warn(answer);
    if (!wait) {
      print(cmd, answer);
      return answer;
    }
    const p = progress(cli);
    const final = await client.computes.wait(answer.name, { until: 'settled', onState: p.show });
    p.end();
    print(cmd, final);
    if (final.provisioning_state === 'Failed') {
      const first = final.provisioning_errors?.[0];
      throw new CairnError(first?.code ?? 'Internal', first?.message ?? `provisioning of compute '${final.name}' failed`);
    }
    if (final.provisioning_state === 'Canceled') throw new CairnError('Conflict', `provisioning of compute '${final.name}' was canceled`);
    return final;
  };

  compute
    .command('create')
    .description(
      'create a compute target (az ml compute create): from an Azure ML v2 compute YAML file, or from flags. ' +
        'The file is checked here first, as the server will check it; machines you already have are attached (compute attach), not created. ' +
        "Clusters (amlcompute) and instances (computeinstance) get their nodes from a node provider (provider:, default local: agents on the server's machine). " +
        'Waits until provisioning ends, unless --no-wait',
    )
    .option('-f, --file <path>', 'compute YAML file (Azure ML v2 schema)')
    .option('-n, --name <name>', 'compute name (overrides the file)')
    .addOption(setOpt())
    .option('--type <type>', 'compute type, e.g. amlcompute or computeinstance (without a file)')
    .option('--size <size>', "VM size, e.g. Standard_DS3_v2 (see 'cairn compute list-sizes')")
    .option('--min-instances <n>', 'amlcompute: the fewest nodes to keep', wholeNumber('--min-instances'))
    .option('--max-instances <n>', 'amlcompute: the most nodes to scale to', wholeNumber('--max-instances'))
    .option('--idle-time-before-scale-down <seconds>', 'amlcompute: idle seconds before a node is released', wholeNumber('--idle-time-before-scale-down'))
    .option('--tier <tier>', 'amlcompute: dedicated or low_priority')
    .option('--description <text>', 'description')
    .addOption(noWaitOpt())
    .action(async (o, cmd) => {
      const fields = {
        name: o.name,
        type: o.type,
        size: o.size,
        min_instances: o.minInstances,
        max_instances: o.maxInstances,
        idle_time_before_scale_down: o.idleTimeBeforeScaleDown,
        tier: o.tier,
        description: o.description,
      };
      const spec = buildSpec(o.file, fields, o.set ?? [], 'create');
      const client = await cli.client(cmd);
      await settle(cmd, client, await client.computes.create(spec), o.wait);
    });

  compute
    .command('attach')
    .description(
      'attach a machine or a Slurm cluster you already have (az ml compute attach): from a compute YAML file, or from flags. ' +
        'A virtualmachine: Cairn connects over SSH, checks the host and installs its agent there. A slurm compute (type: slurm, ' +
        'from a file: partition, account, qos, default_time_limit, sbatch_options, work_dir, node_local_dir, slurm_env, slurmrestd_url): Cairn checks ' +
        "Slurm through the login host (address) or on the server's own host (no address), and Slurm schedules its jobs (nodes that do not see work_dir each fetch their own copy into node_local_dir). The ssh_private_key_file is read here " +
        '(relative to the YAML file, or to the current folder for --ssh-private-key-file) and its text sent to the server; ' +
        "the host's SSH key is pinned on first contact unless --host-key gives it. Waits until the agent is up, unless --no-wait",
    )
    .option('-f, --file <path>', 'compute YAML file (Azure ML v2 schema)')
    .option('-n, --name <name>', 'compute name (overrides the file)')
    .addOption(setOpt())
    .option('--type <type>', 'virtualmachine (the default without a file), slurm (give the rest in a file or with --set) or kubernetes (refused: no backend yet)')
    .option('--address <host>', 'virtualmachine: host name or IP address to reach over SSH')
    .option('--admin-username <user>', 'virtualmachine: SSH user')
    .option('--ssh-private-key-file <path>', 'virtualmachine: SSH private key file (relative to the current folder; ~/ is your home)')
    .option('--ssh-port <port>', 'virtualmachine: SSH port (default 22)', wholeNumber('--ssh-port'))
    .option('--admin-password <password>', 'virtualmachine: SSH password (prefer a key: the server warns about passwords)')
    .option('--max-concurrent-jobs <n>', 'virtualmachine: the most jobs to run on the machine at once', wholeNumber('--max-concurrent-jobs'))
    .option('--host-key <SHA256:...>', "the host's SSH key fingerprint to expect, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it; a different key is refused", hostKey)
    .addOption(noWaitOpt())
    .action(async (o, cmd) => {
      const ssh = o.adminUsername !== undefined || o.sshPrivateKeyFile !== undefined || o.sshPort !== undefined || o.adminPassword !== undefined;
      const fields: Record<string, unknown> = {
        name: o.name,
        type: o.type,
        address: o.address,
        max_concurrent_jobs: o.maxConcurrentJobs,
        ...(ssh
          ? {
              'ssh_settings.admin_username': o.adminUsername,
              'ssh_settings.ssh_private_key_file': o.sshPrivateKeyFile,
              'ssh_settings.ssh_port': o.sshPort,
              'ssh_settings.admin_password': o.adminPassword,
            }
          : {}),
      };
      const spec = buildSpec(o.file, fields, o.set ?? [], 'attach');
      const client = await cli.client(cmd);
      const final = await settle(cmd, client, await client.computes.create(spec, { attach: true, hostKey: o.hostKey }), o.wait);
      const port = (final.ssh_settings as { ssh_port?: number } | undefined)?.ssh_port;
      if (final.host_key) cli.err(`host key of ${final.address ?? final.name}${port && port !== 22 ? `:${port}` : ''}: ${final.host_key} (pinned)`);
    });

  compute
    .command('update')
    .description(
      'change a compute target (az ml compute update): scale settings, description, SSH credentials, or any field with --set. ' +
        'Fields fixed at creation (type, size, address...) are refused. Waits until the change is applied, unless --no-wait',
    )
    .addOption(nameOpt())
    .addOption(setOpt())
    .option('--min-instances <n>', 'amlcompute: the fewest nodes to keep', wholeNumber('--min-instances'))
    .option('--max-instances <n>', 'amlcompute: the most nodes to scale to', wholeNumber('--max-instances'))
    .option('--idle-time-before-scale-down <seconds>', 'amlcompute: idle seconds before a node is released', wholeNumber('--idle-time-before-scale-down'))
    .option('--description <text>', 'description')
    .option('--max-concurrent-jobs <n>', 'virtualmachine: the most jobs to run on the machine at once', wholeNumber('--max-concurrent-jobs'))
    .option('--ssh-private-key-file <path>', 'virtualmachine: a new SSH private key file (read here, its text sent to the server)')
    .option('--admin-password <password>', 'virtualmachine: a new SSH password')
    .option('--host-key <SHA256:...>', "virtualmachine: the host's new SSH key fingerprint, after its keys were changed on purpose", hostKey)
    .addOption(noWaitOpt())
    .action(async (o, cmd) => {
      const patch = computePatch(
        {
          min_instances: o.minInstances,
          max_instances: o.maxInstances,
          idle_time_before_scale_down: o.idleTimeBeforeScaleDown,
          description: o.description,
          max_concurrent_jobs: o.maxConcurrentJobs,
          'ssh_settings.ssh_private_key_file': o.sshPrivateKeyFile,
          'ssh_settings.admin_password': o.adminPassword,
          host_key: o.hostKey,
        },
        o.set ?? [],
      );
      if (!Object.keys(patch).length) throw new CairnError('ValidationError', 'nothing to update: give a flag such as --max-instances, or --set key=value');
      const client = await cli.client(cmd);
      await settle(cmd, client, await client.computes.update(o.name, patch), o.wait);
    });

  for (const [verb, detach] of [
    ['delete', false],
    ['detach', true],
  ] as const) {
    compute
      .command(verb)
      .description(
        detach
          ? 'detach an attached machine (az ml compute detach): Cairn stops its agent there, removes what it installed and forgets the compute; ' +
              'the machine itself stays, and an unreachable one is forgotten all the same. Asks first unless --yes; waits until it is gone, unless --no-wait'
          : 'delete a compute target (az ml compute delete); for an attached machine this is the same as detach. Asks first unless --yes; waits until it is gone, unless --no-wait',
      )
      .addOption(nameOpt())
      .option('--force', `cancel the compute's unfinished jobs and ${verb} it (without --force, a compute with unfinished jobs is refused)`)
      .option('-y, --yes', 'do not ask for confirmation')
      .addOption(new Option('--no-wait', 'answer at once with the compute Deleting instead of waiting until it is gone'))
      .action(async (o, cmd) => {
        const name = String(o.name).replace(/^azureml:/, '');
        if (!o.yes) await confirm(`${verb} compute '${name}'${o.force ? ' and cancel its unfinished jobs' : ''}?`, `pass --yes to ${verb} '${name}' without a prompt`);
        const client = await cli.client(cmd);
        const answer = await client.computes.delete(name, { detach, force: Boolean(o.force) });
        warn(answer);
        if (!o.wait) return print(cmd, answer);
        const p = progress(cli);
        const left = await client.computes.wait(name, { until: 'gone', onState: p.show });
        p.end();
        if (left) {
          print(cmd, left);
          const first = left.provisioning_errors?.[0];
          if (left.provisioning_state === 'Deleting' && first) {
            throw new CairnError(first.code, `${verb} of '${name}' failed: ${first.message}; the server tries again (cairn compute show -n ${name} follows it)`);
          }
          throw new CairnError('Conflict', `compute '${name}' was not ${detach ? 'detached' : 'deleted'}: it is ${left.provisioning_state}${first ? `: ${first.message}` : ''}`);
        }
        cli.err(`${detach ? 'Detached' : 'Deleted'} '${name}'`);
      });
  }

  const actions: [ComputeAction, string][] = [
    ['start', 'start a stopped compute (az ml compute start); on an attached machine, Cairn starts its agent there again'],
    ['stop', "stop a compute (az ml compute stop); on an attached machine, Cairn stops its agent and the compute takes no jobs until started (the machine stays on)"],
    ['restart', "restart a compute (az ml compute restart); on an attached machine, Cairn restarts its agent"],
  ];
  for (const [action, what] of actions) {
    const c = compute
      .command(action)
      .description(`${what}. A type that cannot do it says why. Waits until it is done, unless --no-wait`)
      .addOption(nameOpt())
      .addOption(noWaitOpt());
    if (action === 'stop') c.option('--force', 'cancel the unfinished jobs on the compute and stop it (without --force, they make stop fail)');
    c.action(async (o, cmd) => {
      const client = await cli.client(cmd);
      await settle(cmd, client, await client.computes.action(o.name, action, { force: Boolean(o.force) }), o.wait);
    });
  }

  compute
    .command('list')
    .description('list compute targets (az ml compute list): name, type, provisioning state and nodes (default -o table)')
    .option('--type <type>', 'only computes of this type, e.g. virtualmachine')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      print(cmd, await client.computes.list({ type: o.type }), 'table');
    });

  compute
    .command('show')
    .description('show a compute target (az ml compute show): its settings, provisioning state and errors, host key, agent and nodes (-o table: a readable summary)')
    .addOption(nameOpt())
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      print(cmd, await client.computes.get(o.name));
    });

  compute
    .command('list-nodes')
    .description("list a compute's nodes (az ml compute list-nodes): for clusters and instances each node's state, size, tier, current job, idle time and SSH connection; for the local machine and attached hosts their job slots, cores, memory, GPUs and last heartbeat (default -o table)")
    .addOption(nameOpt())
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const nodes = redact(await client.computes.listNodes(o.name));
      cli.out(render(nodes, cli.format(cmd, 'table'), nodeColumns(nodes)));
    });

  compute
    .command('preempt-node')
    .description('take a node of a low-priority cluster back, as its provider may at any time (drills, tests): its jobs get SIGTERM and the grace period, then are requeued')
    .addOption(nameOpt())
    .requiredOption('--node <node>', 'the node, as list-nodes names it')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const n = await client.computes.preemptNode(o.name, o.node);
      cli.out(render(n, cli.format(cmd, 'table'), nodeColumns([n])));
    });

  compute
    .command('list-sizes')
    .description("list the VM sizes a compute can be created with (az ml compute list-sizes) and how many more of each the provider can make now; the server's own sizes (CAIRN_SIZES_FILE) included (default -o table)")
    .option('--type <type>', 'amlcompute (the default) or computeinstance')
    .option('--provider <provider>', 'whose room to show: local (the default), ssh, command')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      cli.out(render(await client.computes.listSizes(o.type, o.provider), cli.format(cmd, 'table'), SIZE_COLUMNS));
    });

  return compute;
}

/** The spec from a file (flags and --set override it) or from flags alone, checked as the server will. */
function buildSpec(file: string | undefined, fields: Record<string, unknown>, sets: string[], mode: 'create' | 'attach') {
  if (file) return loadComputeFile(file, sets, { overrides: fields, mode });
  if (!sets.length && Object.values(fields).every((v) => v === undefined))
    throw new CairnError('ValidationError', `compute ${mode}: give --file FILE, or the compute's fields as flags (--name, --type, ...)`);
  const type = mode === 'attach' && fields.type === undefined && !sets.some((s) => s.startsWith('type=')) ? 'virtualmachine' : fields.type;
  return computeSpecFromFlags({ ...fields, type }, sets, { mode });
}

/** az ml asks before deleting; without a terminal to ask on, only --yes will do. */
async function confirm(question: string, refusal: string): Promise<void> {
  if (!process.stdin.isTTY) throw new CairnError('ValidationError', refusal);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question(`${question} (y/N) `)).trim().toLowerCase();
    if (a !== 'y' && a !== 'yes') throw new CairnError('Canceled', 'canceled: nothing was changed');
  } finally {
    rl.close();
  }
}

/** `Creating... 3 s` on one line of stderr, redrawn each poll; only on a terminal. */
function progress(cli: Cli): { show: (v: ComputeView) => void; end: () => void } {
  const started = Date.now();
  const on = Boolean(process.stderr.isTTY) && cli.env.CI !== 'true';
  let shown = false;
  return {
    show: (v) => {
      if (!on || !isChanging(v)) return;
      shown = true;
      const what = TRANSITIONAL_STATES.includes(v.provisioning_state) ? v.provisioning_state : v.state;
      process.stderr.write(`\r\x1b[K${what}... ${Math.round((Date.now() - started) / 1000)} s`);
    },
    end: () => {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}
