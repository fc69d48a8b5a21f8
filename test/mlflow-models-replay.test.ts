// Replays what the MLflow 2.12 and 3.x Python clients send when a script autologs a scikit-learn
// model, registers it, gives it an alias and loads it back (test/fixtures/mlflow/models-client-*.json),
// against a real `cairn server`, and checks every answer: its status and error code, the fields
// the client reads, and the bytes of every model file it downloads. The sequences were rebuilt
// from the clients' source, call by call (see each fixture's `provenance`), as neither client can
// be installed on this project's machines; then the registered model is looked for where Cairn
// keeps it: a model asset (a row of asset_containers) whose versions are content snapshots.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TestServer, waitFor } from './helpers/cairn.ts';
import { freshDatabase, postgresUrl, type FreshDatabase } from './helpers/pg.ts';

interface Call {
  note?: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** A PUT's body: one of the fixture's files. */
  file?: string;
  status: number;
  error_code?: string;
  /** The whole answer. */
  response?: unknown;
  /** Fields the answer must hold (objects: at least these keys; arrays: these elements, in order). */
  expect?: unknown;
  /** Placeholders filled from the answer: name -> dotted path. */
  capture?: Record<string, string>;
  /** A GET whose bytes must be this fixture file. */
  download?: string;
}
interface Fixture {
  what: string;
  provenance: string;
  files: Record<string, string | { base64: string }>;
  calls: Call[];
}

const load = (name: string): Fixture => JSON.parse(readFileSync(new URL(`./fixtures/mlflow/${name}`, import.meta.url), 'utf8'));

/** Fills `{{name}}` everywhere in a value; `{json: X}` becomes X as JSON text (log-model's model_json). */
function fill(v: unknown, vars: Record<string, string>): unknown {
  if (typeof v === 'string') {
    return v.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
      if (!(k in vars)) throw new Error(`placeholder {{${k}}} has no value yet`);
      return vars[k];
    });
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, vars));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && 'json' in o) return JSON.stringify(fill(o.json, vars));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fill(x, vars)]));
  }
  return v;
}

function fileBytes(f: Fixture, name: string, vars: Record<string, string>): Buffer {
  const v = f.files[name];
  if (v === undefined) throw new Error(`the fixture has no file ${name}`);
  return typeof v === 'string' ? Buffer.from(fill(v, vars) as string) : Buffer.from(v.base64, 'base64');
}

