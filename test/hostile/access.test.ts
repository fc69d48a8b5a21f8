// Who may call what: every registered route with every kind of token, decided on the route that
// matched (never the raw URL), and the URL tricks that used to get a job token into other jobs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCESS, allows, type TokenKind } from '../../src/server/access.ts';
import { runCli, TestServer, tempDir, waitFor } from '../helpers/cairn.ts';
import { ADMIN, auth, jobTokenOf, nodeTokenOf } from '../helpers/hostile.ts';

type Caller = 'anonymous' | 'admin' | 'own job' | 'other job' | 'node';
const KIND: Record<Caller, TokenKind | null> = { anonymous: null, admin: 'admin', 'own job': 'job', 'other job': 'job', node: 'node' };

describe('access: every route, every token kind', () => {
  const server = new TestServer({ token: ADMIN });
  const work = tempDir('access');
  const tokens: Record<Caller, string | undefined> = { anonymous: undefined, admin: ADMIN, 'own job': undefined, 'other job': undefined, node: undefined };
  let jobA: { name: string; id: string; snapshot_id: string };
  let jobB: { name: string; id: string };
  const blob = Buffer.from('a blob the walk uploads\n');
  const sha = createHash('sha256').update(blob).digest('hex');

  const submit = async (name: string, folder: string) => {
    const dir = join(work, folder);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.py'), `print(${JSON.stringify(folder)})\n`);
    const r = await runCli(['run', '-n', name, '--no-stream', '-o', 'json', '--', 'bash', '-c', 'echo "$CAIRN_JOB_TOKEN"; sleep 120'], { env: server.cliEnv, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const api = (path: string, token: string | undefined, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...auth(token), ...(init.headers as Record<string, string>) } });

  before(async () => {
    await server.start();
    await server.waitForAgent();
    jobA = await submit('job-a', 'a');
    jobB = await submit('job-b', 'b');
    tokens['own job'] = await jobTokenOf(server, jobA.name);
    tokens['other job'] = await jobTokenOf(server, jobB.name);
    tokens.node = nodeTokenOf(server);
  });
  after(async () => {
    for (const n of [jobA?.name, jobB?.name]) if (n) await api(`/api/v1/workspaces/default/jobs/${n}/cancel`, ADMIN, { method: 'POST' });
    await server.stop();
  });

  /** The URL of a route pattern, its parameters filled with real things (`:name` is job A for job routes). */
  function urlOf(pattern: string): string {
    const name = pattern.includes('/computes/') ? 'local' : pattern.includes('/environments/') ? 'no-such-env' : jobA.name;
    const id = pattern.includes('/attempts/') ? '00000000-0000-0000-0000-000000000000' : jobA.snapshot_id;
    return pattern
      .replace(':ws', 'default')
      .replace(':name', name)
      .replace(':key', 'loss')
      .replace(':sha', sha)
      .replace(':id', id)
      .replace(':node', 'local')
      .replace(':action', 'start')
      .replace('*', `0/${jobA.id}/artifacts/x.txt`);
  }

  it('answers each route as the table says, for each kind of caller', async () => {
    const wrong: string[] = [];
    for (const [row, policy] of Object.entries(ACCESS)) {
      const [method, pattern] = row.split(' ') as [string, string];
      const url = urlOf(pattern) + (pattern.endsWith('/work') ? '?wait_ms=0' : '');
      for (const caller of Object.keys(tokens) as Caller[]) {
        const kind = KIND[caller];
        // Own-job routes check the job they name; MLflow's artifact routes let any job through to the
        // service, which checks the run in the path (job A's here).
        const namesJobA = policy === 'own-job' || policy === 'own-snapshot' || pattern.includes('mlflow-artifacts/artifacts/*');
        const expected = policy === 'public' || (kind !== null && allows(policy, kind) && !(caller === 'other job' && namesJobA));
        const body = method === 'PUT' && pattern.includes('/blobs/') ? { body: blob, headers: { 'content-type': 'application/octet-stream' } } : ['POST', 'PUT', 'PATCH'].includes(method) ? { body: '{}', headers: { 'content-type': 'application/json' } } : {};
        const abort = new AbortController();
        const res = await api(url, tokens[caller], { method, ...body, signal: abort.signal });
        abort.abort(); // live streams answer their status first; the rest is not needed
        const denied = res.status === 401 || res.status === 403;
        if (denied === expected) wrong.push(`${row} as ${caller}: ${res.status} (policy ${policy})`);
        if (caller === 'admin' && res.status === 404) {
          const text = await res.text().catch(() => '');
          if (/no route|ENDPOINT_NOT_FOUND/.test(text)) wrong.push(`${row}: in the table but no such route`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('decides on the matched route and its parameters: encoded paths, query strings and other jobs do not get through', async () => {
    const own = tokens['own job'];
    const tricks = [
      `/api/v1/workspaces/default/%6Aobs/${jobB.name}/artifacts/content?path=x&y=/jobs/${jobA.name}`,
      `/api/v1/workspaces/default/jobs/${jobB.name}/logs?next=/jobs/${jobA.name}`,
      `/api/v1/workspaces/default/jobs/${jobB.name}/stream`,
      `/api/v1/workspaces/default/jobs/${jobB.name}/metrics/loss`,
      `/api/v1/workspaces/default/jobs?x=/jobs/${jobA.name}`,
      `/api/v1/workspaces/default/computes?x=/jobs/${jobA.name}`,
      `/api/v1/workspaces/other/jobs/${jobA.name}`,
    ];
    for (const t of tricks) {
      const abort = new AbortController();
      const r = await api(t, own, { signal: abort.signal });
      abort.abort();
      assert.equal(r.status, 403, t);
    }
    // Its own job it may read, whatever the spelling.
    assert.equal((await api(`/api/v1/workspaces/default/%6Aobs/${jobA.name}`, own)).status, 200);
    // Another job's run through MLflow: its metrics may be compared, its files are not the job's to read.
    const other = await api(`/api/2.0/mlflow-artifacts/artifacts/0/${jobB.id}/artifacts?path=`, own);
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { error_code: string }).error_code, 'PERMISSION_DENIED');
    assert.equal((await api(`/api/2.0/mlflow/runs/get?run_id=${jobB.id}`, own)).status, 200);
    // And writes only to its own run.
    const write = await api('/api/2.0/mlflow/runs/log-metric', own, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run_id: jobB.id, key: 'x', value: 1, timestamp: 1, step: 0 }) });
    assert.equal(write.status, 403);
  });

  it('health tells a caller without a token only that the server is up', async () => {
    assert.deepEqual(await (await api('/api/v1/health', undefined)).json(), { status: 'ok' });
    assert.deepEqual(await (await api('/api/v1/health', tokens['own job'])).json(), { status: 'ok' });
    const full = (await (await api('/api/v1/health', ADMIN)).json()) as Record<string, unknown>;
    assert.equal(full.data_dir, server.dataDir);
    assert.equal(typeof full.pid, 'number');
  });
});

describe('access: job tokens end with their job', () => {
  const server = new TestServer({ token: ADMIN, env: { CAIRN_JOB_TOKEN_GRACE_S: '2' } });
  const work = tempDir('access-expiry');
  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server.stop());

  const logMetric = (token: string, run: string) =>
    fetch(`${server.url}/api/2.0/mlflow/runs/log-metric`, { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({ run_id: run, key: 'late', value: 1, timestamp: Date.now(), step: 0 }) });

  it('works while its job runs and for the stated grace after, then answers 401 naming why', async () => {
    const r = await runCli(['run', '-n', 'short', '--no-stream', '-o', 'json', '--', 'bash', '-c', 'echo "$CAIRN_JOB_TOKEN"'], { env: server.cliEnv, cwd: work });
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    const token = await jobTokenOf(server, 'short');
    await waitFor('the job to end', async () => ((await (await fetch(`${server.url}/api/v1/workspaces/default/jobs/short`, { headers: auth(ADMIN) })).json()) as { status: string }).status === 'Completed');
    assert.equal((await logMetric(token, job.id)).status, 200, 'within the grace');
    const late = await waitFor('the token to expire', async () => {
      const res = await logMetric(token, job.id);
      return res.status === 401 ? res : null;
    }, 15_000);
    const body = (await late.json()) as { error_code: string; message: string };
    assert.equal(body.error_code, 'UNAUTHENTICATED');
    assert.match(body.message, /the job token of 'short' has expired: the job ended at .* and job tokens stop working 2 s after their job ends/);
    assert.equal((await fetch(`${server.url}/api/v1/workspaces/default/jobs/short`, { headers: auth(token) })).status, 401);
  });

  it('keeps working for a job that runs longer than the grace', async () => {
    const r = await runCli(['run', '-n', 'long', '--no-stream', '-o', 'json', '--', 'bash', '-c', 'echo "$CAIRN_JOB_TOKEN"; sleep 30'], { env: server.cliEnv, cwd: work });
    const job = JSON.parse(r.stdout);
    const token = await jobTokenOf(server, 'long');
    await new Promise((res) => setTimeout(res, 3_000));
    assert.equal((await logMetric(token, job.id)).status, 200);
    await fetch(`${server.url}/api/v1/workspaces/default/jobs/long/cancel`, { method: 'POST', headers: auth(ADMIN) });
  });
});
