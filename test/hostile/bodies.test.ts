// Hostile requests: huge bodies with and without tokens and deeply nested JSON, on every route
// family. The server authenticates before it reads a body, bounds every body, and stays up and
// under its stated memory ceiling (see the README) whatever a single request sends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/cairn.ts';
import { ADMIN, auth, flood, nodeTokenOf, peakRssMib } from '../helpers/hostile.ts';

const MB = 1024 ** 2;
/** The ceiling the README states for the server process under any single request. */
const CEILING_MIB = 512;
const SHA = 'a'.repeat(64);
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('hostile bodies', () => {
  const server = new TestServer({ token: ADMIN, env: { CAIRN_SNAPSHOT_MAX_BYTES: String(100 * MB), CAIRN_MAX_BLOB_BYTES: String(100 * MB) } });
  let nodeToken = '';
  before(async () => {
    await server.start();
    await server.waitForAgent();
    nodeToken = nodeTokenOf(server);
  });
  after(() => server.stop());
  const u = (p: string) => `${server.url}${p}`;

  const families = [
    { name: 'agent register', path: '/api/agent/v1/register', type: 'application/json', token: () => nodeToken },
    { name: 'agent blob upload', path: `/api/agent/v1/blobs/${SHA}`, type: 'application/octet-stream', method: 'PUT', token: () => nodeToken },
    { name: 'agent logs', path: '/api/agent/v1/attempts/x/logs', type: 'application/json', token: () => nodeToken },
    { name: 'job submit', path: '/api/v1/workspaces/default/jobs', type: 'application/json', token: () => ADMIN },
    { name: 'snapshot', path: '/api/v1/workspaces/default/snapshots', type: 'application/json', token: () => ADMIN },
    { name: 'blob upload', path: `/api/v1/workspaces/default/blobs/${SHA}`, type: 'application/octet-stream', method: 'PUT', token: () => ADMIN },
    { name: 'compute create', path: '/api/v1/workspaces/default/computes', type: 'application/json', token: () => ADMIN },
    { name: 'MLflow log-batch', path: '/api/2.0/mlflow/runs/log-batch', type: 'application/json', token: () => ADMIN },
    { name: 'MLflow artifact upload', path: '/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/f', type: 'application/octet-stream', method: 'PUT', token: () => ADMIN },
  ];

  it('refuses a huge body without a token before reading it: 401 after a few bytes, on every family', async () => {
    for (const f of families) {
      const r = await flood(u(f.path), { method: f.method, contentType: f.type, declared: 800 * MB, total: 800 * MB });
      assert.equal(r.status, 401, `${f.name}: ${r.body}`);
      assert.ok(r.sent < 64 * MB, `${f.name}: the server answered only after ${r.sent} bytes`);
    }
  });

  it('refuses a JSON body over its route\'s limit with 413 (MLflow: 400, as MLflow does), announced or sent chunked', async () => {
    for (const f of families.filter((x) => x.type === 'application/json')) {
      const expected = f.path.includes('mlflow') ? 400 : 413;
      const announced = await flood(u(f.path), { contentType: f.type, declared: 600 * MB, total: 600 * MB, headers: auth(f.token()) });
      assert.equal(announced.status, expected, `${f.name}: ${announced.body}`);
      assert.ok(announced.sent < 64 * MB, `${f.name}: answered after ${announced.sent} bytes`);
      const chunked = await flood(u(f.path), { contentType: f.type, total: 200 * MB, headers: auth(f.token()) });
      assert.equal(chunked.status, expected, `${f.name} (chunked): ${chunked.body}`);
    }
    const body = JSON.parse((await flood(u('/api/v1/workspaces/default/jobs'), { contentType: 'application/json', total: 10 * MB, headers: auth(ADMIN) })).body);
    assert.equal(body.error.code, 'PayloadTooLarge');
    assert.match(body.error.message, /over this route's limit of \d+ bytes/);
  });

  it('bounds uploads that stream to disk, and leaves no partial file behind', async () => {
    for (const f of families.filter((x) => x.type === 'application/octet-stream' && !x.path.includes('mlflow'))) {
      const announced = await flood(u(f.path), { method: 'PUT', contentType: f.type, declared: 800 * MB, total: 800 * MB, headers: auth(f.token()) });
      assert.equal(announced.status, 413, `${f.name}: ${announced.body}`);
      const chunked = await flood(u(f.path), { method: 'PUT', contentType: f.type, total: 300 * MB, headers: auth(f.token()) });
      assert.equal(chunked.status, 413, `${f.name} (chunked): ${chunked.body}`);
      assert.match(JSON.parse(chunked.body).error.message, /over the server's limit of 104857600 bytes/);
    }
    assert.deepEqual(readdirSync(join(server.dataDir, 'blobs', 'tmp')), []);
  });

  it('answers 400 to JSON nested 5,000 deep, on every family (MLflow\'s with its own error code)', async () => {
    const cases = [
      ['/api/agent/v1/register', nodeToken],
      ['/api/v1/workspaces/default/jobs', ADMIN],
      ['/api/v1/workspaces/default/computes', ADMIN],
      ['/api/2.0/mlflow/experiments/create', ADMIN],
      ['/api/2.0/mlflow/runs/set-tag', ADMIN],
      ['/api/2.0/mlflow/runs/log-batch', ADMIN],
      ['/ajax-api/2.0/mlflow/runs/log-batch', ADMIN],
    ] as const;
    for (const [path, token] of cases) {
      const r = await fetch(u(path), { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: deep(5000) });
      assert.equal(r.status, 400, path);
      const body = (await r.json()) as { error_code?: string; error?: { code: string; message: string } };
      if (path.includes('mlflow')) assert.equal(body.error_code, 'INVALID_PARAMETER_VALUE', path);
      else assert.match(body.error!.message, /nests deeper than 64 levels/, path);
    }
  });

  it('is still up afterwards, under its memory ceiling', async () => {
    const r = await fetch(u('/api/v1/health'));
    assert.equal(r.status, 200);
    const peak = peakRssMib(server.proc!.pid!);
    assert.ok(peak < CEILING_MIB, `peak resident memory ${peak.toFixed(0)} MiB is over the stated ${CEILING_MIB} MiB`);
  });
});
