// Input that used to be accepted with a 201 and fail later (or never): each is now a 4xx at
// submit with a one-line reason naming the problem, and nothing is created.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { CLI, json, TestServer } from '../helpers/cairn.ts';

const sha = (b: string) => createHash('sha256').update(b).digest('hex');

describe('checks at submit', () => {
  const server = new TestServer();
  const ws = () => `${server.url}/api/v1/workspaces/default`;
  const post = (path: string, body: unknown, base = ws()) => json(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  /** A 4xx whose message is one line and says what `re` says. */
  const refused = (r: { status: number; body: any }, re: RegExp, what: string) => {
    assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    const message: string = r.body.error?.message ?? r.body.message;
    assert.ok(!message.includes('\n'), `${what}: one line`);
    assert.match(message, re, what);
  };
  const job = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => post('/jobs', { spec: { command: 'echo hi', ...spec }, ...extra });

  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server.stop());

  it('refuses NUL in any text of a job, naming the field', async () => {
    refused(await job({ display_name: 'a\u0000b' }), /^spec\.display_name: must not contain a NUL character$/, 'display_name');
    refused(await job({ environment_variables: { A: 'x\u0000y' } }), /^spec\.environment_variables\.A: must not contain a NUL character$/, 'variable');
    refused(await job({ experiment_name: 'exp\u0000' }), /^spec\.experiment_name: must not contain a NUL character$/, 'experiment name');
    refused(await job({ command: 'echo \u0000' }), /^spec\.command: must not contain a NUL character$/, 'command');
  });

  it('refuses commands and variables the kernel could not take', async () => {
    refused(await job({ command: `echo ${'x'.repeat(200_000)}` }), /^spec\.command: is 200005 bytes, over the limit of 100000: put a long script in a file of the code folder and run that$/, '200 KB command');
    refused(await job({ command: `echo ${'x'.repeat(10 * 1024 * 1024)}` }), /^request body is over this route's limit of 4194304 bytes$/, '10 MB command');
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`V${i}`, 'v'.repeat(8_000)]));
    refused(await job({ environment_variables: big }), /^spec\.environment_variables: the variables take more than 262144 bytes together/, 'variables');
  });

  it('refuses snapshots no node could lay out, and sizes that are not the contents\' own', async () => {
    const content = 'print(1)\n';
    const blob = sha(content);
    const put = await fetch(`${ws()}/blobs/${blob}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: content });
    assert.equal(put.status, 204);
    const entry = (e: Record<string, unknown>) => ({ entries: [{ path: 'train.py', mode: 0o644, size: content.length, sha256: blob, ...e }] });
    refused(await post('/snapshots', entry({ path: `${'n'.repeat(300)}/train.py` })), /^snapshot path 'n{100}\.\.\.' has a name longer than 255 bytes/, '300-character name');
    refused(await post('/snapshots', entry({ path: `${'d/'.repeat(600)}x` })), /is longer than 1024 bytes$/, 'long path');
    refused(await post('/snapshots', entry({ mode: 0o7777 })), /mode 0o7777 has setuid, setgid or sticky bits; a snapshot entry has permission bits only/, 'setuid mode');
    refused(await post('/snapshots', entry({ size: 1 })), /^snapshot lists 'train\.py' as 1 bytes, but its content \([0-9a-f]{12}\) is 9 bytes$/, 'size');
    refused(await post('/snapshots', { entries: [], extra: 1 }), /Unrecognized key: "extra"/, 'unknown field');
  });

  it('refuses bad names of code folders and experiments', async () => {
    refused(await job({}, { code_folder_name: 'x'.repeat(100_000) }), /^code_folder_name: Too big: expected string to have <=255 characters$/, 'long folder');
    refused(await job({}, { code_folder_name: '' }), /^code_folder_name: must not be empty$/, 'empty folder');
    const exp = await post('/experiments/create', { name: 'exp\u0000bad' }, `${server.url}/api/2.0/mlflow`);
    assert.equal(exp.status, 400);
    assert.equal(exp.body.error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(exp.body.message, /name: must not contain a NUL character/);
  });

  it('refuses image references an engine would read as a flag', async () => {
    refused(await job({ environment: { image: '--privileged' } }), /^spec\.environment: .*'--privileged' is not an image reference|^spec\.environment\.image: '--privileged' is not an image reference/, 'inline');
    refused(await post('/environments', { name: 'evil', image: '--privileged' }), /^image: '--privileged' is not an image reference/, 'registered');
  });

  it('refuses unknown top-level fields of a job request instead of dropping them', async () => {
    refused(await post('/jobs', { spec: { command: 'echo' }, priority: 'high' }), /Unrecognized key: "priority"/, 'unknown field');
    refused(await post('/jobs', { spec: { command: 'echo' }, git: { commit: 'abc', signed: true } }), /^git: Unrecognized key: "signed"$/, 'unknown git field');
  });

  it('left nothing behind: no job was created by any of the refusals', async () => {
    const jobs = await json(`${ws()}/jobs?all=true`);
    assert.deepEqual(jobs.body, []);
  });

  it("refuses artifact paths past the limit, and a file named `outputs` in a job's run", async () => {
    const created = await job({ command: 'mkdir -p outputs && echo w > outputs/model.txt', name: 'with-model' });
    assert.equal(created.status, 201);
    const { id } = created.body;
    const run = (await json(`${server.url}/api/2.0/mlflow/runs/get?run_id=${id}`)).body.run;
    const artifact = (path: string) => fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${run.info.experiment_id}/${id}/artifacts/${path}`, { method: 'PUT', body: 'x' });
    const long = await artifact('a/'.repeat(2100) + 'f');
    assert.equal(long.status, 400);
    assert.match(((await long.json()) as { message: string }).message, /artifact path '.*' is longer than 1024 bytes/);
    const outputs = await artifact('outputs');
    assert.equal(outputs.status, 400);
    assert.match(((await outputs.json()) as { message: string }).message, /Invalid path 'outputs': in a job's run it is the folder of the job's outputs/);
  });
});

describe('the CLI on a closed pipe', () => {
  const server = new TestServer();
  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server.stop());

  it('ends quietly when its reader goes away (cairn job stream | head)', async () => {
    const env = { ...process.env, ...server.cliEnv };
    const submit = spawnSync(process.execPath, [CLI, 'run', '-n', 'chatty', '--', 'bash', '-c', 'seq 1 20000'], { env, encoding: 'utf8' });
    assert.equal(submit.status, 0, submit.stderr);
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" job stream -n chatty | head -n 1; echo "cairn=\${PIPESTATUS[0]}" >&2`], { env, encoding: 'utf8' });
    assert.equal(r.stdout, '1\n');
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at /, r.stderr);
    assert.match(r.stderr, /cairn=0/);
  });
});
