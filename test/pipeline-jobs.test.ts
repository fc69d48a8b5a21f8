// Pipeline jobs end to end: the real CLI against a real server (SQLite, local compute and a
// local-provider cluster, real agents): data passed between steps on two computes, a diamond run
// in parallel, reuse and its opt-outs, a changed input rerunning only what is downstream of it,
// failures with and without continue_on_step_failure, registered components, a restart, bad input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor, json } from './helpers/cairn.ts';
import { CairnClient } from '../src/sdk/client.ts';

type Step = { name: string; job_name: string | null; status: string; status_reason: string | null; reused_from: string | null; depends_on: string[]; compute: string; component: string | null };

const PREP = `import sys, os
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for f in sorted(os.listdir(src)):
    open(os.path.join(out, f), "w").write(open(os.path.join(src, f)).read().upper())
print("prepared", sorted(os.listdir(out)), flush=True)
`;
const TRAIN = `import sys, os
data, out, lr = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
rows = sum(len(open(os.path.join(data, f)).read().split()) for f in os.listdir(data))
open(os.path.join(out, "model.txt"), "w").write("rows=%d lr=%s" % (rows, lr))
print("trained", rows, lr, flush=True)
`;
const EVALUATE = `import sys, os
print("evaluated", open(os.path.join(sys.argv[1], "model.txt")).read(), flush=True)
`;

