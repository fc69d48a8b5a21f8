// What a newcomer typing the obvious hits: a misspelt status, a job name without -n, and answers
// short enough to read (the whole job, with its package list, is `job show`'s or -o json's).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';

describe('the CLI for a newcomer', () => {
  const server = new TestServer();
  const work = tempDir('newcomer');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 60_000 });
  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server.stop());

  it('refuses a misspelt status, naming the statuses, in the CLI and the API', async () => {
    const r = await cli(['job', 'list', '--status', 'Running,Runing']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: status: 'Runing' is not a job status; the statuses: Queued, Provisioning, Preparing, Running, Finalizing, CancelRequested, NotResponding, Preempted, Completed, Failed, Canceled\n");
    assert.equal((await cli(['job', 'list', '--status', 'Running,Completed'])).code, 0);
    assert.equal((await fetch(`${server.url}/api/v1/workspaces/default/jobs?status=nope`)).status, 400);
  });

  it('run --no-stream answers in three lines (-o json gives the whole job); a job is named with or without -n', async () => {
    const r = await cli(['run', '--no-stream', '-n', 'quick-one', '--', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^job quick-one submitted to local \((Queued|Preparing|Running)\)\n  follow it: cairn job stream -n quick-one\n  show it:   cairn job show -n quick-one\n$/);
    const json = await cli(['run', '--no-stream', '-n', 'quick-two', '-o', 'json', '--', 'echo', 'hi']);
    assert.equal(JSON.parse(json.stdout).name, 'quick-two');
    const shown = await cli(['job', 'show', 'quick-one', '-o', 'json']);
    assert.equal(JSON.parse(shown.stdout).name, 'quick-one');
    const streamed = await cli(['job', 'stream', 'quick-one']);
    assert.match(streamed.stdout, /^hi$/m);
    const both = await cli(['job', 'show', 'quick-one', '-n', 'quick-two']);
    assert.equal(both.stderr, "error: two job names given ('quick-one' and -n 'quick-two'): give one\n");
    const none = await cli(['job', 'show']);
    assert.equal(none.stderr, 'error: which job? give its name: -n NAME (or as the first argument)\n');
  });

  it('cairn run prints a failure reason once and the curated-environment warning once', async () => {
    const r = await cli(['run', '--environment', 'azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1', '--', 'bash', '-c', 'echo hi; exit 3']);
    assert.equal(r.code, 1);
    const count = (re: RegExp) => (r.stderr.match(re) ?? []).length;
    assert.equal(count(/is an Azure ML curated environment/g), 1, r.stderr);
    assert.equal(count(/command exited with code 3/g), 1, r.stderr);
    assert.match(r.stderr, /Failed in [\d.]+s: command exited with code 3/);
    // The job's own log still says it, for whoever reads it later.
    const name = /job (\S+) submitted/.exec(r.stderr)![1];
    assert.match((await cli(['job', 'stream', name])).stderr, /is an Azure ML curated environment/);
  });

  it('job cancel says what happened in a few lines, not the whole job', async () => {
    assert.equal((await cli(['run', '--no-stream', '-n', 'to-cancel', '--', 'sleep', '60'])).code, 0);
    const r = await cli(['job', 'cancel', 'to-cancel']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^job to-cancel (CancelRequested|Canceled)[^\n]*\n  follow it: cairn job stream -n to-cancel\n  show it:   cairn job show -n to-cancel\n$/);
  });

  it('cairn run says what to type next: after the job ends, and on Ctrl-C (which stops following, not the job)', async () => {
    const done = await cli(['run', '-n', 'says-next', '--', 'echo', 'done']);
    assert.match(done.stderr, /job says-next Completed[^\n]*\n  show it:        cairn job show -n says-next\n  its files:      cairn job download -n says-next\n$/);

    const child = spawn(process.execPath, [CLI, 'run', '-n', 'interrupted', '--', 'bash', '-c', 'echo started; sleep 60'], { env: { ...process.env, ...server.cliEnv }, cwd: work });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    await waitFor('its first line', async () => out.includes('started'), 30_000);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.match(err, /stopped following; job interrupted keeps running\n  follow it again: cairn job stream -n interrupted\n  cancel it:       cairn job cancel -n interrupted\n$/);
    const still = JSON.parse((await cli(['job', 'show', 'interrupted', '-o', 'json'])).stdout);
    assert.equal(still.status, 'Running', 'the job carries on');
    await cli(['job', 'cancel', 'interrupted']);
  });
});
