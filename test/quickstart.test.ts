import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, runCli, tempDir, freePort } from './helpers/cairn.ts';

/** `npm run quickstart` on a fresh data folder: the CLI starts its own background server. */
describe('quickstart', () => {
  it('starts the embedded server, runs the example job to completion and says how to look at it', async () => {
    const env = { ...process.env, CAIRN_HOME: tempDir('home'), CAIRN_PORT: String(await freePort()), CAIRN_SERVER: '' };
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'quickstart.ts')], { env, encoding: 'utf8', timeout: 120_000 });
    try {
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /started a local Cairn server at http:\/\/127\.0\.0\.1:\d+ \(data in /);
      assert.match(r.stdout, /epoch  20  loss \d\.\d+  accuracy 0\.\d+/);
      assert.match(r.stdout, /final status: Completed/);
      const name = /job name:\s+(\S+)/.exec(r.stdout)![1];
      assert.match(r.stdout, new RegExp(`npx cairn job show -n ${name}`));
      const job = JSON.parse((await runCli(['job', 'show', '-n', name, '-o', 'json'], { env })).stdout);
      assert.equal(job.experiment_name, 'quickstart');
      assert.equal(job.compute, 'local');
      assert.deepEqual(job.outputs_collected.map((o: { path: string }) => o.path), ['outputs/model.json']);
      const status = await runCli(['server', 'status', '-o', 'json'], { env });
      assert.match(JSON.parse(status.stdout).db, /^sqlite:.*cairn\.db$/);
      // The real tracking address, and a command that reads the job's run with MLflow's client.
      const url = JSON.parse(status.stdout).url as string;
      assert.ok(r.stdout.includes(`tracking URI: ${url}\n`), r.stdout);
      assert.ok(r.stdout.includes(`MLFLOW_TRACKING_URI=${url} python3 -c 'import mlflow; print(mlflow.get_run("${job.id}").data.metrics)'`), r.stdout);
      // The example logs through the cairn module: its run carries the params and the last epoch's metrics.
      const run = (await (await fetch(`${JSON.parse(status.stdout).url}/api/2.0/mlflow/runs/get?run_id=${name}`)).json()).run;
      assert.deepEqual(run.data.params.find((p: { key: string }) => p.key === 'epochs'), { key: 'epochs', value: '20' });
      assert.equal(run.data.metrics.find((m: { key: string }) => m.key === 'loss').step, 20);
    } finally {
      const stop = await runCli(['server', 'stop'], { env });
      assert.equal(stop.code, 0, stop.stderr);
    }
  });
});
