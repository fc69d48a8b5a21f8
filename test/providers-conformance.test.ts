// One conformance suite that every node provider passes (local, ssh, command, fake), through the
// real CLI and a real server per provider: a node comes up, runs a job, goes on scale-down with
// everything on it, a create made again after a crash gives the same node, deleting a node that is
// already gone is fine, and a failed create leaves the provider's own words and no node row. The ssh
// and command providers use the test sshd hosts (scripts/sshd-up.sh, scripts/netns-up.sh).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { Store } from '../src/store/index.ts';
import { AZURE_SIZES, VM_SIZES } from '../src/protocol/compute-sizes.ts';
import { ProviderError, type NodeHandle, type NodeRequest } from '../src/providers/types.ts';
import { FakeProvider } from '../src/providers/fake/fake-provider.ts';
import { agentOf } from '../src/providers/local/agent-process.ts';
import { freePort, runCli, TestServer, tempDir, waitFor, type CliResult } from './helpers/cairn.ts';
import { joinSecrets, mergeComputeUpdate, parseComputeSpec, splitSecrets, type ComputeNodeView } from '../src/protocol/compute.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';
import { commandSubject, fakeSubject, liveAgents, localSubject, sshSubject, type Role, type Subject } from './helpers/provider-subjects.ts';

const SIZE = 'Standard_DS1_v2';
const bed = await sshTestbed({ netns: true });
const sshSkip = 'skip' in bed ? bed.skip : (bed.netnsSkip ?? false);
const testbed: Testbed | null = 'skip' in bed ? null : bed;

interface Ctx {
  server: TestServer;
  client: () => CairnClient;
  cli: (args: string[]) => Promise<CliResult>;
  ok: (args: string[]) => Promise<CliResult>;
  create: (name: string, role: Role, min: number, max?: number, o?: { size?: string; provider?: string }) => Promise<void>;
  writeCompute: (name: string, role: Role, min: number, max?: number, o?: { size?: string; provider?: string }) => string;
  waitReady: (compute: string) => Promise<ComputeNodeView>;
  runJob: (name: string, compute: string) => Promise<unknown>;
  logs: (name: string) => Promise<string[]>;
}

