// The pipeline planner (pure) and the pipeline runner reconciler on its own, against a real SQLite
// store: steps are rows made through a recording StepJobs (no agents). Covers the plan's order and
// errors, making steps as their inputs are ready (several at once), binding outputs, a reused step
// letting the next go in the same pass, a restart (a new runner on the same store), failure with
// and without continue_on_step_failure, and cancel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Store, isUniqueViolation } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { moveJob } from '../src/domain/transitions.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { PipelineJobSpec, type CreatePipelineRequest, type StoredPipeline } from '../src/protocol/pipeline-spec.ts';
import { pipelineOutputsFrom, planPipeline, topologicalOrder } from '../src/domain/pipelines/plan.ts';
import { PipelineRunner, type StepJobs } from '../src/reconcilers/pipeline-runner.ts';
import type { CreateJobRequest } from '../src/protocol/job-spec.ts';
import { ComponentSpec } from '../src/protocol/component.ts';
import type { JobRow } from '../src/store/jobs.ts';
import { tempDir } from './helpers/cairn.ts';

const AT = '2026-12-01T00:00:00.000Z';

const request = (jobs: Record<string, unknown>, settings: Record<string, unknown> = { default_compute: 'local' }): CreatePipelineRequest => ({ spec: PipelineJobSpec.parse({ type: 'pipeline', settings, jobs }) });
const out = { o: { type: 'uri_folder' } };
const from = (step: string) => `\${{parent.jobs.${step}.outputs.o}}`;
/** A diamond: a -> (b, c) -> d. */
const diamond = () => request({ d: { command: 'd', inputs: { x: from('b'), y: from('c') } }, b: { command: 'b', inputs: { i: from('a') }, outputs: out }, c: { command: 'c', inputs: { i: from('a') }, outputs: out }, a: { command: 'a', outputs: out } });