describe('pipeline jobs', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('pipelines');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 180_000 });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const show = async (name: string) => JSON.parse((await ok(['job', 'show', '-n', name, '-o', 'json'])).stdout);
  const ended = (name: string, ms = 180_000) =>
    waitFor(`pipeline ${name} ended`, async () => {
      const j = await show(name);
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) && j;
    }, ms);
  const steps = (j: { pipeline: { steps: Step[] } }) => Object.fromEntries(j.pipeline.steps.map((s) => [s.name, s]));
  // What the step printed (the agent's own lines, such as what an input fetched, are left out).
  const logs = async (name: string) => (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs`)).body.lines.filter((l: { stream: string }) => l.stream === 'stdout').map((l: { text: string }) => l.text) as string[];
  const jobCount = async () => (await json(`${server.url}/api/v1/workspaces/default/jobs?all=true`)).body.length as number;

  const pipelineYaml = (name: string, o: { extra?: string; train?: string } = {}) =>
    [
      '$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json',
      'type: pipeline',
      `name: ${name}`,
      'experiment_name: pipes',
      'settings: {default_compute: local}',
      'inputs:',
      '  raw: {type: uri_folder, path: ./data}',
      '  lr: 0.1',
      'outputs:',
      '  model: {type: uri_folder}',
      'jobs:',
      '  prep:',
      '    code: ./src',
      '    command: /usr/bin/python3 prep.py ${{inputs.src}} ${{outputs.clean}}',
      '    inputs: {src: "${{parent.inputs.raw}}"}',
      '    outputs: {clean: {type: uri_folder}}',
      '  train:',
      `    compute: ${o.train ?? 'azureml:pipe-cluster'}`,
      '    code: ./src',
      '    command: /usr/bin/python3 train.py ${{inputs.data}} ${{outputs.model}} ${{inputs.lr}}',
      '    inputs: {data: "${{parent.jobs.prep.outputs.clean}}", lr: "${{parent.inputs.lr}}"}',
      '    outputs: {model: "${{parent.outputs.model}}"}',
      '  evaluate:',
      '    code: ./src',
      '    command: /usr/bin/python3 evaluate.py ${{inputs.model}}',
      '    inputs: {model: "${{parent.jobs.train.outputs.model}}"}',
      ...(o.extra ? [o.extra] : []),
    ].join('\n');

  before(async () => {
    await server.start();
    await server.waitForAgent();
    mkdirSync(join(work, 'src'));
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'src', 'prep.py'), PREP);
    writeFileSync(join(work, 'src', 'train.py'), TRAIN);
    writeFileSync(join(work, 'src', 'evaluate.py'), EVALUATE);
    writeFileSync(join(work, 'data', 'a.txt'), 'one two\nthree\n');
    writeFileSync(join(work, 'data', 'b.txt'), 'four\n');
    writeFileSync(join(work, 'data2.txt'), 'R\n');
    await ok(['compute', 'create', '--name', 'pipe-cluster', '--type', 'amlcompute', '--size', 'Standard_DS1_v2', '--min-instances', '0', '--max-instances', '1']);
  });
  after(() => server.stop());

  it('runs prep -> train -> evaluate on two computes, passing folders between steps', async () => {
    writeFileSync(join(work, 'pipe.yml'), pipelineYaml('pipe-1'));
    const r = await ok(['job', 'create', '-f', 'pipe.yml', '--stream']);
    assert.match(r.stderr, /job pipe-1 Completed/);
    const p = await show('pipe-1');
    assert.equal(p.type, 'pipeline');
    const s = steps(p);
    assert.deepEqual(Object.keys(s), ['prep', 'train', 'evaluate']);
    assert.deepEqual(s.train.depends_on, ['prep']);
    assert.deepEqual(s.evaluate.depends_on, ['train']);
    for (const st of Object.values(s)) assert.equal(st.status, 'Completed');
    assert.equal((await show('pipe-1_train')).compute, 'pipe-cluster');
    assert.match((await show('pipe-1_train')).node, /pipe-cluster/);
    assert.equal((await show('pipe-1_prep')).compute, 'local');
    assert.ok((await logs('pipe-1_prep')).includes("prepared ['a.txt', 'b.txt']"));
    assert.ok((await logs('pipe-1_train')).includes('trained 4 0.1'));
    assert.ok((await logs('pipe-1_evaluate')).includes('evaluated rows=4 lr=0.1'));
    const step = await show('pipe-1_train');
    assert.equal(step.parent_job_name, 'pipe-1');
    assert.deepEqual(step.child, { pipeline: 'pipe-1', step: 'train' });
    const children = JSON.parse((await ok(['job', 'list', '--parent', 'pipe-1', '-o', 'json'])).stdout).map((j: { name: string }) => j.name).sort();
    assert.deepEqual(children, ['pipe-1_evaluate', 'pipe-1_prep', 'pipe-1_train']);
    const top = JSON.parse((await ok(['job', 'list', '-o', 'json'])).stdout).map((j: { name: string }) => j.name);
    assert.ok(top.includes('pipe-1') && !top.includes('pipe-1_prep'));
    const table = (await ok(['job', 'show', '-n', 'pipe-1', '-o', 'table'])).stdout;
    // The pipeline's output is the train step's: shown, downloaded by its name, read by a later job.
    assert.match(table, /model\s+train\.outputs\.model\s+pipe-1_train/);
    assert.deepEqual(p.pipeline.outputs, [{ name: 'model', step: 'train', output: 'model', job_name: 'pipe-1_train' }]);
    const d = await ok(['job', 'download', '-n', 'pipe-1', '--output-name', 'model', '--download-path', 'dl']);
    assert.match(d.stderr, /downloaded 1 file/);
    assert.equal(readFileSync(join(work, 'dl', 'pipe-1', 'outputs', 'model', 'model.txt'), 'utf8'), 'rows=4 lr=0.1');
    const missing = await cli(['job', 'download', '-n', 'pipe-1', '--output-name', 'nope', '--download-path', 'dl']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pipeline 'pipe-1' has no output 'nope' \(it has: model\)/);
    writeFileSync(join(work, 'reader0.yml'), 'name: reads-pipeline\ncommand: cat ${{inputs.m}}/model.txt\ninputs:\n  m: {type: uri_folder, path: azureml://jobs/pipe-1/outputs/model}\n');
    await ok(['job', 'create', '-f', 'reader0.yml', '--stream']);
    assert.deepEqual(await logs('reads-pipeline'), ['rows=4 lr=0.1']);
  });

  it('reuses unchanged steps, reruns only what is downstream of a changed input, and opts out when asked', async () => {
    writeFileSync(join(work, 'pipe.yml'), pipelineYaml('pipe-2'));
    await ok(['job', 'create', '-f', 'pipe.yml', '--stream']);
    let s = steps(await show('pipe-2'));
    assert.deepEqual(Object.values(s).map((x) => x.reused_from), ['pipe-1_prep', 'pipe-1_train', 'pipe-1_evaluate']);
    assert.match((await show('pipe-2_prep')).status_reason, /^reused from pipe-1_prep/);
    assert.match((await ok(['job', 'show', '-n', 'pipe-2', '-o', 'table'])).stdout, /Completed \(reused from pipe-1_train\)/);
    // A reused step's outputs are the job's it was reused from: a later job can read them by the step's name.
    writeFileSync(join(work, 'reader.yml'), 'name: reads-reused\ncommand: cat ${{inputs.m}}/model.txt\ninputs:\n  m: {type: uri_folder, path: azureml://jobs/pipe-2_train/outputs/model}\n');
    await ok(['job', 'create', '-f', 'reader.yml', '--stream']);
    assert.deepEqual(await logs('reads-reused'), ['rows=4 lr=0.1']);
    // Downloading the pipeline, or the reused step, gets the files of the job they were reused from.
    await ok(['job', 'download', '-n', 'pipe-2', '--download-path', 'dl']);
    assert.equal(readFileSync(join(work, 'dl', 'pipe-2', 'outputs', 'model', 'model.txt'), 'utf8'), 'rows=4 lr=0.1');
    const reused = await ok(['job', 'download', '-n', 'pipe-2_train', '--outputs', '--download-path', 'dl']);
    assert.match(reused.stderr, /step pipe-2_train was reused from pipe-1_train/);
    assert.equal(readFileSync(join(work, 'dl', 'pipe-2_train', 'outputs', 'model', 'model.txt'), 'utf8'), 'rows=4 lr=0.1');

    // A changed parameter: prep is the same, train and evaluate run again.
    await ok(['job', 'create', '-f', 'pipe.yml', '-n', 'pipe-3', '--set', 'inputs.lr=0.2', '--stream']);
    s = steps(await show('pipe-3'));
    assert.equal(s.prep.reused_from, 'pipe-1_prep');
    assert.equal(s.train.reused_from, null);
    assert.equal(s.evaluate.reused_from, null);
    assert.ok((await logs('pipe-3_evaluate')).includes('evaluated rows=4 lr=0.2'));

    // A changed input file: every step reads through it, so all run again.
    writeFileSync(join(work, 'data', 'b.txt'), 'four five\n');
    await ok(['job', 'create', '-f', 'pipe.yml', '-n', 'pipe-4', '--stream']);
    s = steps(await show('pipe-4'));
    assert.deepEqual(Object.values(s).map((x) => x.reused_from), [null, null, null]);
    assert.ok((await logs('pipe-4_evaluate')).includes('evaluated rows=5 lr=0.1'));

    // --force-rerun, settings.force_rerun and a step that is not deterministic run again.
    await ok(['job', 'create', '-f', 'pipe.yml', '-n', 'pipe-5', '--force-rerun', '--stream']);
    assert.deepEqual(Object.values(steps(await show('pipe-5'))).map((x) => x.reused_from), [null, null, null]);
    await ok(['job', 'create', '-f', 'pipe.yml', '-n', 'pipe-6', '--set', 'settings.force_rerun=true', '--stream']);
    assert.deepEqual(Object.values(steps(await show('pipe-6'))).map((x) => x.reused_from), [null, null, null]);
    writeFileSync(join(work, 'nondet.yml'), pipelineYaml('pipe-7').replace('    outputs: {clean: {type: uri_folder}}', '    outputs: {clean: {type: uri_folder}}\n    is_deterministic: false'));
    await ok(['job', 'create', '-f', 'nondet.yml', '--stream']);
    s = steps(await show('pipe-7'));
    assert.equal(s.prep.reused_from, null, 'is_deterministic: false runs again');
    // Its output is the same content, so what reads it is reused.
    assert.match(s.train.reused_from ?? '', /^pipe-[456]_train$/);
  });

  it('runs the middle of a diamond in parallel, and a changed branch input reruns only that branch', async () => {
    writeFileSync(join(work, 'data', 'left.txt'), 'L\n');
    writeFileSync(join(work, 'data2.txt'), 'R\n');
    const diamond = (name: string) =>
      [
        'type: pipeline',
        `name: ${name}`,
        'settings: {default_compute: local}',
        'inputs:',
        '  right: {type: uri_file, path: ./data2.txt}',
        'jobs:',
        '  a: {command: "mkdir -p ${{outputs.o}} && echo a > ${{outputs.o}}/a.txt", outputs: {o: {type: uri_folder}}}',
        '  b: {command: "sleep 2 && mkdir -p ${{outputs.o}} && cp ${{inputs.i}}/a.txt ${{outputs.o}}/b.txt", inputs: {i: "${{parent.jobs.a.outputs.o}}"}, outputs: {o: {type: uri_folder}}}',
        '  c: {command: "sleep 2 && mkdir -p ${{outputs.o}} && cat ${{inputs.i}}/a.txt ${{inputs.r}} > ${{outputs.o}}/c.txt", inputs: {i: "${{parent.jobs.a.outputs.o}}", r: "${{parent.inputs.right}}"}, outputs: {o: {type: uri_folder}}}',
        '  d: {command: "cat ${{inputs.x}}/b.txt ${{inputs.y}}/c.txt", inputs: {x: "${{parent.jobs.b.outputs.o}}", y: "${{parent.jobs.c.outputs.o}}"}}',
      ].join('\n');
    writeFileSync(join(work, 'diamond.yml'), diamond('dia-1'));
    await ok(['job', 'create', '-f', 'diamond.yml', '--stream']);
    const p = await show('dia-1');
    const s = steps(p);
    assert.deepEqual(s.d.depends_on, ['b', 'c']);
    const [b, c] = await Promise.all([show('dia-1_b'), show('dia-1_c')]);
    assert.ok(Date.parse(b.start_time) < Date.parse(c.end_time) && Date.parse(c.start_time) < Date.parse(b.end_time), 'b and c ran at the same time');
    assert.deepEqual(await logs('dia-1_d'), ['a', 'a', 'R']);
    // Only c reads the right-hand file: a and b are reused, c and d run again.
    writeFileSync(join(work, 'data2.txt'), 'R2\n');
    writeFileSync(join(work, 'diamond.yml'), diamond('dia-2'));
    await ok(['job', 'create', '-f', 'diamond.yml', '--stream']);
    const s2 = steps(await show('dia-2'));
    assert.deepEqual([s2.a.reused_from, s2.b.reused_from, s2.c.reused_from, s2.d.reused_from], ['dia-1_a', 'dia-1_b', null, null]);
    assert.deepEqual(await logs('dia-2_d'), ['a', 'a', 'R2']);
  });

  it('a failing step stops what needs it, and everything unless continue_on_step_failure', async () => {
    const failing = (name: string, cont: boolean) =>
      [
        'type: pipeline',
        `name: ${name}`,
        `settings: {default_compute: local${cont ? ', continue_on_step_failure: true' : ''}}`,
        'jobs:',
        '  bad: {command: "exit 3"}',
        '  after_bad: {command: "echo never", inputs: {i: "${{parent.jobs.bad.outputs.o}}"}}',
        '  slow: {command: "sleep 4 && mkdir -p ${{outputs.o}} && echo ok > ${{outputs.o}}/ok.txt", outputs: {o: {type: uri_folder}}}',
        '  after_slow: {command: "cat ${{inputs.i}}/ok.txt", inputs: {i: "${{parent.jobs.slow.outputs.o}}"}}',
      ].join('\n');
    // bad has no output o: give it one so the binding is valid.
    const yaml = (name: string, cont: boolean) => failing(name, cont).replace('bad: {command: "exit 3"}', 'bad: {command: "exit 3", outputs: {o: {type: uri_folder}}}');
    writeFileSync(join(work, 'fail.yml'), yaml('fail-stop', false));
    await cli(['job', 'create', '-f', 'fail.yml', '--stream']);
    let p = await ended('fail-stop');
    let s = steps(p);
    assert.equal(p.status, 'Failed');
    assert.match(p.status_reason, /^step 'bad' failed: command exited with code 3/);
    assert.equal(s.bad.status, 'Failed');
    assert.equal(s.after_bad.status, 'Skipped');
    assert.equal(s.slow.status, 'Canceled', 'the rest is stopped');
    assert.equal(s.after_slow.status, 'Skipped');

    writeFileSync(join(work, 'fail.yml'), yaml('fail-continue', true));
    await cli(['job', 'create', '-f', 'fail.yml', '--stream']);
    p = await ended('fail-continue');
    s = steps(p);
    assert.equal(p.status, 'Failed');
    assert.equal(s.after_bad.status, 'Skipped');
    assert.equal(s.slow.status, 'Completed');
    assert.equal(s.after_slow.status, 'Completed');
    assert.deepEqual(await logs('fail-continue_after_slow'), ['ok']);
  });

  it('the TypeScript SDK follows a pipeline to its end', async () => {
    writeFileSync(join(work, 'sdk.yml'), ['type: pipeline', 'name: sdk-pipe', 'settings: {default_compute: local}', 'jobs:', '  one: {command: "sleep 1 && echo one"}'].join('\n'));
    await ok(['job', 'create', '-f', 'sdk.yml']);
    const done = await new CairnClient({ url: server.url }).waitForCompletion('sdk-pipe');
    assert.equal(done.type, 'pipeline');
    assert.equal(done.status, 'Completed');
    assert.equal(done.pipeline?.steps[0]?.status, 'Completed');
    assert.ok((done as Record<string, unknown>).jobs, "the pipeline's own fields come along");
  });

  it('cancelling a pipeline cancels its steps', async () => {
    writeFileSync(join(work, 'long.yml'), ['type: pipeline', 'name: to-cancel', 'settings: {default_compute: local}', 'jobs:', '  one: {command: "sleep 60", outputs: {o: {type: uri_folder}}}', '  two: {command: "true", inputs: {i: "${{parent.jobs.one.outputs.o}}"}}'].join('\n'));
    await ok(['job', 'create', '-f', 'long.yml']);
    await waitFor('step one running', async () => steps(await show('to-cancel')).one.status === 'Running');
    await ok(['job', 'cancel', '-n', 'to-cancel']);
    const p = await ended('to-cancel');
    assert.equal(p.status, 'Canceled');
    assert.equal(steps(p).one.status, 'Canceled');
    assert.equal(steps(p).two.status, 'Skipped');
  });

  it('runs registered components by name and version, checking the step against their types', async () => {
    mkdirSync(join(work, 'comp'));
    writeFileSync(join(work, 'comp', 'scale.py'), 'import sys, os\nos.makedirs(sys.argv[2], exist_ok=True)\nopen(os.path.join(sys.argv[2], "v.txt"), "w").write(str(int(sys.argv[1]) * 2))\nprint("scaled", sys.argv[1], flush=True)\n');
    writeFileSync(
      join(work, 'scale.yml'),
      ['name: scale', 'version: 1', 'type: command', 'code: ./comp', 'inputs:', '  n: {type: integer}', '  note: {type: string, optional: true}', 'outputs:', '  out: {type: uri_folder}', 'command: /usr/bin/python3 scale.py ${{inputs.n}} ${{outputs.out}} $[[--note ${{inputs.note}}]]'].join('\n'),
    );
    await ok(['component', 'create', '-f', 'scale.yml']);
    writeFileSync(
      join(work, 'comp-pipe.yml'),
      [
        'type: pipeline',
        'name: comp-pipe',
        'settings: {default_compute: local}',
        'jobs:',
        '  first: {component: "azureml:scale:1", inputs: {n: 3}}',
        '  second: {component: "azureml:scale@latest", inputs: {n: "4"}}',
        '  read: {command: "cat ${{inputs.a}}/v.txt ${{inputs.b}}/v.txt", inputs: {a: "${{parent.jobs.first.outputs.out}}", b: "${{parent.jobs.second.outputs.out}}"}}',
        '  local_file: {component: ./scale.yml, inputs: {n: 5}}',
      ].join('\n'),
    );
    await ok(['job', 'create', '-f', 'comp-pipe.yml', '--stream']);
    const p = await show('comp-pipe');
    const s = steps(p);
    assert.equal(p.status, 'Completed', p.status_reason);
    assert.equal(s.first.component, 'scale:1');
    assert.equal(s.second.component, 'scale:1');
    assert.equal(s.local_file.component, 'inline');
    assert.deepEqual(await logs('comp-pipe_read'), ['68']);
    assert.ok((await logs('comp-pipe_local_file')).includes('scaled 5'));
    assert.equal((await show('comp-pipe_first')).command, '/usr/bin/python3 scale.py ${{inputs.n}} ${{outputs.out}} ', 'the optional section without its input is dropped');
  });

  it('runs a sweep as a step: its trial a component, its outputs its best trial\'s', async () => {
    mkdirSync(join(work, 'fit'));
    writeFileSync(join(work, 'fit', 'fit.py'), 'import sys, os, cairn\nlr, out = float(sys.argv[1]), sys.argv[2]\nscore = 1 - abs(lr - 0.3)\ncairn.log_metric("score", score)\nos.makedirs(out, exist_ok=True)\nopen(os.path.join(out, "lr.txt"), "w").write(str(lr))\n');
    writeFileSync(join(work, 'fit.yml'), ['name: fit', 'type: command', 'code: ./fit', 'inputs:', '  lr: {type: number, default: 0.1}', 'outputs:', '  model: {type: uri_folder}', 'command: /usr/bin/python3 fit.py ${{inputs.lr}} ${{outputs.model}}'].join('\n'));
    writeFileSync(
      join(work, 'sweep-pipe.yml'),
      [
        'type: pipeline',
        'name: sweep-pipe',
        'settings: {default_compute: local}',
        'jobs:',
        '  tune:',
        '    type: sweep',
        '    trial: ./fit.yml',
        '    search_space: {lr: {type: choice, values: [0.1, 0.3, 0.9]}}',
        '    sampling_algorithm: grid',
        '    objective: {primary_metric: score, goal: maximize}',
        '    limits: {max_concurrent_trials: 3}',
        '  use:',
        '    command: cat ${{inputs.m}}/lr.txt',
        '    inputs: {m: "${{parent.jobs.tune.outputs.model}}"}',
      ].join('\n'),
    );
    await ok(['job', 'create', '-f', 'sweep-pipe.yml', '--stream']);
    const p = await show('sweep-pipe');
    assert.equal(p.status, 'Completed', p.status_reason);
    const tune = await show('sweep-pipe_tune');
    assert.equal(tune.type, 'sweep');
    assert.equal(tune.parent_job_name, 'sweep-pipe');
    assert.equal(tune.sweep.progress.completed, 3);
    assert.equal(tune.sweep.best.params.lr, 0.3);
    assert.equal(tune.command, '/usr/bin/python3 fit.py ${{search_space.lr}} ${{outputs.model}}');
    assert.deepEqual(await logs('sweep-pipe_use'), ['0.3'], 'the next step read the best trial\'s output');
    // A sweep step samples again each time: never reused.
    await ok(['job', 'create', '-f', 'sweep-pipe.yml', '-n', 'sweep-pipe-2', '--stream']);
    assert.equal(steps(await show('sweep-pipe-2')).tune.reused_from, null);
  });

  it("writes the pipeline's output where it says and registers it; settings.default_datastore takes the other outputs", async () => {
    const store = join(work, 'shared-store');
    mkdirSync(store);
    writeFileSync(join(work, 'store.yml'), `name: shared\ntype: local_folder\npath: ${store}\n`);
    await ok(['datastore', 'create', '-f', 'store.yml']);
    const yaml = (name: string) => [
      'type: pipeline',
      `name: ${name}`,
      'settings: {default_compute: local, default_datastore: azureml:shared}',
      'outputs:',
      '  model: {type: uri_folder, path: azureml://datastores/shared/paths/models/latest, name: pipe-model}',
      'jobs:',
      '  make: {command: "mkdir -p ${{outputs.tmp}} ${{outputs.m}} && echo t > ${{outputs.tmp}}/t.txt && echo weights > ${{outputs.m}}/w.txt", outputs: {tmp: {type: uri_folder}, m: "${{parent.outputs.model}}"}}',
    ].join('\n');
    writeFileSync(join(work, 'stored.yml'), yaml('stored-1'));
    await ok(['job', 'create', '-f', 'stored.yml', '--stream']);
    const p = await show('stored-1');
    assert.equal(p.status, 'Completed', p.status_reason);
    assert.equal(readFileSync(join(store, 'models', 'latest', 'w.txt'), 'utf8'), 'weights\n');
    // An output with no path of its own: Azure's default path on the default datastore, the step's job named in it.
    assert.equal(readFileSync(join(store, 'azureml', 'stored-1_make', 'tmp', 't.txt'), 'utf8'), 't\n');
    const named = Object.fromEntries((await show('stored-1_make')).named_outputs.map((o: { name: string }) => [o.name, o]));
    assert.equal(named.tmp.path, 'azureml://datastores/shared/paths/azureml/stored-1_make/tmp');
    assert.equal(named.m.asset, 'azureml:pipe-model:1');
    // Run again: the step is reused (the path as written is the same work), nothing new is registered.
    writeFileSync(join(work, 'stored.yml'), yaml('stored-2'));
    await ok(['job', 'create', '-f', 'stored.yml', '--stream']);
    assert.equal(steps(await show('stored-2')).make!.reused_from, 'stored-1_make');
    const versions = JSON.parse((await ok(['data', 'list', '--name', 'pipe-model', '-o', 'json'])).stdout);
    assert.deepEqual(versions.map((v: { version: string }) => v.version), ['1']);
  });

  it('refuses bad pipelines with one line naming the step and field, creating nothing', async () => {
    const before = await jobCount();
    const base = ['type: pipeline', 'settings: {default_compute: local}'];
    const cases: [string, string[], RegExp][] = [
      ['cycle', ['jobs:', '  a: {command: "true", inputs: {i: "${{parent.jobs.b.outputs.o}}"}, outputs: {o: {type: uri_folder}}}', '  b: {command: "true", inputs: {i: "${{parent.jobs.a.outputs.o}}"}, outputs: {o: {type: uri_folder}}}'], /the steps form a cycle: a -> b -> a|the steps form a cycle: b -> a -> b/],
      ['no such step', ['jobs:', '  a: {command: "true", inputs: {i: "${{parent.jobs.nope.outputs.o}}"}}'], /jobs\.a\.inputs\.i: \$\{\{parent\.jobs\.nope\.outputs\.o\}\} names no step of the pipeline \(its steps: a\)/],
      ['no such output', ['jobs:', '  a: {command: "true", outputs: {o: {type: uri_folder}}}', '  b: {command: "true", inputs: {i: "${{parent.jobs.a.outputs.zz}}"}}'], /jobs\.b\.inputs\.i: step 'a' has no output 'zz' \(it has: o\)/],
      ['no such pipeline input', ['jobs:', '  a: {command: "true", inputs: {i: "${{parent.inputs.nope}}"}}'], /jobs\.a\.inputs\.i: \$\{\{parent\.inputs\.nope\}\} names no input of the pipeline/],
      ['type mismatch', ['inputs: {f: {type: uri_file, path: ./data2.txt}}', 'jobs:', '  a: {component: "azureml:scale:1", inputs: {n: "${{parent.inputs.f}}"}}'], /jobs\.a\.inputs\.n: input 'n' is integer, but the pipeline's input 'f' is uri_file/],
      ['wrong literal', ['jobs:', '  a: {component: "azureml:scale:1", inputs: {n: "three"}}'], /jobs\.a: component 'scale:1': input 'n' must be an integer, not 'three'/],
      ['missing required input', ['jobs:', '  a: {component: "azureml:scale:1"}'], /jobs\.a: component 'scale:1': input 'n' \(integer\) is required/],
      ['no such component version', ['jobs:', '  a: {component: "azureml:scale:9", inputs: {n: 1}}'], /jobs\.a\.component: component 'scale' has no version 9; versions: 1/],
      ['no compute', ['type: pipeline', 'jobs:', '  a: {command: "true"}'], /jobs\.a: step 'a' has no compute and the pipeline has no settings\.default_compute/],
      ['unknown compute', ['jobs:', '  a: {command: "true", compute: nowhere}'], /jobs\.a: compute 'nowhere' does not exist/],
      ['sweep step without a search space', ['jobs:', '  a: {type: sweep, trial: "azureml:scale:1", objective: {primary_metric: m, goal: maximize}, sampling_algorithm: random}'], /jobs\.a\.search_space.*required|field 'jobs\.a\.search_space'/],
      ['sweep step over an input the component lacks', ['jobs:', '  a: {type: sweep, trial: "azureml:scale:1", search_space: {zz: {type: choice, values: [1]}}, objective: {primary_metric: m, goal: maximize}, sampling_algorithm: grid}'], /jobs\.a\.search_space\.zz: the trial's component 'scale:1' has no input 'zz' \(it has: n, note\)/],
      ['step type', ['jobs:', '  a: {type: spark}'], /step type 'spark' is not supported/],
      ['no such default datastore', ['settings: {default_compute: local, default_datastore: azureml:nowhere}', 'jobs:', '  a: {command: "true"}'], /settings\.default_datastore: datastore 'nowhere' does not exist/],
      ['unbound pipeline output', ['outputs: {model: {type: uri_folder}}', 'jobs:', '  a: {command: "true", outputs: {o: {type: uri_folder}}}'], /outputs\.model: no step's output is bound to it/],
      ['pipeline output bound twice', ['outputs: {model: {type: uri_folder}}', 'jobs:', '  a: {command: "true", outputs: {o: "${{parent.outputs.model}}"}}', '  b: {command: "true", outputs: {o: "${{parent.outputs.model}}"}}'], /jobs\.b\.outputs\.o: the pipeline's output 'model' is already bound to jobs\.a\.outputs\.o/],
    ];
    for (const [what, lines, re] of cases) {
      const yaml = what === 'no compute' ? lines.join('\n') : lines[0]!.startsWith('settings:') ? ['type: pipeline', ...lines].join('\n') : [...base, ...lines].join('\n');
      writeFileSync(join(work, 'bad.yml'), yaml);
      const r = await cli(['job', 'create', '-f', 'bad.yml']);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
    }
    assert.equal(await jobCount(), before, 'nothing was created');
  });
});

describe('a pipeline across a server restart', () => {
  const dataDir = tempDir('pipe-restart');
  let server = new TestServer({ dataDir, args: ['--max-concurrent-jobs', '2'] });
  const work = tempDir('pipe-restart-work');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  after(() => server.stop());

  it('loses no step and runs none twice when the server dies mid-run', async () => {
    await server.start();
    const shared = tempDir('pipe-ledger');
    chmodSync(shared, 0o777);
    const ledger = join(shared, 'ledger.txt');
    writeFileSync(ledger, '');
    chmodSync(ledger, 0o666);
    const step = (i: number) => `  s${i}: {command: "sleep 1 && echo s${i} >> ${ledger} && mkdir -p \${{outputs.o}} && echo ${i} > \${{outputs.o}}/n.txt"${i ? `, inputs: {i: "\${{parent.jobs.s${i - 1}.outputs.o}}"}` : ''}, outputs: {o: {type: uri_folder}}}`;
    writeFileSync(join(work, 'chain.yml'), ['type: pipeline', 'name: survivor', 'settings: {default_compute: local}', 'jobs:', ...Array.from({ length: 6 }, (_, i) => step(i))].join('\n'));
    assert.equal((await cli(['job', 'create', '-f', 'chain.yml'])).code, 0);
    const show = async () => JSON.parse((await cli(['job', 'show', '-n', 'survivor', '-o', 'json'])).stdout);
    await waitFor('two steps done', async () => (await show()).pipeline.steps.filter((s: Step) => s.status === 'Completed').length >= 2, 60_000);
    server.proc!.kill('SIGKILL');
    await new Promise((r) => server.proc!.once('exit', r));
    const port = server.port;
    server = new TestServer({ dataDir, args: ['--max-concurrent-jobs', '2'] });
    server.port = port;
    await server.start();
    const p = await waitFor('pipeline ended', async () => {
      const j = await show();
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) && j;
    }, 180_000);
    assert.equal(p.status, 'Completed', p.status_reason);
    const children = JSON.parse((await cli(['job', 'list', '--parent', 'survivor', '-o', 'json'])).stdout) as { name: string; attempt: number }[];
    assert.deepEqual(children.map((c) => c.name).sort(), Array.from({ length: 6 }, (_, i) => `survivor_s${i}`));
    const lines = readFileSync(ledger, 'utf8').trim().split('\n');
    for (let i = 0; i < 6; i++) {
      const runs = lines.filter((l) => l === `s${i}`).length;
      const attempts = children.find((c) => c.name === `survivor_s${i}`)!.attempt;
      assert.ok(runs >= 1, `s${i} ran`);
      assert.ok(runs === 1 || attempts > 1, `s${i} ran ${runs} times in ${attempts} attempt(s)`);
    }
  });
});
