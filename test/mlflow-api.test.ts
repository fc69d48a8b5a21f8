// Contract tests of Cairn's MLflow tracking REST API against a real `cairn server`: what the real
// MLflow client sends and what the real MLflow server answers (shared/reference/mlflow/API.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer, tempDir, waitFor } from './helpers/cairn.ts';

type Res = { status: number; body: any; text: string; headers: Headers };
type Fields = Record<string, unknown>;

/** A client for one server: every answer is checked for MLflow's error body, and 5xx are collected. */
function mlflowClient(server: TestServer, o: { token?: string } = {}) {
  const fiveXX: string[] = [];
  const call = async (method: string, path: string, fields?: Fields, init: { headers?: Record<string, string>; body?: BodyInit; base?: string } = {}): Promise<Res> => {
    let url = `${server.url}${init.base ?? '/api/2.0/mlflow'}${path}`;
    const headers: Record<string, string> = { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...init.headers };
    let body = init.body;
    if (fields && method === 'GET') url += `?${new URLSearchParams(Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, String(x)])))}`;
    else if (fields) [body, headers['content-type']] = [JSON.stringify(fields), headers['content-type'] ?? 'application/json'];
    const r = await fetch(url, { method, headers, body });
    const text = await r.text();
    const res: Res = { status: r.status, text, headers: r.headers, body: undefined };
    if (r.status >= 500 && r.status !== 501) fiveXX.push(`${method} ${path} -> ${r.status} ${text}`);
    if (r.status >= 400) {
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path}: error content-type`);
      res.body = JSON.parse(text);
      assert.deepEqual(Object.keys(res.body).sort(), ['error_code', 'message'], `${method} ${path}: error body ${text}`);
      assert.deepEqual([typeof res.body.error_code, typeof res.body.message], ['string', 'string']);
    } else if (/json/.test(r.headers.get('content-type') ?? '')) res.body = text ? JSON.parse(text) : {};
    return res;
  };
  return { fiveXX, call, get: (path: string, fields?: Fields) => call('GET', path, fields), post: (path: string, fields?: Fields) => call('POST', path, fields) };
}

function fails(r: Res, status: number, code: string, message?: RegExp | string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.error_code, code, r.text);
  if (typeof message === 'string') assert.equal(r.body.message, message);
  else if (message) assert.match(r.body.message, message);
}
const ok = (r: Res, body?: unknown) => {
  assert.equal(r.status, 200, r.text);
  if (body !== undefined) assert.deepEqual(r.body, body);
  return r.body;
};
const kv = (list: { key: string; value: string }[] | undefined) => Object.fromEntries((list ?? []).map((t) => [t.key, t.value]));
const TS = 1_700_000_000_000;

/** A raw request, for paths that fetch would normalise (`..`). */
function rawRequest(server: TestServer, method: string, path: string, body = ''): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, path, headers: { 'content-type': 'text/plain' } }, async (res) => {
      const text = (await res.toArray()).join('');
      resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
    });
    req.on('error', reject).end(body);
  });
}

const server = new TestServer();
const ml = mlflowClient(server);
const { get, post, call } = ml;
before(() => server.start());
after(() => server?.stop());

let n = 0;
const newExperiment = async (name = `exp-${++n}`) => ok(await post('/experiments/create', { name })).experiment_id as string;
const newRun = async (experiment_id: string, extra: Fields = {}) => ok(await post('/runs/create', { experiment_id, start_time: TS, ...extra })).run.info.run_id as string;
const getRun = async (run_id: string) => ok(await get('/runs/get', { run_id })).run;

describe('MLflow experiments', () => {
  it('has the Default experiment "0"', async () => {
    const e = ok(await get('/experiments/get', { experiment_id: '0' })).experiment;
    assert.deepEqual([e.name, e.lifecycle_stage], ['Default', 'active']);
    assert.equal(ok(await get('/experiments/get-by-name', { experiment_name: 'Default' })).experiment.experiment_id, '0');
  });

  it('get-by-name, create, get: string ids, 404 and 400 with MLflow codes', async () => {
    fails(await get('/experiments/get-by-name', { experiment_name: 'probe-1' }), 404, 'RESOURCE_DOES_NOT_EXIST', "Could not find experiment with name 'probe-1'");
    const id = ok(await post('/experiments/create', { name: 'probe-1', tags: [{ key: 'k', value: 'v' }] })).experiment_id;
    assert.equal(typeof id, 'string');
    assert.match(id, /^\d+$/);
    const e = ok(await get('/experiments/get', { experiment_id: id })).experiment;
    assert.deepEqual([e.name, e.artifact_location, kv(e.tags), typeof e.creation_time], ['probe-1', `mlflow-artifacts:/${id}`, { k: 'v' }, 'number']);
    assert.equal(ok(await get('/experiments/get-by-name', { experiment_name: 'probe-1' })).experiment.experiment_id, id);
    fails(await post('/experiments/create', { name: 'probe-1' }), 400, 'RESOURCE_ALREADY_EXISTS');
    fails(await post('/experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', /Missing value for required parameter 'name'/);
    fails(await get('/experiments/get', { experiment_id: '999999' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=999999 exists');
    for (const bad of ['abc', '-1', '1.5', '99999999999999999999999']) fails(await get('/experiments/get', { experiment_id: bad }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('searches by name LIKE, with paging by next_page_token (POST and GET)', async () => {
    for (const name of ['ls-a', 'ls-b', 'ls-c']) await newExperiment(name);
    for (const method of ['POST', 'GET']) {
      const names: string[] = [];
      let page_token: string | undefined;
      let pages = 0;
      do {
        const b = ok(await call(method, '/experiments/search', { filter: "name LIKE 'ls-%'", max_results: 2, ...(page_token ? { page_token } : {}) }));
        names.push(...b.experiments.map((e: any) => e.name));
        page_token = b.next_page_token;
        pages++;
      } while (page_token);
      assert.deepEqual(names.sort(), ['ls-a', 'ls-b', 'ls-c'], method);
      assert.equal(pages, 2);
    }
    ok(await post('/experiments/search', { filter: "name = 'nothing-here'", max_results: 10 }), {});
    fails(await post('/experiments/search', { max_results: 50001 }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('sets tags, deletes, restores and renames', async () => {
    const id = await newExperiment('lifecycle');
    ok(await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'note', value: 'one' }), {});
    ok(await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'note', value: 'two' }), {});
    assert.deepEqual(kv(ok(await get('/experiments/get', { experiment_id: id })).experiment.tags), { note: 'two' });
    fails(await post('/experiments/set-experiment-tag', { experiment_id: '424242', key: 'a', value: 'b' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    ok(await post('/experiments/delete', { experiment_id: id }), {});
    assert.equal(ok(await get('/experiments/get', { experiment_id: id })).experiment.lifecycle_stage, 'deleted');
    ok(await post('/experiments/search', { filter: "name = 'lifecycle'" }), {});
    const deleted = ok(await post('/experiments/search', { filter: "name = 'lifecycle'", view_type: 'DELETED_ONLY' }));
    assert.equal(deleted.experiments[0].experiment_id, id);
    fails(await post('/runs/create', { experiment_id: id }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    ok(await post('/experiments/restore', { experiment_id: id }), {});
    ok(await post('/experiments/update', { experiment_id: id, new_name: 'lifecycle-2' }), {});
    const e = ok(await get('/experiments/get', { experiment_id: id })).experiment;
    assert.deepEqual([e.name, e.lifecycle_stage], ['lifecycle-2', 'active']);
    fails(await post('/experiments/update', { experiment_id: id, new_name: 'ls-a' }), 400, 'RESOURCE_ALREADY_EXISTS');
    fails(await post('/experiments/delete', { experiment_id: '0' }), 400, 'INVALID_PARAMETER_VALUE');
  });
});

describe('MLflow runs', () => {
  let exp = '';
  before(async () => (exp = await newExperiment('runs')));

  it('creates a run: tags echoed, mlflow.runName from run_name, RUNNING, proxied artifact_uri', async () => {
    const tags = Object.entries({ 'mlflow.user': 'root', 'mlflow.source.name': 'train.py', 'mlflow.source.type': 'LOCAL' }).map(([key, value]) => ({ key, value }));
    const run = ok(await post('/runs/create', { experiment_id: exp, user_id: 'root', run_name: 'probe-run', start_time: TS, tags })).run;
    assert.match(run.info.run_id, /^[0-9a-f]{32}$/);
    assert.equal(run.info.run_uuid, run.info.run_id);
    assert.deepEqual([run.info.run_name, run.info.experiment_id, run.info.user_id, run.info.status, run.info.start_time, run.info.lifecycle_stage], ['probe-run', exp, 'root', 'RUNNING', TS, 'active']);
    assert.equal(run.info.artifact_uri, `mlflow-artifacts:/${exp}/${run.info.run_id}/artifacts`);
    assert.equal(run.info.end_time, undefined);
    assert.deepEqual(kv(run.data.tags), { ...kv(tags), 'mlflow.runName': 'probe-run' });
    assert.equal((await getRun(await newRun(exp, { tags: [{ key: 'mlflow.runName', value: 'from-tag' }] }))).info.run_name, 'from-tag');
    const unnamed = await getRun(await newRun(exp));
    assert.ok(unnamed.info.run_name && kv(unnamed.data.tags)['mlflow.runName'] === unnamed.info.run_name);
    fails(await post('/runs/create', { experiment_id: '777777' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('gets by run_id or run_uuid; data.metrics holds the latest value per key (max step, then max timestamp)', async () => {
    const id = await newRun(exp);
    const m = (value: number, step: number, timestamp: number) => ({ key: 'm', value, step, timestamp });
    ok(await post('/runs/log-batch', { run_id: id, metrics: [m(1, 0, 100), m(3, 2, 50), m(4, 2, 60), m(2, 1, 999), m(5, 2, 55)] }), {});
    ok(await post('/runs/log-metric', { run_id: id, key: 'other', value: 7, timestamp: 5 }), {});
    for (const q of [{ run_id: id }, { run_uuid: id }, { run_id: id, run_uuid: id }]) {
      const run = ok(await get('/runs/get', q)).run;
      assert.equal(run.info.run_id, id);
      const metrics = [...run.data.metrics].sort((a: any, b: any) => a.key.localeCompare(b.key));
      assert.deepEqual(metrics, [{ key: 'm', value: 4, step: 2, timestamp: 60 }, { key: 'other', value: 7, step: 0, timestamp: 5 }]);
    }
    fails(await get('/runs/get', { run_id: '0'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${'0'.repeat(32)} not found`);
    fails(await get('/runs/get', {}), 400, 'INVALID_PARAMETER_VALUE', /Missing value for required parameter 'run_id'/);
  });

  // MLflow's file and SQL stores both take max((step, timestamp, value)): a tie goes to the greater value.
  it('data.metrics breaks a (step, timestamp) tie by the greater value, as MLflow does', async () => {
    const id = await newRun(exp);
    ok(await post('/runs/log-metric', { run_id: id, key: 't', value: 5, timestamp: 10, step: 1 }), {});
    ok(await post('/runs/log-metric', { run_id: id, key: 't', value: 3, timestamp: 10, step: 1 }), {});
    assert.deepEqual((await getRun(id)).data.metrics, [{ key: 't', value: 5, timestamp: 10, step: 1 }]);
  });

  // MLflow's SQL store keys a point by (key, timestamp, step, value). Cairn stores points as packed
  // chunks and so drops a repeat within one request, a repeat of the series' latest point, and a
  // retried request (same bytes); an older point sent again in a new request is kept (documented).
  it('stores a point repeated in one batch, re-sent as the latest, or re-sent in a retry, once', async () => {
    const id = await newRun(exp);
    const p = { key: 'd', value: 1, timestamp: TS, step: 0 };
    ok(await post('/runs/log-batch', { run_id: id, metrics: [p, p, { ...p, step: 1 }] }), {});
    ok(await post('/runs/log-metric', { run_id: id, run_uuid: id, ...p, step: 1 }), {});
    const retry = { run_id: id, metrics: [{ ...p, step: 2 }, { ...p, step: 3 }] };
    ok(await post('/runs/log-batch', retry), {});
    ok(await post('/runs/log-batch', retry), {});
    const h = ok(await get('/metrics/get-history', { run_id: id, metric_key: 'd', max_results: 25000 }));
    assert.deepEqual(h.metrics, [0, 1, 2, 3].map((step) => ({ ...p, step })));
  });

  it('updates status, end_time and run_name; logging to a FINISHED run is allowed', async () => {
    const id = await newRun(exp, { run_name: 'before' });
    const info = ok(await post('/runs/update', { run_id: id, run_uuid: id, status: 'FINISHED', end_time: TS + 5 })).run_info;
    assert.deepEqual([info.run_id, info.status, info.end_time], [id, 'FINISHED', TS + 5]);
    ok(await post('/runs/update', { run_id: id, run_name: 'after' }));
    const run = await getRun(id);
    assert.deepEqual([run.info.run_name, run.info.status, kv(run.data.tags)['mlflow.runName']], ['after', 'FINISHED', 'after']);
    ok(await post('/runs/log-metric', { run_id: id, key: 'late', value: 1, timestamp: TS }), {});
    ok(await post('/runs/update', { run_id: id, status: 'RUNNING' }));
    fails(await post('/runs/update', { run_id: id, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('deletes and restores; a deleted run refuses logging with 400', async () => {
    const id = await newRun(exp, { run_name: 'doomed' });
    ok(await post('/runs/delete', { run_id: id }), {});
    assert.equal((await getRun(id)).info.lifecycle_stage, 'deleted');
    const msg = `The run ${id} must be in the 'active' state. Current state is deleted.`;
    fails(await post('/runs/log-metric', { run_id: id, key: 'x', value: 1, timestamp: TS }), 400, 'INVALID_PARAMETER_VALUE', msg);
    fails(await post('/runs/log-batch', { run_id: id, params: [{ key: 'p', value: '1' }] }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    fails(await post('/runs/set-tag', { run_id: id, key: 't', value: '1' }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    const search = (run_view_type: string) => post('/runs/search', { experiment_ids: [exp], filter: "attributes.run_name = 'doomed'", run_view_type });
    assert.deepEqual(ok(await search('ACTIVE_ONLY')), {});
    assert.equal(ok(await search('DELETED_ONLY')).runs[0].info.run_id, id);
    ok(await post('/runs/restore', { run_id: id }), {});
    ok(await post('/runs/log-metric', { run_id: id, key: 'x', value: 1, timestamp: TS }), {});
    fails(await post('/runs/delete', { run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('log-metric: non-finite values round-trip as strings; bad values and missing fields are 400', async () => {
    const id = await newRun(exp);
    const values = ['NaN', 'Infinity', '-Infinity', 1.5, '2.5'];
    for (const [step, value] of values.entries()) ok(await post('/runs/log-metric', { run_id: id, run_uuid: id, key: 'nf', value, timestamp: TS + step, step }), {});
    const h = ok(await get('/metrics/get-history', { run_id: id, metric_key: 'nf', max_results: 25000 }));
    assert.deepEqual(h.metrics.map((p: any) => p.value), ['NaN', 'Infinity', '-Infinity', 1.5, 2.5]);
    assert.deepEqual(h.metrics[0], { key: 'nf', value: 'NaN', timestamp: TS, step: 0 });
    assert.deepEqual((await getRun(id)).data.metrics, [{ key: 'nf', value: 2.5, timestamp: TS + 4, step: 4 }]);
    fails(await post('/runs/log-metric', { run_id: id, key: 'nf', value: 'abc', timestamp: TS }), 400, 'INVALID_PARAMETER_VALUE', /^Invalid value "abc" for parameter 'value' supplied/);
    fails(await post('/runs/log-metric', { run_id: id, key: 'nf', value: 1 }), 400, 'INVALID_PARAMETER_VALUE', /^Missing value for required parameter 'timestamp'/);
    fails(await post('/runs/log-metric', { run_id: id, value: 1, timestamp: TS }), 400, 'INVALID_PARAMETER_VALUE', /^Missing value for required parameter 'key'/);
    fails(await post('/runs/log-metric', { run_id: id, key: 'nf', timestamp: TS }), 400, 'INVALID_PARAMETER_VALUE', /^Missing value for required parameter 'value'/);
    fails(await post('/runs/log-metric', { key: 'nf', value: 1, timestamp: TS }), 400, 'INVALID_PARAMETER_VALUE', /^Missing value for required parameter 'run_id'/);
    fails(await post('/runs/log-metric', { run_id: '0'.repeat(32), key: 'nf', value: 1, timestamp: TS }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('log-parameter: the same value again is fine, a different one is 400; set-tag overwrites; delete-tag', async () => {
    const id = await newRun(exp);
    ok(await post('/runs/log-parameter', { run_id: id, run_uuid: id, key: 'lr', value: '0.01' }), {});
    ok(await post('/runs/log-parameter', { run_id: id, key: 'lr', value: '0.01' }), {});
    fails(await post('/runs/log-parameter', { run_id: id, key: 'lr', value: '0.02' }), 400, 'INVALID_PARAMETER_VALUE', /^Changing param values is not allowed/);
    ok(await post('/runs/set-tag', { run_id: id, key: 'team', value: 'a' }), {});
    ok(await post('/runs/set-tag', { run_id: id, key: 'team', value: 'b' }), {});
    ok(await post('/runs/set-tag', { run_id: id, key: 'gone', value: 'x' }), {});
    ok(await post('/runs/delete-tag', { run_id: id, key: 'gone' }), {});
    const run = await getRun(id);
    assert.deepEqual(kv(run.data.params), { lr: '0.01' });
    assert.deepEqual([kv(run.data.tags).team, kv(run.data.tags).gone], ['b', undefined]);
    fails(await post('/runs/delete-tag', { run_id: id, key: 'never' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('log-batch: params, tags and metrics land; 3.x run_id inside each metric is ignored', async () => {
    const id = await newRun(exp);
    const metrics = [0, 1, 2].map((step) => ({ run_id: 'ignored-by-server', key: 'acc', value: step / 2, timestamp: TS + step, step }));
    ok(await post('/runs/log-batch', { run_id: id, metrics, params: [{ key: 'bs', value: '32' }, { key: 'opt', value: 'adam' }], tags: [{ key: 'a', value: '1' }] }), {});
    const run = await getRun(id);
    assert.deepEqual(kv(run.data.params), { bs: '32', opt: 'adam' });
    assert.equal(kv(run.data.tags).a, '1');
    assert.deepEqual(run.data.metrics, [{ key: 'acc', value: 1, timestamp: TS + 2, step: 2 }]);
    ok(await post('/runs/log-batch', { run_id: id }), {});
  });

  const many = (length: number, f: (i: number) => object) => Array.from({ length }, (_, i) => f(i));
  const batch = (nm: number, np: number, nt: number) => ({
    metrics: many(nm, (i) => ({ key: `m${i % 5}`, value: i, timestamp: TS, step: i })),
    params: many(np, (i) => ({ key: `p${i}`, value: 'v' })),
    tags: many(nt, (i) => ({ key: `t${i}`, value: 'v' })),
  });
  const LIMIT_CASES: [string, ReturnType<typeof batch>, RegExp | null][] = [
    ['1000 metrics', batch(1000, 0, 0), null],
    ['1001 metrics', batch(1001, 0, 0), /^A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up/],
    ['100 params', batch(0, 100, 0), null],
    ['101 params', batch(0, 101, 0), /^A batch logging request can contain at most 100 params. Got 101 params/],
    ['100 tags', batch(0, 0, 100), null],
    ['101 tags', batch(0, 0, 101), /^A batch logging request can contain at most 100 tags. Got 101 tags/],
    ['900 + 100 + 0 in total', batch(900, 100, 0), null],
    ['901 + 100 + 0 in total', batch(901, 100, 0), /^A batch logging request can contain at most 1000 metrics, params, and tags in total. Got 1001 total/],
  ];
  for (const [name, body, message] of LIMIT_CASES) {
    it(`log-batch limit: ${name} → ${message ? 400 : 200}`, async () => {
      const r = await post('/runs/log-batch', { run_id: await newRun(exp), ...body });
      return message ? fails(r, 400, 'INVALID_PARAMETER_VALUE', message) : void ok(r, {});
    });
  }

  it('log-batch: duplicate param keys with different values are 400', async () => {
    const r = await post('/runs/log-batch', { run_id: await newRun(exp), params: [{ key: 'p', value: '1' }, { key: 'p', value: '2' }] });
    fails(r, 400, 'INVALID_PARAMETER_VALUE', /Duplicate parameter keys have been submitted/);
  });

  const BAD_KEYS = ['../bad', '/abs', 'a/./b', 'a//b', '.', 'bad!char', 'k'.repeat(251)];
  const KEYS: [string, boolean][] = [...BAD_KEYS.map((k): [string, boolean] => [k, false]), ['k'.repeat(250), true], ['a/b c:d-e.f_g', true]];
  for (const [key, good] of KEYS) {
    it(`key ${JSON.stringify(key.length > 20 ? `${key.length} chars` : key)} is ${good ? 'accepted' : 'refused with 400'} for metrics, params and tags`, async () => {
      const id = await newRun(exp);
      const calls: [string, Fields][] = [
        ['/runs/log-metric', { run_id: id, key, value: 1, timestamp: TS }], ['/runs/log-parameter', { run_id: id, key, value: '1' }], ['/runs/set-tag', { run_id: id, key, value: '1' }],
        ['/runs/log-batch', { run_id: id, metrics: [{ key, value: 1, timestamp: TS, step: 0 }] }], ['/runs/log-batch', { run_id: id, params: [{ key, value: '1' }] }], ['/runs/log-batch', { run_id: id, tags: [{ key, value: '1' }] }],
      ];
      for (const [path, body] of calls) {
        const r = await post(path, body);
        if (good) ok(r, {});
        else fails(r, 400, 'INVALID_PARAMETER_VALUE');
      }
    });
  }

  it('truncates long values: a 9000-char param to 6000, a 9000-char tag to 8000', async () => {
    const id = await newRun(exp);
    ok(await post('/runs/log-parameter', { run_id: id, key: 'big', value: 'x'.repeat(9000) }), {});
    ok(await post('/runs/set-tag', { run_id: id, key: 'big', value: 'y'.repeat(9000) }), {});
    ok(await post('/runs/log-batch', { run_id: id, params: [{ key: 'big2', value: 'z'.repeat(9000) }], tags: [{ key: 'big2', value: 'w'.repeat(9000) }] }), {});
    const run = await getRun(id);
    assert.deepEqual(kv(run.data.params), { big: 'x'.repeat(6000), big2: 'z'.repeat(6000) });
    assert.equal(kv(run.data.tags).big, 'y'.repeat(8000));
    assert.equal(kv(run.data.tags).big2, 'w'.repeat(8000));
    ok(await post('/runs/log-parameter', { run_id: id, key: 'big', value: 'x'.repeat(9000) }), {});
  });

  it('get-history pages in logging order with max_results and next_page_token', async () => {
    const id = await newRun(exp);
    const steps = [5, 3, 9, 0, 7, 7, 1, 2, 8, 4];
    for (const [i, step] of steps.entries()) ok(await post('/runs/log-metric', { run_id: id, key: 'h', value: i, timestamp: TS + 100 - i, step }));
    const [got, sizes]: [any[], number[]] = [[], []];
    let page_token: string | undefined;
    do {
      const b = ok(await get('/metrics/get-history', { run_id: id, run_uuid: id, metric_key: 'h', max_results: 4, ...(page_token ? { page_token } : {}) }));
      got.push(...b.metrics);
      sizes.push(b.metrics.length);
      page_token = b.next_page_token;
    } while (page_token);
    assert.deepEqual(sizes, [4, 4, 2]);
    assert.deepEqual(got, steps.map((step, i) => ({ key: 'h', value: i, timestamp: TS + 100 - i, step })));
    ok(await get('/metrics/get-history', { run_id: id, metric_key: 'never-logged', max_results: 25000 }), {});
    fails(await get('/metrics/get-history', { run_id: id, max_results: 10 }), 400, 'INVALID_PARAMETER_VALUE', /metric_key/);
    fails(await get('/metrics/get-history', { run_id: '0'.repeat(32), metric_key: 'h' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('get-history answers 25000 points a page by default, then the rest', async () => {
    const id = await newRun(exp);
    for (let start = 0; start < 25001; start += 1000) {
      const metrics = Array.from({ length: Math.min(1000, 25001 - start) }, (_, i) => ({ key: 'big', value: start + i, timestamp: TS, step: start + i }));
      ok(await post('/runs/log-batch', { run_id: id, metrics }));
    }
    for (const q of [{}, { max_results: 25000 }]) {
      const first = ok(await get('/metrics/get-history', { run_id: id, metric_key: 'big', ...q }));
      assert.deepEqual([first.metrics.length, first.metrics[24999], typeof first.next_page_token], [25000, { key: 'big', value: 24999, timestamp: TS, step: 24999 }, 'string']);
      const second = ok(await get('/metrics/get-history', { run_id: id, metric_key: 'big', page_token: first.next_page_token, ...q }));
      assert.deepEqual(second, { metrics: [{ key: 'big', value: 25000, timestamp: TS, step: 25000 }] });
    }
  });
});

describe('MLflow runs/search and logged-models/search', () => {
  let exp = '';
  const ids: Record<string, string> = {};
  before(async () => {
    exp = await newExperiment('search');
    const setup: [string, string, number, string, boolean][] = [['r1', 'adam', 2, 'y', true], ['r2', 'sgd', 0.5, 'z', false], ['r3', 'adam', 1, 'z', false]];
    for (const [name, opt, m, x, finished] of setup) {
      const id = (ids[name] = await newRun(exp, { run_name: name }));
      ok(await post('/runs/log-batch', { run_id: id, params: [{ key: 'opt', value: opt }], metrics: [{ key: 'm', value: m, timestamp: TS, step: 0 }], tags: [{ key: 'x', value: x }] }));
      if (finished) ok(await post('/runs/update', { run_id: id, status: 'FINISHED', end_time: TS + 1 }));
    }
  });
  const names = (b: any) => (b.runs ?? []).map((r: any) => r.info.run_name);

  const CASES: [Fields, string[]][] = [
    [{ filter: "params.opt = 'adam'", order_by: ['attributes.run_name ASC'] }, ['r1', 'r3']],
    [{ filter: 'metrics.m > 1' }, ['r1']],
    [{ filter: "tags.x = 'y'" }, ['r1']],
    [{ filter: "attributes.status = 'FINISHED'" }, ['r1']],
    [{ filter: "params.opt = 'adam' and metrics.m < 2" }, ['r3']],
    [{ filter: '', order_by: ['metrics.m DESC'] }, ['r1', 'r3', 'r2']],
    [{ order_by: ['attributes.run_name DESC'] }, ['r3', 'r2', 'r1']],
  ];
  for (const [q, expected] of CASES) {
    it(`${JSON.stringify(q)} → ${expected.join(', ')}`, async () => {
      const b = ok(await post('/runs/search', { experiment_ids: [exp], run_view_type: 'ACTIVE_ONLY', max_results: 1000, ...q }));
      if (q.order_by) assert.deepEqual(names(b), expected);
      else assert.deepEqual(names(b).sort(), expected);
      for (const r of b.runs) assert.equal(r.info.run_id, ids[r.info.run_name]);
    });
  }

  it('answers whole runs, pages with next_page_token, and {} when nothing matches', async () => {
    const first = ok(await post('/runs/search', { experiment_ids: [exp], max_results: 2, order_by: ['attributes.run_name ASC'] }));
    assert.deepEqual(names(first), ['r1', 'r2']);
    assert.deepEqual(kv(first.runs[0].data.params), { opt: 'adam' });
    assert.deepEqual(first.runs[0].data.metrics, [{ key: 'm', value: 2, timestamp: TS, step: 0 }]);
    const second = ok(await post('/runs/search', { experiment_ids: [exp], max_results: 2, order_by: ['attributes.run_name ASC'], page_token: first.next_page_token }));
    assert.deepEqual(names(second), ['r3']);
    assert.equal(second.next_page_token, undefined);
    ok(await post('/runs/search', { experiment_ids: [exp], filter: "params.opt = 'rmsprop'" }), {});
    ok(await post('/runs/search', { experiment_ids: [await newExperiment()] }), {});
    ok(await post('/runs/search', { experiment_ids: [exp], max_results: 50000 }));
    fails(await post('/runs/search', { experiment_ids: [exp], max_results: 50001 }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await post('/runs/search', { experiment_ids: [exp], filter: 'params.opt ==== adam' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await post('/runs/search', { experiment_ids: [exp], order_by: ['nonsense.x SIDEWAYS'] }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('logged-models/search answers {}', async () => {
    ok(await post('/logged-models/search', { experiment_ids: [exp], filter: "name = 'sub'" }), {});
  });
});

describe('MLflow artifact proxy', () => {
  let exp = '';
  let run = '';
  const A = '/api/2.0/mlflow-artifacts';
  const art = (method: string, rel: string, body?: string, type = 'text/plain') =>
    call(method, `/artifacts/${exp}/${run}/artifacts/${rel}`, undefined, { base: A, body, headers: body === undefined ? {} : { 'content-type': type } });
  const list = (path: string) => call('GET', '/artifacts', { path }, { base: A });
  before(async () => {
    exp = await newExperiment('artifacts');
    run = await newRun(exp);
  });

  it('refuses a path that is a file and a folder at once, and an experiment that is not the run\'s', async () => {
    ok(await art('PUT', 'clash.txt', 'a file'), {});
    fails(await art('PUT', 'clash.txt/inner.txt', 'x'), 400, 'INVALID_PARAMETER_VALUE');
    ok(await art('PUT', 'folder/inner.txt', 'x'), {});
    fails(await art('PUT', 'folder', 'x'), 400, 'INVALID_PARAMETER_VALUE');
    fails(await call('PUT', `/artifacts/${Number(exp) + 100}/${run}/artifacts/x.txt`, undefined, { base: A, body: 'x', headers: { 'content-type': 'text/plain' } }), 404, 'RESOURCE_DOES_NOT_EXIST');
    ok(await art('DELETE', 'clash.txt'), {});
    ok(await art('DELETE', 'folder'), {});
  });

  it('uploads, lists basenames with is_dir and file_size, downloads with headers, deletes', async () => {
    ok(await art('PUT', 'hello.txt', 'hello artifact\n'), {});
    ok(await art('PUT', 'sub/dir/hello.txt', 'deep'), {});
    ok(await art('PUT', 'notes/t.txt', 'note', 'application/octet-stream'), {});
    const root = ok(await list(`${exp}/${run}/artifacts`)).files.sort((a: any, b: any) => a.path.localeCompare(b.path));
    assert.deepEqual(root, [{ path: 'hello.txt', is_dir: false, file_size: 15 }, { path: 'notes', is_dir: true }, { path: 'sub', is_dir: true }]);
    assert.deepEqual(ok(await list(`${exp}/${run}/artifacts/sub`)), { files: [{ path: 'dir', is_dir: true }] });
    assert.deepEqual(ok(await list(`${exp}/${run}/artifacts/sub/dir/`)), { files: [{ path: 'hello.txt', is_dir: false, file_size: 4 }] });
    ok(await list(`${exp}/${run}/artifacts/hello.txt`), {});
    ok(await list(`${exp}/${run}/artifacts/missing`), {});
    const got = await art('GET', 'hello.txt');
    assert.deepEqual([got.status, got.text, got.headers.get('content-disposition')], [200, 'hello artifact\n', 'attachment; filename=hello.txt']);
    assert.match(got.headers.get('content-type') ?? '', /^text\/plain/);
    ok(await art('DELETE', 'notes/t.txt'), {});
    assert.deepEqual(ok(await list(`${exp}/${run}/artifacts`)).files.map((f: any) => f.path).sort(), ['hello.txt', 'sub']);
    ok(await art('PUT', 'tmp/a/b.txt', 'b'), {});
    ok(await art('PUT', 'tmpx.txt', 'x'), {});
    ok(await art('DELETE', 'tmp'), {});
    assert.deepEqual(ok(await list(`${exp}/${run}/artifacts`)).files.map((f: any) => f.path).sort(), ['hello.txt', 'sub', 'tmpx.txt'], 'a folder goes whole');
    ok(await art('DELETE', 'tmpx.txt'), {});
    fails(await art('GET', 'nothing.txt'), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('stores a .json artifact sent as application/json byte for byte', async () => {
    const text = '{ "b": [1, 2,  3],\n  "a": "ü" }\n';
    ok(await art('PUT', 'model/meta.json', text, 'application/json'), {});
    const got = await art('GET', 'model/meta.json');
    assert.deepEqual([got.status, got.text, got.headers.get('content-disposition')], [200, text, 'attachment; filename=meta.json']);
    assert.match(got.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('refuses .. in paths with 400 and unknown runs with 404', async () => {
    fails(await list(`${exp}/${run}/artifacts/../../x`), 400, 'INVALID_PARAMETER_VALUE');
    for (const rel of ['../../../escape.txt', 'a/%2E%2E/%2E%2E/b.txt', 'a/../../b.txt']) {
      const put = await rawRequest(server, 'PUT', `${A}/artifacts/${exp}/${run}/artifacts/${rel}`, 'x');
      assert.deepEqual([put.status, put.body.error_code], [400, 'INVALID_PARAMETER_VALUE'], rel);
    }
    fails(await list(`${exp}/${'0'.repeat(32)}/artifacts`), 404, 'RESOURCE_DOES_NOT_EXIST');
    fails(await call('GET', '/artifacts', undefined, { base: A }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('lists through /mlflow/artifacts/list with root_uri and paths from the root', async () => {
    const b = ok(await get('/artifacts/list', { run_id: run }));
    assert.equal(b.root_uri, `mlflow-artifacts:/${exp}/${run}/artifacts`);
    assert.deepEqual(b.files.map((f: any) => f.path).sort(), ['hello.txt', 'model', 'sub']);
    assert.deepEqual(ok(await get('/artifacts/list', { run_id: run, path: 'sub' })).files, [{ path: 'sub/dir', is_dir: true }]);
  });

  it('answers 501 NOT_IMPLEMENTED for multipart uploads and presigned URLs', async () => {
    for (const op of ['create', 'complete', 'abort']) {
      fails(await call('POST', `/mpu/${op}/${exp}/${run}/artifacts/big.bin`, { path: 'big.bin', num_parts: 2 }, { base: A }), 501, 'NOT_IMPLEMENTED');
    }
    fails(await call('GET', `/presigned/${exp}/${run}/artifacts/big.bin`, undefined, { base: A }), 501, 'NOT_IMPLEMENTED');
  });
});

describe('MLflow request handling', () => {
  it('refuses a POST that is not application/json', async () => {
    const r = await call('POST', '/runs/log-metric', undefined, { headers: { 'content-type': 'text/plain' }, body: '{"run_id": "x"}' });
    fails(r, 400, 'INVALID_PARAMETER_VALUE', /Content-Type must be one of \['application\/json'\]/);
  });

  it('reads a malformed JSON body as {} and names the missing field', async () => {
    for (const body of ['{not json', '[1, 2]', '"str"', '']) {
      const r = await call('POST', '/runs/log-metric', undefined, { headers: { 'content-type': 'application/json' }, body });
      fails(r, 400, 'INVALID_PARAMETER_VALUE', /^Missing value for required parameter 'run_id'/);
    }
  });

  it('answers unknown routes with 404 ENDPOINT_NOT_FOUND', async () => {
    fails(await get('/runs/nothing'), 404, 'ENDPOINT_NOT_FOUND');
    fails(await post('/nothing/at/all', {}), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('serves the same API under /ajax-api/2.0', async () => {
    const exp = await newExperiment('ajax');
    const id = await newRun(exp);
    const r = await call('GET', '/runs/get', { run_id: id }, { base: '/ajax-api/2.0/mlflow' });
    assert.equal(ok(r).run.info.run_id, id);
    ok(await call('POST', '/runs/log-metric', { run_id: id, key: 'k', value: 1, timestamp: TS }, { base: '/ajax-api/2.0/mlflow' }), {});
    ok(await call('PUT', `/artifacts/${exp}/${id}/artifacts/a.txt`, undefined, { base: '/ajax-api/2.0/mlflow-artifacts', body: 'a', headers: { 'content-type': 'text/plain' } }), {});
    assert.equal(ok(await call('GET', '/artifacts', { path: `${exp}/${id}/artifacts` }, { base: '/ajax-api/2.0/mlflow-artifacts' })).files[0].path, 'a.txt');
    fails(await call('GET', '/nothing', undefined, { base: '/ajax-api/2.0/mlflow' }), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('answers mangled input with a 4xx, never a 5xx', async () => {
    const id = await newRun(await newExperiment('mangled'));
    const lm = (f: Fields): [string, string, Fields] => ['POST', '/runs/log-metric', { run_id: id, key: 'k', value: 1, timestamp: TS, ...f }];
    const junk: [string, string, Fields][] = [
      ['GET', '/runs/get', { run_id: '../etc' }], ['GET', '/experiments/get', { experiment_id: '' }], ['POST', '/runs/update', { run_id: id, end_time: 'later' }],
      lm({ value: {} }), lm({ timestamp: 'soon' }), lm({ timestamp: -1 }), lm({ step: 1.5 }), lm({ run_id: 5 }), lm({ key: ['k'] }),
      ['POST', '/runs/log-batch', { run_id: id, metrics: 'many' }], ['POST', '/runs/log-batch', { run_id: id, params: [null] }], ['POST', '/runs/log-batch', { run_id: id, tags: [{ key: 'k' }] }],
      ['POST', '/runs/create', { experiment_id: 'abc' }], ['POST', '/runs/create', { experiment_id: '0', tags: 'x' }], ['POST', '/experiments/create', { name: 5 }],
      ['POST', '/runs/search', { experiment_ids: [id], max_results: 'ten' }], ['POST', '/runs/search', { experiment_ids: ['0'], page_token: 'garbage!!' }], ['POST', '/experiments/search', { view_type: 'SOME' }],
      ['GET', '/metrics/get-history', { run_id: id, metric_key: 'k', page_token: 'nope' }], ['GET', '/metrics/get-history', { run_id: id, metric_key: 'k', max_results: -3 }],
    ];
    for (const [method, path, fields] of junk) {
      const r = await call(method, path, fields);
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${JSON.stringify(fields)} -> ${r.status} ${r.text}`);
    }
  });

  it('answered no 5xx in this whole file so far (except the 501s asked for)', () => {
    assert.deepEqual(ml.fiveXX, []);
  });
});

describe("a job's run", () => {
  const ws = () => `${server.url}/api/v1/workspaces/default`;
  const jobApi = async (path: string, init?: RequestInit) => {
    const r = await fetch(`${ws()}${path}`, init);
    return { status: r.status, body: (await r.json()) as any };
  };

  it('is an MLflow run that follows the job, resolvable by id and by name, and its metrics show in Cairn', async () => {
    // The job waits for a file, so what the run says while it runs does not depend on timing.
    const gateDir = tempDir('gate');
    chmodSync(gateDir, 0o777); // jobs of a root server run as an unprivileged user
    const gate = join(gateDir, 'go');
    const spec = { type: 'command', command: `while [ ! -e '${gate}' ]; do sleep 0.05; done`, experiment_name: 'exp-a' };
    const created = await jobApi('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spec }) });
    assert.equal(created.status, 201);
    const job = created.body;
    const exp = ok(await get('/experiments/get-by-name', { experiment_name: 'exp-a' })).experiment.experiment_id;
    const run = await getRun(job.id);
    assert.deepEqual([run.info.run_id, run.info.experiment_id], [job.id, exp]);
    assert.ok(['SCHEDULED', 'RUNNING'].includes(run.info.status), run.info.status);
    const tags = kv(run.data.tags);
    assert.deepEqual([tags['mlflow.runName'], tags['mlflow.user'], tags['mlflow.source.type']], [job.display_name, job.creation_context.created_by, 'JOB']);
    assert.equal((await getRun(job.name)).info.run_id, job.id);

    await waitFor('the job to run', async () => (await jobApi(`/jobs/${job.name}`)).body.status === 'Running');
    assert.equal((await getRun(job.id)).info.status, 'RUNNING');
    const metrics = Array.from({ length: 20 }, (_, step) => ({ key: 'loss', value: 20 - step, timestamp: TS + step, step }));
    ok(await post('/runs/log-batch', { run_id: job.id, metrics, params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'team', value: 'ml' }] }), {});
    ok(await post('/runs/log-metric', { run_id: job.name, key: 'acc', value: 'NaN', timestamp: TS, step: 3 }), {});

    writeFileSync(gate, '');
    await waitFor('the job to complete', async () => (await jobApi(`/jobs/${job.name}`)).body.status === 'Completed');
    const done = await getRun(job.id);
    assert.deepEqual([done.info.status, typeof done.info.end_time], ['FINISHED', 'number']);

    const t = await jobApi(`/jobs/${job.name}/metrics`);
    assert.equal(t.status, 200);
    assert.deepEqual([t.body.run_id, t.body.experiment_id], [job.id, exp]);
    assert.deepEqual(t.body.params, { lr: '0.1' });
    assert.deepEqual([t.body.tags.team, t.body.tags['mlflow.source.type']], ['ml', 'JOB']);
    assert.deepEqual(t.body.metrics, { loss: { value: 1, step: 19, timestamp: TS + 19 }, acc: { value: 'NaN', step: 3, timestamp: TS } });

    const b = await jobApi(`/jobs/${job.name}/metrics/loss?buckets=10`);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body, {
      key: 'loss',
      buckets: Array.from({ length: 10 }, (_, i) => ({ start_step: 2 * i, end_step: 2 * i + 1, count: 2, min: 19 - 2 * i, max: 20 - 2 * i, last: 19 - 2 * i, last_step: 2 * i + 1 })),
    });
    const s = await jobApi(`/jobs/${job.name}/metrics/loss`);
    assert.deepEqual(s.body, { key: 'loss', total: 20, start: 0, steps: metrics.map((m) => m.step), timestamps: metrics.map((m) => m.timestamp), values: metrics.map((m) => m.value), attempts: [{ attempt: null, start: 0, count: 20 }] }); // logged by an admin, not by an attempt
    const history = ok(await get('/metrics/get-history', { run_id: job.id, metric_key: 'loss', max_results: 25000 })).metrics;
    assert.deepEqual(history.map((p: any) => p.value), s.body.values);
  });
});

describe('MLflow API with auth tokens, and job tokens', () => {
  const token = 'mlflow-test-token-0123456789';
  const secured = new TestServer({ env: { CAIRN_AUTH_TOKENS: token } });
  const user = mlflowClient(secured, { token });
  before(() => secured.start());
  after(() => secured.stop());
  const auth = { authorization: `Bearer ${token}` };

  it('needs a token (401 UNAUTHENTICATED, MLflow body); the job token writes its own runs only, reads all', async () => {
    const anon = mlflowClient(secured);
    fails(await anon.get('/experiments/get', { experiment_id: '0' }), 401, 'UNAUTHENTICATED');
    fails(await anon.post('/runs/search', { experiment_ids: ['0'] }), 401, 'UNAUTHENTICATED');
    fails(await mlflowClient(secured, { token: 'not-a-real-token' }).get('/experiments/get', { experiment_id: '0' }), 401, 'UNAUTHENTICATED');
    ok(await user.get('/experiments/get', { experiment_id: '0' }));

    const command = 'echo "TOKEN=$MLFLOW_TRACKING_TOKEN"; echo "RUN=$MLFLOW_RUN_ID"; echo "EXP=$MLFLOW_EXPERIMENT_ID"; echo "URI=$MLFLOW_TRACKING_URI"';
    const spec = { type: 'command', command, experiment_name: 'tokens' };
    const created = await fetch(`${secured.url}/api/v1/workspaces/default/jobs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ spec }) });
    assert.equal(created.status, 201);
    const job = (await created.json()) as any;
    const jobUrl = `${secured.url}/api/v1/workspaces/default/jobs/${job.name}`;
    await waitFor('the job to complete', async () => ((await (await fetch(jobUrl, { headers: auth })).json()) as any).status === 'Completed');
    const logs = (await (await fetch(`${jobUrl}/logs`, { headers: auth })).json()) as any;
    const env = Object.fromEntries(logs.lines.map((l: { text: string }) => l.text.split(/=(.*)/s).slice(0, 2)));
    const exp = ok(await user.get('/experiments/get-by-name', { experiment_name: 'tokens' })).experiment.experiment_id;
    assert.deepEqual([env.RUN, env.EXP, env.URI.replace(/\/+$/, '')], [job.id, exp, secured.url.replace(/\/+$/, '')]);
    assert.ok(env.TOKEN && env.TOKEN !== token);

    const asJob = mlflowClient(secured, { token: env.TOKEN });
    ok(await asJob.post('/runs/log-metric', { run_id: env.RUN, key: 'k', value: 1, timestamp: TS }), {});
    ok(await asJob.post('/runs/set-tag', { run_id: job.name, key: 't', value: 'v' }), {});
    const other = ok(await user.post('/runs/create', { experiment_id: exp })).run.info.run_id;
    const denied = [
      await asJob.post('/runs/log-metric', { run_id: other, key: 'k', value: 1, timestamp: TS }),
      await asJob.post('/runs/log-batch', { run_id: other, params: [{ key: 'p', value: '1' }] }),
      await asJob.post('/runs/update', { run_id: other, status: 'FINISHED' }),
      await asJob.post('/runs/delete', { run_id: other }),
      await asJob.call('PUT', `/artifacts/${exp}/${other}/artifacts/x.txt`, undefined, { base: '/api/2.0/mlflow-artifacts', body: 'x', headers: { 'content-type': 'text/plain' } }),
    ];
    for (const r of denied) fails(r, 403, 'PERMISSION_DENIED');
    assert.equal(ok(await asJob.get('/runs/get', { run_id: other })).run.info.run_id, other);
    ok(await asJob.post('/runs/search', { experiment_ids: [exp] }));
    // A run the job makes itself is its own to write.
    const mine = ok(await asJob.post('/runs/create', { experiment_id: exp })).run.info.run_id;
    ok(await asJob.post('/runs/log-metric', { run_id: mine, key: 'k', value: 1, timestamp: TS }), {});
    // It may make experiments for such runs, but not change the workspace's existing ones.
    ok(await asJob.post('/experiments/create', { name: 'made-by-a-job' }));
    for (const [path, body] of [
      ['/experiments/delete', { experiment_id: exp }],
      ['/experiments/update', { experiment_id: exp, new_name: 'taken-over' }],
      ['/experiments/set-experiment-tag', { experiment_id: exp, key: 'k', value: 'v' }],
    ] as const) {
      fails(await asJob.post(path, body), 403, 'PERMISSION_DENIED');
    }
    // MLFLOW_TRACKING_USERNAME / PASSWORD: HTTP Basic with the token as the password.
    const basic = `Basic ${Buffer.from(`someone:${token}`).toString('base64')}`;
    assert.equal((await fetch(`${secured.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { headers: { authorization: basic } })).status, 200);
    assert.deepEqual([...user.fiveXX, ...asJob.fiveXX, ...anon.fiveXX], []);
  });
});