describe('pipeline plan', () => {
  it('orders steps after what they need, keeps bindings, and names its job after the pipeline', () => {
    const steps = planPipeline(diamond(), new Map(), { pipelineName: 'p', experimentName: 'e' });
    assert.deepEqual(steps.map((s) => s.name), ['a', 'b', 'c', 'd']);
    assert.deepEqual(steps.map((s) => s.index), [0, 1, 2, 3]);
    assert.deepEqual(steps[3]!.depends_on, ['b', 'c']);
    assert.deepEqual(steps[3]!.from_steps, { x: ['b', 'o'], y: ['c', 'o'] });
    assert.equal(steps[0]!.request.spec.name, 'p_a');
    assert.equal(steps[0]!.request.spec.compute, 'local');
    assert.equal(steps[0]!.reusable, true);
    assert.equal(planPipeline({ ...diamond(), force_rerun: true }, new Map(), { pipelineName: 'p', experimentName: 'e' })[0]!.reusable, false);
  });

  it('refuses cycles, unknown bindings and steps without compute, naming them', () => {
    const plan = (r: CreatePipelineRequest) => () => planPipeline(r, new Map(), { pipelineName: 'p', experimentName: 'e' });
    assert.throws(plan(request({ a: { command: 'a', inputs: { i: from('b') }, outputs: out }, b: { command: 'b', inputs: { i: from('a') }, outputs: out } })), /the steps form a cycle: a -> b -> a/);
    assert.throws(plan(request({ a: { command: 'a', inputs: { i: from('a') }, outputs: out } })), /jobs\.a\.inputs\.i: a step cannot take its own output/);
    assert.throws(plan(request({ a: { command: 'a', inputs: { i: '${{parent.jobs.a.nope}}' } } })), /is not a binding Cairn knows/);
    assert.throws(plan(request({ a: { command: 'a' } }, {})), /jobs\.a: step 'a' has no compute and the pipeline has no settings\.default_compute/);
    assert.throws(plan(request({ a: { command: 'a', outputs: { o: '${{parent.outputs.model}}' } } })), /jobs\.a\.outputs\.o: \$\{\{parent\.outputs\.model\}\} names no output of the pipeline \(it has none\)/);
    assert.throws(() => topologicalOrder(['x', 'y', 'z'], new Map([['x', new Set(['z'])], ['y', new Set(['x'])], ['z', new Set(['y'])]])), /cycle: x -> z -> y -> x/);
  });

  it("binds the pipeline's outputs to one step output each, and gives that output the pipeline output's settings", () => {
    const withOutputs = (outputs: Record<string, unknown>, jobs: Record<string, unknown>, settings: Record<string, unknown> = { default_compute: 'local' }): CreatePipelineRequest => ({ spec: PipelineJobSpec.parse({ type: 'pipeline', settings, outputs, jobs }) });
    const model = { type: 'uri_folder', path: 'azureml://datastores/shared/paths/models/${{name}}', name: 'best-model' };
    const req = withOutputs({ model }, { train: { command: 't', outputs: { m: '${{parent.outputs.model}}', log: null } } });
    assert.deepEqual(pipelineOutputsFrom(req.spec), { model: ['train', 'm'] });
    const [train] = planPipeline(req, new Map(), { pipelineName: 'p', experimentName: 'e' });
    assert.deepEqual(train!.request.spec.outputs, { m: model, log: null });
    // settings.default_datastore: every output without a path of its own goes there, under Azure's default path.
    const [withDefault] = planPipeline(withOutputs({ model }, { train: { command: 't', outputs: { m: '${{parent.outputs.model}}', log: null } } }, { default_compute: 'local', default_datastore: 'azureml:scratch' }), new Map(), { pipelineName: 'p', experimentName: 'e' });
    assert.deepEqual(withDefault!.request.spec.outputs, { m: model, log: { path: 'azureml://datastores/scratch/paths/azureml/${{name}}/${{output_name}}/' } });

    const plan = (r: CreatePipelineRequest) => () => planPipeline(r, new Map(), { pipelineName: 'p', experimentName: 'e' });
    assert.throws(plan(withOutputs({ model: null }, { a: { command: 'a', outputs: out } })), /^CairnError: outputs\.model: no step's output is bound to it/);
    assert.throws(plan(withOutputs({ model: null }, { a: { command: 'a', outputs: { o: '${{parent.outputs.model}}' } }, b: { command: 'b', outputs: { o: '${{parent.outputs.model}}' } } })), /jobs\.b\.outputs\.o: the pipeline's output 'model' is already bound to jobs\.a\.outputs\.o/);
    const comp = { spec: ComponentSpec.parse({ name: 'fit', version: '1', type: 'command', command: 'fit ${{outputs.m}}', outputs: { m: { type: 'uri_folder' } } }), ref: 'fit:1' };
    assert.throws(() => planPipeline(withOutputs({ model: { type: 'mlflow_model' } }, { a: { component: 'azureml:fit:1', outputs: { m: '${{parent.outputs.model}}' } } }), new Map([['a', comp]]), { pipelineName: 'p', experimentName: 'e' }), /jobs\.a\.outputs\.m: the step's output is uri_folder, but the pipeline's output 'model' is mlflow_model/);
    const sweep = { type: 'sweep', trial: { command: 'x ${{search_space.lr}}' }, search_space: { lr: { type: 'choice', values: [1] } }, sampling_algorithm: 'random', objective: { primary_metric: 'l', goal: 'minimize' }, limits: { max_total_trials: 1 }, outputs: { m: '${{parent.outputs.model}}' } };
    assert.throws(plan(withOutputs({ model: { name: 'registered' } }, { tune: sweep })), /jobs\.tune\.outputs\.m: a sweep step's output is its best trial's/);
  });
});

function baseRow(name: string, o: Partial<JobRow> = {}) {
  return {
    id: randomUUID(), workspace: 'default', name, display_name: name, experiment_name: 'e', compute: 'local', status: 'Queued', status_reason: null,
    spec: '{}', snapshot_id: null, git: null, created_at: AT, created_by: 't', start_time: null, end_time: null, exit_code: null, attempt: 0, node: null,
    cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: Date.now(), environment: null, environment_record: null, priority: 2,
    instance_count: 1, max_retries: 3, wait_code: null, data: null, ...o,
  };
}

async function setup(req: CreatePipelineRequest, o: { continueOnFailure?: boolean; reuse?: Set<string> } = {}) {
  const store = await Store.open(`sqlite:${join(tempDir('pipeline-runner'), 'cairn.db')}`);
  await store.resources.ensureWorkspace('default', AT);
  const events = new EventHub();
  const steps = planPipeline(req, new Map(), { pipelineName: 'p', experimentName: 'e' });
  const stored: StoredPipeline = { spec: { ...req.spec, name: 'p' }, steps, continue_on_step_failure: !!o.continueOnFailure, outputs_from: {} };
  const row = baseRow('p', { kind: 'pipeline', status: 'Running', spec: JSON.stringify(stored) });
  await store.jobs.insert(row, 'submitted', AT);
  const made: CreateJobRequest[] = [];
  const canceled: string[] = [];
  const jobs: StepJobs = {
    async create(_ws, req, _by, step) {
      // Steps named in `reuse` stand on an earlier job: made Completed at once, as JobsService does.
      const reused = o.reuse?.has(step.facts.step) ? `old_${step.facts.step}` : undefined;
      const facts = { ...step.facts, ...(reused ? { reused_from: reused } : {}) };
      try {
        await store.jobs.insert(baseRow(req.spec.name!, { parent_id: step.parentId, trial_index: step.index, trial: JSON.stringify(facts), spec: JSON.stringify(req.spec), status: reused ? 'Completed' : 'Queued', status_reason: reused ? `reused from ${reused}` : null }), 'step', AT);
      } catch (err) {
        if (isUniqueViolation(err)) throw new CairnError('AlreadyExists', `a job named '${req.spec.name}' already exists`);
        throw err;
      }
      made.push(req);
      return { name: req.spec.name!, status: reused ? 'Completed' : 'Queued', status_reason: reused ? `reused from ${reused}` : null, child: facts };
    },
    createSweep: () => Promise.reject(new Error('no sweep steps in these tests')),
    async cancel(_ws, name, reason) {
      const r = (await store.jobs.getByName('default', name))!;
      canceled.push(name);
      if (!(await moveJob(store.db, events, r.id, 'Canceled', reason, { from: ['Queued'] }))) await moveJob(store.db, events, r.id, 'CancelRequested', reason, { set: { cancel_requested: 1 } });
    },
  };
  const runner = (owner = 'a') => new PipelineRunner({ store, events, steps: jobs, owner });
  const step = async (name: string) => (await store.jobs.getByName('default', `p_${name}`))!;
  const end = async (name: string, status: 'Completed' | 'Failed') => {
    const s = await step(name);
    await moveJob(store.db, events, s.id, 'Running', 'running', { set: { start_time: AT } });
    await moveJob(store.db, events, s.id, status, status === 'Failed' ? 'command exited with code 1' : 'done');
  };
  const pipeline = async () => (await store.jobs.getById(row.id))!;
  return { store, events, made, canceled, runner, step, end, pipeline, row };
}

describe('pipeline runner reconciler', () => {
  it('makes each step once what it needs has completed, several at once, binding outputs to where they are', async () => {
    const t = await setup(diamond());
    try {
      const r = t.runner();
      assert.equal(await r.tick(), 1);
      assert.deepEqual(t.made.map((m) => m.spec.name), ['p_a']);
      assert.equal(await r.tick(), 0, 'b and c wait for a');
      await t.end('a', 'Completed');
      assert.equal(await r.tick(), 2, 'b and c together');
      assert.deepEqual(t.made[1]!.spec.inputs, { i: { type: 'uri_folder', path: 'azureml://jobs/p_a/outputs/o' } });
      await t.end('b', 'Completed');
      assert.equal(await r.tick(), 0, 'd waits for c too');
      // A restart: a new runner (same owner) on the same store makes d once, and no other.
      await t.end('c', 'Completed');
      assert.equal(await t.runner().tick(), 1);
      assert.equal(await t.runner().tick(), 0);
      assert.deepEqual(t.made.map((m) => m.spec.name), ['p_a', 'p_b', 'p_c', 'p_d']);
      assert.equal((await t.pipeline()).status_reason, '4 steps: 3 completed, 1 queued');
      await t.end('d', 'Completed');
      await r.tick();
      assert.equal((await t.pipeline()).status, 'Completed');
      assert.equal((await t.pipeline()).status_reason, '4 steps: 4 completed');
    } finally {
      await t.store.close();
    }
  });

  it('a reused step completes at once: the steps after it go in the same pass, reading the earlier job\'s outputs', async () => {
    const t = await setup(diamond(), { reuse: new Set(['a', 'b', 'c', 'd']) });
    try {
      assert.equal(await t.runner().tick(), 4);
      assert.deepEqual(t.made[3]!.spec.inputs, { x: { type: 'uri_folder', path: 'azureml://jobs/old_b/outputs/o' }, y: { type: 'uri_folder', path: 'azureml://jobs/old_c/outputs/o' } });
      assert.equal((await t.pipeline()).status, 'Completed');
      assert.equal((await t.pipeline()).status_reason, '4 steps: 4 completed (4 reused)');
    } finally {
      await t.store.close();
    }
  });

  it('a failed step stops the rest, unless continue_on_step_failure; what needs it is skipped', async () => {
    const twoBranches = () => request({ a: { command: 'a', outputs: out }, a2: { command: 'a2', inputs: { i: from('a') } }, b: { command: 'b', outputs: out }, b2: { command: 'b2', inputs: { i: from('b') } } });
    const t = await setup(twoBranches());
    try {
      const r = t.runner();
      await r.tick();
      await t.end('a', 'Failed');
      await r.tick();
      assert.deepEqual(t.canceled, ['p_b']);
      await r.tick();
      const p = await t.pipeline();
      assert.equal(p.status, 'Failed');
      assert.equal(p.status_reason, "step 'a' failed: command exited with code 1; 4 steps: 1 failed, 1 canceled, 2 skipped");
    } finally {
      await t.store.close();
    }
    const c = await setup(twoBranches(), { continueOnFailure: true });
    try {
      const r = c.runner();
      await r.tick();
      await c.end('a', 'Failed');
      await c.end('b', 'Completed');
      assert.equal(await r.tick(), 1, 'b2 still runs');
      assert.deepEqual(c.canceled, []);
      await c.end('b2', 'Completed');
      await r.tick();
      assert.equal((await c.pipeline()).status, 'Failed');
      assert.equal((await c.pipeline()).status_reason, "step 'a' failed: command exited with code 1; 4 steps: 2 completed, 1 failed, 1 skipped");
    } finally {
      await c.store.close();
    }
  });

  it('cancel cancels open steps and makes no more; only the lease holder acts', async () => {
    const t = await setup(diamond());
    try {
      const r = t.runner();
      await r.tick();
      assert.equal(await t.runner('b').tick(), 0, 'b does not hold the lease');
      await moveJob(t.store.db, t.events, t.row.id, 'CancelRequested', 'cancel requested by the user', { set: { cancel_requested: 1 } });
      await r.tick();
      assert.deepEqual(t.canceled, ['p_a']);
      await r.tick();
      assert.equal((await t.pipeline()).status, 'Canceled');
      assert.deepEqual(t.made.map((m) => m.spec.name), ['p_a']);
    } finally {
      await t.store.close();
    }
  });
});
