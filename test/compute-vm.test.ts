// Attached machines against real OpenSSH servers: the loopback sshd of scripts/sshd-up.sh and a
// host in a network namespace (scripts/netns-up.sh) that has no route to the server, so its agent
// can only reach the server through the reverse tunnel. The real CLI runs as a subprocess.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor, json, pidAlive } from './helpers/cairn.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';

const bed = await sshTestbed({ netns: true });
const skip = 'skip' in bed ? bed.skip : false;
const agentRoot = (compute: string) => join(homedir(), '.cairn-agent', compute);

/** Local ports of `pid`'s TCP connections to `remotePort` (from /proc), so a test cuts only its own server's SSH link. */
function clientPorts(pid: number, remotePort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !inodes.has(f[9])) continue;
    if (Number.parseInt(f[2].split(':')[1], 16) === remotePort) ports.push(Number.parseInt(f[1].split(':')[1], 16));
  }
  return ports;
}

/** A job that prints a numbered line every 0.3 s, so a test can see that nothing was lost. */
const ticker = (n: number) => ['python3', '-c', `import time\nfor i in range(${n}):\n    print('tick', i, flush=True); time.sleep(0.3)`];

describe('attached machines (virtualmachine) over real SSH', { skip }, () => {
  const t = bed as Testbed;
  let server: TestServer;
  const work = tempDir('vm-work');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 90_000 });
  const jobJson = async (name: string) => JSON.parse((await cli(['job', 'show', '-n', name, '-o', 'json'])).stdout);
  const waitStatus = (name: string, status: string, ms = 120_000) => waitFor(`job ${name} ${status}`, async () => (await jobJson(name)).status === status, ms);
  const logs = async (name: string) => (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs`)).body.lines.map((l: { text: string }) => l.text);

  before(async () => {
    server = await new TestServer().start();
    writeFileSync(join(work, 'train.py'), 'import socket\nprint("hello from", socket.gethostname())\n');
    writeFileSync(
      join(work, 'vm.yml'),
      `$schema: https://azuremlschemas.azureedge.net/latest/vmCompute.schema.json\nname: vm-one\ntype: virtualmachine\naddress: 127.0.0.1\nssh_settings:\n  admin_username: root\n  ssh_port: ${t.port}\n  ssh_private_key_file: ${t.rootKeyPath}\n`,
    );
  });
  after(async () => {
    // Leave the machines as found: detach whatever is still attached.
    for (const c of ['vm-one', 'vm-pw', 'vm-h1']) await runCli(['compute', 'detach', '-n', c, '--yes', '--force'], { env: server?.cliEnv }).catch(() => {});
    await server?.stop();
  });

  it('attach pins the host key, checks the host, installs the agent, and a job runs there', async () => {
    const r = await cli(['compute', 'attach', '-f', 'vm.yml', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const vm = JSON.parse(r.stdout);
    assert.equal(vm.provisioning_state, 'Succeeded');
    assert.equal(vm.host_key, t.hostKey);
    assert.match(r.stderr, new RegExp(`host key of 127.0.0.1:${t.port}: ${t.hostKey.replace(/[+/]/g, '\\$&')}`));
    assert.equal(vm.nodes.length, 1);
    assert.ok(vm.nodes[0].cpus >= 1 && vm.nodes[0].memory_mb > 0, 'the host shape is reported');
    assert.equal(vm.agent.health, 'healthy');
    assert.equal(vm.ssh_settings.ssh_key_value, undefined, 'credentials are never returned');
    const keyLine = t.rootKey.split('\n')[1];
    assert.ok(!r.stdout.includes(keyLine) && !r.stderr.includes(keyLine));
    // The database and its write-ahead log: a fresh row may be only in the WAL.
    const stored = ['cairn.db', 'cairn.db-wal'].filter((f) => existsSync(join(server.dataDir, f))).map((f) => readFileSync(join(server.dataDir, f)));
    assert.ok(stored.length >= 1 && stored.every((b) => !b.includes(keyLine)), 'the private key is not stored in clear text');
    assert.ok(stored.some((b) => b.includes(Buffer.from('"admin_username":"root"'))), 'the compute row itself was found, so the check above looked at the right bytes');
    assert.ok(!readFileSync(join(agentRoot('vm-one'), 'agent.env'), 'utf8').includes(keyLine));

    const run = await cli(['run', '--compute', 'vm-one', '-n', 'on-vm', '--', 'python3', 'train.py']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /hello from /);
    const job = await jobJson('on-vm');
    assert.equal(job.status, 'Completed');
    assert.equal(job.compute, 'vm-one');
    assert.equal(job.node, 'vm-one');
    const shown = await cli(['compute', 'show', '-n', 'vm-one', '-o', 'table']);
    assert.match(shown.stdout, /SHA256:/);
  });

  it('bad input stores nothing: names, types, fields, limits, unbuilt types, wrong keys, changed host keys, unreachable hosts', async () => {
    const cases: [string[], RegExp][] = [
      [['compute', 'attach', '--name', '1vm', '--type', 'virtualmachine', '--address', '127.0.0.1', '--admin-username', 'root', '--ssh-private-key-file', t.rootKeyPath], /compute name '1vm' must start with a letter/],
      [['compute', 'attach', '--name', 'vm-2', '--type', 'virtualmachine', '--address', '127.0.0.1', '--admin-username', 'root', '--ssh-private-key-file', t.rootKeyPath], /every '-' must be followed later by at least one letter/],
      [['compute', 'create', '--name', 'pool', '--type', 'amlcompute', '--min-instances', '3', '--max-instances', '2'], /min_instances \(3\) must not be greater than max_instances \(2\)/],
      [['compute', 'create', '--name', 'pool', '--type', 'amlcompute', '--size', 'Standard_NC6s_v3'], /size 'Standard_NC6s_v3' has 1 GPU and this machine has none: the local provider cannot make such a node/],
      [['compute', 'create', '--name', 'pool', '--type', 'gpu-farm'], /unknown compute type 'gpu-farm'/],
      [['compute', 'attach', '-f', 'vm.yml', '--name', 'vm-bad', '--set', 'color=blue'], /unknown field 'color'/],
      [['compute', 'attach', '-f', 'vm.yml', '--name', 'vmwrongkey', '--ssh-private-key-file', t.wrongKeyPath], /refused the key/],
      [['compute', 'attach', '-f', 'vm.yml', '--name', 'vmhostkey', '--host-key', 'SHA256:' + 'A'.repeat(43)], /host key of 127\.0\.0\.1:\d+ changed: expected SHA256:A{43}, got SHA256:/],
      [['compute', 'attach', '-f', 'vm.yml', '--name', 'vmnoroute', '--set', 'ssh_settings.ssh_port=9'], /cannot reach 127\.0\.0\.1:9/],
      [['compute', 'attach', '-f', 'vm.yml', '--name', 'vm-one'], /a compute named 'vm-one' already exists/],
      [['compute', 'create', '-f', 'vm.yml', '--name', 'vmcreate'], /attached, not created/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('error:')).length, 1, 'one error line');
    }
    const list = JSON.parse((await cli(['compute', 'list', '-o', 'json'])).stdout);
    assert.deepEqual(list.map((c: { name: string }) => c.name), ['local', 'vm-one']);
    assert.ok(!existsSync(agentRoot('vmwrongkey')) && !existsSync(agentRoot('vmhostkey')), 'nothing half-attached');
  });

  it('update: fixed fields are refused by name; capacity changes apply', async () => {
    const fixed = await cli(['compute', 'update', '-n', 'vm-one', '--set', 'address=10.0.0.1']);
    assert.equal(fixed.code, 1);
    assert.match(fixed.stderr, /cannot change address after the compute is attached/);
    const ok = await cli(['compute', 'update', '-n', 'vm-one', '--set', 'max_concurrent_jobs=3', '-o', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
    const v = JSON.parse(ok.stdout);
    assert.equal(v.provisioning_state, 'Succeeded');
    assert.equal(v.nodes[0].slots, 3);
  });

  it('a data input on the attached host: the host fetches only the contents it lacks', async () => {
    const data = join(work, 'vm-data');
    mkdirSync(data, { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(data, `part-${i}.csv`), `rows of part ${i}\n`);
    const file = join(work, 'vm-input.yml');
    writeFileSync(file, 'command: cat ${{inputs.d}}/part-4.csv\ncompute: vm-one\ninputs:\n  d: {type: uri_folder, path: ./vm-data, mode: download}\n');
    const systemLines = async (name: string) =>
      (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs`)).body.lines.filter((l: { stream: string }) => l.stream === 'system').map((l: { text: string }) => l.text).join('\n');
    const first = await cli(['job', 'create', '-f', file, '-n', 'vm-input-1', '--stream']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /rows of part 4/);
    assert.match(await systemLines('vm-input-1'), /input 'd': fetched 5 of 5 file contents/);
    writeFileSync(join(data, 'part-4.csv'), 'rows of part 4, changed\n');
    const second = await cli(['job', 'create', '-f', file, '-n', 'vm-input-2', '--stream']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /rows of part 4, changed/);
    assert.match(await systemLines('vm-input-2'), /input 'd': fetched 1 of 5 file contents; the rest were on this node/);
  });

  it('several jobs run at once, up to the host capacity', async () => {
    // A barrier instead of timings: each job marks that it started and waits for the other two, so
    // the three can only complete if they run at the same time (the host shares this filesystem).
    const barrier = tempDir('vm-barrier');
    chmodSync(barrier, 0o777); // jobs of a root agent run as an unprivileged user
    const code = `import os,sys,time\nopen(os.path.join(sys.argv[1], sys.argv[2]), 'w').close()\nend = time.time() + 60\nwhile len(os.listdir(sys.argv[1])) < 3:\n    if time.time() > end: sys.exit('the other jobs never started')\n    time.sleep(0.1)\nprint('together')`;
    const names = ['par-a', 'par-b', 'par-c'];
    for (const n of names) assert.equal((await cli(['run', '--compute', 'vm-one', '-n', n, '--no-stream', '--', 'python3', '-c', code, barrier, n])).code, 0);
    for (const n of names) await waitStatus(n, 'Completed', 90_000);
    for (const n of names) assert.deepEqual(await logs(n), ['together']);
  });

  it('an agent killed mid-job comes back, and the job completes with every line', async () => {
    assert.equal((await cli(['run', '--compute', 'vm-one', '-n', 'agent-kill', '--no-stream', '--', ...ticker(10)])).code, 0);
    await waitStatus('agent-kill', 'Running');
    const pid = Number(readFileSync(join(agentRoot('vm-one'), 'agent', 'agent.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitStatus('agent-kill', 'Completed');
    assert.deepEqual((await logs('agent-kill')).filter((l: string) => l.startsWith('tick')), Array.from({ length: 10 }, (_, i) => `tick ${i}`));
    await waitFor('a new agent', async () => {
      const p = Number(readFileSync(join(agentRoot('vm-one'), 'agent', 'agent.pid'), 'utf8'));
      return p !== pid && pidAlive(p);
    });
  });

  it('an SSH connection cut mid-job is made again; the job completes with every line', async () => {
    assert.equal((await cli(['run', '--compute', 'vm-one', '-n', 'ssh-cut', '--no-stream', '--', ...ticker(12)])).code, 0);
    await waitStatus('ssh-cut', 'Running');
    const ports = clientPorts(server.proc!.pid!, t.port);
    assert.ok(ports.length >= 1, 'the server holds an SSH connection to the host');
    // Only this server's connections: the transport suite may be using the same sshd meanwhile.
    const cut = ports.reduce((n, clientPort) => n + t.cutConnections({ clientPort }), 0);
    assert.ok(cut >= 1, 'a connection was cut');
    await waitStatus('ssh-cut', 'Completed');
    assert.deepEqual((await logs('ssh-cut')).filter((l: string) => l.startsWith('tick')), Array.from({ length: 12 }, (_, i) => `tick ${i}`));
  });

  it('a server killed mid-job: the job runs on, and the new server reconnects and finishes it', async () => {
    assert.equal((await cli(['run', '--compute', 'vm-one', '-n', 'server-kill', '--no-stream', '--', ...ticker(12)])).code, 0);
    await waitStatus('server-kill', 'Running');
    await server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    await server.start();
    await waitStatus('server-kill', 'Completed');
    assert.deepEqual((await logs('server-kill')).filter((l: string) => l.startsWith('tick')), Array.from({ length: 12 }, (_, i) => `tick ${i}`));
  });

  it('password auth works and is warned against', async () => {
    const r = await cli(['compute', 'attach', '--name', 'vm-pw', '--type', 'virtualmachine', '--address', '127.0.0.1', '--ssh-port', String(t.port), '--admin-username', t.passwordUser, '--admin-password', t.password, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: password authentication is weaker than a key/);
    assert.ok(!r.stdout.includes(t.password) && !r.stderr.includes(t.password));
    const run = await cli(['run', '--compute', 'vm-pw', '-n', 'as-user', '--', 'whoami']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), t.passwordUser);
    const bad = await cli(['compute', 'update', '-n', 'vm-pw', '--admin-password', 'not-the-password']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /refused the password/);
    assert.equal((await cli(['compute', 'detach', '-n', 'vm-pw', '--yes'])).code, 0);
  });

  it('detach removes exactly what attach made: the parent folders it made for work_dir, and nothing that was there before', async () => {
    const base = tempDir('vm-workdir');
    const made = join(base, 'made', 'by', 'cairn');
    const attach = (name: string, workDir: string) =>
      cli(['compute', 'attach', '--name', name, '--type', 'virtualmachine', '--address', '127.0.0.1', '--ssh-port', String(t.port), '--admin-username', 'root', '--ssh-private-key-file', t.rootKeyPath, '--set', `work_dir=${workDir}`]);
    const a = await attach('vm-wd-new', made);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(existsSync(join(made, 'agent')));
    assert.equal((await cli(['compute', 'detach', '-n', 'vm-wd-new', '--yes'])).code, 0);
    assert.deepEqual(readdirSync(base), [], 'made/by/cairn and its parents are gone');

    const existing = join(base, 'mine');
    mkdirSync(existing);
    writeFileSync(join(existing, 'notes.txt'), 'keep me');
    const b = await attach('vm-wd-old', existing);
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await cli(['compute', 'detach', '-n', 'vm-wd-old', '--yes'])).code, 0);
    assert.deepEqual(readdirSync(existing), ['notes.txt'], 'a folder that was there keeps what was in it, and only that');
  });

  it('a host with no route to the server: the agent comes through the reverse tunnel; stop queues jobs, start runs them', { skip: t.hosts.length ? false : t.netnsSkip }, async () => {
    const h1 = t.hosts[0];
    const r = await cli(['compute', 'attach', '--name', 'vm-h1', '--type', 'virtualmachine', '--address', h1.address, '--admin-username', 'root', '--ssh-private-key-file', t.rootKeyPath, '--host-key', t.hostKey, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const run = await cli(['run', '--compute', 'vm-h1', '-n', 'on-h1', '--', 'python3', 'train.py']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `hello from ${h1.name}`);

    const stopped = await cli(['compute', 'stop', '-n', 'vm-h1', '-o', 'json']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(JSON.parse(stopped.stdout).state, 'Stopped');
    assert.equal((await cli(['run', '--compute', 'vm-h1', '-n', 'while-stopped', '--no-stream', '--', 'echo', 'later'])).code, 0);
    await new Promise((res) => setTimeout(res, 1_500));
    assert.equal((await jobJson('while-stopped')).status, 'Queued');
    assert.equal((await cli(['compute', 'start', '-n', 'vm-h1'])).code, 0);
    await waitStatus('while-stopped', 'Completed');
  });

  it('detach refuses while jobs run, --force cancels them, and the machine is left as it was', async () => {
    assert.equal((await cli(['run', '--compute', 'vm-one', '-n', 'long', '--no-stream', '--', 'sleep', '120'])).code, 0);
    await waitStatus('long', 'Running');
    const busy = await cli(['compute', 'detach', '-n', 'vm-one', '--yes']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /compute 'vm-one' has 1 unfinished job: long \(Running\); wait for them, cancel them, or pass --force/);
    const pid = Number(readFileSync(join(agentRoot('vm-one'), 'agent', 'agent.pid'), 'utf8'));
    const forced = await cli(['compute', 'detach', '-n', 'vm-one', '--yes', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await jobJson('long')).status, 'Canceled');
    assert.equal((await cli(['compute', 'show', '-n', 'vm-one'])).code, 1);
    assert.ok(!existsSync(agentRoot('vm-one')), 'the agent folder is gone');
    await waitFor('the agent to leave', async () => !pidAlive(pid), 10_000);
    const later = await cli(['run', '--compute', 'vm-one', '--no-stream', '--', 'true']);
    assert.equal(later.code, 1);
    assert.match(later.stderr, /compute 'vm-one' does not exist/);
  });
});
