// Node health and the compute provisioner on their own, against a real SQLite store with recording
// backends: what each decides from the rows, that results are applied only under the lease, and
// that nothing is left half-made when a backend fails.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { NodeHealth } from '../src/reconcilers/node-health.ts';
import { ComputeProvisioner } from '../src/reconcilers/compute-provisioner.ts';
import { CairnError } from '../src/protocol/errors.ts';
import type { ComputeAction } from '../src/protocol/compute.ts';
import type { ComputeBackend, ComputeContext, PreflightResult } from '../src/compute/types.ts';
import type { ComputeRow } from '../src/store/computes.ts';
import { tempDir } from './helpers/cairn.ts';

const iso = (ms: number) => new Date(ms).toISOString();

async function openStore(): Promise<Store> {
  const store = await Store.open(`sqlite:${join(tempDir('reconcilers-nodes'), 'db')}`);
  await store.resources.ensureWorkspace('default', iso(Date.now()));
  return store;
}

async function addNode(store: Store, name: string, compute: string, heartbeat: number | null): Promise<void> {
  await store.nodes.upsert({ name, workspace: 'default', compute, state: 'ready', shape: '{}', slots: 1, agent_version: '1', token_hash: name, pid: null, last_heartbeat_ms: heartbeat, registered_at: iso(Date.now()) });
}

/** A job running attempt 1 on `node`. */
async function runningJob(store: Store, name: string, compute: string, node: string, status = 'Running'): Promise<string> {
  const id = `id-${name}`;
  const at = iso(Date.now());
  await store.jobs.insert(
    {
      id, workspace: 'default', name, display_name: name, experiment_name: 'e', compute, status, status_reason: null, spec: '{"command":"sleep 1"}', snapshot_id: null, git: null,
      created_at: at, created_by: 't', start_time: at, end_time: null, exit_code: null, attempt: 1, node, cancel_requested: 0, lease_owner: null, lease_until: null,
      queued_at_ms: Date.now(), environment: null, environment_record: null, instance_count: 1,
    },
    'submitted',
    at,
  );
  await store.jobs.insertAttempt({ id: `${id}-1`, job_id: id, number: 1, node, state: 'running', assignment: '{}', assigned_at: at, ended_at: null, outcome: null, exit_code: null, reason: null, stop: null });
  return id;
}

describe('node health', () => {
  let store: Store;
  const ensured: string[] = [];
  const managed = { type: 'local', ensureNodes: async (c: ComputeRow) => void ensured.push(c.name) } as unknown as ComputeBackend;
  const health = () => new NodeHealth(store, new EventHub(), new Map([['local', managed]]), { heartbeatIntervalMs: 1_000, cancelGraceMs: 0 }, () => {});

  beforeEach(async () => {
    store = await openStore();
    ensured.length = 0;
  });

  it('marks a node silent past three heartbeats unreachable, and its running job NotResponding with why; a fresh node stays ready', async () => {
    await store.computes.insert({ workspace: 'default', name: 'local', type: 'local', spec: '{"name":"local","type":"local"}', provisioning_state: 'Succeeded', created_at: iso(Date.now()) });
    const old = Date.now() - 3_500;
    await addNode(store, 'quiet', 'local', old);
    await addNode(store, 'fresh', 'local', Date.now());
    const quietJob = await runningJob(store, 'a', 'local', 'quiet');
    const freshJob = await runningJob(store, 'b', 'local', 'fresh');
    await health().tick('default');
    const byName = new Map((await store.nodes.forCompute('default', 'local')).map((n) => [n.name, n.state]));
    assert.deepEqual(Object.fromEntries(byName), { quiet: 'unreachable', fresh: 'ready' });
    const a = (await store.jobs.getById(quietJob))!;
    assert.equal(a.status, 'NotResponding');
    assert.equal(a.status_reason, `the agent on node 'quiet' has not been heard from since ${iso(old)}`);
    assert.equal((await store.jobs.getById(freshJob))!.status, 'Running');
    assert.deepEqual(ensured, ['local'], 'a backend that manages its nodes is asked to bring them back');
  });

  it('ends a cancel no agent confirmed within the grace: the attempt and the job, saying why', async () => {
    await addNode(store, 'gone', 'local', Date.now());
    const id = await runningJob(store, 'c', 'local', 'gone');
    await store.jobs.transition(id, 'CancelRequested', 'cancel requested by the user', iso(Date.now() - 60_000), { set: { cancel_requested: 1 } });
    const recent = await runningJob(store, 'd', 'local', 'gone');
    await store.jobs.transition(recent, 'CancelRequested', 'cancel requested by the user', iso(Date.now()), { set: { cancel_requested: 1 } });
    await health().tick('default');
    const j = (await store.jobs.getById(id))!;
    assert.equal(j.status, 'Canceled');
    assert.match(j.status_reason!, /^canceled: no agent confirmed the cancel asked for at .* within 10 s; what is left of it on node 'gone' is stopped when its agent is back$/);
    const [a] = await store.jobs.attemptsOf(id);
    assert.deepEqual([a!.state, a!.outcome], ['ended', 'canceled']);
    assert.equal((await store.jobs.getById(recent))!.status, 'CancelRequested', 'still within its grace');
  });
});

