// The batch dispatcher on its own (reconcilers/batch-dispatcher.ts): a real SQLite store, an
// injected clock, and a batch system that records what it was asked (Slurm itself is exercised in
// test/slurm-jobs.test.ts). What matters here: a submission is recorded before it is made, a crash
// between the two is found by name and never submitted twice, states become statuses, an end no
// agent reported ends the attempt, a cancel reaches the queue once, a lost lease applies nothing.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { BatchDispatcher, submissionName } from '../src/reconcilers/batch-dispatcher.ts';
import { Scheduler } from '../src/reconcilers/scheduler.ts';
import { SubmissionRefused, type BatchObservation, type BatchSubmission, type ComputeBackend, type ComputeContext, type ComputeWithBatchQueue } from '../src/compute/types.ts';
import type { ComputeRow } from '../src/store/computes.ts';
import { tempDir } from './helpers/cairn.ts';

/** A batch system in memory: ids in order, states set by the test, and a log of every call. */
class FakeQueue implements ComputeWithBatchQueue {
  readonly type = 'fakebatch';
  calls: string[] = [];
  jobs = new Map<string, { name: string; obs: BatchObservation | null }>();
  next = 100;
  refuse: string | null = null;
  down = false;
  /** Makes the submission, then fails as a crash right after sbatch would. */
  crashAfterSubmit = false;
  async submit(_c: ComputeContext, subs: BatchSubmission[]): Promise<Map<string, string | SubmissionRefused>> {
    if (this.down) throw new Error('login host unreachable');
    const out = new Map<string, string | SubmissionRefused>();
    for (const s of subs) {
      this.calls.push(`submit ${s.name} nodes=${s.nodes} names=${s.nodeNames.length} token=${new Set(s.nodeTokens).size === s.nodeNames.length && s.nodeTokens.every((t) => t.length > 20)}`);
      if (this.refuse) {
        out.set(s.name, new SubmissionRefused(this.refuse));
        continue;
      }
      const id = String(this.next++);
      this.jobs.set(id, { name: s.name, obs: { phase: 'queued', reason: `Slurm job ${id} is pending: Priority (2 jobs ahead)`, raw: 'PENDING' } });
      out.set(s.name, id);
    }
    if (this.crashAfterSubmit) throw new Error('connection dropped after sbatch');
    return out;
  }
  async find(_c: ComputeContext, names: string[]): Promise<Map<string, string>> {
    this.calls.push(`find ${names.join(',')}`);
    return new Map([...this.jobs].filter(([, j]) => names.includes(j.name)).map(([id, j]) => [j.name, id]));
  }
  async observe(_c: ComputeContext, ids: string[]): Promise<Map<string, BatchObservation>> {
    if (this.down) throw new Error('controller down');
    return new Map(ids.flatMap((id) => (this.jobs.get(id)?.obs ? [[id, this.jobs.get(id)!.obs!] as const] : [])));
  }
  async cancel(_c: ComputeContext, ids: string[]): Promise<void> {
    this.calls.push(`cancel ${ids.join(',')}`);
    for (const id of ids) {
      const j = this.jobs.get(id);
      if (j) j.obs = { phase: 'ended', outcome: 'canceled', reason: `Slurm job ${id} ended CANCELLED`, raw: 'CANCELLED' };
    }
  }
  async outputTail(): Promise<string | null> {
    return 'node: not found';
  }
  set(id: string, obs: BatchObservation | null): void {
    this.jobs.get(id)!.obs = obs;
  }
}

