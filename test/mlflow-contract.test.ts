// The MLflow REST API contract (shared/reference/mlflow/API.md) against a real Cairn server:
// every endpoint, MLflow's limits, key rules, truncation and error bodies, and job tokens.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, json, runCli, tempDir } from './helpers/cairn.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Res = { status: number; body: any };

function api(base: () => string, token?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) });
  return {
    get: (path: string, q: Record<string, string | number> = {}): Promise<Res> =>
      json(`${base()}/api/2.0/mlflow${path}?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]))}`, { headers: headers() }),
    post: (path: string, body: unknown): Promise<Res> =>
      json(`${base()}/api/2.0/mlflow${path}`, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) }),
  };
}

const err = (r: Res, status: number, code: string, message?: RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error_code, code);
  if (message) assert.match(r.body.message, message);
};

describe('MLflow REST API contract', () => {
  const server = new TestServer();
  const m = api(() => server.url);
  let exp = '';
  let run = '';
  const T = 1_700_000_000_000;

  before(async () => {
    await server.start();
    const c = await m.post('/experiments/create', { name: 'contract', tags: [{ key: 'owner', value: 'me' }] });
    exp = c.body.experiment_id;
    const r = await m.post('/runs/create', { experiment_id: exp, user_id: 'me', run_name: 'first', start_time: T, tags: [{ key: 'mlflow.user', value: 'me' }] });
    run = r.body.run.info.run_id;
  });
  after(() => server.stop());

  it('experiments: Default is 0; create, get, get-by-name, duplicate, tags, rename, delete and restore', async () => {
    assert.equal((await m.get('/experiments/get', { experiment_id: 0 })).body.experiment.name, 'Default');
    const e = (await m.get('/experiments/get-by-name', { experiment_name: 'contract' })).body.experiment;
    assert.deepEqual({ ...e, creation_time: 0, last_update_time: 0 }, {
      experiment_id: exp,
      name: 'contract',
      artifact_location: `mlflow-artifacts:/${exp}`,
      lifecycle_stage: 'active',
      creation_time: 0,
      last_update_time: 0,
      tags: [{ key: 'owner', value: 'me' }],
    });
    err(await m.post('/experiments/create', { name: 'contract' }), 400, 'RESOURCE_ALREADY_EXISTS');
    err(await m.post('/experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', /Missing value for required parameter 'name'/);
    err(await m.get('/experiments/get', { experiment_id: 'abc' }), 404, 'RESOURCE_DOES_NOT_EXIST', /No Experiment with id=abc exists/);
    err(await m.get('/experiments/get-by-name', { experiment_name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST', /Could not find experiment with name 'nope'/);
    const other = (await m.post('/experiments/create', { name: 'other' })).body.experiment_id;
    assert.equal((await m.post('/experiments/set-experiment-tag', { experiment_id: other, key: 'k', value: 'v' })).status, 200);
    assert.equal((await m.post('/experiments/update', { experiment_id: other, new_name: 'renamed' })).status, 200);
    err(await m.post('/experiments/update', { experiment_id: other, new_name: 'contract' }), 400, 'RESOURCE_ALREADY_EXISTS');
    assert.equal((await m.post('/experiments/delete', { experiment_id: other })).status, 200);
    err(await m.post('/runs/create', { experiment_id: other }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    err(await m.post('/experiments/delete', { experiment_id: '0' }), 400, 'INVALID_PARAMETER_VALUE');
    const active = await m.post('/experiments/search', { filter: "name LIKE 're%'" });
    assert.equal(active.body.experiments, undefined, 'deleted experiments are not active');
    const deleted = await m.post('/experiments/search', { filter: "name LIKE 're%'", view_type: 'DELETED_ONLY' });
    assert.deepEqual(deleted.body.experiments.map((x: { name: string; tags: unknown }) => [x.name, x.tags]), [['renamed', [{ key: 'k', value: 'v' }]]]);
    assert.equal((await m.post('/experiments/restore', { experiment_id: other })).status, 200);
    const page = await m.get('/experiments/search', { max_results: 2 });
    assert.equal(page.body.experiments.length, 2);
    const rest = await m.get('/experiments/search', { max_results: 2, page_token: page.body.next_page_token });
    assert.equal(rest.body.experiments.length, 1);
    assert.equal(rest.body.next_page_token, undefined);
  });

  it('runs: create echoes tags and sets the run name; get, update, delete, restore', async () => {
    const r = (await m.get('/runs/get', { run_id: run, run_uuid: run })).body.run;
    assert.equal(r.info.run_uuid, run);
    assert.equal(r.info.status, 'RUNNING');
    assert.equal(r.info.artifact_uri, `mlflow-artifacts:/${exp}/${run}/artifacts`);
    assert.deepEqual(r.data.tags, [{ key: 'mlflow.runName', value: 'first' }, { key: 'mlflow.user', value: 'me' }]);
    const named = (await m.post('/runs/create', { experiment_id: exp, tags: [{ key: 'mlflow.runName', value: 'from-tag' }] })).body.run;
    assert.equal(named.info.run_name, 'from-tag');
    const u = await m.post('/runs/update', { run_id: named.info.run_id, run_uuid: named.info.run_id, status: 'FINISHED', end_time: T + 5, run_name: 'renamed' });
    assert.deepEqual([u.body.run_info.status, u.body.run_info.end_time, u.body.run_info.run_name], ['FINISHED', T + 5, 'renamed']);
    err(await m.post('/runs/update', { run_id: named.info.run_id, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
    assert.equal((await m.post('/runs/log-metric', { run_id: named.info.run_id, key: 'after', value: 1, timestamp: T })).status, 200, 'a FINISHED run still takes logs');
    assert.equal((await m.post('/runs/delete', { run_id: named.info.run_id })).status, 200);
    err(await m.post('/runs/log-metric', { run_id: named.info.run_id, key: 'x', value: 1, timestamp: T }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state\. Current state is deleted/);
    assert.equal((await m.post('/runs/restore', { run_id: named.info.run_id })).status, 200);
    assert.equal((await m.post('/runs/log-metric', { run_id: named.info.run_id, key: 'x', value: 1, timestamp: T })).status, 200);
    err(await m.get('/runs/get', { run_id: '00000000000000000000000000000000' }), 404, 'RESOURCE_DOES_NOT_EXIST', /Run with id=0{32} not found/);
    err(await m.get('/runs/get', { run_id: 'bad id!' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('log calls: values, NaN and infinities, params are immutable, tags overwrite and delete', async () => {
    for (const [i, [value, back]] of ([[1.5, 1.5], ['NaN', 'NaN'], ['Infinity', 'Infinity'], ['-Infinity', '-Infinity'], ['2.5', 2.5]] as const).entries()) {
      const key = `v${i}`;
      assert.equal((await m.post('/runs/log-metric', { run_id: run, key, value, timestamp: T, step: 1, dataset_name: 'ignored' })).status, 200);
      const h = await m.get('/metrics/get-history', { run_id: run, metric_key: key });
      assert.deepEqual(h.body.metrics, [{ key, value: back, timestamp: T, step: 1 }]);
    }
    err(await m.post('/runs/log-metric', { run_id: run, key: 'm', value: 'abc', timestamp: T }), 400, 'INVALID_PARAMETER_VALUE', /Invalid value "abc" for parameter 'value'/);
    err(await m.post('/runs/log-metric', { run_id: run, key: 'm', value: 1 }), 400, 'INVALID_PARAMETER_VALUE', /Missing value for required parameter 'timestamp'/);
    err(await m.post('/runs/log-metric', { key: 'm', value: 1, timestamp: T }), 400, 'INVALID_PARAMETER_VALUE', /'run_id'/);
    assert.equal((await m.post('/runs/log-parameter', { run_id: run, key: 'lr', value: '0.1' })).status, 200);
    assert.equal((await m.post('/runs/log-parameter', { run_id: run, key: 'lr', value: '0.1' })).status, 200);
    err(await m.post('/runs/log-parameter', { run_id: run, key: 'lr', value: '0.2' }), 400, 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed\. Param with key='lr' was already logged with value='0\.1'/);
    assert.equal((await m.post('/runs/set-tag', { run_id: run, key: 't', value: '1' })).status, 200);
    assert.equal((await m.post('/runs/set-tag', { run_id: run, key: 't', value: '2' })).status, 200);
    assert.ok((await m.get('/runs/get', { run_id: run })).body.run.data.tags.some((t: { key: string; value: string }) => t.key === 't' && t.value === '2'));
    assert.equal((await m.post('/runs/delete-tag', { run_id: run, key: 't' })).status, 200);
    err(await m.post('/runs/delete-tag', { run_id: run, key: 't' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('keys: MLflow characters and paths that resolve to themselves, 250 characters at most; long values are cut', async () => {
    for (const key of ['../bad', '/abs', 'a/./b', 'a//b', 'bad!char', '', 'k'.repeat(251)]) {
      const r = await m.post('/runs/log-batch', { run_id: run, params: [{ key, value: '1' }] });
      err(r, 400, 'INVALID_PARAMETER_VALUE');
    }
    for (const key of ['ok/path:with space-and.dots_1', 'k'.repeat(250)]) assert.equal((await m.post('/runs/set-tag', { run_id: run, key, value: '1' })).status, 200);
    await m.post('/runs/log-parameter', { run_id: run, key: 'long', value: 'x'.repeat(9000) });
    await m.post('/runs/set-tag', { run_id: run, key: 'long', value: 'y'.repeat(9000) });
    const data = (await m.get('/runs/get', { run_id: run })).body.run.data;
    assert.equal(data.params.find((p: { key: string }) => p.key === 'long').value.length, 6000);
    assert.equal(data.tags.find((p: { key: string }) => p.key === 'long').value.length, 8000);
  });

  it('log-batch limits: 1000 metrics, 100 params, 100 tags, 1000 in total; duplicate param keys', async () => {
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: 'b', value: i, timestamp: T, step: i, run_id: run }));
    const kv = (n: number, p = 'k') => Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: 'v' }));
    err(await m.post('/runs/log-batch', { run_id: run, metrics: metrics(1001) }), 400, 'INVALID_PARAMETER_VALUE', /at most 1000 metrics\. Got 1001 metrics/);
    err(await m.post('/runs/log-batch', { run_id: run, params: kv(101) }), 400, 'INVALID_PARAMETER_VALUE', /at most 100 params\. Got 101 params/);
    err(await m.post('/runs/log-batch', { run_id: run, tags: kv(101) }), 400, 'INVALID_PARAMETER_VALUE', /at most 100 tags/);
    err(await m.post('/runs/log-batch', { run_id: run, metrics: metrics(950), params: kv(100, 'p') }), 400, 'INVALID_PARAMETER_VALUE', /in total\. Got 1050/);
    err(await m.post('/runs/log-batch', { run_id: run, params: [{ key: 'd', value: '1' }, { key: 'd', value: '2' }] }), 400, 'INVALID_PARAMETER_VALUE', /Duplicate parameter keys/);
    assert.equal((await m.post('/runs/log-batch', { run_id: run, metrics: metrics(1000) })).status, 200);
    assert.equal((await m.get('/metrics/get-history', { run_id: run, metric_key: 'b' })).body.metrics.length, 1000);
  });

  it('get-history pages in logging order; runs/get has only the latest point per key', async () => {
    const points = [{ step: 5, ts: T + 1, v: 1 }, { step: 2, ts: T + 9, v: 2 }, { step: 5, ts: T + 3, v: 3 }, { step: 4, ts: T, v: 4 }];
    for (const p of points) await m.post('/runs/log-metric', { run_id: run, key: 'h', value: p.v, timestamp: p.ts, step: p.step });
    const first = await m.get('/metrics/get-history', { run_id: run, metric_key: 'h', max_results: 3 });
    assert.deepEqual(first.body.metrics.map((x: { value: number }) => x.value), [1, 2, 3]);
    const second = await m.get('/metrics/get-history', { run_id: run, metric_key: 'h', max_results: 3, page_token: first.body.next_page_token });
    assert.deepEqual(second.body, { metrics: [{ key: 'h', value: 4, timestamp: T, step: 4 }] });
    assert.deepEqual((await m.get('/metrics/get-history', { run_id: run, metric_key: 'none' })).body, {});
    err(await m.get('/metrics/get-history', { run_id: run, metric_key: 'h', page_token: 'garbage!' }), 400, 'INVALID_PARAMETER_VALUE');
    const latest = (await m.get('/runs/get', { run_id: run })).body.run.data.metrics.find((x: { key: string }) => x.key === 'h');
    assert.deepEqual(latest, { key: 'h', value: 3, timestamp: T + 3, step: 5 });
  });

  it('runs/search: filters on params, metrics, tags and attributes, order, paging, limits', async () => {
    const e = (await m.post('/experiments/create', { name: 'search' })).body.experiment_id;
    for (let i = 0; i < 5; i++) {
      const id = (await m.post('/runs/create', { experiment_id: e, run_name: `r${i}`, start_time: T + i })).body.run.info.run_id;
      await m.post('/runs/log-batch', { run_id: id, metrics: [{ key: 'acc', value: i / 10, timestamp: T, step: 0 }], params: [{ key: 'opt', value: i % 2 ? 'adam' : 'sgd' }], tags: [{ key: 'i', value: String(i) }] });
      if (i === 4) await m.post('/runs/update', { run_id: id, status: 'FINISHED' });
    }
    const names = (r: Res) => (r.body.runs ?? []).map((x: { info: { run_name: string } }) => x.info.run_name);
    assert.deepEqual(names(await m.post('/runs/search', { experiment_ids: [e] })), ['r4', 'r3', 'r2', 'r1', 'r0'], 'newest first');
    assert.deepEqual(names(await m.post('/runs/search', { experiment_ids: [e], filter: "params.opt = 'adam'" })), ['r3', 'r1']);
    assert.deepEqual(names(await m.post('/runs/search', { experiment_ids: [e], filter: 'metrics.acc > 0.15', order_by: ['metrics.acc ASC'] })), ['r2', 'r3', 'r4']);
    assert.deepEqual(names(await m.post('/runs/search', { experiment_ids: [e], filter: "tags.i = '0'" })), ['r0']);
    assert.deepEqual(names(await m.post('/runs/search', { experiment_ids: [e], filter: "attributes.status = 'FINISHED'" })), ['r4']);
    const p1 = await m.post('/runs/search', { experiment_ids: [e], max_results: 3 });
    const p2 = await m.post('/runs/search', { experiment_ids: [e], max_results: 3, page_token: p1.body.next_page_token });
    assert.deepEqual([...names(p1), ...names(p2)], ['r4', 'r3', 'r2', 'r1', 'r0']);
    assert.equal(p2.body.next_page_token, undefined);
    assert.deepEqual((await m.post('/runs/search', { experiment_ids: [e], filter: "params.opt = 'rmsprop'" })).body, {});
    err(await m.post('/runs/search', { experiment_ids: [e], max_results: 50001 }), 400, 'INVALID_PARAMETER_VALUE', /at most 50000/);
    err(await m.post('/runs/search', { experiment_ids: [e], filter: 'nonsense' }), 400, 'INVALID_PARAMETER_VALUE');
    err(await m.post('/runs/search', { experiment_ids: ['999'] }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('artifacts: upload, list by basename, download byte for byte, delete; bad paths are 400; multipart is 501', async () => {
    const base = `${server.url}/api/2.0/mlflow-artifacts/artifacts`;
    const root = `${exp}/${run}/artifacts`;
    const put = (p: string, body: string, type = 'text/plain') => fetch(`${base}/${root}/${p}`, { method: 'PUT', headers: { 'content-type': type }, body });
    assert.equal((await put('hello.txt', 'hello world')).status, 200);
    assert.equal((await put('sub/dir/data.json', '{"raw": true}', 'application/json')).status, 200);
    assert.deepEqual((await json(`${base}?path=${root}`)).body, { files: [{ path: 'hello.txt', is_dir: false, file_size: 11 }, { path: 'sub', is_dir: true }] });
    assert.deepEqual((await json(`${base}?path=${root}/sub`)).body, { files: [{ path: 'dir', is_dir: true }] });
    assert.deepEqual((await json(`${base}?path=${root}/hello.txt`)).body, {}, 'a file lists as nothing');
    assert.deepEqual((await json(`${base}?path=${root}/missing`)).body, {});
    const got = await fetch(`${base}/${root}/sub/dir/data.json`);
    assert.equal(await got.text(), '{"raw": true}');
    assert.equal(got.headers.get('content-type'), 'application/json');
    assert.equal(got.headers.get('content-disposition'), 'attachment; filename=data.json');
    const viaTracking = await m.get('/artifacts/list', { run_id: run, path: 'sub' });
    assert.deepEqual(viaTracking.body, { root_uri: `mlflow-artifacts:/${root}`, files: [{ path: 'sub/dir', is_dir: true }] });
    err(await json(`${base}/${root}/%2e%2e/escape.txt`, { method: 'PUT', body: 'x' }), 400, 'INVALID_PARAMETER_VALUE', /Invalid path/);
    err(await json(`${base}/${root}/missing.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
    err(await json(`${base}/${exp}/nope/artifacts/x.txt`, { method: 'PUT', body: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal((await fetch(`${base}/${root}/sub`, { method: 'DELETE' })).status, 200);
    assert.deepEqual((await json(`${base}?path=${root}`)).body, { files: [{ path: 'hello.txt', is_dir: false, file_size: 11 }] });
    err(await json(`${server.url}/api/2.0/mlflow-artifacts/mpu/create/${root}/big.bin`, { method: 'POST' }), 501, 'NOT_IMPLEMENTED');
  });

  it('requests MLflow would refuse are 4xx with its body; /ajax-api works; logged-models/search is empty', async () => {
    const text = await json(`${server.url}/api/2.0/mlflow/runs/log-metric`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    err(text, 400, 'INVALID_PARAMETER_VALUE', /Content-Type must be one of \['application\/json'\]/);
    const broken = await json(`${server.url}/api/2.0/mlflow/runs/log-metric`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"run_id": ' });
    err(broken, 400, 'INVALID_PARAMETER_VALUE', /Missing value for required parameter 'run_id'/);
    err(await json(`${server.url}/api/2.0/mlflow/no/such/route`), 404, 'ENDPOINT_NOT_FOUND');
    assert.equal((await json(`${server.url}/ajax-api/2.0/mlflow/runs/get?run_id=${run}`)).body.run.info.run_id, run);
    assert.deepEqual((await m.post('/logged-models/search', { experiment_ids: [exp], filter: "name = 'x'" })).body, {});
  });
});

describe('MLflow API with auth: job tokens write only to their own runs', () => {
  const server = new TestServer({ env: { CAIRN_AUTH_TOKENS: 'user-secret-0123456789' } });
  const work = tempDir('mlauth');
  before(() => server.start());
  after(() => server.stop());

  it('no token is 401; the job gets MLFLOW_* and its token logs to its run, reads others, writes no other', async () => {
    const anon = api(() => server.url);
    err(await anon.get('/experiments/get', { experiment_id: 0 }), 401, 'UNAUTHENTICATED');
    const user = api(() => server.url, 'user-secret-0123456789');
    const other = (await user.post('/runs/create', { experiment_id: '0' })).body.run.info.run_id;
    writeFileSync(join(work, 'job.yml'), 'command: echo "$MLFLOW_TRACKING_TOKEN $MLFLOW_RUN_ID $MLFLOW_EXPERIMENT_ID $MLFLOW_TRACKING_URI"\nexperiment_name: authed\n');
    const r = await runCli(['job', 'create', '-f', 'job.yml', '-n', 'authed-1', '--stream'], { env: { ...server.cliEnv, CAIRN_TOKEN: 'user-secret-0123456789' }, cwd: work });
    assert.equal(r.code, 0, r.stderr);
    const [token, runId, expId, uri] = r.stdout.trim().split(' ');
    assert.equal(uri, server.url);
    assert.equal((await user.get('/experiments/get-by-name', { experiment_name: 'authed' })).body.experiment.experiment_id, expId);
    const asJob = api(() => server.url, token);
    assert.equal((await asJob.post('/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 })).status, 200);
    err(await asJob.post('/runs/log-metric', { run_id: other, key: 'm', value: 1, timestamp: 1 }), 403, 'PERMISSION_DENIED');
    assert.equal((await asJob.get('/runs/get', { run_id: other })).status, 200);
    // A nested run the job makes is its own to write to.
    const nested = (await asJob.post('/runs/create', { experiment_id: expId, tags: [{ key: 'mlflow.parentRunId', value: runId }] })).body.run.info.run_id;
    assert.equal((await asJob.post('/runs/log-parameter', { run_id: nested, key: 'p', value: '1' })).status, 200);
    err(await api(() => server.url, 'cjt.bogus').get('/runs/get', { run_id: runId }), 401, 'UNAUTHENTICATED');
  });
});
