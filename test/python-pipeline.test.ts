// cairn.ml pipelines (azure-ai-ml v2 shapes) against a real server, run with Debian's python3: a
// pipeline file read with load_job (a step's code and a component file beside it, a local input),
// changed as Azure users change it (settings, inputs), submitted with MLClient, streamed step by
// step, its steps listed with parent_job_name and its output downloaded as Azure lays it out; the
// client package's jobs.create of the same file reusing every step, and force_rerun reusing none;
// a PipelineJob built from its steps' fields; a bad graph refused before anything is created.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer, tempDir } from './helpers/cairn.ts';
import { py } from './helpers/python.ts';

const TOKEN = 'python-pipeline-admin-token-0123456789abcdef';

const write = (root: string, rel: string, text: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
};

const PIPELINE = [
  '$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json',
  'type: pipeline',
  'settings: {default_compute: azureml:local}',
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
  '    component: ./train.yml',
  '    inputs: {data: "${{parent.jobs.prep.outputs.clean}}", lr: "${{parent.inputs.lr}}"}',
  '    outputs: {model: "${{parent.outputs.model}}"}',
  '',
].join('\n');

const COMPONENT = [
  'name: py_train',
  'type: command',
  'code: ./train-src',
  'inputs:',
  '  data: {type: uri_folder}',
  '  lr: {type: number}',
  'outputs:',
  '  model: {type: uri_folder}',
  'command: /usr/bin/python3 train.py ${{inputs.data}} ${{outputs.model}} ${{inputs.lr}}',
  '',
].join('\n');

