// Compute clusters on the local node provider, through the real CLI and a real server: the
// autoscaler's timeline, gang placement, priorities, reservations against starvation, preemption
// and retries, the head-of-line case across computes, and bad input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';

const SIZE = 'Standard_DS1_v2';

describe('compute clusters (amlcompute) on the local provider', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '1'] });
  const work = tempDir('cluster');
  let client: CairnClient;
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const cluster = (name: string, extra: string[] = []) => ok(['compute', 'create', '--name', name, '--type', 'amlcompute', '--size', SIZE, ...extra, '-o', 'json']);
  const submit = (name: string, compute: string, command: string, extra: Record<string, unknown> = {}) => client.createJob({ name, compute, command, ...extra } as never);
  const status = async (name: string) => (await client.getJob(name)).status;
  const waitStatus = (name: string, s: string, ms = 60_000) => waitFor(`${name} ${s}`, async () => (await status(name)) === s, ms);
  const history = async (compute: string) => ((await client.computes.get(compute)) as { scaling_history?: { message: string }[] }).scaling_history?.map((e) => e.message) ?? [];
  const liveNodes = async (compute: string) => (await client.computes.listNodes(compute)).filter((n) => n.state !== 'deleting');

  before(async () => {
    await server.start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
  });
  after(async () => {
    for (const c of ['burst', 'upd', 'gang', 'prio', 'starve', 'lowpri', 'solo', 'hol']) await cli(['compute', 'delete', '-n', c, '--yes', '--force']).catch(() => {});
    await server.stop();
  });

  it('scales 0 -> 3 -> 0 under a burst, never above max_instances, with every decision and its reason recorded', async () => {
    await cluster('burst', ['--min-instances', '0', '--max-instances', '3', '--idle-time-before-scale-down', '2']);
    for (let i = 0; i < 6; i++) await submit(`burst-${i}`, 'burst', 'sleep 1; echo done');
    let most = 0;
    await waitFor('the burst to finish', async () => {
      most = Math.max(most, (await liveNodes('burst')).length);
      const done = await Promise.all(Array.from({ length: 6 }, (_, i) => status(`burst-${i}`)));
      return done.every((s) => s === 'Completed');
    }, 90_000);
    assert.equal(most, 3, 'it reached max_instances and never went past it');
    // While its nodes start a job is Provisioning, saying which nodes it waits for, then Preparing.
    const first = (await client.getJob('burst-0')).history!.map((e) => e.status);
    assert.deepEqual(first.slice(0, 3), ['Queued', 'Provisioning', 'Preparing'], first.join(' '));
    assert.match((await client.getJob('burst-0')).history![1]!.reason ?? '', /^waiting for (nodes to start: node-[0-9a-f]{6}|compute 'burst' to scale up)/);
    await waitFor('the idle nodes to go', async () => (await client.computes.listNodes('burst')).length === 0, 30_000);
    const h = await history('burst');
    assert.ok(h.some((m) => /^scaled up 0 -> [1-3]: \d+ jobs? waiting$/.test(m)), h.join('\n'));
    assert.equal(h.filter((m) => /^removed node node-[0-9a-f]{6}: idle \d+ s$/.test(m)).length, 3, h.join('\n'));
    const shown = (await ok(['compute', 'show', '-n', 'burst', '-o', 'table'])).stdout;
    assert.match(shown, /^instances\s+0 now \(min 0, max 3\)$/m);
    assert.match(shown, /scaling history:\n(.*\n)*.*scaled up 0 -> /);
  });

  it('cairn compute update acts at once: a higher min_instances starts nodes, a lower one lets them go', async () => {
    await cluster('upd', ['--min-instances', '0', '--max-instances', '2', '--idle-time-before-scale-down', '1']);
    await ok(['compute', 'update', '-n', 'upd', '--min-instances', '2']);
    await waitFor('two nodes for min_instances', async () => (await client.computes.listNodes('upd')).filter((n) => n.state === 'ready').length === 2, 30_000);
    assert.ok((await history('upd')).includes('scaled up 0 -> 2: min_instances is 2'), (await history('upd')).join('\n'));
    await ok(['compute', 'update', '-n', 'upd', '--min-instances', '0']);
    await waitFor('the nodes to go below the old minimum', async () => (await client.computes.listNodes('upd')).length === 0, 30_000);
    assert.equal((await history('upd')).filter((m) => /^removed node node-[0-9a-f]{6}: idle \d+ s$/.test(m)).length, 2);
  });

  it('gives a job its instance_count nodes at once, each process its rank, and keeps logs per node', async () => {
    await cluster('gang', ['--max-instances', '2', '--idle-time-before-scale-down', '30']);
    const job = await client.createJob({
      name: 'two-nodes',
      compute: 'gang',
      command: 'echo rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK node=$NODE_RANK master=$MASTER_ADDR:$MASTER_PORT',
      resources: { instance_count: 2 },
      distribution: { type: 'pytorch', process_count_per_instance: 2 },
    } as never);
    const final = await client.waitForCompletion(job.name);
    assert.equal(final.status, 'Completed', final.status_reason ?? '');
    assert.equal(final.attempts!.length, 4);
    assert.equal(new Set(final.attempts!.map((a) => a.node)).size, 2, 'two nodes');
    const lines = (await client.logs(job.name)).map((l) => `${l.rank} ${l.text}`).sort();
    const port = /master=127\.0\.0\.1:(\d+)/.exec(lines[0]!)![1];
    assert.deepEqual(lines, [0, 1, 2, 3].map((r) => `${r} rank=${r} world=4 local=${r % 2} node=${Math.floor(r / 2)} master=127.0.0.1:${port}`));
    const nodeOfRank3 = final.attempts!.find((a) => a.rank === 3)!.node;
    const one = await ok(['job', 'stream', '-n', job.name, '--node', nodeOfRank3.split(':').pop()!]);
    assert.deepEqual(one.stdout.trim().split('\n').sort(), ['[rank 2] rank=2 world=4 local=0 node=1 master=127.0.0.1:' + port, '[rank 3] rank=3 world=4 local=1 node=1 master=127.0.0.1:' + port]);
    const rank1 = await ok(['job', 'stream', '-n', job.name, '--rank', '1']);
    assert.equal(rank1.stdout.trim(), `rank=1 world=4 local=1 node=0 master=127.0.0.1:${port}`);
  });

  it('runs high priority before low, and a 4-node job is not starved by a stream of 1-node jobs', async () => {
    await cluster('prio', ['--min-instances', '1', '--max-instances', '1', '--idle-time-before-scale-down', '60']);
    await submit('prio-block', 'prio', 'sleep 2');
    await waitStatus('prio-block', 'Running');
    await submit('prio-low', 'prio', 'true', { queue_settings: { priority: 'low' } });
    await submit('prio-high', 'prio', 'true', { queue_settings: { priority: 'high' } });
    const [low, high] = await Promise.all([client.waitForCompletion('prio-low'), client.waitForCompletion('prio-high')]);
    assert.ok(Date.parse(high.start_time!) <= Date.parse(low.start_time!), 'high started first');

    await cluster('starve', ['--min-instances', '0', '--max-instances', '4', '--idle-time-before-scale-down', '30']);
    const stop = { v: false };
    let n = 0;
    const stream = (async () => {
      while (!stop.v) {
        await submit(`small-${n++}`, 'starve', 'sleep 0.5').catch(() => {});
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    await new Promise((r) => setTimeout(r, 1_500));
    await client.createJob({ name: 'big', compute: 'starve', command: 'echo big $WORLD_SIZE', resources: { instance_count: 4 } } as never);
    const waiting = await waitFor('a reason while it waits', async () => {
      const j = await client.getJob('big');
      return j.status === 'Queued' || j.status === 'Provisioning' ? j : j.status === 'Completed' ? j : null;
    });
    const big = await client.waitForCompletion('big');
    stop.v = true;
    await stream;
    assert.equal(big.status, 'Completed');
    assert.ok(waiting.status === 'Completed' || /nodes|max_instances|scale up|free up/.test(waiting.status_reason ?? ''), waiting.status_reason ?? '');
  });

  it("a job on a free compute never waits behind another compute's long queue", async () => {
    // The old scheduler claimed the 200 oldest queued jobs of all computes; 250 on a full one kept this one waiting.
    // Long enough that the 250 submissions (slow on a loaded machine) are all in before it ends.
    await ok(['run', '-n', 'hol-block', '--no-stream', '--', 'sleep', '300']);
    await waitStatus('hol-block', 'Running');
    for (let i = 0; i < 250; i++) await submit(`hol-wait-${i}`, 'local', 'true');
    await cluster('hol', ['--max-instances', '1', '--idle-time-before-scale-down', '5']);
    await submit('hol-free', 'hol', 'echo free');
    assert.equal((await client.waitForCompletion('hol-free')).status, 'Completed');
    const waiting = await client.getJob('hol-wait-249');
    assert.equal(waiting.status, 'Queued');
    assert.match(waiting.status_reason!, /waiting for a free slot on compute 'local' \(250 jobs ahead\)|waiting for a free slot on compute 'local'/);
    await client.cancelJob('hol-block');
    for (let i = 0; i < 250; i++) await client.cancelJob(`hol-wait-${i}`).catch(() => {});
  });

  it('preempts a low-priority node: SIGTERM, then the job goes back to the queue as a new attempt and completes', async () => {
    await cluster('lowpri', ['--tier', 'low_priority', '--max-instances', '2', '--idle-time-before-scale-down', '30']);
    writeFileSync(join(work, 'resumable.sh'), 'trap "echo got SIGTERM; exit 143" TERM\npython3 -c "import cairn; cairn.log_metric(\'attempt\', $CAIRN_ATTEMPT, step=0)"\necho attempt $CAIRN_ATTEMPT\nif [ "$CAIRN_ATTEMPT" = 1 ]; then sleep 60 & wait; fi\necho finished\n');
    await ok(['run', '--compute', 'lowpri', '-n', 'preempt-me', '--no-stream', '--', 'bash', 'resumable.sh']);
    await waitStatus('preempt-me', 'Running');
    await waitFor('its first line', async () => (await client.logs('preempt-me')).some((l) => l.text === 'attempt 1'));
    const node = (await client.getJob('preempt-me')).node!.split(':').pop()!;
    const r = await ok(['compute', 'preempt-node', '-n', 'lowpri', '--node', node]);
    assert.match(r.stdout, /preempting/);
    const final = await client.waitForCompletion('preempt-me');
    assert.equal(final.status, 'Completed', final.status_reason ?? '');
    assert.equal(final.attempt, 2);
    const statuses = final.history!.map((h) => h.status);
    assert.ok(statuses.includes('Preempted'), statuses.join(' '));
    assert.match(final.history!.find((h) => h.status === 'Queued' && h.attempt === null && /requeued/.test(h.reason ?? ''))?.reason ?? '', /requeued after preemption as attempt 2 \(3 of max_retries 3 left\)/);
    const text = (await client.logs('preempt-me')).map((l) => `${l.attempt} ${l.text}`);
    assert.deepEqual(text, ['1 attempt 1', '1 got SIGTERM', '2 attempt 2', '2 finished']);
    // Each attempt's metric points stay apart: the attempt is recorded with them.
    const series = (await (await fetch(`${server.url}/api/v1/workspaces/default/jobs/preempt-me/metrics/attempt`)).json()) as { values: number[]; attempts: unknown[] };
    assert.deepEqual(series.values, [1, 2]);
    assert.deepEqual(series.attempts, [{ attempt: 1, start: 0, count: 1 }, { attempt: 2, start: 1, count: 1 }]);
    assert.ok((await history('lowpri')).some((m) => /node node-[0-9a-f]{6} was preempted/.test(m)));

    // With no retries left the job fails, saying so.
    await client.createJob({ name: 'no-retries', compute: 'lowpri', command: 'sleep 60', max_retries: 0 } as never);
    await waitStatus('no-retries', 'Running');
    await ok(['compute', 'preempt-node', '-n', 'lowpri', '--node', (await client.getJob('no-retries')).node!.split(':').pop()!]);
    const failed = await client.waitForCompletion('no-retries');
    assert.equal(failed.status, 'Failed');
    assert.match(failed.status_reason!, /preempted on attempt 1 with no retries left \(max_retries 0\)/);
  });

  it('SSH into a node with the real ssh client and the user\'s key: it lands in the node\'s work folder, which its jobs share', async () => {
    const keyDir = tempDir('node-key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
    const pub = readFileSync(join(keyDir, 'id.pub'), 'utf8').trim();
    writeFileSync(join(work, 'ssh-cluster.yml'), `name: sshable\ntype: amlcompute\nsize: ${SIZE}\nmin_instances: 1\nmax_instances: 1\nssh_public_access_enabled: true\nssh_settings:\n  admin_username: cairnnode\n  ssh_key_value: ${pub}\n`);
    await ok(['compute', 'create', '-f', 'ssh-cluster.yml']);
    const r = await ok(['run', '--compute', 'sshable', '-n', 'leaves-a-file', '--', 'bash', '-c', 'echo from-job > $CAIRN_NODE_WORK_DIR/marker']);
    assert.equal(r.code, 0);
    const nodes = await client.computes.listNodes('sshable');
    const connection = nodes[0]!.connection!;
    assert.match(connection, /^ssh -p \d+ cairnnode@127\.0\.0\.1$/);
    const listed = (await ok(['compute', 'list-nodes', '-n', 'sshable'])).stdout;
    assert.ok(listed.includes(connection), listed);
    const port = /-p (\d+)/.exec(connection)![1]!;
    const ssh = spawnSync('ssh', ['-i', join(keyDir, 'id'), '-p', port, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', 'cairnnode@127.0.0.1', 'whoami; pwd; cat marker'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(ssh.status, 0, ssh.stderr);
    const [who, where, marker] = ssh.stdout.trim().split('\n');
    assert.equal(who, 'cairnnode');
    assert.match(where!, /\/default\/sshable\/node-[0-9a-f]{6}$/);
    assert.equal(marker, 'from-job');
    const wrong = spawnSync('ssh', ['-p', port, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', '/dev/null', 'cairnnode@127.0.0.1', 'true'], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(wrong.status, 0, 'no other key gets in');
    await ok(['compute', 'delete', '-n', 'sshable', '--yes', '--force']);
    assert.ok(!existsSync(where!), 'the node work folder goes with the node');
  });

  it('refuses what can never run, in one line: too many nodes, sizes the provider has not, a dedicated node to preempt', async () => {
    await cluster('solo', ['--max-instances', '2']);
    const fails = async (args: string[], re: RegExp) => {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    };
    writeFileSync(join(work, 'big.yml'), 'command: echo\ncompute: solo\nresources:\n  instance_count: 3\n');
    await fails(['job', 'create', '-f', 'big.yml'], /compute 'solo' cannot run this job: the job needs 3 nodes and compute 'solo' has at most 2 \(max_instances\)/);
    writeFileSync(join(work, 'local2.yml'), 'command: echo\nresources:\n  instance_count: 2\n');
    await fails(['job', 'create', '-f', 'local2.yml'], /compute 'local' is one machine: a job on 2 nodes needs a compute cluster/);
    await fails(['compute', 'create', '--name', 'gpus', '--type', 'amlcompute', '--size', 'Standard_NC6s_v3'], /size 'Standard_NC6s_v3' has 1 GPU and this machine has none/);
    await fails(['compute', 'create', '--name', 'huge', '--type', 'amlcompute', '--size', 'Standard_D16s_v3', '--min-instances', '20', '--max-instances', '20'], /min_instances 20 of size 'Standard_D16s_v3' is more than the local provider can keep up|needs 64 GB of memory/);
    await fails(['compute', 'create', '--name', 'idle', '--type', 'amlcompute', '--idle-time-before-scale-down', '-1'], /idle_time_before_scale_down|--idle-time-before-scale-down/);
    await submit('solo-run', 'solo', 'sleep 5');
    await waitStatus('solo-run', 'Running');
    await fails(['compute', 'preempt-node', '-n', 'solo', '--node', (await client.getJob('solo-run')).node!.split(':').pop()!], /compute 'solo' is dedicated \(tier: dedicated\): its nodes are never taken back/);
    await fails(['compute', 'preempt-node', '-n', 'local', '--node', 'local'], /only nodes of a low-priority compute cluster can be preempted/);
    const computes = (JSON.parse((await ok(['compute', 'list', '-o', 'json'])).stdout) as { name: string }[]).map((c) => c.name);
    assert.ok(!computes.includes('gpus') && !computes.includes('huge'), 'nothing half-created');
  });
});
