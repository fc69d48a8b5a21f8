// A Slurm cluster reached through a login host over SSH: the project's test sshd on this machine
// (scripts/sshd-up.sh) serves as the login host, as an unprivileged user of its own (`cairnslurm`), whose
// .bashrc prints a banner (with lines that look like Slurm's own output) on every command. The
// cluster is a real Slurm 22.05 (test/helpers/slurm.ts); the real CLI runs as a subprocess.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { json, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';
import { connectSsh } from '../src/transports/ssh/index.ts';

const bed = await sshTestbed();
const cluster = 'skip' in bed ? bed : await startSlurm({ cloudNodes: 0 });
const skip = 'skip' in bed ? bed.skip : 'skip' in cluster ? cluster.skip : false;
/** A login user of this test's own: its chatty .bashrc must not reach the other SSH tests' users. */
const LOGIN_USER = 'cairnslurm';
const LOGIN_PASSWORD = randomBytes(12).toString('hex');
const BANNER = 'echo "Welcome to the HPC login node"\necho "Submitted batch job 999999"\necho "JobId=424242 Name=cairn-fake JobState=COMPLETED"\necho "12345"\n';

/** Local ports of `pid`'s TCP connections to `remotePort` (from /proc), so the test cuts only its own server's SSH link. */
function clientPorts(pid: number, remotePort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {}
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !inodes.has(f[9]!)) continue;
    if (Number.parseInt(f[2]!.split(':')[1]!, 16) === remotePort) ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
  }
  return ports;
}

