import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { freshDatabase, postgresUrl, type FreshDatabase } from './helpers/pg.ts';

const pg = await postgresUrl();

/** The same server on PostgreSQL: a job end to end, and a SIGKILL of the server mid-job. */
describe('cairn server --db postgres://', { skip: pg.skip }, () => {
  let db: FreshDatabase;
  let server: TestServer;
  const work = tempDir('pgjobs');
  before(async () => {
    db = await freshDatabase(pg.url!, 'cairn_e2e');
    server = new TestServer({ args: ['--db', db.url] });
    await server.start();
    await server.waitForAgent();
  });
  after(async () => {
    await server.stop();
    await db.drop();
  });

  it('runs a job, survives a server crash, and keeps every line once', async () => {
    writeFileSync(join(work, 'job.yml'), 'name: pg-job\ncommand: for i in $(seq 0 29); do echo "line $i"; sleep 0.05; done\n');
    const created = await runCli(['job', 'create', '-f', join(work, 'job.yml')], { env: server.cliEnv });
    assert.equal(created.code, 0, created.stderr);
    const status = await runCli(['server', 'status', '-o', 'json'], { env: server.cliEnv });
    assert.match(JSON.parse(status.stdout).db, /^postgres:\/\/.*cairn_e2e/);
    await waitFor('output', async () => (await runCli(['job', 'show', '-n', 'pg-job', '-o', 'json'], { env: server.cliEnv })).stdout.includes('"Running"'));
    await server.kill('SIGKILL');
    await server.start();
    const stream = await runCli(['job', 'stream', '-n', 'pg-job'], { env: server.cliEnv });
    assert.equal(stream.code, 0, stream.stderr);
    assert.deepEqual(stream.stdout.trimEnd().split('\n'), Array.from({ length: 30 }, (_, i) => `line ${i}`));
  });

  it("tracks through the MLflow API: the job's run, concurrent batches, history, search", async () => {
    const job = JSON.parse((await runCli(['job', 'show', '-n', 'pg-job', '-o', 'json'], { env: server.cliEnv })).stdout);
    const api = `${server.url}/api/2.0/mlflow`;
    const post = (path: string, body: unknown) => fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Concurrent writers to one series take the series row lock in turn: every point lands once, in order per batch.
    const sent = await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        post('/runs/log-batch', { run_id: job.id, params: [{ key: 'lr', value: '0.1' }], metrics: Array.from({ length: 100 }, (_, i) => ({ key: 'loss', value: w * 100 + i, timestamp: 1, step: w * 100 + i })) }),
      ),
    );
    assert.deepEqual(sent.map((r) => r.status), Array(8).fill(200));
    const hist = await (await fetch(`${api}/metrics/get-history?run_id=${job.id}&metric_key=loss&max_results=300`)).json();
    assert.equal(hist.metrics.length, 300);
    const all: number[] = [...hist.metrics.map((m: { step: number }) => m.step)];
    const rest = await (await fetch(`${api}/metrics/get-history?run_id=${job.id}&metric_key=loss&page_token=${hist.next_page_token}`)).json();
    all.push(...rest.metrics.map((m: { step: number }) => m.step));
    assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: 800 }, (_, i) => i));
    const run = await (await fetch(`${api}/runs/get?run_id=${job.id}`)).json();
    assert.equal(run.run.info.status, 'FINISHED');
    assert.deepEqual(run.run.data.metrics.map((m: { key: string; step: number }) => [m.key, m.step]), [['loss', 799]]);
    const found = await (await post('/runs/search', { experiment_ids: [run.run.info.experiment_id], filter: 'metrics.loss >= 799' })).json();
    assert.deepEqual(found.runs.map((r: { info: { run_id: string } }) => r.info.run_id), [job.id]);
  });
  it('runs a sweep: trials made by the sweeper, ranked by what they logged, the best named', async () => {
    writeFileSync(join(work, 'score.py'), 'import os, cairn\ncairn.log_metric("score", float(os.environ["AZUREML_SWEEP_x"]) * 2)\n');
    writeFileSync(
      join(work, 'sweep.yml'),
      ['type: sweep', 'name: pg-sweep', 'trial: {code: ., command: "/usr/bin/python3 score.py # ${{search_space.x}}"}', 'search_space: {x: {type: choice, values: [1, 3, 2]}}', 'sampling_algorithm: grid', 'objective: {primary_metric: score, goal: maximize}', 'limits: {max_concurrent_trials: 2}'].join('\n'),
    );
    const created = await runCli(['job', 'create', '-f', join(work, 'sweep.yml')], { env: server.cliEnv, cwd: work });
    assert.equal(created.code, 0, created.stderr);
    const s = await waitFor('sweep ended', async () => {
      const j = JSON.parse((await runCli(['job', 'show', '-n', 'pg-sweep', '-o', 'json'], { env: server.cliEnv })).stdout);
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) && j;
    }, 120_000);
    assert.equal(s.status, 'Completed', s.status_reason);
    assert.deepEqual(s.sweep.trials.map((t: { value: number }) => t.value), [6, 4, 2]);
    assert.equal(s.sweep.best.params.x, 3);
    const trials = JSON.parse((await runCli(['job', 'list', '--parent', 'pg-sweep', '-o', 'json'], { env: server.cliEnv })).stdout);
    assert.equal(trials.length, 3);
  });
});
