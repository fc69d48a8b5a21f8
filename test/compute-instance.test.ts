// Compute instances (one node for one person: stop keeps its disk), serverless jobs (a cluster of
// the job's own, gone when it ends) and a server killed while its clusters scale (no orphan node,
// no double node, no job lost).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';

/** Agents running for a compute's nodes, by their folders (what the local provider started). */
function agentsOf(dataDir: string, compute: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('agent/main.ts')) continue;
      const dir = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('CAIRN_AGENT_DIR='));
      if (dir?.includes(join(dataDir, 'pools', 'default', compute))) out.push(dir.slice('CAIRN_AGENT_DIR='.length));
    } catch {}
  }
  return out.sort();
}

describe('compute instances, serverless jobs, and a restart mid-scale', () => {
  let server = new TestServer();
  const work = tempDir('instance');
  let client: CairnClient;
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    await server.start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
  });
  after(async () => {
    for (const c of ['my-ci', 'scaling']) await cli(['compute', 'delete', '-n', c, '--yes', '--force']).catch(() => {});
    await server.stop();
  });

  it('an instance runs jobs on its one node; stop keeps its disk, start brings the same node back on it', async () => {
    const created = await ok(['compute', 'create', '--name', 'my-ci', '--type', 'computeinstance', '--size', 'Standard_DS2_v2', '-o', 'json']);
    assert.equal(JSON.parse(created.stdout).type, 'computeinstance');
    writeFileSync(join(work, 'hello.txt'), 'code the node caches\n');
    const first = await ok(['run', '--compute', 'my-ci', '-n', 'ci-1', '--', 'bash', '-c', 'echo on $CAIRN_NODE']);
    const node = /on (my-ci:node-[0-9a-f]{6})/.exec(first.stdout)![1]!;
    const dir = join(server.dataDir, 'pools', 'default', 'my-ci', node.split(':')[1]!);
    assert.ok(existsSync(join(dir, 'blobs')), 'the node has its own disk');
    const cached = readdirSync(join(dir, 'blobs'));
    assert.ok(cached.length > 0, 'the code it ran is cached there');

    const stopped = await ok(['compute', 'stop', '-n', 'my-ci', '-o', 'json']);
    assert.equal(JSON.parse(stopped.stdout).state, 'Stopped');
    await waitFor('the node to stop', async () => (await client.computes.listNodes('my-ci')).every((n) => n.state === 'stopped') && agentsOf(server.dataDir, 'my-ci').length === 0);
    assert.deepEqual(readdirSync(join(dir, 'blobs')), cached, 'its disk is kept while stopped');
    await ok(['run', '--compute', 'my-ci', '-n', 'while-stopped', '--no-stream', '--', 'true']);
    await new Promise((r) => setTimeout(r, 1_500));
    const waiting = await client.getJob('while-stopped');
    assert.equal(waiting.status, 'Queued');
    assert.match(waiting.status_reason!, /compute 'my-ci' is stopped; start it to run its jobs/);

    await ok(['compute', 'start', '-n', 'my-ci']);
    assert.equal((await client.waitForCompletion('while-stopped')).status, 'Completed');
    assert.deepEqual((await client.computes.listNodes('my-ci')).map((n) => n.name), [node], 'the same node, on its kept disk');
    const shown = (await ok(['compute', 'show', '-n', 'my-ci', '-o', 'table'])).stdout;
    assert.match(shown, /node node-[0-9a-f]{6} started again on its kept disk/);
  });

  it('a serverless job gets a cluster of its own size, which goes when the job ends', async () => {
    const r = await client.createJob({ name: 'serverless', command: 'echo serverless on $CAIRN_NODE', resources: { instance_type: 'Standard_DS1_v2' } } as never);
    assert.match(r.compute, /^serverless-[0-9a-f]{10}$/);
    const done = await client.waitForCompletion('serverless');
    assert.equal(done.status, 'Completed', done.status_reason ?? '');
    await waitFor('its cluster to go', async () => !(await client.computes.list()).some((c) => c.name === r.compute), 30_000);
    assert.deepEqual(agentsOf(server.dataDir, r.compute), []);
    const bad = await client.createJob({ command: 'true', resources: { instance_type: 'Standard_Nope' } } as never).catch((e: Error) => e);
    assert.match(String(bad), /resources.instance_type: size 'Standard_Nope' does not exist/);
    assert.ok(!(await client.computes.list()).some((c) => c.name.startsWith('serverless-')), 'nothing half-made');
  });

  it('a server killed while its cluster scales: no node lost or made twice, every job completes', async () => {
    await ok(['compute', 'create', '--name', 'scaling', '--type', 'amlcompute', '--size', 'Standard_DS1_v2', '--max-instances', '3', '--idle-time-before-scale-down', '60']);
    for (let i = 0; i < 3; i++) await client.createJob({ name: `scale-${i}`, compute: 'scaling', command: 'sleep 2; echo done' } as never);
    await waitFor('the scale-up to begin', async () => (await client.computes.listNodes('scaling')).length > 0, 20_000);
    await server.kill('SIGKILL');
    server = new TestServer({ dataDir: server.dataDir });
    await server.start();
    client = new CairnClient({ url: server.url });
    for (let i = 0; i < 3; i++) assert.equal((await client.waitForCompletion(`scale-${i}`)).status, 'Completed');
    const nodes = await client.computes.listNodes('scaling');
    assert.ok(nodes.length <= 3, `${nodes.length} nodes`);
    await waitFor('one agent per node, no orphan', async () => {
      const agents = agentsOf(server.dataDir, 'scaling').map((d) => d.split('/').pop());
      const rows = (await client.computes.listNodes('scaling')).map((n) => n.label);
      return JSON.stringify(agents) === JSON.stringify(rows.sort()) ? true : null;
    }, 20_000);
  });
});
