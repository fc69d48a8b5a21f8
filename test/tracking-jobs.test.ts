// Jobs are MLflow runs: a real job on `local`, logging through the stdlib `cairn` module that
// every job finds on its PYTHONPATH (run with Debian's own /usr/bin/python3, nothing installed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, json } from './helpers/cairn.ts';

const TRAIN = `
import json, os, cairn
cairn.log_param("lr", 0.01)
cairn.log_params({"batch": 32, "opt": "adam"})
cairn.set_tag("team", "vision")
for i in range(5000):
    cairn.log_metric("loss", 1.0 / (i + 1), step=i)
run = cairn.Run.get_context()
run.log("acc", 0.5)
run.log("acc", 0.75)
cairn.log_metric("weird", float("nan"), step=1)
cairn.log_text("hello notes", "notes/summary.txt")
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.json", "w") as f:
    json.dump({"w": [1, 2, 3]}, f)
print("env", os.environ["MLFLOW_RUN_ID"] == os.environ["CAIRN_JOB_ID"], os.environ["MLFLOW_EXPERIMENT_ID"])
print("done", flush=True)
`;

describe('jobs are MLflow runs, and the cairn module logs into them', () => {
  const server = new TestServer();
  const work = tempDir('track');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work });
  const mlflow = (path: string) => json(`${server.url}/api/2.0/mlflow${path}`);

  before(async () => {
    await server.start();
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'train.py'), TRAIN);
    writeFileSync(join(work, 'job.yml'), 'command: /usr/bin/python3 train.py\ncode: ./src\nexperiment_name: tracked\n');
    writeFileSync(join(work, 'fail.yml'), 'command: exit 3\nexperiment_name: tracked\n');
    writeFileSync(join(work, 'src', 'steady.py'), 'import time, cairn\nfor i in range(400):\n    cairn.log_metric("tick", i, step=i)\n    time.sleep(0.01)\nprint("logged", flush=True)\n');
    writeFileSync(join(work, 'steady.yml'), 'command: /usr/bin/python3 steady.py\ncode: ./src\nexperiment_name: tracked\nenvironment_variables: {CAIRN_FLUSH_TIMEOUT: "60"}\n');
  });
  after(() => server?.stop());

  it('a job logs params, tags, 5,000 points, Azure-style run.log, text and outputs, all under its run', async () => {
    const r = await cli(['job', 'create', '-f', 'job.yml', '--stream', '-n', 'tracked-1', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const show = JSON.parse((await cli(['job', 'show', '-n', 'tracked-1', '-o', 'json'])).stdout);
    assert.equal(show.status, 'Completed');
    const exp = await mlflow('/experiments/get-by-name?experiment_name=tracked');
    assert.equal(exp.status, 200);
    const expId = exp.body.experiment.experiment_id;
    assert.match(r.stdout + r.stderr, new RegExp(`env True ${expId}`));

    const run = (await mlflow(`/runs/get?run_id=${show.id}`)).body.run;
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.experiment_id, expId);
    assert.equal(run.info.run_name, show.display_name);
    const params = Object.fromEntries(run.data.params.map((p: { key: string; value: string }) => [p.key, p.value]));
    assert.deepEqual(params, { lr: '0.01', batch: '32', opt: 'adam' });
    const tags = Object.fromEntries(run.data.tags.map((p: { key: string; value: string }) => [p.key, p.value]));
    assert.equal(tags.team, 'vision');
    assert.equal(tags['mlflow.source.type'], 'JOB');
    const metrics = Object.fromEntries(run.data.metrics.map((m: { key: string }) => [m.key, m]));
    assert.equal(metrics.loss.step, 4999);
    assert.equal(metrics.loss.value, 1 / 5000);
    assert.deepEqual([metrics.acc.value, metrics.acc.step], [0.75, 1]);
    assert.equal(metrics.weird.value, 'NaN');

    const hist = await mlflow(`/metrics/get-history?run_id=${show.id}&metric_key=loss&max_results=25000`);
    assert.equal(hist.body.metrics.length, 5000);
    assert.deepEqual(hist.body.metrics.slice(0, 2).map((m: { step: number; value: number }) => [m.step, m.value]), [[0, 1], [1, 0.5]]);

    const root = await json(`${server.url}/api/2.0/mlflow-artifacts/artifacts?path=${expId}/${show.id}/artifacts`);
    assert.deepEqual(root.body.files.map((f: { path: string; is_dir: boolean }) => [f.path, f.is_dir]), [['notes', true], ['outputs', true]]);
    const model = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${expId}/${show.id}/artifacts/outputs/model.json`);
    assert.deepEqual(await model.json(), { w: [1, 2, 3] });
    const notes = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${expId}/${show.id}/artifacts/notes/summary.txt`);
    assert.equal(await notes.text(), 'hello notes');

    // The same files through Cairn's own job API, with what a viewer needs to preview them.
    const arts = (await json(`${server.url}/api/v1/workspaces/default/jobs/tracked-1/artifacts`)).body;
    assert.deepEqual(
      arts.map((a: { path: string; content_type: string; preview: string | null }) => [a.path, a.content_type, a.preview]),
      [['notes/summary.txt', 'text/plain', 'text'], ['outputs/model.json', 'application/json', 'json']],
    );
    const head = await fetch(`${server.url}/api/v1/workspaces/default/jobs/tracked-1/artifacts/content?path=outputs/model.json&max_bytes=5`);
    assert.equal(head.headers.get('x-cairn-truncated'), 'true');
    assert.equal(await head.text(), '{"w":');
  });

  it("a failed job's run is FAILED; runs of the experiment are found by search", async () => {
    const r = await cli(['job', 'create', '-f', 'fail.yml', '--stream', '-n', 'tracked-2']);
    assert.notEqual(r.code, 0);
    const job = JSON.parse((await cli(['job', 'show', '-n', 'tracked-2', '-o', 'json'])).stdout);
    const run = (await mlflow(`/runs/get?run_id=${job.id}`)).body.run;
    assert.equal(run.info.status, 'FAILED');
    assert.ok(run.info.end_time >= run.info.start_time);
    // Azure ML users know a job's name as its run id.
    assert.equal((await mlflow('/runs/get?run_id=tracked-2')).body.run.info.run_id, job.id);
    const exp = (await mlflow('/experiments/get-by-name?experiment_name=tracked')).body.experiment;
    const found = await json(`${server.url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_ids: [exp.experiment_id], filter: "attributes.status = 'FINISHED' and params.opt = 'adam'" }),
    });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.runs.map((x: { info: { run_name: string } }) => x.info.run_name), [(JSON.parse((await cli(['job', 'show', '-n', 'tracked-1', '-o', 'json'])).stdout)).display_name]);
  });

  it('a job keeps logging through a server SIGKILL: the cairn module retries, every point arrives once', async () => {
    const created = await cli(['job', 'create', '-f', 'steady.yml', '-n', 'steady-1', '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    const job = JSON.parse(created.stdout);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < 200; i++) {
      const run = await mlflow(`/runs/get?run_id=${job.id}`);
      if (run.body.run.data.metrics?.length) break;
      await sleep(25);
    }
    await server.kill('SIGKILL');
    await sleep(1500);
    await server.start();
    const done = await cli(['job', 'stream', '-n', 'steady-1']);
    assert.equal(done.code, 0, done.stderr);
    const hist = await mlflow(`/metrics/get-history?run_id=${job.id}&metric_key=tick&max_results=25000`);
    assert.deepEqual(hist.body.metrics.map((m: { step: number }) => m.step), Array.from({ length: 400 }, (_, i) => i));
  });
});