describe('batch dispatcher (reconciler, real SQLite, fake batch system)', () => {
  let store: Store;
  let fake: FakeQueue;
  let clock: number;
  let logs: string[];
  let dispatcher: BatchDispatcher;
  const T0 = Date.parse('2026-06-01T12:00:00Z');
  const events = new EventHub();
  const make = (owner = 'server-a') =>
    new BatchDispatcher({
      store,
      events,
      backends: new Map<string, ComputeBackend>([['fakebatch', fake]]),
      unseal: (row: ComputeRow) => ({ row, spec: JSON.parse(row.spec), secrets: {} }),
      owner,
      pip: {},
      log: (m) => logs.push(m),
      now: () => clock,
    });
  const queue = async (name: string, o: { n?: number; retries?: number } = {}) => {
    await store.jobs.insert(
      {
        id: `id-${name}`, workspace: 'default', name, display_name: name, experiment_name: 'e', compute: 'hpc', status: 'Queued', status_reason: null,
        spec: JSON.stringify({ command: 'true', ...(o.n ? { resources: { instance_count: o.n } } : {}) }), snapshot_id: null, git: null,
        created_at: new Date(clock).toISOString(), created_by: 't', start_time: null, end_time: null, exit_code: null, attempt: 0, node: null,
        cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: clock, environment: null, environment_record: null, instance_count: o.n ?? 1, max_retries: o.retries ?? 3,
      },
      'submitted',
      new Date(clock).toISOString(),
    );
  };
  /** One dispatcher pass a second after the last (it asks the queue at most twice a second). */
  const pass = async () => {
    clock += 1_000;
    await dispatcher.tick();
  };
  const get = async (name: string) => (await store.jobs.getByName('default', name))!;
  const subs = async (name: string) => store.batch.forJob(`id-${name}`);

  beforeEach(async () => {
    store = await Store.open(`sqlite:${join(tempDir('dispatcher'), 'db')}`);
    await store.resources.ensureWorkspace('default', new Date(T0).toISOString());
    await store.computes.insert({ workspace: 'default', name: 'hpc', type: 'fakebatch', spec: JSON.stringify({ name: 'hpc', type: 'fakebatch' }), provisioning_state: 'Succeeded', created_at: new Date(T0).toISOString(), power_state: 'Running' });
    fake = new FakeQueue();
    clock = T0;
    logs = [];
    dispatcher = make();
  });

  it('records the attempt (ranks, nodes, submission) before submitting, then submits once and follows the queue', async () => {
    await queue('a', { n: 2 });
    await pass();
    const [s] = await subs('a');
    assert.equal(s!.name, submissionName('id-a', 1));
    assert.equal(s!.state, 'submitted');
    assert.equal(s!.external_id, '100');
    assert.equal(s!.tries, 1);
    assert.deepEqual(fake.calls, [`submit ${s!.name} nodes=2 names=2 token=true`]);
    const j = await get('a');
    assert.equal(j.status, 'Queued');
    assert.equal(j.attempt, 1);
    assert.equal(j.external_id, '100');
    assert.equal(j.status_reason, 'Slurm job 100 is pending: Priority (2 jobs ahead)', 'the next observation already gave the queue reason');
    const ranks = await store.jobs.attemptsOf('id-a');
    assert.deepEqual(ranks.map((r) => [r.rank, r.state]), [[0, 'assigned'], [1, 'assigned']]);
    const nodes = await store.nodes.forCompute('default', 'hpc');
    assert.equal(nodes.length, 2);
    assert.ok(nodes.every((n) => n.state === 'starting' && /^[0-9a-f]{64}$/.test(n.token_hash)), 'nodes wait for their agents, with a real token hash');
    assert.notEqual(nodes[0]!.token_hash, nodes[1]!.token_hash, 'a token of its own per node: a token names its node');
    await pass();
    assert.equal(fake.calls.length, 1, 'a second pass submits nothing');
  });

  it('a burst larger than one pass: jobs already in the batch queue do not hide the ones behind them', async () => {
    for (let i = 0; i < 230; i++) await queue(`b${String(i).padStart(3, '0')}`);
    await pass();
    assert.equal(fake.jobs.size, 200, 'one pass hands over one slice');
    await pass();
    assert.equal(fake.jobs.size, 230, 'the next pass the rest, though the first 200 are still Queued in the batch system');
    assert.equal(new Set([...fake.jobs.values()].map((j) => j.name)).size, 230, 'each once');
  });

  it('the Cairn scheduler leaves jobs of a self-queued compute alone', async () => {
    await queue('a');
    const scheduler = new Scheduler({ store, events, owner: 'server-a', now: () => clock, selfQueued: new Set(['fakebatch']) });
    assert.equal(await scheduler.tick(), 0);
    assert.equal((await get('a')).status_reason, null, 'no wait reason written by the scheduler');
  });

  it('a crash right after sbatch: the next pass finds the submission by name instead of submitting it again', async () => {
    await queue('a');
    fake.crashAfterSubmit = true;
    await pass();
    assert.equal((await subs('a'))[0]!.state, 'recorded', 'the id never reached the store');
    fake.crashAfterSubmit = false;
    const restarted = make(); // the same server after a restart: its lease is its own
    await restarted.tick();
    const [s] = await subs('a');
    assert.deepEqual([s!.state, s!.external_id], ['submitted', '100']);
    assert.deepEqual(fake.calls, [`submit ${s!.name} nodes=1 names=1 token=true`, `find ${s!.name}`], 'looked up by name, not submitted twice');
    assert.equal(fake.jobs.size, 1);
  });

  it('an unreachable batch system leaves the submission recorded; it is made once the system is back', async () => {
    await queue('a');
    fake.down = true;
    await pass();
    const [s] = await subs('a');
    assert.equal(s!.state, 'recorded');
    assert.match(s!.detail!, /not submitted yet: login host unreachable/);
    assert.equal((await get('a')).status, 'Queued');
    fake.down = false;
    await pass();
    assert.equal((await subs('a'))[0]!.state, 'submitted');
    assert.equal(fake.jobs.size, 1);
  });

  it('a refusal fails the job with the batch system\'s words and leaves no node behind', async () => {
    await queue('a');
    fake.refuse = 'Batch job submission failed: Node count specification invalid';
    await pass();
    const j = await get('a');
    assert.equal(j.status, 'Failed');
    assert.equal(j.status_reason, 'fakebatch refused the job: Batch job submission failed: Node count specification invalid');
    assert.equal((await subs('a'))[0]!.state, 'done');
    assert.deepEqual(await store.nodes.forCompute('default', 'hpc'), []);
  });

  it('states become statuses: configuring is Provisioning, running is Preparing until the agent reports', async () => {
    await queue('a');
    await pass();
    fake.set('100', { phase: 'provisioning', reason: 'Slurm job 100 is configuring: its nodes are powering up', raw: 'CONFIGURING' });
    await pass();
    assert.deepEqual([(await get('a')).status, (await get('a')).status_reason], ['Provisioning', 'Slurm job 100 is configuring: its nodes are powering up']);
    fake.set('100', { phase: 'running', reason: 'Slurm job 100 is RUNNING on n1', raw: 'RUNNING' });
    await pass();
    assert.deepEqual([(await get('a')).status, (await get('a')).status_reason], ['Preparing', 'Slurm job 100 is RUNNING on n1']);
  });

  it('an unknown state keeps the last known status and is logged once, never guessed', async () => {
    await queue('a');
    await pass();
    fake.set('100', { phase: 'unknown', reason: "Slurm job 100: unknown Slurm state 'WIBBLE'", raw: 'WIBBLE' });
    await pass();
    await pass();
    assert.equal((await get('a')).status, 'Queued');
    assert.equal(logs.filter((l) => l.includes('WIBBLE')).length, 1);
  });

  it('an end the agent never reported ends the attempt with the batch system\'s reason; the nodes are forgotten', async () => {
    await queue('t');
    await pass();
    fake.set('100', { phase: 'ended', outcome: 'timed_out', exitCode: null, reason: 'Slurm job 100 ended TIMEOUT: Slurm ended it at its time limit (1 min)', raw: 'TIMEOUT' });
    await pass();
    const j = await get('t');
    assert.equal(j.status, 'Failed');
    assert.equal(j.status_reason, 'Slurm job 100 ended TIMEOUT: Slurm ended it at its time limit (1 min)');
    assert.deepEqual(await store.nodes.forCompute('default', 'hpc'), []);
    assert.equal((await subs('t'))[0]!.state, 'done');

    await queue('ok');
    await pass();
    fake.set('101', { phase: 'ended', outcome: 'succeeded', exitCode: 0, reason: 'Slurm job 101 ended COMPLETED', raw: 'COMPLETED' });
    await pass();
    const k = await get('ok');
    assert.equal(k.status, 'Failed', 'COMPLETED with no report from the agent is not a success: outputs and logs never came');
    assert.equal(k.status_reason, "Slurm job 101 ended COMPLETED, but its agent never reported the job's end; its output ends: node: not found");
  });

  it('a failed node requeues the job as a new attempt, submitted anew', async () => {
    await queue('r', { retries: 1 });
    await pass();
    fake.set('100', { phase: 'ended', outcome: 'preempted', exitCode: null, reason: 'Slurm job 100 ended NODE_FAIL: node(s) n1 failed (NODE_FAIL); requeued', raw: 'NODE_FAIL' });
    await pass(); // ends attempt 1: the job is Queued again
    assert.equal((await get('r')).status, 'Queued');
    await pass(); // records and submits attempt 2
    const j = await get('r');
    assert.equal(j.attempt, 2);
    const all = await subs('r');
    assert.deepEqual(all.map((s) => [s.attempt, s.state, s.external_id]), [[1, 'done', '100'], [2, 'submitted', '101']]);
    const history = (await store.jobs.events('id-r')).map((e) => `${e.status}: ${e.reason}`);
    assert.ok(history.includes('Preempted: Slurm job 100 ended NODE_FAIL: node(s) n1 failed (NODE_FAIL); requeued'), history.join('\n'));
    assert.ok(history.some((h) => h.startsWith('Queued: requeued after preemption as attempt 2')), history.join('\n'));
  });

  it('a cancel reaches the batch system once; the job ends Canceled', async () => {
    await queue('c');
    await pass();
    await store.db.updateTable('jobs').set({ cancel_requested: 1, status: 'CancelRequested' }).where('id', '=', 'id-c').execute();
    await pass();
    await pass();
    assert.deepEqual(fake.calls.filter((c) => c.startsWith('cancel')), ['cancel 100']);
    const j = await get('c');
    assert.equal(j.status, 'Canceled');
    assert.equal((await subs('c'))[0]!.state, 'done');
  });

  it('another server holding the compute\'s lease: this one records, submits and applies nothing', async () => {
    await queue('a');
    const other = make('server-b');
    await other.tick(); // server-b takes the lease and works the compute
    const before = fake.calls.length;
    await pass(); // server-a: lease held by b
    assert.equal(fake.calls.length, before);
    fake.set('100', { phase: 'running', reason: 'Slurm job 100 is RUNNING on n1', raw: 'RUNNING' });
    await pass();
    assert.equal((await get('a')).status, 'Queued', 'server-a applied nothing');
    clock += 31_000; // b's lease runs out: a takes over where b was
    await pass();
    assert.equal((await get('a')).status, 'Preparing');
    assert.equal(fake.jobs.size, 1);
  });
});
