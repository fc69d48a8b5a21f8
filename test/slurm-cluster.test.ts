// The Slurm test clusters of test/helpers/slurm.ts against themselves: a real slurmctld, slurmds and
// slurmrestd per cluster. Batch jobs, a step across two nodes, a job of an unprivileged user, a
// CLOUD node powered up for a job and down again after it, a controller restart that keeps its
// jobs, slurmrestd with a JWT token, and two clusters of one process that do not see each other.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Two clusters started at once: the main one (3 static + 3 cloud nodes, REST) and a small one.
const settled = await Promise.allSettled([startSlurm({ rest: true, suspendTime: 4 }), startSlurm({ staticNodes: 1, cloudNodes: 0 })]);
const failed = settled.find((s) => s.status === 'rejected');
const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
if (failed) {
  await Promise.all(ok.map((c) => ('skip' in c ? undefined : c.stop({ remove: true }))));
  throw (failed as PromiseRejectedResult).reason;
}
const skipped = ok.find((c): c is { skip: string } => 'skip' in c);
const skip = skipped?.skip;
const [a, b] = skip ? [] : (ok as SlurmCluster[]);

/** The job's `scontrol show job -o` line once its state matches (bounded). */
async function waitJob(c: SlurmCluster, id: string, state: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let line = '';
  while (Date.now() < deadline) {
    line = c.cmd(['scontrol', 'show', 'job', '-o', id]);
    const m = /JobState=(\S+)/.exec(line);
    if (m && state.test(m[1]!)) return line;
    await sleep(100);
  }
  throw new Error(`job ${id} did not reach ${state} within ${timeoutMs} ms: ${line.trim()}`);
}

const sbatch = (c: SlurmCluster, args: string[], o: { user?: string } = {}) => c.cmd(['sbatch', '--parsable', ...args], o).trim().split(';')[0]!;

describe('Slurm test clusters (test/helpers/slurm.ts)', { skip }, () => {
  after(() => Promise.all([a?.stop(), b?.stop()]));

  it('runs a batch job to COMPLETED, with its output where asked and a line in the jobcomp log', async () => {
    const out = join(a!.outDir, 'hello-%j.out');
    const id = sbatch(a!, ['-o', out, '--wrap', 'echo hello from $SLURMD_NODENAME']);
    const line = await waitJob(a!, id, /^COMPLETED$/);
    assert.match(line, /ExitCode=0:0/);
    assert.match(readFileSync(out.replace('%j', id), 'utf8'), /^hello from n[1-3]\n$/);
    assert.match(readFileSync(a!.jobCompLog, 'utf8'), new RegExp(`JobId=${id} .*JobState=COMPLETED`));
  });

  it('runs one step across two static nodes (srun -N2)', () => {
    const out = a!.cmd(['srun', '-N2', '-l', 'bash', '-c', 'echo $SLURMD_NODENAME'], { timeoutMs: 30_000 });
    const lines = out.trim().split('\n').sort();
    assert.equal(lines.length, 2, out);
    assert.match(lines[0]!, /^0: n[1-3]$/);
    assert.match(lines[1]!, /^1: n[1-3]$/);
    assert.notEqual(lines[0]!.slice(3), lines[1]!.slice(3));
  });

  it('runs the job of an unprivileged user as that user', async () => {
    const user = spawnSync('id', ['cairntest']).status === 0 ? 'cairntest' : a!.rest!.user;
    const out = join(a!.outDir, 'whoami-%j.out');
    const id = sbatch(a!, ['-o', out, '--wrap', 'id -un'], { user });
    await waitJob(a!, id, /^COMPLETED$/);
    assert.equal(readFileSync(out.replace('%j', id), 'utf8').trim(), user);
  });

  it('powers CLOUD nodes up for a job (ResumeProgram), and one down again after SuspendTime', async () => {
    const out = join(a!.outDir, 'cloud-%j.out');
    const id = sbatch(a!, ['-p', a!.partitions.cloud, '-N2', '-o', out, '--wrap', 'srun -l bash -c "echo \\$SLURMD_NODENAME"']);
    await waitJob(a!, id, /^COMPLETED$/, 45_000);
    assert.deepEqual(readFileSync(out.replace('%j', id), 'utf8').trim().split('\n').sort(), ['0: c1', '1: c2']);
    assert.match(readFileSync(a!.powerLog, 'utf8'), /RESUME c\[1-2\]/);
    // SuspendTime=4: one of the two goes down again; SuspendExcNodes keeps the other up.
    const deadline = Date.now() + 30_000;
    while (!/SUSPEND c[12]\b/.test(readFileSync(a!.powerLog, 'utf8')) && Date.now() < deadline) await sleep(200);
    assert.match(readFileSync(a!.powerLog, 'utf8'), /SUSPEND c[12]\n/);
    assert.doesNotMatch(readFileSync(a!.powerLog, 'utf8'), /SUSPEND c\[1-2\]/);
  });

  it('keeps its pending and running jobs across a controller restart', async () => {
    const running = sbatch(a!, ['-o', '/dev/null', '--wrap', 'sleep 300']);
    const held = sbatch(a!, ['-o', '/dev/null', '--hold', '--wrap', 'true']);
    await waitJob(a!, running, /^RUNNING$/);
    await a!.restartController({ downMs: 500 });
    await waitJob(a!, running, /^RUNNING$/, 1);
    await waitJob(a!, held, /^PENDING$/, 1);
    a!.cmd(['scancel', running, held]);
    await waitJob(a!, running, /^CANCELLED$/);
  });

  it('serves slurmrestd to a JWT token, and refuses a request without one', async () => {
    const rest = a!.rest!;
    const headers = { 'X-SLURM-USER-NAME': rest.user, 'X-SLURM-USER-TOKEN': rest.token() };
    const ping = await fetch(`${rest.url}/slurm/v0.0.38/ping`, { headers });
    assert.equal(ping.status, 200);
    assert.equal(((await ping.json()) as { pings: { ping: string }[] }).pings[0]!.ping, 'UP');
    const none = await fetch(`${rest.url}/slurm/v0.0.38/jobs`);
    assert.equal(none.status, 401);
    await none.body?.cancel();
  });

  it('keeps two clusters of one process apart', async () => {
    assert.notEqual(a!.name, b!.name);
    assert.notEqual(a!.root, b!.root);
    const ja = sbatch(a!, ['-J', 'only-in-a', '--hold', '-o', '/dev/null', '--wrap', 'true']);
    const jb = sbatch(b!, ['-J', 'only-in-b', '--hold', '-o', '/dev/null', '--wrap', 'true']);
    const names = (c: SlurmCluster) => c.cmd(['squeue', '-h', '-o', '%j']).trim().split('\n').filter(Boolean);
    assert.ok(names(a!).includes('only-in-a'));
    assert.ok(!names(a!).includes('only-in-b'));
    assert.deepEqual(names(b!), ['only-in-b']);
    assert.match(b!.cmd(['scontrol', 'show', 'config']), new RegExp(`ClusterName\\s*=\\s*${b!.name}\\n`));
    assert.deepEqual(b!.cmd(['sinfo', '-h', '-o', '%P %D']).trim(), 'debug* 1');
    a!.cmd(['scancel', ja]);
    b!.cmd(['scancel', jb]);
  });
});