function conformance(subject: Subject, prefix: string, work: string, extra?: (t: Ctx) => void): void {
  describe(`the ${subject.name} provider`, { skip: subject.skip }, () => {
    const server = new TestServer({ env: subject.serverEnv });
    let client: CairnClient;
    const c = { main: `${prefix}main`, crash: `${prefix}crash`, fail: `${prefix}fail` };
    const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
    const ok = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    /** A cluster from a compute file, as a user writes it (key files and ./scripts are relative to it). */
    const writeCompute = (name: string, role: Role, min: number, max = 1, o: { size?: string; provider?: string } = {}) => {
      const file = join(work, `${name}.yml`);
      writeFileSync(file, `name: ${name}\ntype: amlcompute\nsize: ${o.size ?? SIZE}\nmin_instances: ${min}\nmax_instances: ${max}\nidle_time_before_scale_down: 2\nprovider: ${o.provider ?? subject.provider(role)}\n`);
      return file;
    };
    const create = async (name: string, role: Role, min: number, max = 1, o: { size?: string; provider?: string } = {}) => {
      await ok(['compute', 'create', '-f', writeCompute(name, role, min, max, o), '-o', 'json']);
    };
    const nodes = (compute: string) => client.computes.listNodes(compute);
    const waitReady = async (compute: string) => {
      const ready = await waitFor(`a ready node of ${compute}`, async () => (await nodes(compute)).find((n) => n.state === 'ready'), 120_000);
      return ready;
    };
    const rows = async (compute: string) => {
      const store = await Store.open(`sqlite:${join(server.dataDir, 'cairn.db')}`);
      try {
        return await store.nodes.forCompute('default', compute);
      } finally {
        await store.close();
      }
    };
    const logs = async (name: string) => (await client.logs(name)).map((l) => l.text);
    const runJob = async (name: string, compute: string) => {
      await client.createJob({ name, compute, command: 'echo "on $(hostname)"; python3 -c "print(6 * 7)"' } as never);
      const done = await client.waitForCompletion(name);
      assert.equal(done.status, 'Completed', done.status_reason ?? '');
      assert.ok((await logs(name)).includes('42'), 'its output came back');
      return done;
    };

    before(async () => {
      await server.start();
      client = new CairnClient({ url: server.url });
    });
    after(async () => {
      for (const name of [c.main, c.crash, c.fail, `${c.fail}-hold`, ...extraComputes(prefix)]) await cli(['compute', 'delete', '-n', name, '--yes', '--force']).catch(() => {});
      await server.stop();
    });

    it('a node comes up and reaches ready', async () => {
      const t0 = Date.now();
      await create(c.main, 'main', 1, 2);
      const node = await waitReady(c.main);
      assert.match(node.label!, /^node-[0-9a-f]{6}$/);
      assert.equal(subject.inventory(server, c.main).length >= 1, true, 'the provider made something');
      assert.equal(liveAgents(c.main).length, 1, 'one agent');
      const [row] = await rows(c.main);
      const handle = JSON.parse(row!.provider_ref!) as { provider: string; name: string; address?: string };
      assert.equal(handle.provider, subject.name);
      assert.equal(handle.name, row!.name);
      assert.equal(handle.address, subject.where?.main?.address ?? handle.address, 'the handle says where other ranks reach the node');
      assert.equal(typeof handle.address, 'string');
      console.log(`# ${subject.name}: node ready in ${Date.now() - t0} ms`);
    });

    it('a job runs on it and completes', async () => {
      const done = (await runJob(`${prefix}-job-one`, c.main)) as { node: string };
      assert.equal(done.node, (await nodes(c.main))[0]!.name);
      if (subject.where?.main) assert.ok((await logs(`${prefix}-job-one`)).includes(`on ${subject.where.main.hostname}`), 'it ran on the host the provider took');
    });

    it('scaling down removes the node and everything on it', async () => {
      assert.ok(subject.inventory(server, c.main).length > 0);
      await ok(['compute', 'update', '-n', c.main, '--set', 'min_instances=0']);
      await waitFor('the idle node to go', async () => (await nodes(c.main)).length === 0, 60_000);
      assert.deepEqual(subject.inventory(server, c.main), [], 'nothing of the node is left');
      assert.deepEqual(liveAgents(c.main), [], 'no agent is left');
      const history = ((await client.computes.get(c.main)) as { scaling_history?: { message: string }[] }).scaling_history!.map((e) => e.message);
      assert.ok(history.some((m) => /^removed node node-[0-9a-f]{6}: idle \d+ s$/.test(m)), history.join('\n'));
    });

    it('a create made again for the same node name after a crash gives the same node, not two', async () => {
      await create(c.crash, 'crash', 1);
      const first = await waitReady(c.crash);
      const made = subject.inventory(server, c.crash);
      // The server dies after it asked the provider for the node and before it recorded the answer.
      await server.kill('SIGKILL');
      const store = await Store.open(`sqlite:${join(server.dataDir, 'cairn.db')}`);
      await store.nodes.update(first.name, { state: 'creating', provider_ref: null, token_hash: 'from-the-dead-server' });
      await store.close();
      await server.start();
      const again = await waitReady(c.crash);
      assert.equal(again.name, first.name);
      assert.equal((await nodes(c.crash)).length, 1);
      assert.deepEqual(subject.inventory(server, c.crash), made, 'the same node: nothing more was made');
      assert.equal(liveAgents(c.crash).length, 1, 'one agent, answering to the new token');
      subject.afterCrash?.(c.crash);
      await runJob(`${prefix}-job-two`, c.crash);
      if (subject.where?.crash) assert.ok((await logs(`${prefix}-job-two`)).includes(`on ${subject.where.crash.hostname}`));
    });

    it('deleting a node that is already gone is fine', async () => {
      await subject.vanish(server, c.crash);
      await ok(['compute', 'delete', '-n', c.crash, '--yes', '--force']);
      assert.deepEqual(await rows(c.crash), []);
      assert.deepEqual(subject.inventory(server, c.crash), []);
    });

    it("a failed create leaves the provider's own words in scaling_history and provisioning_errors, and no node row", async () => {
      const words = await subject.failure(server, c.fail, { create, waitReady: async (n) => void (await waitReady(n)) });
      await create(c.fail, 'fail', 0);
      await client.createJob({ name: `${prefix}-job-fail`, compute: c.fail, command: 'true' } as never);
      const view = await waitFor('the failure', async () => {
        const v = (await client.computes.get(c.fail)) as { provisioning_errors: { message: string }[]; scaling_history?: { kind: string; message: string }[] };
        return v.provisioning_errors.length && v.scaling_history?.some((e) => e.kind === 'node_failed') ? v : null;
      }, 90_000);
      const failed = view.scaling_history!.find((e) => /could not be made/.test(e.message))!.message;
      assert.match(failed, /^node node-[0-9a-f]{6} could not be made: /);
      assert.match(failed, words);
      assert.match(view.provisioning_errors[0]!.message, words);
      assert.ok(!failed.includes('\n'), 'one line');
      assert.deepEqual(await rows(c.fail), [], 'no node row');
      assert.deepEqual(subject.inventory(server, c.fail), []);
      await ok(['compute', 'delete', '-n', c.fail, '--yes', '--force']);
    });

    extra?.({ server, client: () => client, cli, ok, create, writeCompute, waitReady, runJob, logs });
  });
}

