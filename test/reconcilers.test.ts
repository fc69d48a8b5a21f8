// The reconcilers on their own: the placement planner as a pure function, and the scheduler and
// the autoscaler against a real SQLite store with an injected clock and a recording provider (the
// providers themselves have their conformance suite; here what matters is what the reconciler
// decides, when, and that a restart resumes it).
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { plan, type FreeNode, type QueuedJob } from '../src/domain/placement.ts';
import { Scheduler } from '../src/reconcilers/scheduler.ts';
import { Autoscaler, UNKNOWN_NODE_GRACE_MS } from '../src/reconcilers/autoscaler.ts';
import { ProviderError, type NodeHandle, type NodeProvider, type NodeRequest, type ProviderSize } from '../src/providers/types.ts';
import { AZURE_SIZES, VM_SIZES } from '../src/protocol/compute-sizes.ts';
import { tempDir } from './helpers/cairn.ts';

const job = (id: string, n = 1, needsEngine = false): QueuedJob => ({ id, name: id, instanceCount: n, needsEngine });
const node = (name: string, free = 1, engine = true): FreeNode => ({ name, free, engine });

describe('placement (pure)', () => {
  it('places whole gangs in queue order, or none of a gang', () => {
    const p = plan('c', [job('a', 2), job('b', 1), job('c', 2)], [node('n1'), node('n2'), node('n3')]);
    assert.deepEqual(p.placements.map((x) => [x.job.id, x.nodes]), [['a', ['n1', 'n2']], ['b', ['n3']]]);
    assert.equal(p.waits.get('c')?.code, 'capacity');
  });

  it('the first job that cannot be placed holds the free nodes it can use; later jobs wait behind it', () => {
    const p = plan('c', [job('big', 3), job('small', 1)], [node('n1'), node('n2')], { pool: { live: 2, starting: [], max: 4 } });
    assert.deepEqual(p.placements, []);
    assert.equal(p.waits.get('big')?.code, 'nodes_starting');
    assert.deepEqual(p.waits.get('small'), { code: 'reserved', detail: "waiting behind job 'big' (3 nodes, ahead in the queue), which holds the free nodes it can use" });
  });

  it('a later job may use a node the head job cannot (no engine for an image job), so no node idles while jobs wait', () => {
    const p = plan('c', [job('image', 1, true), job('plain', 1)], [node('n1', 1, false)]);
    assert.deepEqual(p.placements.map((x) => x.job.id), ['plain']);
    assert.equal(p.waits.get('image')?.code, 'no_engine');
  });

  it('says why: at max_instances, nodes starting, too big, compute stopped', () => {
    const pool = (live: number, starting: string[], max: number) => ({ pool: { live, starting, max } });
    assert.equal(plan('c', [job('a')], [], pool(3, [], 3)).waits.get('a')?.detail, "compute 'c' is at max_instances (3); waiting for 1 node to free up");
    assert.equal(plan('c', [job('a')], [], pool(1, ['node-1'], 3)).waits.get('a')?.detail, 'waiting for nodes to start: node-1');
    assert.equal(plan('c', [job('a', 5)], [], pool(1, [], 3)).waits.get('a')?.code, 'too_big');
    assert.equal(plan('c', [job('a')], [node('n1')], { stopped: true }).waits.get('a')?.code, 'compute_stopped');
  });

  it('places 10,000 queued jobs on 200 nodes in one pass', () => {
    const queue = Array.from({ length: 10_000 }, (_, i) => job(`j${i}`));
    const p = plan('c', queue, Array.from({ length: 200 }, (_, i) => node(`n${i}`)));
    assert.equal(p.placements.length, 200);
    assert.ok(p.waits.size <= 100, 'jobs far past the free nodes are not looked at');
  });
});

/** A provider that records what the reconciler asked of it. */
class RecordingProvider implements NodeProvider {
  readonly name = 'local';
  created: string[] = [];
  deleted: string[] = [];
  fail: string | null = null;
  async catalog(): Promise<ProviderSize[]> {
    return VM_SIZES.map((s) => ({ ...s, available: 100 }));
  }
  async refuse(): Promise<string | null> {
    return null;
  }
  async create(req: NodeRequest): Promise<NodeHandle> {
    if (this.fail) throw new ProviderError(this.fail);
    this.created.push(req.label);
    return { provider: 'local', name: req.name };
  }
  async delete(h: NodeHandle): Promise<void> {
    this.deleted.push(h.name);
  }
  async exists(): Promise<boolean> {
    return true;
  }
  /** Nodes the "cloud" has taken back (its eviction state). */
  taken = new Set<string>();
  preemptible(): boolean {
    return true;
  }
  async takenBack(h: NodeHandle): Promise<boolean> {
    return this.taken.has(h.name);
  }
}

