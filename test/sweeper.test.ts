// The sweeper reconciler on its own, against a real SQLite store: trials are rows it makes through
// a recording TrialJobs (no agents), metrics are written as the MLflow route writes them. Covers
// its limits, the lease, a restart (a new sweeper on the same store), early termination decided
// once, cancel, and how a sweep ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Store, isUniqueViolation } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { moveJob } from '../src/domain/transitions.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { Sweeper, type TrialJobs } from '../src/reconcilers/sweeper.ts';
import type { StoredSweep, SweepJobSpec, TrialFacts } from '../src/protocol/sweep-spec.ts';
import type { JobRow } from '../src/store/jobs.ts';
import { tempDir } from './helpers/cairn.ts';

const AT = '2026-12-01T00:00:00.000Z';

function baseRow(name: string, o: Partial<JobRow> = {}) {
  return {
    id: randomUUID(), workspace: 'default', name, display_name: name, experiment_name: 'e', compute: 'local', status: 'Queued', status_reason: null,
    spec: '{}', snapshot_id: null, git: null, created_at: AT, created_by: 't', start_time: null, end_time: null, exit_code: null, attempt: 0, node: null,
    cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: Date.now(), environment: null, environment_record: null, priority: 2,
    instance_count: 1, max_retries: 3, wait_code: null, data: null, ...o,
  };
}

async function open() {
  const store = await Store.open(`sqlite:${join(tempDir('sweeper'), 'cairn.db')}`);
  await store.resources.ensureWorkspace('default', AT);
  return store;
}

/** Makes trials as rows (Queued), as JobsService would; refuses a second of the same index as AlreadyExists. */
function recordingJobs(store: Store, events: EventHub) {
  const made: TrialFacts[] = [];
  const canceled: { name: string; reason: string }[] = [];
  const jobs: TrialJobs = {
    async create(_ws, req, _by, trial) {
      try {
        await store.jobs.insert(baseRow(req.spec.name!, { parent_id: trial.parentId, trial_index: trial.facts.index, trial: JSON.stringify(trial.facts), spec: JSON.stringify(req.spec) }), 'submitted', AT);
      } catch (err) {
        if (isUniqueViolation(err)) throw new CairnError('AlreadyExists', `a job named '${req.spec.name}' already exists`);
        throw err;
      }
      made.push(trial.facts);
    },
    async cancel(_ws, name, reason) {
      const row = (await store.jobs.getByName('default', name))!;
      canceled.push({ name, reason });
      if (!(await moveJob(store.db, events, row.id, 'Canceled', reason, { from: ['Queued'] }))) await moveJob(store.db, events, row.id, 'CancelRequested', reason, { set: { cancel_requested: 1 } });
    },
  };
  return { jobs, made, canceled };
}

async function insertSweep(store: Store, name: string, spec: Partial<SweepJobSpec> = {}, budget = { total: 6, concurrent: 2 }) {
  const full: SweepJobSpec = {
    type: 'sweep',
    name,
    compute: 'local',
    trial: { command: 'train --x ${{search_space.x}}' },
    search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
    sampling_algorithm: { type: 'random', seed: 3 },
    objective: { primary_metric: 'acc', goal: 'maximize' },
    ...spec,
  } as SweepJobSpec;
  const stored: StoredSweep = { spec: full, seed: 3, total: budget.total, concurrent: budget.concurrent, warnings: [] };
  const row = baseRow(name, { kind: 'sweep', status: 'Running', start_time: new Date().toISOString(), spec: JSON.stringify(stored) });
  await store.jobs.insert(row, 'submitted', AT);
  return row.id;
}

const trials = (store: Store, id: string) => store.jobs.trialsOf(id);
async function finish(store: Store, events: EventHub, t: JobRow, status: 'Completed' | 'Failed', acc?: number) {
  if (acc !== undefined) await logAcc(store, t.id, [acc]);
  await moveJob(store.db, events, t.id, 'Running', 'running', { set: { start_time: AT } });
  await moveJob(store.db, events, t.id, status, status === 'Failed' ? 'command exited with code 1' : 'command exited with code 0');
}
async function logAcc(store: Store, runId: string, values: number[], from = 0) {
  const r = await store.metrics.writeBatch({ runId, metrics: values.map((value, i) => ({ key: 'acc', value, timestamp: Date.now(), step: from + i })), params: [], tags: [] });
  assert.ok(r.ok);
}