/** Computes the extra cases make, deleted at the end whatever happened. */
const extraComputes = (prefix: string) => [`${prefix}cut`, `${prefix}inst`, `${prefix}badjson`, `${prefix}slow`, `${prefix}unreach`, `${prefix}evict`];

/** Local ports of `pid`'s TCP connections to `port` (from /proc), so a test cuts only its own server's SSH link. */
function clientPorts(pid: number, port: number): number[] {
  const inodes = new Set(readdirSync(`/proc/${pid}/fd`).flatMap((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSafe(`/proc/${pid}/fd/${fd}`))?.slice(1) ?? []));
  return readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 9 && inodes.has(f[9]!) && Number.parseInt(f[2]!.split(':')[1]!, 16) === port).map((f) => Number.parseInt(f[1]!.split(':')[1]!, 16));
}
const readlinkSafe = (p: string) => {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
};

/** What only a fleet of hosts can get wrong: sizes too big for a host, more nodes than hosts, a changed host key, a dropped connection. */
function sshExtras(t: Ctx): void {
  const h1 = testbed!.hosts[0]!;
  it('refuses, in one line naming the host, a size bigger than a host, more nodes than hosts, and a host key that is not the pinned one', async () => {
    const fails = async (file: string, re: RegExp) => {
      const r = await t.cli(['compute', 'create', '-f', file]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    };
    await fails(t.writeCompute('sbig', 'main', 0, 1, { size: 'Standard_D16s_v3' }), new RegExp(`size 'Standard_D16s_v3' needs 16 vCPUs, 64 GB; host root@${h1.address}:22 has \\d+ vCPUs, [\\d.]+ GB`));
    await fails(t.writeCompute('smany', 'main', 2, 2), /min_instances 2 is more than the 1 free host of this fleet of 1/);
    const wrong = 'SHA256:' + 'A'.repeat(43);
    await fails(t.writeCompute('spinned', 'main', 0, 1, { provider: `${sshSubject(testbed, false).provider('main')}\n    host_keys: {${h1.address}: '${wrong}'}` }), new RegExp(`the ssh provider cannot use host ${h1.address}:22: .*${wrong.slice(0, 20)}`));
    const list = await t.ok(['compute', 'list', '-o', 'json']);
    assert.ok(!/"s(big|many|pinned)"/.test(list.stdout), 'nothing was stored');
  });

  it('a dropped SSH connection is made again: the tunnel comes back and a job runs', async () => {
    await t.create('scut', 'main', 1);
    const node = await t.waitReady('scut');
    const ports = clientPorts(t.server.proc!.pid!, 22);
    assert.ok(ports.length >= 1, 'the server holds a connection to the host');
    for (const p of ports) testbed!.cutConnections({ clientPort: p });
    await waitFor('a new connection', async () => clientPorts(t.server.proc!.pid!, 22).some((p) => !ports.includes(p)), 30_000);
    await t.runJob('s-job-cut', 'scut');
    assert.equal((await t.client().computes.listNodes('scut'))[0]!.name, node.name, 'the same node');
    await t.ok(['compute', 'delete', '-n', 'scut', '--yes', '--force']);
    assert.deepEqual(liveAgents('scut'), []);
  });
}

/** What only scripts can get wrong: output that is not the JSON, a script that hangs, a node whose agent cannot be installed. */
function commandExtras(t: Ctx): void {
  const failsWith = async (compute: string, script: string, re: RegExp) => {
    writeFileSync(join(work, `${compute}.sh`), script, { mode: 0o755 });
    const provider = `\n    type: command\n    create: ./${compute}.sh\n    delete: ./delete-node.sh\n    timeout: 2\n    ssh_settings:\n      admin_username: root\n      ssh_private_key_file: ${testbed!.rootKeyPath}`;
    await t.create(compute, 'fail', 0, 1, { provider });
    await t.client().createJob({ name: `${compute}-job`, compute, command: 'true' } as never);
    const failed = await waitFor(`${compute} to fail`, async () => {
      const v = (await t.client().computes.get(compute)) as { scaling_history?: { kind: string; message: string }[] };
      return v.scaling_history?.find((e) => e.kind === 'node_failed')?.message;
    }, 60_000);
    assert.match(failed, re);
    assert.deepEqual(await t.client().computes.listNodes(compute), [], 'no node row');
    await t.ok(['compute', 'delete', '-n', compute, '--yes', '--force']);
  };
  const deletes = (compute: string) => readFileSync(join(work, 'calls.log'), 'utf8').split('\n').filter((l) => l.startsWith(`delete ${compute}:`));

  it('a create script that prints no JSON, or hangs, fails with its own words; nothing is left half-made', async () => {
    await failsWith('cbadjson', '#!/bin/sh\necho "made vm-17, I think"\n', /create script printed no JSON object; it must print \{"address": .*; it printed: stdout: made vm-17, I think$/);
    assert.ok(deletes('cbadjson').length >= 1, 'delete got its chance');
    await failsWith('cslow', '#!/bin/sh\necho "waiting for the cloud" >&2\nsleep 30\n', /create script timed out after 2 s: waiting for the cloud$/);
  });

  it('a node whose agent cannot be installed is deleted again by the delete script', async () => {
    const port = await freePort();
    await failsWith('cunreach', `#!/bin/sh\necho '{"address": "127.0.0.1", "ssh_port": ${port}}'\n`, new RegExp(`node at 127\\.0\\.0\\.1 made, but its agent could not be installed: cannot reach 127\\.0\\.0\\.1:${port}: .*; the node was deleted again \\(delete script\\)$`));
    assert.match(deletes('cunreach')[0] ?? '', /^delete cunreach:node-[0-9a-f]{6} 127\.0\.0\.1$/);
  });
}

/** An instance on the fleet: stop keeps its host and files (the agent stops), start brings the agent back there. */
function sshInstance(t: Ctx): void {
  it('a compute instance on a host: stop stops its agent and keeps the host, start runs it there again', async () => {
    const file = join(work, 'sinst.yml');
    writeFileSync(file, `name: sinst\ntype: computeinstance\nsize: Standard_DS2_v2\nprovider: ${sshSubject(testbed, false).provider('main')}\n`);
    await t.ok(['compute', 'create', '-f', file]);
    const node = await t.waitReady('sinst');
    await t.ok(['compute', 'stop', '-n', 'sinst']);
    await waitFor('the agent to stop', async () => liveAgents('sinst').length === 0, 30_000);
    assert.equal((await t.client().computes.listNodes('sinst'))[0]?.state, 'stopped');
    assert.ok(existsSync(join(homedir(), '.cairn-node', node.name.replace(/[^A-Za-z0-9_.-]/g, '_'))), 'its files stay on the host');
    await t.ok(['compute', 'start', '-n', 'sinst']);
    assert.equal((await t.waitReady('sinst')).name, node.name);
    await t.runJob('s-job-inst', 'sinst');
    assert.ok((await t.logs('s-job-inst')).includes(`on ${testbed!.hosts[0]!.name}`), 'on the same host');
    await t.ok(['compute', 'delete', '-n', 'sinst', '--yes', '--force']);
    assert.deepEqual(liveAgents('sinst'), []);
    assert.ok(!existsSync(join(homedir(), '.cairn-node', node.name.replace(/[^A-Za-z0-9_.-]/g, '_'))), 'nothing left on the host');
  });
}

/** The stand-in cloud's own behaviour: its capacity, as the server sees it. */
function fakeExtras(t: Ctx): void {
  it("refuses more nodes than the fake region's capacity, in the cloud's words", async () => {
    const r = await t.cli(['compute', 'create', '-f', t.writeCompute('fcap', 'main', 4, 4)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /fake cloud: min_instances 4 is more than the region's capacity left \(3 of 3 instances\)/);
  });

  it('a provider without SSH to its nodes says so when a compute asks for it, and nothing is created', async () => {
    const file = join(tempDir('fake-ssh'), 'fssh.yml');
    writeFileSync(file, 'name: fssh\ntype: amlcompute\nsize: Standard_DS1_v2\nmax_instances: 1\nssh_public_access_enabled: true\nssh_settings:\n  admin_username: me\n  ssh_key_value: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKey me@laptop\nprovider:\n  type: fake\n');
    const r = await t.cli(['compute', 'create', '-f', file]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'error: the fake provider gives no SSH access to its nodes; set ssh_public_access_enabled: false');
    assert.notEqual((await t.cli(['compute', 'show', '-n', 'fssh'])).code, 0, 'not created');
  });

  it('a low-priority node the cloud takes back mid-job, without notice: the job is requeued at once and completes on a new node', async () => {
    const file = join(tempDir('fake-evict'), 'fevict.yml');
    writeFileSync(file, 'name: fevict\ntype: amlcompute\nsize: Standard_DS1_v2\ntier: low_priority\nmin_instances: 0\nmax_instances: 1\nidle_time_before_scale_down: 2\nprovider:\n  type: fake\n');
    await t.ok(['compute', 'create', '-f', file]);
    const client = t.client();
    await client.createJob({ name: 'f-evicted', compute: 'fevict', command: 'echo attempt $CAIRN_ATTEMPT; if [ "$CAIRN_ATTEMPT" = 1 ]; then sleep 120; fi; echo finished', max_retries: 2 } as never);
    await waitFor('attempt 1 to run', async () => (await t.logs('f-evicted')).includes('attempt 1'), 120_000);
    const first = (await client.getJob('f-evicted')).node!;
    // The cloud's console, not the server: the instance is evicted and its agent dies with its jobs.
    const cloud = new FakeProvider({ store: undefined as never, sizes: AZURE_SIZES, dataDir: t.server.dataDir, serverUrl: () => t.server.url, agentEnv: {}, isolation: { hide: [], jobUser: '' }, nodeHomes: '', log: () => {}, unseal: () => assert.fail('not asked') }, {});
    await cloud.preempt(first);
    const done = await client.waitForCompletion('f-evicted');
    assert.equal(done.status, 'Completed', done.status_reason ?? '');
    assert.equal(done.attempt, 2);
    assert.notEqual(done.node, first, 'on a new node');
    const preempted = done.history!.find((h) => h.status === 'Preempted');
    assert.equal(preempted?.reason, `node '${first.split(':').pop()}' was taken back by the provider (low-priority capacity)`);
    assert.ok(done.history!.some((h) => h.status === 'Queued' && /^requeued after preemption as attempt 2 \(2 of max_retries 2 left\)$/.test(h.reason ?? '')));
    assert.deepEqual(await t.logs('f-evicted'), ['attempt 1', 'attempt 2', 'finished']);
    const history = ((await client.computes.get('fevict')) as { scaling_history?: { message: string }[] }).scaling_history!.map((e) => e.message);
    assert.ok(history.includes(`node ${first.split(':').pop()} was taken back by the fake provider (low-priority capacity); its jobs are requeued`), history.join('\n'));
    await t.ok(['compute', 'delete', '-n', 'fevict', '--yes', '--force']);
    assert.deepEqual(liveAgents('fevict'), []);
  });

  it('in code: a create takes its delay, failures are injected, the capacity holds, and a low-priority instance is taken back', async () => {
    const dir = tempDir('fake-cloud');
    const store = await Store.open(`sqlite:${join(dir, 'db')}`);
    const deps = { store, sizes: AZURE_SIZES, dataDir: dir, serverUrl: () => t.server.url, agentEnv: {}, isolation: { hide: [dir], jobUser: '' }, nodeHomes: join(dir, 'homes'), log: () => {}, unseal: () => assert.fail('not asked') };
    const cloud = new FakeProvider(deps, { createDelayMs: 400, capacity: 1, failCreate: (r) => (r.label === 'bad' ? 'QuotaExceeded: no quota' : null), preemptAfterMs: 4_000 });
    const req = (label: string, tier: 'dedicated' | 'low_priority' = 'low_priority'): NodeRequest => ({ workspace: 'default', compute: 'fx', name: `fx:${label}`, label, size: VM_SIZES[0]!, tier, agent: { token: 'x' } });
    const t0 = Date.now();
    const a = (await cloud.create(req('a'))) as NodeHandle & { dir: string };
    assert.ok(Date.now() - t0 >= 400, 'the create took its delay');
    await waitFor('its agent to run', async () => agentOf(a.dir), 60_000);
    assert.equal(await cloud.exists(a), true);
    assert.deepEqual((await cloud.create(req('a'))).name, a.name, 'the same instance again');
    assert.equal(cloud.instances().length, 1);
    const says = (message: string) => (err: unknown) => err instanceof ProviderError && err.message === message;
    await assert.rejects(cloud.create(req('b')), says('fake cloud: InsufficientCapacity: no room for another Standard_DS1_v2 instance (capacity 1, 1 in use)'));
    await assert.rejects(cloud.create(req('bad')), says('fake cloud: QuotaExceeded: no quota'));
    assert.equal(cloud.preemptible(a), true);
    await waitFor('the cloud to take it back', async () => !(await cloud.exists(a)), 60_000);
    assert.equal(agentOf(a.dir), null, 'its agent is gone');
    const b = await cloud.create(req('b', 'dedicated'));
    assert.equal(cloud.preemptible(b), false);
    for (const h of [a, b]) await cloud.delete(h);
    await cloud.delete(a); // gone already: fine
    assert.deepEqual(cloud.instances(), []);
    assert.deepEqual(liveAgents('fx'), [], 'no agent is left');
    await store.close();
  });
}

describe('provider specs', () => {
  const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAnotarealkeyAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
  const aml = (provider: unknown) => ({ type: 'amlcompute', name: 'pool', provider });
  const rejects = (provider: unknown, message: string) =>
    assert.throws(() => parseComputeSpec(aml(provider)), (e: unknown) => e instanceof CairnError && e.code === 'ValidationError' && e.message === message && !message.includes('\n'));
  const fleet = { type: 'ssh', hosts: [{ address: '10.0.0.5' }], ssh_settings: { admin_username: 'ops', ssh_key_value: KEY } };

  it('local stays the default, as a string or an object; ssh and command are checked field by field in one line', () => {
    assert.equal((parseComputeSpec({ type: 'amlcompute', name: 'pool' }) as { provider: unknown }).provider, 'local');
    assert.deepEqual((parseComputeSpec(aml({ type: 'local' })) as { provider: unknown }).provider, { type: 'local' });
    rejects({ type: 'aws' }, "provider.type: expected 'local', 'ssh' or 'command' (found 'aws')");
    rejects('ssh', "provider: provider 'ssh' needs its settings: write provider: {type: ssh, ...} (see the README)");
    rejects({ type: 'ssh' }, 'provider.hosts is required: the machines of the fleet, like [{address: 10.0.0.5, ssh_port: 22}]');
    rejects({ ...fleet, hosts: [] }, 'provider.hosts: give at least one host: [{address: 10.0.0.5, ssh_port: 22}]');
    rejects({ ...fleet, hosts: [{ address: 'ops@10.0.0.5' }] }, "provider.hosts.0.address: expected a host name or IP address, not user@host: write '10.0.0.5' and put the user in ssh_settings.admin_username");
    rejects({ ...fleet, hosts: [{ address: '10.0.0.5', port: 22 }] }, "unknown field 'provider.hosts.0.port' for an amlcompute compute");
    rejects({ ...fleet, ssh_settings: { admin_username: 'ops' } }, 'provider.ssh_settings: give one of admin_password, ssh_private_key_file or ssh_key_value (the private key text) so Cairn can log in');
    rejects({ ...fleet, host_keys: { '10.0.0.5': 'SHA256:short' } }, "provider.host_keys.10.0.0.5: expected an SSH host key fingerprint: 'SHA256:' and 43 base64 characters, as `ssh-keygen -lf` prints it");
    const cmd = { type: 'command', create: '/opt/make.sh', delete: '/opt/delete.sh', ssh_settings: { admin_password: 'pw' } };
    assert.deepEqual((parseComputeSpec(aml(cmd)) as { provider: unknown }).provider, { ...cmd, timeout: 300 });
    rejects({ ...cmd, create: './make.sh' }, "provider.create: a relative path ('./make.sh') means nothing on the server: give an absolute path (the CLI resolves ./ against the compute file's folder)");
    rejects({ ...cmd, delete: undefined }, 'provider.delete is required: the script that deletes a node');
    rejects({ ...cmd, timeout: 0 }, 'provider.timeout: expected an integer from 1 to 86400 (seconds)');
  });

  it("seals the provider's credentials apart from the spec, and its type is fixed for life", () => {
    const spec = parseComputeSpec(aml({ ...fleet, ssh_settings: { admin_username: 'ops', ssh_key_value: KEY, admin_password: 'pw' } }));
    const { spec: open, secrets } = splitSecrets(spec);
    assert.deepEqual(secrets, { provider: { admin_password: 'pw', ssh_private_key: KEY } });
    assert.deepEqual((open as { provider: { ssh_settings: unknown } }).provider.ssh_settings, { admin_username: 'ops' });
    assert.deepEqual(joinSecrets(open, secrets), spec);
    assert.throws(() => mergeComputeUpdate(spec, { provider: 'local' }), /cannot change provider.type after the compute is created/);
    assert.equal((mergeComputeUpdate(spec, { provider: { hosts: [{ address: '10.0.0.6' }] } }) as { provider: { hosts: { address: string }[] } }).provider.hosts[0]!.address, '10.0.0.6');
  });
});

const work = tempDir('providers');
conformance(localSubject, 'l', work);
conformance(sshSubject(testbed, sshSkip), 's', work, (t) => (sshExtras(t), sshInstance(t)));
conformance(commandSubject(testbed, sshSkip, work), 'c', work, commandExtras);
conformance(fakeSubject(), 'f', work, fakeExtras);