describe('Slurm through a login host over SSH (real sshd, real Slurm 22.05, a chatty .bashrc)', { skip }, () => {
  const t = bed as Testbed;
  const c = cluster as SlurmCluster;
  let server: TestServer;
  const work = tempDir('slurm-ssh');
  const cli = (args: string[], timeoutMs = 120_000) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs });
  const job = async (name: string) => (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}`)).body;
  const logs = async (name: string): Promise<string[]> => (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs`)).body.lines.map((l: { text: string }) => l.text);
  const yaml = (name: string, extra = '') =>
    `name: ${name}\ntype: slurm\naddress: 127.0.0.1\nssh_settings:\n  admin_username: ${LOGIN_USER}\n  admin_password: ${LOGIN_PASSWORD}\n  ssh_port: ${t.port}\npartition: debug\nslurm_env:\n  SLURM_CONF: ${c.conf}\n${extra}`;

  before(async () => {
    try {
      execFileSync('id', [LOGIN_USER], { stdio: 'ignore' });
    } catch {
      execFileSync('useradd', ['-m', '-s', '/bin/bash', LOGIN_USER]);
    }
    execFileSync('chpasswd', [], { input: `${LOGIN_USER}:${LOGIN_PASSWORD}\n` });
    // Before Debian's "not interactive: return" guard, so every command over SSH prints it.
    const bashrc = `/home/${LOGIN_USER}/.bashrc`;
    writeFileSync(bashrc, BANNER + readFileSync('/etc/skel/.bashrc', 'utf8'));
    const { uid, gid } = { uid: Number(execFileSync('id', ['-u', LOGIN_USER]).toString()), gid: Number(execFileSync('id', ['-g', LOGIN_USER]).toString()) };
    chownSync(bashrc, uid, gid);
    server = await new TestServer().start();
    writeFileSync(join(work, 'who.py'), 'import getpass, os\nprint("user", getpass.getuser(), "slurm job", os.environ.get("SLURM_JOB_ID"), flush=True)\n');
  });
  after(async () => {
    await runCli(['compute', 'detach', '-n', 'login', '--yes', '--force'], { env: server?.cliEnv }).catch(() => {});
    await server?.stop();
    await c.stop();
  });

  it('the banner really prints on every command (so the rest of this test means something)', async () => {
    const session = await connectSsh({ host: '127.0.0.1', port: t.port, username: LOGIN_USER, password: LOGIN_PASSWORD });
    try {
      const r = await session.exec('echo real-output');
      assert.equal(r.stdout, 'Welcome to the HPC login node\nSubmitted batch job 999999\nJobId=424242 Name=cairn-fake JobState=COMPLETED\n12345\nreal-output\n');
    } finally {
      await session.close();
    }
  });

  it('attach over SSH pins the host key and checks Slurm through the banner; a wrong pin is refused and nothing stored', async () => {
    writeFileSync(join(work, 'login.yml'), yaml('login'));
    const r = await cli(['compute', 'attach', '-f', 'login.yml', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).host_key, t.hostKey);
    await waitFor('login provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/login`)).body.provisioning_state === 'Succeeded', 60_000);
    const show = JSON.parse((await cli(['compute', 'show', '-n', 'login', '-o', 'json'])).stdout);
    assert.equal(show.slurm.version, '22.05.8', 'parsed between markers, past the banner');
    assert.deepEqual(show.slurm.nodes.map((n: { name: string }) => n.name), c.staticNodes);

    const wrong = 'SHA256:' + 'A'.repeat(43);
    writeFileSync(join(work, 'pinned.yml'), yaml('pinned', `host_key: "${wrong}"\n`));
    const bad = await cli(['compute', 'attach', '-f', 'pinned.yml']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /host key/i);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.equal((await cli(['compute', 'show', '-n', 'pinned'])).code, 1, 'nothing stored');
  });

  it('a job submitted through the login host runs as the login user; the banner does not confuse sbatch\'s job id', async () => {
    const r = await cli(['run', '--compute', 'login', '-n', 'via-ssh', '--', 'python3', 'who.py']);
    assert.equal(r.code, 0, r.stderr);
    const j = await job('via-ssh');
    assert.equal(j.status, 'Completed', j.status_reason);
    assert.notEqual(j.slurm_job_id, '999999');
    assert.notEqual(j.slurm_job_id, '12345');
    assert.deepEqual(await logs('via-ssh'), [`user ${LOGIN_USER} slurm job ${j.slurm_job_id}`]);
    assert.match(c.cmd(['scontrol', 'show', 'job', j.slurm_job_id, '-o']), new RegExp(`UserId=${LOGIN_USER}\\(`));
  });

  it('the SSH connection dropping mid-job loses nothing: the job completes, submitted once', async () => {
    assert.equal((await cli(['run', '--compute', 'login', '-n', 'drop', '--no-stream', '--', 'python3', '-c', 'import time\nfor i in range(8): print(i, flush=True); time.sleep(1)'])).code, 0);
    await waitFor('drop to run', async () => (await job('drop')).status === 'Running', 60_000);
    const ports = clientPorts(server.proc!.pid!, t.port);
    assert.ok(ports.length >= 1, 'the server holds an SSH connection to the login host');
    let cut = 0;
    for (const p of ports) cut += t.cutConnections({ clientPort: p });
    assert.ok(cut >= 1, 'a connection was cut');
    const j = await waitFor('drop to end', async () => {
      const x = await job('drop');
      return ['Completed', 'Failed', 'Canceled'].includes(x.status) ? x : null;
    }, 90_000);
    assert.equal(j.status, 'Completed', j.status_reason);
    assert.deepEqual(await logs('drop'), ['0', '1', '2', '3', '4', '5', '6', '7']);
    const ids = new Set([
      ...c.cmd(['squeue', '-h', '-a', '-t', 'all', '-o', '%A %j']).split('\n').filter((l) => l.endsWith(` cairn-${j.id}-1`)).map((l) => l.split(' ')[0]),
      ...readFileSync(c.jobCompLog, 'utf8').split('\n').filter((l) => l.includes(` Name=cairn-${j.id}-1 `)).map((l) => /^JobId=(\d+)/.exec(l)![1]),
    ]);
    assert.deepEqual([...ids], [j.slurm_job_id], 'submitted once');
  });

  it('detach removes what Cairn put on the cluster\'s file system', async () => {
    const root = `/home/${LOGIN_USER}/.cairn-agent/slurm-login`;
    assert.ok(existsSync(join(root, 'run-agent.sh')));
    assert.equal((await cli(['compute', 'detach', '-n', 'login', '--yes'])).code, 0);
    await waitFor('login detached', async () => (await cli(['compute', 'show', '-n', 'login'])).code === 1, 60_000);
    assert.equal(existsSync(root), false);
  });
});