describe('the autoscaler and the scheduler (real store, injected clock)', () => {
  let store: Store;
  let provider: RecordingProvider;
  let clock: number;
  let scaler: Autoscaler;
  let scheduler: Scheduler;
  const T0 = Date.parse('2026-06-01T12:00:00Z');
  const compute = async (name: string, spec: Record<string, unknown>, type = 'amlcompute') => {
    await store.computes.insert({ workspace: 'default', name, type, spec: JSON.stringify({ name, type, size: 'Standard_DS1_v2', provider: 'local', ...spec }), provisioning_state: 'Succeeded', created_at: new Date(T0).toISOString(), power_state: 'Running' });
  };
  const queue = async (name: string, c: string, n = 1) => {
    await store.jobs.insert(
      {
        id: `id-${name}`, workspace: 'default', name, display_name: name, experiment_name: 'e', compute: c, status: 'Queued', status_reason: null,
        spec: JSON.stringify({ command: 'true', ...(n > 1 ? { resources: { instance_count: n } } : {}) }), snapshot_id: null, git: null,
        created_at: new Date(clock).toISOString(), created_by: 't', start_time: null, end_time: null, exit_code: null, attempt: 0, node: null,
        cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: clock, environment: null, environment_record: null, instance_count: n,
      },
      'submitted',
      new Date(clock).toISOString(),
    );
  };
  const nodes = async (c: string) => store.nodes.forCompute('default', c);
  const ready = async (c: string, idleSince: number | null) => {
    for (const n of await nodes(c)) await store.nodes.update(n.name, { state: 'ready', idle_since_ms: idleSince, last_heartbeat_ms: clock });
  };
  const events = async (c: string) => (await store.computes.events('default', c)).map((e) => e.message);

  beforeEach(async () => {
    store = await Store.open(`sqlite:${join(tempDir('reconcilers'), 'db')}`);
    await store.resources.ensureWorkspace('default', new Date(T0).toISOString());
    provider = new RecordingProvider();
    clock = T0;
    const owner = 'test';
    scaler = new Autoscaler({ store, events: new EventHub(), sizes: AZURE_SIZES, providers: new Map([['local', provider]]), owner, now: () => clock, log: () => {}, kickScheduler: () => {}, kickProvisioner: () => {} });
    scheduler = new Scheduler({ store, events: new EventHub(), owner, now: () => clock });
  });

  it('scales up for waiting jobs, never above max_instances; the scheduler places on ready nodes, a gang all at once', async () => {
    await compute('c', { min_instances: 0, max_instances: 3, idle_time_before_scale_down: 60 });
    for (const j of ['a', 'b', 'c', 'd']) await queue(j, 'c');
    await scaler.tick();
    assert.equal(provider.created.length, 3);
    assert.deepEqual(await events('c'), ['scaled up 0 -> 3: 4 jobs waiting']);
    assert.equal(await scheduler.tick(), 0, 'nothing is ready yet');
    await ready('c', clock);
    assert.equal(await scheduler.tick(), 3);
    assert.match((await store.jobs.getByName('default', 'd'))!.status_reason!, /max_instances \(3\)/);
    await scaler.tick();
    assert.equal(provider.created.length, 3, 'at max: no more nodes');
  });

  it('removes nodes idle past idle_time_before_scale_down, down to min_instances, never one just taken', async () => {
    await compute('c', { min_instances: 1, max_instances: 3, idle_time_before_scale_down: 120 });
    for (const j of ['a', 'b', 'c']) await queue(j, 'c');
    await scaler.tick();
    await ready('c', T0);
    for (const j of ['a', 'b', 'c']) await store.jobs.transition(`id-${j}`, 'Canceled', null, new Date(clock).toISOString());
    clock = T0 + 119_000;
    await scaler.tick();
    assert.equal(provider.deleted.length, 0, 'not idle long enough');
    clock = T0 + 120_000;
    // The race: a job is placed on one node in the very instant its idle time runs out.
    const [first] = await nodes('c');
    assert.equal(await store.nodes.take([first.name]), true);
    await scaler.tick();
    assert.equal(provider.deleted.length, 2, 'the two idle nodes went; the one just taken stayed (it is the min_instances one now)');
    assert.ok(!provider.deleted.includes(first.name));
    assert.ok((await events('c')).some((m) => /^removed node node-[0-9a-f]{6}: idle 120 s$/.test(m)));
  });

  it('a node whose job is still setting up is busy however long the setup takes', async () => {
    await compute('c', { min_instances: 0, max_instances: 1, idle_time_before_scale_down: 1 });
    await queue('slow', 'c');
    await scaler.tick();
    await ready('c', T0);
    assert.equal(await scheduler.tick(), 1);
    await store.db.updateTable('attempts').set({ state: 'preparing' }).execute();
    clock = T0 + 3_600_000;
    await scaler.tick();
    assert.deepEqual(provider.deleted, []);
    assert.equal((await nodes('c'))[0].idle_since_ms, null);
  });

  it('counts a node nobody hears from as busy until the grace, then replaces it', async () => {
    await compute('c', { min_instances: 1, max_instances: 2, idle_time_before_scale_down: 60 });
    await scaler.tick();
    const [n] = await nodes('c');
    await store.nodes.update(n.name, { state: 'unreachable', last_heartbeat_ms: T0 });
    clock = T0 + UNKNOWN_NODE_GRACE_MS - 1;
    await scaler.tick();
    assert.deepEqual(provider.deleted, []);
    clock = T0 + UNKNOWN_NODE_GRACE_MS + 1;
    await scaler.tick();
    assert.deepEqual(provider.deleted, [n.name]);
    assert.equal(provider.created.length, 2, 'replaced, to keep min_instances');
  });

  it('a low-priority node the provider took back: its job is requeued at once, the node replaced', async () => {
    await compute('lp', { min_instances: 1, max_instances: 1, idle_time_before_scale_down: 60, tier: 'low_priority' });
    await queue('train', 'lp');
    await store.db.updateTable('jobs').set({ max_retries: 2 }).execute();
    await scaler.tick();
    await ready('lp', clock);
    assert.equal(await scheduler.tick(), 1);
    await store.db.updateTable('attempts').set({ state: 'running' }).execute();
    const [n] = await nodes('lp');
    await store.nodes.update(n.name, { state: 'unreachable' });
    await scaler.tick();
    assert.equal((await store.jobs.getByName('default', 'train'))!.status, 'Preparing', 'silent is not gone: the node may come back');
    provider.taken.add(n.name);
    clock += 1_000;
    await scaler.tick();
    const j = (await store.jobs.getByName('default', 'train'))!;
    assert.equal(j.status, 'Queued');
    assert.match(j.status_reason!, /^requeued after preemption as attempt 2 \(2 of max_retries 2 left\)$/);
    const [a] = await store.jobs.attemptsOf(j.id);
    assert.deepEqual([a.state, a.outcome, a.reason], ['ended', 'preempted', `node '${n.label}' was taken back by the provider (low-priority capacity)`]);
    assert.deepEqual(provider.deleted, [n.name]);
    assert.ok((await events('lp')).includes(`node ${n.label} was taken back by the local provider (low-priority capacity); its jobs are requeued`));
    assert.equal(provider.created.length, 2, 'replaced, to keep min_instances');
  });

  it('a dedicated node silent past the grace: its job ends as lost, saying so, and the node is replaced', async () => {
    await compute('d', { min_instances: 1, max_instances: 1, idle_time_before_scale_down: 60 });
    await queue('train', 'd');
    await scaler.tick();
    await ready('d', clock);
    assert.equal(await scheduler.tick(), 1);
    await store.db.updateTable('attempts').set({ state: 'running' }).execute();
    const [n] = await nodes('d');
    await store.nodes.update(n.name, { state: 'unreachable', last_heartbeat_ms: clock });
    provider.taken.add(n.name); // a dedicated node is never preempted, whatever the provider says
    clock += UNKNOWN_NODE_GRACE_MS - 1;
    await scaler.tick();
    assert.equal((await store.jobs.getByName('default', 'train'))!.status, 'Preparing');
    clock += 2;
    await scaler.tick();
    const j = (await store.jobs.getByName('default', 'train'))!;
    assert.equal(j.status, 'Failed');
    assert.equal(j.status_reason, `node ${n.label} was not heard from for 120 s: replaced; what ran there is lost`);
    assert.deepEqual(provider.deleted, [n.name]);
  });

  it('a node being preempted on request whose agent then goes silent: its jobs are requeued after the grace', async () => {
    await compute('lp', { min_instances: 0, max_instances: 1, idle_time_before_scale_down: 60, tier: 'low_priority' });
    await queue('train', 'lp');
    await store.db.updateTable('jobs').set({ max_retries: 1 }).execute();
    await scaler.tick();
    await ready('lp', clock);
    assert.equal(await scheduler.tick(), 1);
    const [n] = await nodes('lp');
    await store.nodes.update(n.name, { state: 'preempting', last_heartbeat_ms: clock });
    await scaler.tick();
    assert.deepEqual(provider.deleted, [], 'its agent is stopping the job: wait for it');
    clock += UNKNOWN_NODE_GRACE_MS + 1;
    await scaler.tick();
    const j = (await store.jobs.getByName('default', 'train'))!;
    assert.equal(j.status, 'Queued');
    assert.deepEqual(provider.deleted, [n.name]);
    assert.equal(provider.created.length, 2, 'the requeued job asks for a node again');
  });

  it('a server that died mid-create: the next pass makes the same node by name, not a second one', async () => {
    await compute('c', { min_instances: 1, max_instances: 1, idle_time_before_scale_down: 60 });
    await store.nodes.upsert({ name: 'c:node-abc123', label: 'node-abc123', workspace: 'default', compute: 'c', state: 'creating', shape: '{}', slots: 1, agent_version: null, token_hash: 'old', pid: null, last_heartbeat_ms: null, registered_at: new Date(T0).toISOString(), provider: 'local' });
    await scaler.tick();
    assert.deepEqual(provider.created, ['node-abc123']);
    const all = await nodes('c');
    assert.deepEqual(all.map((n) => [n.name, n.state]), [['c:node-abc123', 'starting']]);
    assert.notEqual(all[0].token_hash, 'old', 'a new token: the old one is not known any more');
  });

  it("a node the provider cannot make leaves no row, its words in the history and the errors, and the next try waits", async () => {
    await compute('c', { min_instances: 1, max_instances: 1, idle_time_before_scale_down: 60 });
    provider.fail = 'quota exceeded for Standard_DS1_v2 in this region';
    await scaler.tick();
    assert.deepEqual(await nodes('c'), []);
    assert.ok((await events('c')).some((m) => /^node node-[0-9a-f]{6} could not be made: quota exceeded for Standard_DS1_v2 in this region$/.test(m)));
    assert.match((await store.computes.get('default', 'c'))!.provisioning_errors, /quota exceeded/);
    provider.fail = null;
    await scaler.tick();
    assert.equal(provider.created.length, 0, 'backing off');
    clock += 10_000;
    await scaler.tick();
    assert.equal(provider.created.length, 1);
  });

  it('stops an instance idle past idle_time_before_shutdown_minutes, and starts and stops one on its schedule', async () => {
    await compute('ci', { idle_time_before_shutdown_minutes: 15 }, 'computeinstance');
    await scaler.tick();
    await ready('ci', T0);
    clock = T0 + 14 * 60_000;
    await scaler.tick();
    assert.equal((await store.computes.get('default', 'ci'))!.pending_action, null);
    clock = T0 + 15 * 60_000;
    await scaler.tick();
    assert.equal((await store.computes.get('default', 'ci'))!.pending_action, 'stop');
    assert.ok((await events('ci')).some((m) => m === 'stopping: idle for 15 min (idle_time_before_shutdown_minutes 15)'));

    // 18:00 UTC daily, stop; the clock crosses it between two passes.
    clock = Date.parse('2026-06-01T17:59:30Z');
    const sched = new Autoscaler({ store, events: new EventHub(), sizes: AZURE_SIZES, providers: new Map([['local', provider]]), owner: 'test', now: () => clock, log: () => {}, kickScheduler: () => {}, kickProvisioner: () => {} });
    await compute('ci2', { schedules: { compute_start_stop: [{ action: 'stop', trigger: { type: 'cron', expression: '0 18 * * *', time_zone: 'UTC' } }] } }, 'computeinstance');
    await sched.tick();
    assert.equal((await store.computes.get('default', 'ci2'))!.pending_action, null);
    clock = Date.parse('2026-06-01T18:00:10Z');
    await sched.tick();
    assert.equal((await store.computes.get('default', 'ci2'))!.pending_action, 'stop');
    assert.ok((await events('ci2')).some((m) => m === 'stop by schedule 1 (due at 2026-06-01T18:00:00.000Z)'));
  });
});
