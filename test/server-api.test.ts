import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { runCli, TestServer, json, tempDir } from './helpers/cairn.ts';
import { CairnClient, NotFoundError, AlreadyExistsError, ValidationError, ConflictError, AuthError, CairnError } from '../src/sdk/index.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('server API: one error body, path checks, blobs', () => {
  const server = new TestServer();
  const ws = () => `${server.url}/api/v1/workspaces/default`;
  before(() => server.start());
  after(() => server?.stop());

  it('answers every error with {error: {code, message}} and a 4xx', async () => {
    const r = await json(`${ws()}/jobs/nope`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: { code: 'NotFound', message: "job 'nope' does not exist in workspace 'default'" } });
    const bad = await json(`${ws()}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"spec": {"command": 5}}' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'ValidationError');
    assert.match(bad.body.error.message, /^spec.command: /);
    const broken = await json(`${ws()}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'BadRequest');
    const route = await json(`${server.url}/api/v1/nothing`);
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'NotFound');
  });

  it('refuses manifest paths that escape the snapshot root', async () => {
    for (const path of ['../etc/passwd', '/abs', 'a/../../b', 'a//b', 'a\\\\b']) {
      const r = await json(`${ws()}/snapshots`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entries: [{ path, mode: 0o644, size: 1, sha256: sha('x') }] }),
      });
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error.code, 'PathEscapesRoot', path);
    }
  });

  it('stores blobs only under their own hash, and a snapshot only when all its blobs are there', async () => {
    const put = (name: string, body: string) => fetch(`${ws()}/blobs/${name}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });
    const wrong = await put(sha('a'), 'b');
    assert.equal(wrong.status, 400);
    assert.match((await wrong.json()).error.message, /does not match its name/);
    const entries = [{ path: 'a.txt', mode: 0o644, size: 1, sha256: sha('a') }];
    const missing = await json(`${ws()}/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries }) });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'MissingBlobs');
    assert.equal((await put(sha('a'), 'a')).status, 204);
    const m = await json(`${ws()}/blobs/missing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sha256: [sha('a'), sha('z')] }) });
    assert.deepEqual(m.body.missing, [sha('z')]);
    const ok = await json(`${ws()}/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries }) });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.file_count, 1);
    const again = await json(`${ws()}/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries }) });
    assert.equal(again.body.id, ok.body.id, 'the same tree is the same snapshot');
  });

  it('builds a snapshot from a delta against a base, with the id of the whole manifest', async () => {
    const post = (body: unknown) => json(`${ws()}/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const put = (s: string) => fetch(`${ws()}/blobs/${sha(s)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: s });
    for (const c of ['one', 'two', 'three']) await put(c);
    const e = (path: string, c: string) => ({ path, mode: 0o644, size: c.length, sha256: sha(c) });
    const base = await post({ entries: [e('a.txt', 'one'), e('dir/b.txt', 'two')] });
    assert.equal(base.status, 201);
    const delta = await post({ base: base.body.id, upsert: [e('dir/b.txt', 'three'), e('c.txt', 'one')], remove: ['a.txt'] });
    assert.equal(delta.status, 201, JSON.stringify(delta.body));
    const whole = await post({ entries: [e('c.txt', 'one'), e('dir/b.txt', 'three')] });
    assert.equal(delta.body.id, whole.body.id);
    assert.equal(delta.body.file_count, 2);
    const noBase = await post({ base: sha('nothing'), upsert: [], remove: [] });
    assert.equal(noBase.status, 404);
    const escape = await post({ base: base.body.id, upsert: [e('../x', 'one')], remove: [] });
    assert.equal(escape.body.error.code, 'PathEscapesRoot');
    const lacking = await post({ base: base.body.id, upsert: [e('d.txt', 'never uploaded')], remove: [] });
    assert.equal(lacking.body.error.code, 'MissingBlobs');
    const clash = await post({ base: base.body.id, upsert: [e('a.txt/inner', 'one')], remove: [] });
    assert.equal(clash.status, 400);
    assert.match(clash.body.error.message, /both a file 'a.txt' and 'a.txt\/inner'/);
  });

  it('keeps agent routes closed to anyone without the node token', async () => {
    const r = await json(`${server.url}/api/agent/v1/nodes/local/work`);
    assert.equal(r.status, 401);
    const forged = await json(`${server.url}/api/agent/v1/nodes/local/work`, { headers: { authorization: 'Bearer forged' } });
    assert.equal(forged.status, 401);
  });
});

describe('SDK: the client the CLI uses, with typed errors', () => {
  const server = new TestServer();
  let client: CairnClient;
  before(async () => {
    await server.start();
    client = new CairnClient({ url: server.url });
  });
  after(() => server?.stop());

  it('creates, lists, streams and waits for jobs', async () => {
    const job = await client.createJob({ type: 'command', command: 'echo one; echo two', name: 'sdk-job' });
    assert.equal(job.status, 'Queued');
    const seen: string[] = [];
    const final = await client.waitForCompletion('sdk-job', { showOutput: true, write: (s) => seen.push(s) });
    assert.equal(final.status, 'Completed');
    assert.deepEqual(seen, ['one\n', 'two\n']);
    assert.deepEqual((await client.logs('sdk-job')).map((l) => l.text), ['one', 'two']);
    assert.equal((await client.listJobs()).length, 1);
    assert.equal((await client.getJob('sdk-job')).exit_code, 0);
  });

  it('rebuilds typed errors carrying the server code', async () => {
    await assert.rejects(client.getJob('missing'), (e: unknown) => e instanceof NotFoundError && e instanceof CairnError && e.code === 'NotFound' && e.status === 404);
    await assert.rejects(client.createJob({ type: 'command', command: 'true', name: 'sdk-job' }), (e: unknown) => e instanceof AlreadyExistsError && e.code === 'AlreadyExists');
    await assert.rejects(client.createJob({ type: 'command', command: 'true', compute: 'gpu' }), (e: unknown) => e instanceof ValidationError && e.code === 'UnknownCompute');
    await assert.rejects(client.cancelJob('sdk-job'), (e: unknown) => e instanceof ConflictError && e.code === 'JobAlreadyFinished');
  });

  it('cancels a queued-or-running job', async () => {
    await client.createJob({ type: 'command', command: 'sleep 20', name: 'to-cancel' });
    await client.cancelJob('to-cancel');
    const final = await client.stream('to-cancel');
    assert.equal(final.status, 'Canceled');
  });
});

describe('auth: off loopback only with tokens; job tokens see only their job', () => {
  it('refuses to bind a non-loopback address without auth tokens', async () => {
    const r = await runCli(['server', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir('noauth')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: refusing to listen on 0.0.0.0 without auth: set CAIRN_AUTH_TOKENS/);
  });

  const token = 'test-token-0123456789abcdef';
  const server = new TestServer({ args: ['--auth-token', token] });
  before(() => server.start());
  after(() => server?.stop());

  it('needs a token for user routes and accepts the configured one', async () => {
    const anon = await json(`${server.url}/api/v1/workspaces/default/jobs`);
    assert.equal(anon.status, 401);
    assert.equal(anon.body.error.code, 'Unauthorized');
    const c = new CairnClient({ url: server.url, token });
    await c.createJob({ type: 'command', command: 'echo "$CAIRN_JOB_TOKEN" > outputs/token; env | grep -c CAIRN_AGENT_ || true', name: 'tok' });
    const job = await c.stream('tok');
    assert.equal(job.status, 'Completed');
    assert.deepEqual((await c.logs('tok')).map((l) => l.text), ['0'], 'the node token never reaches a job');
    const jobToken = new TextDecoder().decode(await c.artifactContent('tok', 'outputs/token')).trim();
    const own = await json(`${server.url}/api/v1/workspaces/default/jobs/tok`, { headers: { authorization: `Bearer ${jobToken}` } });
    assert.equal(own.status, 200);
    const other = await json(`${server.url}/api/v1/workspaces/default/jobs`, { headers: { authorization: `Bearer ${jobToken}` } });
    assert.equal(other.status, 403);
    await assert.rejects(new CairnClient({ url: server.url, token: 'wrong-token-0123456789' }).listJobs(), (e: unknown) => e instanceof AuthError);
  });
});