describe('sweeper reconciler', () => {
  it('makes trials up to max_concurrent, more as they end, never past max_total, then completes naming the best', async () => {
    const store = await open();
    const events = new EventHub();
    const { jobs, made } = recordingJobs(store, events);
    try {
      const id = await insertSweep(store, 's1');
      const sweeper = new Sweeper({ store, events, trials: jobs, owner: 'a' });
      assert.equal(await sweeper.tick(), 2);
      assert.equal(await sweeper.tick(), 0, 'two open trials: nothing more');
      assert.deepEqual(made.map((f) => f.index), [0, 1]);
      let ts = await trials(store, id);
      assert.deepEqual(ts.map((t) => t.name), ['s1_0', 's1_1']);
      assert.match(ts[0]!.spec, /train --x 0\.\d+/, 'the value is in the command');
      await finish(store, events, ts[0]!, 'Completed', 0.5);
      assert.equal(await sweeper.tick(), 1);
      for (let round = 0; round < 10; round++) {
        ts = await trials(store, id);
        for (const t of ts.filter((x) => x.status === 'Queued')) await finish(store, events, t, 'Completed', (t.trial_index ?? 0) === 3 ? 0.9 : 0.1);
        await sweeper.tick();
      }
      const sweep = (await store.jobs.getById(id))!;
      assert.equal(made.length, 6);
      assert.equal(sweep.status, 'Completed');
      assert.equal(sweep.status_reason, '6 of 6 trials: 6 completed; best s1_3 (acc 0.9)');
    } finally {
      await store.close();
    }
  });

  it('only the lease holder advances a sweep; a restarted sweeper goes on from the store without making a trial twice', async () => {
    const store = await open();
    const events = new EventHub();
    const { jobs, made } = recordingJobs(store, events);
    try {
      const id = await insertSweep(store, 's2');
      let now = 1_000_000;
      const first = new Sweeper({ store, events, trials: jobs, owner: 'a', now: () => now });
      const other = new Sweeper({ store, events, trials: jobs, owner: 'b', now: () => now });
      assert.equal(await first.tick(), 2);
      const ts = await trials(store, id);
      await finish(store, events, ts[0]!, 'Completed', 0.4);
      assert.equal(await other.tick(), 0, 'b does not hold the lease');
      // The same server after a restart (same owner): it takes its lease back and goes on.
      const restarted = new Sweeper({ store, events, trials: jobs, owner: 'a', now: () => now });
      assert.equal(await restarted.tick(), 1);
      assert.deepEqual(made.map((f) => f.index), [0, 1, 2]);
      // A pass that died after making trial 3 but before seeing it: the next pass makes no other trial 3.
      await jobs.create('default', { spec: { type: 'command', command: 'x', name: 's2_3' } }, 't', { parentId: id, facts: { sweep: 's2', index: 3, params: { x: 0.5 } } });
      await finish(store, events, (await trials(store, id))[1]!, 'Completed', 0.2);
      await restarted.tick();
      const indices = (await trials(store, id)).map((t) => t.trial_index);
      assert.deepEqual(indices, [...new Set(indices)], 'no index twice');
      // The lease lapses: another server takes over.
      now += 31_000;
      await finish(store, events, (await trials(store, id))[2]!, 'Completed', 0.3);
      assert.ok((await other.tick()) >= 1, 'b advances once the lease has lapsed');
      assert.equal((await store.jobs.getById(id))!.lease_owner, 'b');
    } finally {
      await store.close();
    }
  });

  it('random trials draw the same values for the same index, whatever happened before', async () => {
    const store = await open();
    const events = new EventHub();
    const a = recordingJobs(store, events);
    try {
      const id1 = await insertSweep(store, 'r1', {}, { total: 4, concurrent: 4 });
      const id2 = await insertSweep(store, 'r2', {}, { total: 4, concurrent: 4 });
      await new Sweeper({ store, events, trials: a.jobs, owner: 'a' }).tick();
      const p1 = (await trials(store, id1)).map((t) => JSON.parse(t.trial!).params);
      const p2 = (await trials(store, id2)).map((t) => JSON.parse(t.trial!).params);
      assert.deepEqual(p1, p2, 'same seed, same values');
      assert.equal(new Set(p1.map((p) => p.x)).size, 4);
    } finally {
      await store.close();
    }
  });

  it('stops a trial once by the policy, keeping the verdict with the trial; finished trials count as evidence', async () => {
    const store = await open();
    const events = new EventHub();
    const { jobs, canceled } = recordingJobs(store, events);
    try {
      const id = await insertSweep(store, 's3', { early_termination: { type: 'bandit', slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 0 } }, { total: 2, concurrent: 2 });
      const sweeper = new Sweeper({ store, events, trials: jobs, owner: 'a' });
      await sweeper.tick();
      const [good, bad] = await trials(store, id);
      for (const t of [good!, bad!]) await moveJob(store.db, events, t.id, 'Running', 'running', { set: { start_time: AT } });
      await logAcc(store, good!.id, [0.8, 0.9]);
      await logAcc(store, bad!.id, [0.2, 0.3]);
      await sweeper.tick();
      assert.deepEqual(canceled, [{ name: 's3_1', reason: 'stopped early by bandit: 0.3 < 0.8182 (best 0.9 / (1 + 0.1)) at interval 2' }]);
      const facts = JSON.parse((await store.jobs.getById(bad!.id))!.trial!);
      assert.deepEqual(facts.stopped_early, { reason: 'bandit: 0.3 < 0.8182 (best 0.9 / (1 + 0.1)) at interval 2', interval: 2 });
      await sweeper.tick();
      await new Sweeper({ store, events, trials: jobs, owner: 'a' }).tick();
      assert.equal(canceled.length, 1, 'not stopped again: it is no longer running');
      await moveJob(store.db, events, bad!.id, 'Canceled', 'canceled: SIGTERM');
      await moveJob(store.db, events, good!.id, 'Completed', 'done');
      await sweeper.tick();
      assert.equal((await store.jobs.getById(id))!.status_reason, '2 of 2 trials: 1 completed, 1 stopped early; best s3_0 (acc 0.9)');
      assert.equal((await store.jobs.getById(id))!.status, 'Completed');
    } finally {
      await store.close();
    }
  });

  it('a cancelled sweep cancels its open trials, makes no more, and ends Canceled once they have ended', async () => {
    const store = await open();
    const events = new EventHub();
    const { jobs, made, canceled } = recordingJobs(store, events);
    try {
      const id = await insertSweep(store, 's4', {}, { total: 5, concurrent: 2 });
      const sweeper = new Sweeper({ store, events, trials: jobs, owner: 'a' });
      await sweeper.tick();
      const [t0] = await trials(store, id);
      await moveJob(store.db, events, t0!.id, 'Running', 'running', { set: { start_time: AT } });
      await moveJob(store.db, events, id, 'CancelRequested', 'cancel requested by the user', { set: { cancel_requested: 1 } });
      await sweeper.tick();
      assert.deepEqual(canceled.map((c) => c.name).sort(), ['s4_0', 's4_1']);
      assert.equal((await store.jobs.getById(id))!.status, 'CancelRequested', 'a trial is still stopping');
      await moveJob(store.db, events, t0!.id, 'Canceled', 'canceled');
      await sweeper.tick();
      const s = (await store.jobs.getById(id))!;
      assert.equal(s.status, 'Canceled');
      assert.match(s.status_reason!, /^canceled by the user; 2 of 5 trials: 2 canceled$/);
      assert.equal(made.length, 2);
    } finally {
      await store.close();
    }
  });

  it('ends Failed when every trial failed, and Failed naming the trial it could not make', async () => {
    const store = await open();
    const events = new EventHub();
    const { jobs } = recordingJobs(store, events);
    try {
      const id = await insertSweep(store, 's5', {}, { total: 2, concurrent: 2 });
      const sweeper = new Sweeper({ store, events, trials: jobs, owner: 'a' });
      await sweeper.tick();
      for (const t of await trials(store, id)) await finish(store, events, t, 'Failed');
      await sweeper.tick();
      const s = (await store.jobs.getById(id))!;
      assert.equal(s.status, 'Failed');
      assert.equal(s.status_reason, 'all 2 trials failed; the first: s5_0: command exited with code 1');

      const id2 = await insertSweep(store, 's6', {}, { total: 2, concurrent: 2 });
      const broken: TrialJobs = { ...jobs, create: async () => Promise.reject(new CairnError('UnknownCompute', "compute 'local' is being deleted")) };
      const s2 = new Sweeper({ store, events, trials: broken, owner: 'a' });
      await s2.tick();
      await s2.tick();
      const row = (await store.jobs.getById(id2))!;
      assert.equal(row.status, 'Failed');
      assert.match(row.status_reason!, /^trial 0 could not be created: compute 'local' is being deleted; 0 of 2 trials$/);

      // A job of a trial's name that is not the trial (a user's): the sweep says so instead of counting it made.
      const id3 = await insertSweep(store, 's7', {}, { total: 1, concurrent: 1 });
      await store.jobs.insert(baseRow('s7_0'), 'submitted', AT);
      const s3 = new Sweeper({ store, events, trials: jobs, owner: 'a' });
      assert.equal(await s3.tick(), 0);
      await s3.tick();
      const row3 = (await store.jobs.getById(id3))!;
      assert.equal(row3.status, 'Failed');
      assert.match(row3.status_reason!, /^trial 0 could not be created: a job named 's7_0' already exists/);
    } finally {
      await store.close();
    }
  });
});