function holds(actual: unknown, expected: unknown, where: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => holds(actual[i], e, `${where}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${where}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, e] of Object.entries(expected)) holds((actual as Record<string, unknown>)[k], e, `${where}.${k}`);
  } else assert.deepEqual(actual, expected, where);
}

const pick = (v: unknown, path: string): string => String(path.split('.').reduce<any>((o, k) => o?.[k], v));

/** Replays a fixture; returns the placeholders it filled (run id, model id...). */
async function replay(server: TestServer, fixture: Fixture, vars: Record<string, string>): Promise<Record<string, string>> {
  for (const [i, raw] of fixture.calls.entries()) {
    const where = `call ${i + 1} ${raw.method} ${raw.path}${raw.note ? ` (${raw.note})` : ''}`;
    const c = { ...raw, path: fill(raw.path, vars) as string, query: fill(raw.query, vars) as Record<string, string> | undefined };
    const url = `${server.url}${c.path}${c.query ? `?${new URLSearchParams(c.query)}` : ''}`;
    const init: RequestInit = { method: c.method, headers: { 'user-agent': 'mlflow-python-client/replay' } };
    if (c.file) {
      init.body = new Uint8Array(fileBytes(fixture, c.file, vars));
      (init.headers as Record<string, string>)['content-type'] = 'application/octet-stream';
    } else if (c.body !== undefined) {
      init.body = JSON.stringify(fill(c.body, vars));
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(url, init);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, c.status, `${where}: ${bytes.toString().slice(0, 500)}`);
    if (c.download) {
      assert.deepEqual(bytes, fileBytes(fixture, c.download, vars), `${where}: the downloaded bytes`);
      continue;
    }
    const body = bytes.length ? JSON.parse(bytes.toString()) : {};
    if (c.error_code) assert.equal(body.error_code, c.error_code, where);
    if (c.response !== undefined) assert.deepEqual(body, fill(c.response, vars), where);
    for (const [k, path] of Object.entries(c.capture ?? {})) vars[k] = pick(body, path);
    if (c.expect !== undefined) holds(body, fill(c.expect, vars), where);
  }
  return vars;
}

/** The test server's own database, read-only: where Cairn keeps the registered model as a model asset. */
function assetRows(server: TestServer, name: string) {
  const db = new DatabaseSync(join(server.dataDir, 'cairn.db'), { readOnly: true });
  try {
    const container = db.prepare("select * from asset_containers where kind = 'model' and name = ?").get(name) as Record<string, unknown> | undefined;
    const versions = db.prepare("select * from assets where kind = 'model' and name = ? order by version_num").all(name) as Record<string, any>[];
    const aliases = db.prepare('select alias, version from model_aliases where name = ?').all(name).map((r) => ({ ...r })) as { alias: string; version: string }[];
    return { container, versions, aliases };
  } finally {
    db.close();
  }
}

const server = new TestServer();
before(() => server.start());
after(() => server.stop());
const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/2.0/mlflow${path}`, init).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
const post = (path: string, body: unknown, method = 'POST') => api(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the MLflow 2.12 client: autolog, log_model, register_model, aliases, load_model', () => {
  const fixture = load('models-client-2.12.json');
  let vars: Record<string, string>;

  it('answers every call as the client expects, with no ENDPOINT_NOT_FOUND', async () => {
    vars = await replay(server, fixture, { experiment: 'autolog-212', model: 'iris-212' });
  });

  it('records the logged model in the run\'s mlflow.log-model.history tag, as MLflow\'s server does', async () => {
    const run = (await api(`/runs/get?run_id=${vars.run}`)).body.run;
    const tag = run.data.tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history');
    const history = JSON.parse(tag.value);
    assert.equal(history.length, 1);
    assert.deepEqual(Object.keys(history[0]).sort(), ['artifact_path', 'flavors', 'model_uuid', 'run_id', 'utc_time_created']);
    assert.deepEqual([history[0].run_id, history[0].artifact_path, Object.keys(history[0].flavors).sort()], [vars.run, 'model', ['python_function', 'sklearn']]);
    const again = await post('/runs/log-model', { run_id: vars.run, model_json: JSON.stringify({ ...history[0], artifact_path: 'second' }) });
    assert.equal(again.status, 200);
    const after2 = (await api(`/runs/get?run_id=${vars.run}`)).body.run.data.tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history');
    assert.deepEqual(JSON.parse(after2.value).map((m: { artifact_path: string }) => m.artifact_path), ['model', 'second']);
  });

  it('keeps the registered model as a Cairn model asset whose versions hold the files, not a pointer to the run', async () => {
    const { container, versions, aliases } = assetRows(server, 'iris-212');
    assert.ok(container, 'a model asset named iris-212');
    assert.deepEqual(versions.map((v) => [v.version, v.type, v.file_count, v.run_id, v.created_by]), [
      ['1', 'mlflow_model', 5, vars.run, 'local-user'],
      ['2', 'mlflow_model', 5, vars.run, 'local-user'],
    ]);
    // The same files twice: two versions, one content snapshot.
    assert.equal(versions[0].snapshot_id, versions[1].snapshot_id);
    assert.deepEqual(aliases, [{ alias: 'champion', version: '1' }]);
    // Deleting the run's files leaves the version whole.
    const del = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${vars.exp}/${vars.run}/artifacts/model`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    // The run's copy is really gone, so what answers below can only be the version's own.
    const fromRun = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${vars.exp}/${vars.run}/artifacts/model/model.pkl`);
    assert.equal(fromRun.status, 404);
    const got = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/iris-212/1/model.pkl`);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), Buffer.from((fixture.files['model.pkl'] as { base64: string }).base64, 'base64'));
  });
});

describe('the MLflow 3.x client: logged models, register_model through models:/MODEL_ID', () => {
  const fixture = load('models-client-3.x.json');
  let vars: Record<string, string>;

  it('answers every call as the client expects', async () => {
    vars = await replay(server, fixture, { experiment: 'autolog-3', model: 'iris-3' });
  });

  it('keeps the logged model\'s files under its own id, and the version as a Cairn model asset made from them', async () => {
    const { versions } = assetRows(server, 'iris-3');
    assert.deepEqual(versions.map((v) => [v.version, v.path, v.run_id, JSON.parse(v.properties)]), [['1', `models:/${vars.model_id}`, vars.run, { 'mlflow.model_id': vars.model_id }]]);
    const listed = (await api(`/logged-models/${vars.model_id}/artifacts/directories`)).body;
    assert.equal(listed.root_uri, `mlflow-artifacts:/${vars.exp}/models/${vars.model_id}/artifacts`);
    assert.deepEqual(listed.files.map((f: { path: string }) => f.path), ['MLmodel', 'conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']);
  });

  it('registers runs:/RUN/model from the run\'s logged model when the client sends the run\'s path (older 3.x resolution)', async () => {
    const r = await post('/model-versions/create', { name: 'iris-3', source: `mlflow-artifacts:/${vars.exp}/${vars.run}/artifacts/model`, run_id: vars.run });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.model_version.version, r.body.model_version.model_id], ['2', vars.model_id]);
    const { versions } = assetRows(server, 'iris-3');
    assert.equal(versions[0].snapshot_id, versions[1].snapshot_id);
  });

  it('logged models: tags, params, finalize, search filters, delete; MLflow\'s codes for what is wrong', async () => {
    const lm = `/logged-models/${vars.model_id}`;
    assert.equal((await post(`${lm}/params`, { params: [{ key: 'extra', value: '1' }] })).status, 200);
    assert.equal((await post(`${lm}/params`, { params: [{ key: 'extra', value: '2' }] })).body.error_code, 'INVALID_PARAMETER_VALUE');
    assert.equal((await post(`${lm}/tags`, { tags: [{ key: 'stage', value: 'dev' }] }, 'PATCH')).status, 200);
    const search = (filter: string) => post('/logged-models/search', { experiment_ids: [vars.exp], filter }).then((r) => (r.body.models ?? []).map((m: any) => m.info.model_id));
    assert.deepEqual(await search("tags.stage = 'dev'"), [vars.model_id]);
    assert.deepEqual(await search("params.extra = '1' AND status = 'READY'"), [vars.model_id]);
    assert.deepEqual(await search(`source_run_id = '${vars.run}'`), [vars.model_id]);
    assert.deepEqual(await search("name LIKE 'mod%' AND model_type = 'x'"), []);
    assert.equal((await post('/logged-models/search', { experiment_ids: [vars.exp], filter: 'name ==== 1' })).status, 400);
    // An unknown order_by field is refused whether or not anything matched.
    assert.equal((await post('/logged-models/search', { experiment_ids: [vars.exp], filter: "name = 'none such'", order_by: [{ field_name: 'nope' }] })).status, 400);
    assert.equal((await api(`${lm}/tags/stage`, { method: 'DELETE' })).status, 200);
    const gone = await api(`${lm}/tags/stage`, { method: 'DELETE' });
    assert.deepEqual([gone.status, gone.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
    assert.equal((await post(lm, { status: 'NOT_A_STATUS' }, 'PATCH')).status, 400);
    const other = (await post('/logged-models', { experiment_id: vars.exp })).body.model.info;
    assert.match(other.model_id, /^m-[0-9a-f]{32}$/);
    assert.ok(other.name, 'a generated name');
    assert.equal((await post('/logged-models', { experiment_id: vars.exp, name: 'a/b' })).status, 400);
    assert.equal((await post('/logged-models', { experiment_id: '424242' })).status, 404);
    assert.equal((await api(`/logged-models/${other.model_id}`, { method: 'DELETE' })).status, 200);
    assert.equal((await api(`/logged-models/${other.model_id}`)).status, 404);
  });
});

describe('the registry over Cairn model assets', () => {
  let run = '';
  let exp = '';
  before(async () => {
    exp = (await post('/experiments/create', { name: 'registry-checks' })).body.experiment_id;
    run = (await post('/runs/create', { experiment_id: exp })).body.run.info.run_id;
    for (const f of ['MLmodel', 'model.pkl']) {
      const r = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/clf/${f}`, { method: 'PUT', body: `${f} bytes` });
      assert.equal(r.status, 200);
    }
  });

  it('create, get, update, rename, tags, search, stages, delete; MLflow\'s answers for what does not exist', async () => {
    assert.equal((await post('/registered-models/create', { name: 'clf', description: 'first', tags: [{ key: 'team', value: 'a' }] })).status, 200);
    assert.equal((await post('/registered-models/create', { name: 'bad name!' })).body.error_code, 'INVALID_PARAMETER_VALUE');
    for (const source of [`runs:/${run}/clf`, `runs:/${run}/clf`, `models:/clf/1`]) {
      const r = await post('/model-versions/create', { name: 'clf', source, run_id: run, tags: [{ key: 'k', value: source }] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const notFound = [
      await post('/model-versions/create', { name: 'nope', source: `runs:/${run}/clf` }),
      await api('/registered-models/get?name=nope'),
      await api('/model-versions/get?name=clf&version=99'),
      await api('/registered-models/alias?name=clf&alias=missing'),
    ];
    for (const r of notFound) assert.deepEqual([r.status, r.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
    const refused = [
      await post('/model-versions/create', { name: 'clf', source: 's3://bucket/model' }),
      // A malformed escape in a source is the caller's mistake, never a 500 the client retries for minutes.
      await post('/model-versions/create', { name: 'clf', source: 'mlflow-artifacts:/models/clf/%E0' }),
      await post('/model-versions/create', { name: 'clf', source: `mlflow-artifacts:/${exp}/${run}/artifacts/%E0` }),
      await post('/model-versions/create', { name: 'clf', source: `runs:/${run}/nothing-here` }),
      await post('/registered-models/alias', { name: 'clf', alias: 'latest', version: '1' }),
      await post('/registered-models/alias', { name: 'clf', alias: 'v3', version: '1' }),
      await post('/model-versions/transition-stage', { name: 'clf', version: '1', stage: 'Nowhere', archive_existing_versions: false }),
      // Tags are read as MLflow reads them: a value that is no string, a key that acts like a path.
      await post('/registered-models/create', { name: 'tagged', tags: [{ key: 'k', value: { not: 'a string' } }] }),
      await post('/model-versions/set-tag', { name: 'clf', version: '1', key: '../up', value: 'v' }),
    ];
    for (const r of refused) assert.deepEqual([r.status, r.body.error_code], [400, 'INVALID_PARAMETER_VALUE'], JSON.stringify(r.body));

    assert.equal((await post('/model-versions/transition-stage', { name: 'clf', version: '1', stage: 'production', archive_existing_versions: false })).body.model_version.current_stage, 'Production');
    await post('/model-versions/transition-stage', { name: 'clf', version: '2', stage: 'Production', archive_existing_versions: true });
    const latest = (await post('/registered-models/get-latest-versions', { name: 'clf', stages: ['Production', 'Archived'] })).body.model_versions;
    assert.deepEqual(latest.map((v: any) => [v.version, v.current_stage]), [['1', 'Archived'], ['2', 'Production']]);
    assert.equal((await post('/model-versions/update', { name: 'clf', version: '3', description: 'copy of 1' }, 'PATCH')).body.model_version.description, 'copy of 1');
    assert.equal((await post('/model-versions/set-tag', { name: 'clf', version: '3', key: 'ok', value: 'yes' })).status, 200);
    const byTag = (await api(`/model-versions/search?${new URLSearchParams({ filter: "tags.ok = 'yes'" })}`)).body.model_versions;
    assert.deepEqual(byTag.map((v: any) => v.version), ['3']);
    const byRun = (await api(`/model-versions/search?${new URLSearchParams({ filter: `run_id IN ('${run}') AND name = 'clf'`, order_by: 'version_number ASC' })}`)).body.model_versions;
    assert.deepEqual(byRun.map((v: any) => v.version), ['1', '2', '3']);
    assert.equal((await post('/model-versions/delete-tag', { name: 'clf', version: '3', key: 'ok' }, 'DELETE')).status, 200);

    assert.equal((await post('/registered-models/set-tag', { name: 'clf', key: 'owner', value: 'me' })).status, 200);
    assert.equal((await post('/registered-models/update', { name: 'clf', description: 'second' }, 'PATCH')).body.registered_model.description, 'second');
    const renamed = (await post('/registered-models/rename', { name: 'clf', new_name: 'clf-renamed' })).body.registered_model;
    assert.deepEqual([renamed.name, renamed.tags], ['clf-renamed', [{ key: 'team', value: 'a' }, { key: 'owner', value: 'me' }]]);
    const found = (await api(`/registered-models/search?${new URLSearchParams({ filter: "name LIKE 'clf%' AND tags.owner = 'me'" })}`)).body.registered_models;
    assert.deepEqual(found.map((m: any) => [m.name, m.latest_versions.map((v: any) => `${v.version}:${v.current_stage}`)]), [['clf-renamed', ['1:Archived', '2:Production', '3:None']]]);
    assert.equal((await post('/registered-models/delete-tag', { name: 'clf-renamed', key: 'owner' }, 'DELETE')).status, 200);
    assert.equal((await post('/model-versions/delete', { name: 'clf-renamed', version: '3' }, 'DELETE')).status, 200);
    assert.equal((await api('/model-versions/get?name=clf-renamed&version=3')).status, 404);
    assert.equal((await post('/registered-models/delete', { name: 'clf-renamed' }, 'DELETE')).status, 200);
    assert.deepEqual(assetRows(server, 'clf-renamed'), { container: undefined, versions: [], aliases: [] });
  });

  it('log-inputs: validates datasets as MLflow does, and refuses a deleted run', async () => {
    const ds = { name: 'd', digest: 'x'.repeat(37), source_type: 'code', source: '{}' };
    assert.equal((await post('/runs/log-inputs', { run_id: run, datasets: [{ dataset: ds }] })).body.error_code, 'INVALID_PARAMETER_VALUE');
    assert.equal((await post('/runs/log-inputs', { run_id: run, datasets: [{ dataset: { name: 'd' } }] })).body.error_code, 'INVALID_PARAMETER_VALUE');
    assert.equal((await post('/runs/log-inputs', { run_id: 'f'.repeat(32), datasets: [] })).status, 404);
    // Counts in one request are bounded, as log-batch's are.
    const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));
    const overs = [
      await post('/runs/log-inputs', { run_id: run, datasets: many(1001, (i) => ({ dataset: { ...ds, name: `d${i}`, digest: 'abc' } })) }),
      await post('/runs/outputs', { run_id: run, models: many(1001, () => ({ model_id: 'm-0', step: 0 })) }),
      await post('/logged-models', { experiment_id: exp, params: many(101, (i) => ({ key: `p${i}`, value: '1' })) }),
      await post('/registered-models/create', { name: 'many-tags', tags: many(101, (i) => ({ key: `t${i}`, value: '1' })) }),
    ];
    for (const r of overs) assert.deepEqual([r.status, r.body.error_code], [400, 'INVALID_PARAMETER_VALUE'], JSON.stringify(r.body));
    assert.match(overs[0].body.message, /at most 1000 datasets/);
    assert.equal((await post('/runs/log-model', { run_id: run, model_json: '{"flavors": {}}' })).body.error_code, 'INVALID_PARAMETER_VALUE');
    assert.equal((await post('/runs/log-model', { run_id: run, model_json: 'not json' })).body.error_code, 'INVALID_PARAMETER_VALUE');
    await post('/runs/delete', { run_id: run });
    assert.equal((await post('/runs/log-inputs', { run_id: run, datasets: [{ dataset: { ...ds, digest: 'abc' } }] })).status, 400);
  });

  it('serves version files read-only', async () => {
    await post('/registered-models/create', { name: 'ro' });
    await post('/runs/restore', { run_id: run });
    assert.equal((await post('/model-versions/create', { name: 'ro', source: `runs:/${run}/clf` })).status, 200);
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/ro/1/MLmodel`, { method: 'PUT', body: 'changed' });
    assert.equal(put.status, 400);
    const missing = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/ro/9/MLmodel`);
    assert.equal(missing.status, 404);
  });
});

