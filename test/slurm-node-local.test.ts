// A Slurm cluster whose compute nodes do not see the work folder (each node's slurmd runs in a
// mount namespace of its own, where the folder is an empty tmpfs): attach says each node will
// fetch its own copy and settles node_local_dir; jobs run from each node's own copy of the agent,
// runtime and Python module, fetched from the server once per node and kept; a two-node job;
// the job's folder on the node goes after it; jobs cannot see the node's copy; cancel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { jobKit } from './helpers/job-kit.ts';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';

// The nodes see this folder as their own empty tmpfs: the work folder under it is the login host's alone.
const unshared = tempDir('slurm-unshared');
const cluster = await startSlurm({ staticNodes: 2, cloudNodes: 0, nodePrivate: [unshared] });
const skip = 'skip' in cluster ? cluster.skip : false;

describe('Slurm nodes without a shared file system fetch their own copy (real Slurm 22.05)', { skip }, () => {
  const c = cluster as SlurmCluster;
  let server: TestServer;
  const work = tempDir('slurm-node-local');
  const local = join(unshared, 'node-copy');
  const planted = tempDir('slurm-planted');
  const { cli, job, waitStatus, logs } = jobKit(() => server, work);
  const computeYaml = (name: string, extra = '') => `name: ${name}\ntype: slurm\nwork_dir: ${join(unshared, 'work')}\nslurm_env:\n  SLURM_CONF: ${c.conf}\n${extra}`;
  /** What a node has in its own copy: runtime, agent and python entries, and what is left under subs. */
  const copyOn = (node: string) => {
    const ls = (dir: string) => c.onNode(node, ['sh', '-c', `ls -A ${dir} 2>/dev/null || true`]).split('\n').filter(Boolean);
    return { runtime: ls(`${local}/runtime`), agent: ls(`${local}/agent`), python: ls(`${local}/python`), subs: ls(`${local}/subs`) };
  };
  const stamp = (node: string) => c.onNode(node, ['sh', '-c', `stat -c '%i %Y' ${local}/runtime/*/node ${local}/agent/*.mjs`]);

  before(async () => {
    server = await new TestServer().start();
  });
  after(async () => {
    await server?.stop();
    await c.stop();
    for (const d of ['/tmp/cairn-slurm-spread', planted]) rmSync(d, { recursive: true, force: true });
  });

  it('the nodes cannot see the work folder (so the rest of this test means something)', () => {
    writeFileSync(join(unshared, 'from-the-login-host'), 'x');
    assert.equal(c.onNode('n1', ['sh', '-c', `test -e ${unshared}/from-the-login-host && echo seen || echo unseen`]).trim(), 'unseen');
    assert.equal(c.cmd(['srun', '-N1', '-w', 'n2', 'sh', '-c', `test -e ${unshared}/from-the-login-host && echo seen || echo unseen`]).trim(), 'unseen');
  });

  it('attach says each node will fetch its own copy, and settles node_local_dir; a job runs from it', async () => {
    writeFileSync(join(work, 'spread.yml'), computeYaml('spread', 'partition: debug\n'));
    const r = await cli(['compute', 'attach', '-f', 'spread.yml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /the compute nodes do not see the work folder .*: each node will fetch its own copy of Cairn's agent, its runtime, code and environments from this server into \/tmp\/cairn-slurm-spread/);
    await waitFor('spread provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/spread`)).body.provisioning_state === 'Succeeded', 60_000);
    const show = JSON.parse((await cli(['compute', 'show', '-n', 'spread', '-o', 'json'])).stdout);
    assert.equal(show.node_local_dir, '/tmp/cairn-slurm-spread');
    const run = await cli(['run', '--compute', 'spread', '-n', 'spread-hello', '--', 'sh', '-c', 'echo hello from $SLURMD_NODENAME']);
    assert.equal(run.code, 0, run.stderr);
    const j = await waitStatus('spread-hello', ['Completed', 'Failed']);
    assert.equal(j.status, 'Completed', JSON.stringify(j.history));
    assert.match(run.stdout, /hello from n[12]/);
    assert.ok(existsSync('/tmp/cairn-slurm-spread/runtime'), 'the node copy is in the settled folder');
  });

  it("a two-node job: each node fetches its own copy into node_local_dir, the job cannot see it, and the job's folder goes after", async () => {
    writeFileSync(join(work, 'own.yml'), computeYaml('own', `partition: debug\nnode_local_dir: ${local}\n`));
    const r = await cli(['compute', 'attach', '-f', 'own.yml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, new RegExp(`each node will fetch its own copy .* into ${local}`));
    await waitFor('own provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/own`)).body.provisioning_state === 'Succeeded', 60_000);
    writeFileSync(join(work, 'two.yml'), `command: sh -c 'echo rank $RANK on $SLURMD_NODENAME; test -e ${local}/runtime && echo copy-seen || echo copy-hidden'\ncompute: own\nresources:\n  instance_count: 2\ndistribution:\n  type: pytorch\n`);
    assert.equal((await cli(['job', 'create', '-f', 'two.yml', '-n', 'two-nodes'])).code, 0);
    const j = await waitStatus('two-nodes', ['Completed', 'Failed']);
    assert.equal(j.status, 'Completed', JSON.stringify(j.history));
    const lines = await logs('two-nodes');
    assert.ok(lines.some((l) => /rank 0 on n[12]/.test(l)) && lines.some((l) => /rank 1 on n[12]/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('copy-hidden') && !lines.includes('copy-seen'), lines.join('\n'));
    for (const n of ['n1', 'n2']) {
      const copy = copyOn(n);
      assert.equal(copy.runtime.length, 1, `${n}: ${JSON.stringify(copy)}`);
      assert.equal(copy.agent.length, 1, `${n}: ${JSON.stringify(copy)}`);
      assert.ok(copy.python.some((p) => /^[0-9a-f]{64}$/.test(p)), `${n}: ${JSON.stringify(copy)}`);
      assert.deepEqual(copy.subs, [], `${n}: the job's folder went`);
    }
    assert.ok(!existsSync(local), 'the copies are on the nodes, not on the login host');

    // A later job uses what each node has: nothing is fetched again.
    const before = { n1: stamp('n1'), n2: stamp('n2') };
    writeFileSync(join(work, 'again.yml'), `command: echo again on $SLURMD_NODENAME\ncompute: own\nresources:\n  instance_count: 2\n`);
    assert.equal((await cli(['job', 'create', '-f', 'again.yml', '-n', 'again'])).code, 0);
    assert.equal((await waitStatus('again', ['Completed', 'Failed'])).status, 'Completed');
    assert.deepEqual({ n1: stamp('n1'), n2: stamp('n2') }, before);
  });

  it('cancel ends a running job on a node that fetched its own copy, and its folder there goes', async () => {
    const r = await cli(['run', '--compute', 'own', '-n', 'long', '--no-stream', '--', 'sh', '-c', 'echo started; sleep 300']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('long to print', async () => (await logs('long')).includes('started'), 60_000);
    assert.equal((await cli(['job', 'cancel', '-n', 'long'])).code, 0);
    assert.equal((await waitStatus('long', ['Canceled', 'Failed', 'Completed'])).status, 'Canceled');
    await waitFor("the job's folders on the nodes to go", async () => copyOn('n1').subs.length === 0 && copyOn('n2').subs.length === 0, 30_000);
  });

  it("a node_local_dir another user owns is not used: the job fails saying where the node's output is, and nothing there is run", async () => {
    // Someone else made the folder first (on a shared /tmp, anyone can), with a binary of their own in it.
    const theirs = join(planted, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 65534, 65534);
    writeFileSync(join(work, 'planted.yml'), computeYaml('planted', `partition: debug\nnode_local_dir: ${theirs}\n`));
    assert.equal((await cli(['compute', 'attach', '-f', 'planted.yml'])).code, 0);
    await waitFor('planted provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/planted`)).body.provisioning_state === 'Succeeded', 60_000);
    assert.equal((await cli(['run', '--compute', 'planted', '-n', 'planted-job', '--no-stream', '--', 'echo', 'ran'])).code, 0);
    const j = await waitStatus('planted-job', ['Failed', 'Completed']);
    assert.equal(j.status, 'Failed');
    assert.match(j.status_reason, new RegExp(`batch output stayed on the compute node, in ${theirs}/logs`));
    assert.deepEqual(readdirSync(theirs), [], 'nothing fetched into, or run from, a folder of another user');
    // What the script said, in sbatch's early output on the node (this cluster's nodes share /tmp with the host).
    const early = `/tmp/cairn-slurm-root-${j.slurm_job_id}.out`;
    assert.match(readFileSync(early, 'utf8'), new RegExp(`cairn: ${theirs} on \\S+ is not a folder of this user's own: set node_local_dir to one`));
    rmSync(early);
  });
});
