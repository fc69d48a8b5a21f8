// The CLI's view of tracking: `job show` with params, metrics and tags, `job metrics` in every
// format (following pages past 25,000 points), and `job download` of outputs, artifacts and logs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir } from './helpers/cairn.ts';

describe('cairn job show / metrics / download with tracking data', () => {
  const server = new TestServer();
  const work = tempDir('clitrack');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work });
  let job: { id: string; name: string };
  const POINTS = 30_000;

  before(async () => {
    await server.start();
    writeFileSync(join(work, 'job.yml'), 'command: mkdir -p outputs && echo hello > outputs/model.txt && echo to-stderr >&2\nexperiment_name: clitrack\n');
    const r = await cli(['job', 'create', '-f', 'job.yml', '-n', 'ct-1', '--stream']);
    assert.equal(r.code, 0, r.stderr);
    job = JSON.parse((await cli(['job', 'show', '-n', 'ct-1', '-o', 'json'])).stdout);
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}/api/2.0/mlflow${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (let b = 0; b < POINTS / 1000; b++) {
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: 1 / (b * 1000 + i + 1), timestamp: 1_700_000_000_000 + b, step: b * 1000 + i }));
      assert.equal((await post('/runs/log-batch', { run_id: job.id, metrics })).status, 200);
    }
    await post('/runs/log-batch', {
      run_id: job.id,
      params: [{ key: 'lr', value: '0.01' }],
      tags: [{ key: 'team', value: 'vision' }],
      metrics: [{ key: 'odd', value: 'NaN', timestamp: 1_700_000_000_000, step: 3 }],
    });
    const exp = (await (await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${job.id}`)).json()).run.info.experiment_id;
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${job.id}/artifacts/plots/loss.txt`, { method: 'PUT', body: 'a plot' });
    assert.equal(put.status, 200);
  });
  after(() => server.stop());

  it('job show has params, tags and last metric values in json and readable sections in table', async () => {
    const shown = JSON.parse((await cli(['job', 'show', '-n', 'ct-1', '-o', 'json'])).stdout);
    assert.equal(shown.tracking.run_id, job.id);
    assert.deepEqual(shown.tracking.params, { lr: '0.01' });
    assert.equal(shown.tracking.tags.team, 'vision');
    assert.equal(shown.tracking.tags['mlflow.source.type'], 'JOB');
    assert.deepEqual(shown.tracking.metrics.loss, { value: 1 / POINTS, step: POINTS - 1, timestamp: 1_700_000_000_029 });
    assert.equal(shown.tracking.metrics.odd.value, 'NaN');
    const table = (await cli(['job', 'show', '-n', 'ct-1', '-o', 'table'])).stdout;
    assert.match(table, /^params:\n\s+Key\s+Value\n.*\n\s+lr\s+0\.01$/m);
    assert.match(table, /^metrics \(last value\):$/m);
    assert.match(table, new RegExp(`^\\s+loss\\s+${1 / POINTS}\\s+${POINTS - 1}$`, 'm'));
    assert.match(table, /^tags:\n.*\n.*\n\s+team\s+vision$/m);
    assert.doesNotMatch(table, /mlflow\.source\.type/);
  });

  it('job metrics: last values as table, json and csv', async () => {
    const t = await cli(['job', 'metrics', '-n', 'ct-1']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^Key\s+Value\s+Step\s+Time/);
    const j = JSON.parse((await cli(['job', 'metrics', '-n', 'ct-1', '-o', 'json'])).stdout);
    assert.equal(j.loss.step, POINTS - 1);
    const csv = (await cli(['job', 'metrics', '-n', 'ct-1', '-o', 'csv'])).stdout.trim().split('\n');
    assert.equal(csv[0], 'key,value,step,timestamp');
    assert.deepEqual(csv.slice(1).sort(), [`loss,${1 / POINTS},${POINTS - 1},1700000000029`, 'odd,NaN,3,1700000000000']);
  });

  it('job metrics --key prints every point, following pages; --buckets downsamples', async () => {
    const csv = (await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'loss', '-o', 'csv'])).stdout.trim().split('\n');
    assert.equal(csv[0], 'key,step,timestamp,value');
    assert.equal(csv.length, POINTS + 1);
    assert.equal(csv[1], 'loss,0,1700000000000,1');
    assert.equal(csv[POINTS], `loss,${POINTS - 1},1700000000029,${1 / POINTS}`);
    const j = JSON.parse((await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'loss,odd', '-o', 'json'])).stdout);
    assert.equal(j.loss.length, POINTS);
    assert.deepEqual(j.odd, [{ step: 3, timestamp: 1_700_000_000_000, value: 'NaN' }]);
    const b = JSON.parse((await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'loss', '--buckets', '3', '-o', 'json'])).stdout);
    assert.deepEqual(b.loss.map((x: { count: number }) => x.count), [10_000, 10_000, 10_000]);
    assert.deepEqual(b.loss[0], { start_step: 0, end_step: 9999, count: 10_000, min: 1 / 10_000, max: 1, last: 1 / 10_000, last_step: 9999 });
    const bt = await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'loss', '--buckets', '3']);
    assert.match(bt.stdout, /^loss\s+0-9999\s+10000\s/m);
  });

  it('job metrics refuses an unknown key, a bad --buckets and --buckets without --key, one line each', async () => {
    for (const [args, msg] of [
      [['--key', 'nope'], /job 'ct-1' has no metric 'nope'; its metrics: loss, odd/],
      [['--key', 'loss', '--buckets', '0'], /--buckets: expected a positive whole number, got '0'/],
      [['--buckets', '5'], /--buckets needs --key/],
    ] as const) {
      const r = await cli(['job', 'metrics', '-n', 'ct-1', ...args]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('job download: --outputs, --logs, and the default of every artifact and the logs', async () => {
    const dl = (flag: string[], dir: string) => cli(['job', 'download', '-n', 'ct-1', '--download-path', join(work, dir), ...flag]);
    assert.equal((await dl(['--outputs'], 'o')).code, 0);
    assert.equal(readFileSync(join(work, 'o', 'ct-1', 'outputs', 'model.txt'), 'utf8'), 'hello\n');
    assert.ok(!existsSync(join(work, 'o', 'ct-1', 'plots')) && !existsSync(join(work, 'o', 'ct-1', 'logs')));
    assert.equal((await dl(['--logs'], 'l')).code, 0);
    assert.equal(readFileSync(join(work, 'l', 'ct-1', 'logs', 'stderr.txt'), 'utf8'), 'to-stderr\n');
    assert.ok(!existsSync(join(work, 'l', 'ct-1', 'outputs')));
    const all = await dl([], 'a');
    assert.match(all.stderr, /downloaded 5 files/);
    assert.equal(readFileSync(join(work, 'a', 'ct-1', 'plots', 'loss.txt'), 'utf8'), 'a plot');
    assert.ok(existsSync(join(work, 'a', 'ct-1', 'outputs', 'model.txt')) && existsSync(join(work, 'a', 'ct-1', 'logs', 'std_log.txt')));
  });
});
