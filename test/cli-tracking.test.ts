// The CLI's view of tracking: `job show` with params, metrics and tags, `job metrics` in every
// format (following pages past 25,000 points), and `job download` of outputs, artifacts and logs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadJob, downloadSelection, logFiles } from '../src/cli/download.ts';
import type { CairnClient } from '../src/sdk/client.ts';
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
      metrics: [
        { key: 'odd', value: 'NaN', timestamp: 1_700_000_000_000, step: 3 },
        { key: 'train/acc', value: 0.5, timestamp: 1_700_000_000_000, step: 0 },
        { key: 'train/acc', value: 'Infinity', timestamp: 1_700_000_000_001, step: 1 },
      ],
    });
    const exp = (await (await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${job.id}`)).json()).run.info.experiment_id;
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${job.id}/artifacts/plots/loss.txt`, { method: 'PUT', body: 'a plot' });
    assert.equal(put.status, 200);
  });
  after(() => server?.stop());

  it('job show has params, tags and last metric values in json and readable sections in table', async () => {
    const shown = JSON.parse((await cli(['job', 'show', '-n', 'ct-1', '-o', 'json'])).stdout);
    assert.equal(shown.tracking.run_id, job.id);
    assert.deepEqual(shown.tracking.params, { lr: '0.01' });
    assert.equal(shown.tracking.tags.team, 'vision');
    assert.equal(shown.tracking.tags['mlflow.source.type'], 'JOB');
    assert.deepEqual(shown.tracking.metrics.loss, { value: 1 / POINTS, step: POINTS - 1, timestamp: 1_700_000_000_029 });
    assert.equal(shown.tracking.metrics.odd.value, 'NaN');
    assert.deepEqual(shown.tracking.metrics['train/acc'], { value: 'Infinity', step: 1, timestamp: 1_700_000_000_001 });
    const yaml = (await cli(['job', 'show', '-n', 'ct-1', '-o', 'yaml'])).stdout;
    assert.match(yaml, /^tracking:\n {2}run_id: /m);
    assert.match(yaml, /^ {4}mlflow\.source\.type: JOB$/m);
    // `list` stays one request: no tracking per job.
    const listed = JSON.parse((await cli(['job', 'list', '-o', 'json'])).stdout);
    assert.equal(listed[0].name, 'ct-1');
    assert.equal(listed[0].tracking, undefined);
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
    assert.deepEqual(csv.slice(1).sort(), [`loss,${1 / POINTS},${POINTS - 1},1700000000029`, 'odd,NaN,3,1700000000000', 'train/acc,Infinity,1,1700000000001']);
    const y = await cli(['job', 'metrics', '-n', 'ct-1', '-o', 'yaml']);
    assert.match(y.stdout, /^odd:\n {2}value: NaN\n {2}step: 3$/m);
  });

  it('-o csv is for job metrics only; a format nothing takes is one clear line', async () => {
    const list = await cli(['job', 'list', '-o', 'csv']);
    assert.notEqual(list.code, 0);
    assert.equal(list.stderr.trim(), "error: unknown output format 'csv': use json, yaml or table");
    const xml = await cli(['job', 'metrics', '-n', 'ct-1', '-o', 'xml']);
    assert.notEqual(xml.code, 0);
    assert.equal(xml.stderr.trim(), "error: unknown output format 'xml': job metrics takes table, json, yaml or csv");
    assert.equal((await cli(['job', 'metrics', '-n', 'ct-1', '-o', 'CSV'])).code, 0);
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
    // A key with a slash (as MLflow users name them), repeated --key, and the table of every point.
    const t = await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'train/acc', '--key', 'odd']);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(t.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)), [
      ['Key', 'Step', 'Value', 'Time'],
      ['---------', '----', '--------', '-----------------------'],
      ['train/acc', '0', '0.5', '2023-11-14 22:13:20.000'],
      ['train/acc', '1', 'Infinity', '2023-11-14 22:13:20.001'],
      ['odd', '3', 'NaN', '2023-11-14 22:13:20.000'],
    ]);
    const bc = (await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'loss', '--buckets', '2', '-o', 'csv'])).stdout.trim().split('\n');
    assert.equal(bc[0], 'key,start_step,end_step,count,min,max,last,last_step');
    assert.equal(bc[1], `loss,0,14999,15000,${1 / 15_000},1,${1 / 15_000},14999`);
    assert.equal(bc.length, 3);
    const bt = await cli(['job', 'metrics', '-n', 'ct-1', '--key', 'loss', '--buckets', '3']);
    assert.match(bt.stdout, /^loss\s+0-9999\s+10000\s/m);
  });

  it('job metrics refuses an unknown key, a bad --buckets and --buckets without --key, one line each', async () => {
    for (const [args, msg] of [
      [['--key', 'nope'], /^error: job 'ct-1' has no metric 'nope'; its metrics: loss, odd, train\/acc$/m],
      [['--key', 'loss,nope,constructor'], /job 'ct-1' has no metrics 'nope', 'constructor'; its metrics/],
      [['--key', ','], /--key: expected a metric name/],
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
    assert.equal(readFileSync(join(work, 'l', 'ct-1', 'logs', 'stdout.txt'), 'utf8'), '');
    assert.equal(readFileSync(join(work, 'l', 'ct-1', 'logs', 'std_log.txt'), 'utf8'), 'to-stderr\n');
    // One attempt: no per-attempt folders.
    assert.deepEqual(readdirSync(join(work, 'l', 'ct-1', 'logs')).sort(), ['std_log.txt', 'stderr.txt', 'stdout.txt']);
    assert.ok(!existsSync(join(work, 'l', 'ct-1', 'outputs')));
    const both = await dl(['--outputs', '--logs'], 'b');
    assert.match(both.stderr, /^downloaded 4 files \(26 B\) to .*b\/ct-1$/m);
    assert.ok(!existsSync(join(work, 'b', 'ct-1', 'plots')));
    const all = await dl([], 'a');
    assert.match(all.stderr, /^downloaded 5 files \(32 B\) to /m);
    assert.deepEqual((await dl(['--all'], 'a')).stderr, all.stderr);
    assert.equal(readFileSync(join(work, 'a', 'ct-1', 'plots', 'loss.txt'), 'utf8'), 'a plot');
    assert.ok(existsSync(join(work, 'a', 'ct-1', 'outputs', 'model.txt')) && existsSync(join(work, 'a', 'ct-1', 'logs', 'std_log.txt')));
    const help = (await cli(['job', 'download', '--help'])).stdout;
    assert.match(help, /logs\/std_log\.txt/);
    assert.match(help, /logs\/attempt-<n>\//);
  });
});

describe('job download, without a server', () => {
  const line = (seq: number, attempt: number, stream: 'stdout' | 'stderr', text: string) => ({ seq, attempt, rank: 0, stream, ts: '2026-01-01T00:00:00Z', text });
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const fake = (files: Record<string, { body: string; sha256?: string }>, lines: ReturnType<typeof line>[]) =>
    ({
      artifacts: async () => Object.entries(files).map(([path, f]) => ({ path, size: f.body.length, sha256: f.sha256 ?? sha(f.body) })),
      artifactStream: async (_job: string, path: string) => (async function* () {
        yield Buffer.from(files[path].body);
      })(),
      logs: async () => lines,
    }) as unknown as CairnClient;

  it('a job that ran twice gets every attempt in logs/ and each attempt in logs/attempt-<n>/', () => {
    const files = Object.fromEntries(
      logFiles([line(1, 1, 'stdout', 'a1 out'), line(2, 1, 'stderr', 'a1 err'), line(3, 2, 'stdout', 'a2 out')]).map((f) => [f.path, f.text]),
    );
    assert.deepEqual(files, {
      'logs/std_log.txt': 'a1 out\na1 err\na2 out\n',
      'logs/stdout.txt': 'a1 out\na2 out\n',
      'logs/stderr.txt': 'a1 err\n',
      'logs/attempt-1/std_log.txt': 'a1 out\na1 err\n',
      'logs/attempt-1/stdout.txt': 'a1 out\n',
      'logs/attempt-1/stderr.txt': 'a1 err\n',
      'logs/attempt-2/std_log.txt': 'a2 out\n',
      'logs/attempt-2/stdout.txt': 'a2 out\n',
      'logs/attempt-2/stderr.txt': '',
    });
    assert.deepEqual(downloadSelection({}), { artifacts: 'all', logs: true });
    assert.deepEqual(downloadSelection({ outputs: true }), { artifacts: 'outputs', logs: false });
    assert.deepEqual(downloadSelection({ logs: true }), { artifacts: 'none', logs: true });
    assert.deepEqual(downloadSelection({ outputs: true, all: true }), { artifacts: 'all', logs: true });
  });

  it('a damaged artifact fails the download and leaves no file behind', async () => {
    const root = tempDir('dl-damaged');
    const client = fake({ 'outputs/ok.txt': { body: 'fine' }, 'outputs/bad.txt': { body: 'bytes', sha256: sha('other bytes') } }, []);
    await assert.rejects(downloadJob(client, 'j', root, { artifacts: 'all', logs: false }), /artifact 'outputs\/bad\.txt' arrived damaged/);
    assert.deepEqual(readdirSync(join(root, 'outputs')), ['ok.txt']);
  });

  it('a logged artifact where a log file goes is kept, with a warning', async () => {
    const root = tempDir('dl-clash');
    const warnings: string[] = [];
    const client = fake({ 'logs/stdout.txt': { body: 'mine' } }, [line(1, 1, 'stdout', 'printed')]);
    const r = await downloadJob(client, 'j', root, { artifacts: 'all', logs: true }, (w) => warnings.push(w));
    assert.equal(readFileSync(join(root, 'logs', 'stdout.txt'), 'utf8'), 'mine');
    assert.equal(readFileSync(join(root, 'logs', 'std_log.txt'), 'utf8'), 'printed\n');
    assert.deepEqual(r, { files: 3, bytes: 4 + 8 + 0 });
    assert.match(warnings.join('\n'), /artifact at 'logs\/stdout\.txt': kept it and skipped the log/);
  });
});