describe('job tokens: a job writes only its own logged models, and registers only what it may read', () => {
  const token = 'models-test-token-0123456789';
  // The job has ended before its token is used: the grace after the end is made long enough for a loaded machine.
  const secured = new TestServer({ env: { CAIRN_AUTH_TOKENS: token, CAIRN_JOB_TOKEN_GRACE_S: '600' } });
  before(() => secured.start());
  after(() => secured.stop());
  const as = (bearer: string) => (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') =>
    fetch(`${secured.url}${path.startsWith('/api') ? '' : '/api/2.0/mlflow'}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as any }));

  it('scopes logged models and their files to the job; in the registry it creates freely and changes only what it made', async () => {
    const user = as(token);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const spec = { type: 'command', command: 'echo "TOKEN=$MLFLOW_TRACKING_TOKEN"; echo "RUN=$MLFLOW_RUN_ID"', experiment_name: 'job-models' };
    const created = await fetch(`${secured.url}/api/v1/workspaces/default/jobs`, { method: 'POST', headers: auth, body: JSON.stringify({ spec }) });
    assert.equal(created.status, 201);
    const job = (await created.json()) as { name: string };
    const jobUrl = `${secured.url}/api/v1/workspaces/default/jobs/${job.name}`;
    await waitFor('the job to complete', async () => ((await (await fetch(jobUrl, { headers: auth })).json()) as { status: string }).status === 'Completed');
    const logs = (await (await fetch(`${jobUrl}/logs`, { headers: auth })).json()) as { lines: { text: string }[] };
    const env = Object.fromEntries(logs.lines.map((l) => l.text.split(/=(.*)/s).slice(0, 2)));
    const asJob = as(env.TOKEN);
    const exp = (await user('/experiments/get-by-name?experiment_name=job-models')).body.experiment.experiment_id;
    const other = (await user('/runs/create', { experiment_id: exp })).body.run.info.run_id;

    // Its own logged model, from its own run: create, upload, finalize, list.
    const mine = (await asJob('/logged-models', { experiment_id: exp, name: 'model', source_run_id: env.RUN })).body.model.info;
    const files = `/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${mine.model_id}/artifacts`;
    assert.equal((await asJob(`${files}/MLmodel`, 'flavors: {}', 'PUT')).status, 200);
    assert.equal((await asJob(`/logged-models/${mine.model_id}`, { status: 'LOGGED_MODEL_READY' }, 'PATCH')).status, 200);
    assert.equal((await asJob(`/api/2.0/mlflow-artifacts/artifacts?path=${exp}/models/${mine.model_id}/artifacts`)).body.files[0].path, 'MLmodel');

    // Someone else's: readable as an entity, but not its to change or to read the files of.
    const theirs = (await user('/logged-models', { experiment_id: exp, name: 'theirs', source_run_id: other })).body.model.info;
    await user(`/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${theirs.model_id}/artifacts/MLmodel`, 'x', 'PUT');
    assert.equal((await asJob(`/logged-models/${theirs.model_id}`)).status, 200);
    const denied = [
      await asJob(`/logged-models/${theirs.model_id}`, { status: 'LOGGED_MODEL_READY' }, 'PATCH'),
      await asJob(`/logged-models/${theirs.model_id}/tags`, { tags: [{ key: 'k', value: 'v' }] }, 'PATCH'),
      await asJob(`/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${theirs.model_id}/artifacts/MLmodel`, 'y', 'PUT'),
      await asJob(`/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${theirs.model_id}/artifacts/MLmodel`),
      await asJob('/logged-models', { experiment_id: exp, source_run_id: other }),
      await asJob('/runs/log-inputs', { run_id: other, datasets: [] }),
      await asJob('/runs/outputs', { run_id: other, models: [{ model_id: mine.model_id, step: 0 }] }),
    ];
    for (const r of denied) assert.deepEqual([r.status, r.body.error_code], [403, 'PERMISSION_DENIED'], JSON.stringify(r.body));

    // The registry: open to the job, but only from files it may read; the version records the job.
    assert.equal((await asJob('/registered-models/create', { name: 'from-a-job' })).status, 200);
    const v = await asJob('/model-versions/create', { name: 'from-a-job', source: `models:/${mine.model_id}`, model_id: mine.model_id, run_id: env.RUN });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.model_version.user_id, `job:${job.name}`);
    assert.equal((await asJob('/model-versions/create', { name: 'from-a-job', source: `models:/${theirs.model_id}` })).status, 403);
    assert.equal((await asJob(`/api/2.0/mlflow-artifacts/artifacts/models/from-a-job/1/MLmodel`)).status, 200);
    const anon = await fetch(`${secured.url}/api/2.0/mlflow/registered-models/get?name=from-a-job`);
    assert.equal(anon.status, 401);

    // What it made it may change; a team's model only grows by the versions it registers.
    assert.equal((await asJob('/registered-models/alias', { name: 'from-a-job', alias: 'champion', version: '1' })).status, 200);
    assert.equal((await asJob('/model-versions/set-tag', { name: 'from-a-job', version: '1', key: 'k', value: 'v' })).status, 200);
    assert.equal((await user('/registered-models/create', { name: 'team-model' })).status, 200);
    assert.equal((await user('/model-versions/create', { name: 'team-model', source: `models:/${mine.model_id}` })).status, 200);
    assert.equal((await asJob('/model-versions/create', { name: 'team-model', source: `models:/${mine.model_id}` })).status, 200, 'a job may add a version');
    const refused = [
      await asJob('/registered-models/delete', { name: 'team-model' }, 'DELETE'),
      await asJob('/registered-models/rename', { name: 'team-model', new_name: 'gone' }),
      await asJob('/registered-models/alias', { name: 'team-model', alias: 'champion', version: '2' }),
      await asJob('/registered-models/set-tag', { name: 'team-model', key: 'k', value: 'v' }),
      await asJob('/model-versions/delete', { name: 'team-model', version: '1' }, 'DELETE'),
      await asJob('/model-versions/update', { name: 'team-model', version: '1', description: 'mine now' }, 'PATCH'),
      await asJob('/model-versions/transition-stage', { name: 'team-model', version: '2', stage: 'Production', archive_existing_versions: true }),
    ];
    for (const r of refused) assert.deepEqual([r.status, r.body.error_code], [403, 'PERMISSION_DENIED'], JSON.stringify(r.body));
    assert.equal((await asJob('/model-versions/transition-stage', { name: 'team-model', version: '2', stage: 'Staging' })).status, 200, 'its own version');
    assert.equal((await user('/registered-models/get?name=team-model')).body.registered_model.name, 'team-model', 'nothing was changed');
  });
});

// The same calls against a server on PostgreSQL: bigint columns, the 0007 migration and the asset queries there.
const pg = await postgresUrl();
describe('both clients against a server on PostgreSQL', { skip: pg.skip }, () => {
  let db: FreshDatabase;
  let onPg: TestServer;
  before(async () => {
    db = await freshDatabase(pg.url!, 'cairn_models');
    onPg = await new TestServer({ args: ['--db', db.url] }).start();
  });
  after(async () => {
    await onPg?.stop();
    await db?.drop();
  });

  it('answers the 2.12 and the 3.x sequences as on SQLite', async () => {
    await replay(onPg, load('models-client-2.12.json'), { experiment: 'pg-212', model: 'pg-iris-212' });
    await replay(onPg, load('models-client-3.x.json'), { experiment: 'pg-3', model: 'pg-iris-3' });
  });
});