describe('cairn.ml pipelines: azure-ai-ml pipeline shapes over a real server', () => {
  const server = new TestServer({ token: TOKEN, args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('py-pipeline');
  let sdk: CairnClient;
  let env: NodeJS.ProcessEnv;
  const run = async (code: string) => {
    const r = await py(code, { cwd: work, env });
    assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  let first = '';
  const jobCount = async () => (await sdk.listJobs({ all: true, max_results: 10_000 })).length;

  before(async () => {
    await server.start();
    await server.waitForAgent();
    sdk = new CairnClient({ url: server.url, token: TOKEN });
    env = { CAIRN_SERVER: server.url, CAIRN_TOKEN: TOKEN };
    write(work, 'pipe/pipeline.yml', PIPELINE);
    write(work, 'pipe/train.yml', COMPONENT);
    write(work, 'pipe/src/prep.py', 'import os, sys\nos.makedirs(sys.argv[2], exist_ok=True)\nfor f in os.listdir(sys.argv[1]):\n    open(os.path.join(sys.argv[2], f), "w").write(open(os.path.join(sys.argv[1], f)).read().upper())\n');
    write(work, 'pipe/train-src/train.py', 'import os, sys\nos.makedirs(sys.argv[2], exist_ok=True)\nrows = sum(len(open(os.path.join(sys.argv[1], f)).read().split()) for f in os.listdir(sys.argv[1]))\nopen(os.path.join(sys.argv[2], "model.txt"), "w").write("rows=%d lr=%s" % (rows, sys.argv[3]))\n');
    write(work, 'pipe/data/a.txt', 'one two\nthree\n');
  });
  after(() => server.stop());

  it('load_job reads a pipeline file; create_or_update submits it as changed; stream, list(parent_job_name) and download follow it', async () => {
    const r = await run(`
import io, os
from cairn.ml import MLClient, load_job
from cairn.ml.entities import PipelineJob
ml_client = MLClient()
job = load_job("pipe/pipeline.yml")
result({"type": type(job).__name__, "steps": sorted(job.jobs), "compute": job.settings.default_compute, "lr": job.inputs["lr"]})
job.settings.continue_on_step_failure = True
job.inputs["lr"] = 0.5
job.display_name = "from python"
made = ml_client.jobs.create_or_update(job, experiment_name="py-pipes")
out = io.StringIO()
ml_client.jobs.stream(made.name, out=out)
done = ml_client.jobs.get(made.name)
steps = ml_client.jobs.list(parent_job_name=made.name)
ml_client.jobs.download(made.name, download_path="dl", output_name="model")
result({"name": made.name, "made_type": type(made).__name__, "made_status": made.status, "display_name": done.display_name,
        "experiment": done.experiment_name, "status": done.status, "settings": done.settings._to_spec(),
        "steps": sorted((s.name, type(s).__name__, s.status) for s in steps), "view": [(s["name"], s["status"]) for s in done.steps],
        "stream": out.getvalue(), "model": open("dl/named-outputs/model/model.txt").read()})
`);
    const [loaded, ran] = r.results;
    first = ran.name;
    assert.deepEqual(loaded, { type: 'PipelineJob', steps: ['prep', 'train'], compute: 'azureml:local', lr: 0.1 });
    assert.equal(ran.made_type, 'PipelineJob');
    assert.equal(ran.made_status, 'Running');
    assert.equal(ran.status, 'Completed');
    assert.equal(ran.display_name, 'from python');
    assert.equal(ran.experiment, 'py-pipes');
    assert.equal(ran.settings.continue_on_step_failure, true);
    assert.deepEqual(ran.steps, [[`${ran.name}_prep`, 'CommandJob', 'Completed'], [`${ran.name}_train`, 'CommandJob', 'Completed']]);
    assert.deepEqual(ran.view, [['prep', 'Completed'], ['train', 'Completed']]);
    assert.match(ran.stream, new RegExp(`step prep \\(${ran.name}_prep\\): Completed\\n`));
    assert.match(ran.stream, new RegExp(`step train \\(${ran.name}_train\\): Completed\\n`));
    assert.match(ran.stream, new RegExp(`pipeline ${ran.name} Completed: `));
    assert.equal(ran.model, 'rows=3 lr=0.5', "the changed input reached the component's command");
    // The step's code and the component file's code were uploaded: each step's job has its own snapshot.
    const train = await sdk.getJob(`${ran.name}_train`);
    const prep = await sdk.getJob(`${ran.name}_prep`);
    assert.ok(train.snapshot_id && prep.snapshot_id && train.snapshot_id !== prep.snapshot_id);
  });

  it("the client package's jobs.create of the file reuses what did not change; force_rerun reuses nothing; a PipelineJob built from fields runs", async () => {
    const r = await run(`
import cairn
from cairn.ml import MLClient
from cairn.ml.entities import PipelineJob
c = cairn.Client()
once = c.jobs.wait_for_completion(c.jobs.create("pipe/pipeline.yml")["name"])
twice = c.jobs.wait_for_completion(c.jobs.create("pipe/pipeline.yml")["name"])
forced = c.jobs.wait_for_completion(c.jobs.create("pipe/pipeline.yml", force_rerun=True)["name"])
built = PipelineJob(settings={"default_compute": "local"}, jobs={"hello": {"command": "echo hello from a step"}})
made = MLClient().jobs.create_or_update(built)
done = c.jobs.wait_for_completion(made.name)
reused = lambda j: [s["reused_from"] for s in j["pipeline"]["steps"]]
result({"once": once["name"], "reused": [reused(once), reused(twice), reused(forced)], "statuses": [once["status"], twice["status"], forced["status"], done["status"]],
        "hello": [l["text"] for l in c.jobs.logs(made.name + "_hello") if l["stream"] == "stdout"]})
`);
    const [got] = r.results;
    assert.deepEqual(got.statuses, ['Completed', 'Completed', 'Completed', 'Completed']);
    // The file's lr (0.1) is not the first run's (0.5): prep is the same work, train is not; then both are.
    assert.deepEqual(got.reused, [[`${first}_prep`, null], [`${first}_prep`, `${got.once}_train`], [null, null]]);
    assert.deepEqual(got.hello, ['hello from a step']);
  });

  it('refuses a bad graph with the server\'s one line, creating nothing', async () => {
    write(work, 'pipe/cycle.yml', ['type: pipeline', 'settings: {default_compute: local}', 'jobs:', '  a: {command: "true", inputs: {i: "${{parent.jobs.b.outputs.o}}"}, outputs: {o: {type: uri_folder}}}', '  b: {command: "true", inputs: {i: "${{parent.jobs.a.outputs.o}}"}, outputs: {o: {type: uri_folder}}}', ''].join('\n'));
    const before = await jobCount();
    const r = await run(`
from cairn.client import ValidationError
from cairn.ml import MLClient, load_job
try:
    MLClient().jobs.create_or_update(load_job("pipe/cycle.yml"))
except ValidationError as e:
    result({"code": e.code, "message": str(e)})
`);
    assert.equal(r.results[0].code, 'ValidationError');
    assert.match(r.results[0].message, /the steps form a cycle: (a -> b -> a|b -> a -> b)/);
    assert.equal(await jobCount(), before);
  });
});