/** A backend that records what the provisioner asked of it, and fails where told to. */
class RecordingBackend implements ComputeBackend {
  readonly type = 'virtualmachine';
  calls: string[] = [];
  fail: Partial<Record<string, string>> = {};
  onProvision: (() => Promise<void>) | null = null;
  async preflight(): Promise<PreflightResult> {
    return { warnings: [] };
  }
  private async step(what: string, c: ComputeContext): Promise<void> {
    this.calls.push(`${what} ${c.row.name}`);
    if (this.fail[what]) throw new CairnError('HostCheckFailed', this.fail[what]!);
  }
  async provision(c: ComputeContext): Promise<void> {
    await this.onProvision?.();
    await this.step('provision', c);
  }
  async apply(c: ComputeContext): Promise<void> {
    await this.step('apply', c);
  }
  async release(c: ComputeContext, how: 'delete' | 'detach'): Promise<void> {
    await this.step(`release:${how}`, c);
  }
  async power(c: ComputeContext, action: ComputeAction): Promise<void> {
    await this.step(`power:${action}`, c);
  }
}

describe('the compute provisioner', () => {
  let store: Store;
  let backend: RecordingBackend;
  let provisioner: ComputeProvisioner;
  const row = async (name: string) => (await store.computes.get('default', name))!;
  const add = (name: string, state: string, extra: Partial<ComputeRow> = {}) =>
    store.computes.insert({ workspace: 'default', name, type: 'virtualmachine', spec: JSON.stringify({ name, type: 'virtualmachine' }), provisioning_state: state, created_at: iso(Date.now()), power_state: 'Running', ...extra });

  beforeEach(async () => {
    store = await openStore();
    backend = new RecordingBackend();
    provisioner = new ComputeProvisioner({ store, backends: new Map([['virtualmachine', backend as ComputeBackend]]), owner: 'me', unseal: (r) => ({ row: r, spec: JSON.parse(r.spec), secrets: {} }) as ComputeContext, log: () => {} });
  });

  it('carries out creates, updates, power actions and deletes, and clears its lease', async () => {
    await add('made', 'Creating');
    await add('changed', 'Updating');
    await add('halted', 'Succeeded', { pending_action: 'stop' });
    await add('doomed', 'Deleting', { pending_action: 'delete' });
    await provisioner.tick();
    await provisioner.idle();
    assert.deepEqual(backend.calls.sort(), ['apply changed', 'power:stop halted', 'provision made', 'release:delete doomed']);
    for (const n of ['made', 'changed', 'halted']) {
      const r = await row(n);
      assert.deepEqual([r.provisioning_state, r.lease_owner, r.pending_action], ['Succeeded', null, null], n);
    }
    assert.equal((await row('halted')).power_state, 'Stopped');
    assert.equal(await store.computes.get('default', 'doomed'), undefined);
  });

  it('a failed create is Failed with the backend\'s words, and what it put on the host is released', async () => {
    backend.fail.provision = 'host 10.0.0.5 has no python3 on its PATH';
    await add('bad', 'Creating');
    await provisioner.tick();
    await provisioner.idle();
    const r = await row('bad');
    assert.equal(r.provisioning_state, 'Failed');
    assert.deepEqual(JSON.parse(r.provisioning_errors!), [{ code: 'HostCheckFailed', message: 'host 10.0.0.5 has no python3 on its PATH' }]);
    assert.deepEqual(backend.calls, ['provision bad', 'release:detach bad']);
  });

  it('a failed delete stays Deleting, says why, and is tried again after a pause', async () => {
    backend.fail['release:delete'] = 'host unreachable';
    await add('stuck', 'Deleting', { pending_action: 'delete' });
    await provisioner.tick();
    await provisioner.idle();
    const r = await row('stuck');
    assert.equal(r.provisioning_state, 'Deleting');
    assert.match(r.provisioning_errors!, /host unreachable/);
    assert.ok(r.lease_until! > Date.now(), 'paused before the next try');
    await provisioner.tick();
    await provisioner.idle();
    assert.equal(backend.calls.length, 1, 'not again during the pause');
  });

  it("leaves a compute another server holds alone, and writes nothing once its lease was taken over", async () => {
    await add('theirs', 'Creating', { lease_owner: 'other', lease_until: Date.now() + 60_000 });
    await provisioner.tick();
    await provisioner.idle();
    assert.deepEqual(backend.calls, []);

    await add('stolen', 'Creating');
    // While the backend works (outside any transaction), another server takes the row over.
    backend.onProvision = async () => {
      await store.db.updateTable('computes').set({ lease_owner: 'other', lease_until: Date.now() + 60_000 }).where('name', '=', 'stolen').execute();
    };
    await provisioner.tick();
    await provisioner.idle();
    const r = await row('stolen');
    assert.deepEqual([r.provisioning_state, r.lease_owner], ['Creating', 'other'], 'the result was not applied without the lease');
  });
});
