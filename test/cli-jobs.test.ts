import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { experimentNameFrom } from '../src/protocol/job-spec.ts';
import { execFileSync } from 'node:child_process';
import { runCli, TestServer, tempDir, waitFor, json, freePort } from './helpers/cairn.ts';

/** The real CLI against a real server process (SQLite, local compute, real agent). */
describe('cairn job: create, stream, show, list, cancel, download', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '2'] });
  const work = tempDir('work');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work });

  before(async () => {
    await server.start();
    await server.waitForAgent();
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'train.py'), 'import os, sys\nprint("epoch 1", flush=True)\nprint("warn", file=sys.stderr)\nos.makedirs("outputs", exist_ok=True)\nopen("outputs/model.json","w").write("{\\"acc\\": 0.9}")\nprint("lr", sys.argv[1])\n');
    writeFileSync(join(work, 'src', 'big.tmp'), 'ignored');
    writeFileSync(join(work, 'src', '.amlignore'), '*.tmp\n');
    execFileSync('git', ['init', '-q', '-b', 'main', work]);
    execFileSync('git', ['-C', work, 'remote', 'add', 'origin', 'https://user:secret@example.com/team/repo.git']);
    execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init']);
    writeFileSync(join(work, 'job.yml'), 'command: python3 train.py ${{inputs.lr}}\ncode: ./src\ninputs:\n  lr: 0.01\nexperiment_name: demo\nenvironment: azureml:AzureML-sklearn-1.5@latest\n');
  });
  after(() => server?.stop());

  it('creates a job from YAML, streams its output and records history, git facts and outputs', async () => {
    const r = await cli(['job', 'create', '-f', 'job.yml', '--stream', '--set', 'inputs.lr=0.5', '-n', 'first-job']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'epoch 1\nlr 0.5\n');
    assert.match(r.stderr, /warn/);
    assert.match(r.stderr, /job first-job Completed/);

    const show = await cli(['job', 'show', '-n', 'first-job', '-o', 'json']);
    const job = JSON.parse(show.stdout);
    assert.equal(job.status, 'Completed');
    assert.equal(job.exit_code, 0);
    assert.equal(job.experiment_name, 'demo');
    assert.equal(job.environment, 'AzureML-sklearn-1.5@latest');
    const statuses = job.history.map((h: { status: string }) => h.status);
    assert.deepEqual(statuses.filter((s: string, i: number) => s !== statuses[i - 1]), ['Queued', 'Preparing', 'Running', 'Finalizing', 'Completed']);
    assert.ok(job.history.some((h: { reason: string }) => /fetching snapshot [0-9a-f]{12}/.test(h.reason ?? '')));
    assert.ok(job.history.every((h: { at: string }) => !Number.isNaN(Date.parse(h.at))));
    assert.match(job.snapshot_id, /^[0-9a-f]{64}$/);
    assert.equal(job.git.repository_url, 'https://example.com/team/repo.git');
    assert.equal(job.git.branch, 'main');
    assert.match(job.git.commit, /^[0-9a-f]{40}$/);
    assert.equal(job.git.dirty, false);
    assert.ok(job.start_time && job.end_time && job.duration_seconds >= 0);
    assert.deepEqual(job.outputs_collected, [{ path: 'outputs/model.json', size: 12 }]);

    const table = await cli(['job', 'show', '-n', 'first-job', '-o', 'table']);
    assert.match(table.stdout, /history:/);
    assert.match(table.stdout, /Completed\s+1\s+command exited with code 0/);
    const yaml = await cli(['job', 'show', '-n', 'first-job', '-o', 'yaml']);
    assert.match(yaml.stdout, /^command: python3 train.py \$\{\{inputs.lr\}\}$/m);
  });

  it('snapshots the code folder with its ignore rules', async () => {
    const job = JSON.parse((await cli(['job', 'show', '-n', 'first-job', '-o', 'json'])).stdout);
    const manifest = await json(`${server.url}/api/v1/workspaces/default/snapshots/${job.snapshot_id}`);
    assert.equal(manifest.status, 200);
    assert.equal(manifest.body.file_count, 2); // train.py and .amlignore; big.tmp ignored
  });

  it('re-submits only what changed: edits, additions and removals reach the job', async () => {
    const code = join(work, 'resub');
    mkdirSync(code);
    writeFileSync(join(code, 'keep.txt'), 'same');
    writeFileSync(join(code, 'gone.txt'), 'bye');
    writeFileSync(join(code, 'edit.txt'), 'v1');
    writeFileSync(join(work, 'resub.yml'), 'command: cat edit.txt; ls\ncode: ./resub\n');
    const first = await cli(['job', 'create', '-f', 'resub.yml', '--stream', '-n', 'resub-1']);
    assert.equal(first.stdout, 'v1edit.txt\ngone.txt\nkeep.txt\noutputs\n');
    rmSync(join(code, 'gone.txt'));
    writeFileSync(join(code, 'edit.txt'), 'v2');
    writeFileSync(join(code, 'new.txt'), 'hi');
    const second = await cli(['job', 'create', '-f', 'resub.yml', '--stream', '-n', 'resub-2']);
    assert.equal(second.stdout, 'v2edit.txt\nkeep.txt\nnew.txt\noutputs\n');
    const a = JSON.parse((await cli(['job', 'show', '-n', 'resub-1', '-o', 'json'])).stdout);
    const b = JSON.parse((await cli(['job', 'show', '-n', 'resub-2', '-o', 'json'])).stdout);
    assert.notEqual(a.snapshot_id, b.snapshot_id);
    const third = await cli(['job', 'create', '-f', 'resub.yml', '-n', 'resub-3', '-o', 'json']);
    assert.equal(JSON.parse(third.stdout).snapshot_id, b.snapshot_id, 'an unchanged tree is the same snapshot');
  });

  it('downloads outputs and logs', async () => {
    const dest = tempDir('dl');
    const r = await cli(['job', 'download', '-n', 'first-job', '--download-path', dest]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dest, 'first-job', 'outputs', 'model.json'), 'utf8'), '{"acc": 0.9}');
    assert.equal(readFileSync(join(dest, 'first-job', 'logs', 'stdout.txt'), 'utf8'), 'epoch 1\nlr 0.5\n');
    assert.equal(readFileSync(join(dest, 'first-job', 'logs', 'stderr.txt'), 'utf8'), 'warn\n');
    const onlyLogs = tempDir('dl');
    await cli(['job', 'download', '-n', 'first-job', '--logs', '--download-path', onlyLogs]);
    assert.ok(existsSync(join(onlyLogs, 'first-job', 'logs', 'std_log.txt')));
    assert.ok(!existsSync(join(onlyLogs, 'first-job', 'outputs')));
  });

  it('streams a finished job from the start and exits non-zero for a failed one', async () => {
    const s = await cli(['job', 'stream', '-n', 'first-job']);
    assert.equal(s.code, 0);
    assert.equal(s.stdout, 'epoch 1\nlr 0.5\n');
    writeFileSync(join(work, 'fail.yml'), 'command: echo before; echo oops >&2; exit 3\nname: failing-job\n');
    const f = await cli(['job', 'create', '-f', 'fail.yml', '--stream']);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /job failing-job Failed.*command exited with code 3: oops/);
    const job = JSON.parse((await cli(['job', 'show', '-n', 'failing-job', '-o', 'json'])).stdout);
    assert.equal(job.exit_code, 3);
    assert.equal(job.status_reason, 'command exited with code 3: oops');
  });

  it('explains a command that does not exist', async () => {
    writeFileSync(join(work, 'nf.yml'), 'command: no-such-program-xyz --x\nname: notfound-job\n');
    const r = await cli(['job', 'create', '-f', 'nf.yml', '--stream']);
    assert.equal(r.code, 1);
    const job = JSON.parse((await cli(['job', 'show', '-n', 'notfound-job', '-o', 'json'])).stdout);
    assert.match(job.status_reason, /command not found \(exit code 127\).*no-such-program-xyz/);
  });

  it('stops a job past limits.timeout with a reason', async () => {
    writeFileSync(join(work, 'slow.yml'), 'command: echo start; sleep 30\nname: slow-job\nlimits:\n  timeout: 1\n');
    const r = await cli(['job', 'create', '-f', 'slow.yml', '--stream']);
    assert.equal(r.code, 1);
    const job = JSON.parse((await cli(['job', 'show', '-n', 'slow-job', '-o', 'json'])).stdout);
    assert.equal(job.status, 'Failed');
    assert.match(job.status_reason, /exceeded limits.timeout of 1 s/);
    assert.ok(job.duration_seconds < 10);
  });

  it('cancels a running job (SIGTERM to its process group) and refuses to cancel it again', async () => {
    writeFileSync(join(work, 'long.yml'), 'command: trap "echo got TERM; exit 143" TERM; echo ready; while true; do sleep 0.1; done\nname: long-job\n');
    const created = await cli(['job', 'create', '-f', 'long.yml', '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).status, 'Queued');
    await waitFor('long-job running', async () => JSON.parse((await cli(['job', 'show', '-n', 'long-job', '-o', 'json'])).stdout).status === 'Running');
    const c = await cli(['job', 'cancel', '-n', 'long-job', '-o', 'json']);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(['CancelRequested', 'Canceled'].includes(JSON.parse(c.stdout).status));
    const s = await cli(['job', 'stream', '-n', 'long-job']);
    assert.equal(s.code, 1);
    assert.match(s.stdout, /ready\n(.*\n)*got TERM/);
    const job = JSON.parse((await cli(['job', 'show', '-n', 'long-job', '-o', 'json'])).stdout);
    assert.equal(job.status, 'Canceled');
    assert.deepEqual(job.history.slice(-2).map((h: { status: string }) => h.status), ['CancelRequested', 'Canceled']);
    const again = await cli(['job', 'cancel', '-n', 'long-job']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, "error: job 'long-job' already ended (Canceled); there is nothing to cancel\n");
  });

  it('runs at most max-concurrent-jobs at once and queues the rest', async () => {
    const names = ['q1', 'q2', 'q3'];
    writeFileSync(join(work, 'hold.yml'), 'command: sleep 1.5\n');
    for (const n of names) assert.equal((await cli(['job', 'create', '-f', 'hold.yml', '-n', n])).code, 0);
    const list = JSON.parse((await cli(['job', 'list', '-o', 'json', '--status', 'Queued,Preparing,Running'])).stdout);
    assert.ok(Array.isArray(list));
    await waitFor('all three done', async () => {
      const jobs = await Promise.all(names.map(async (n) => JSON.parse((await cli(['job', 'show', '-n', n, '-o', 'json'])).stdout)));
      return jobs.every((j) => j.status === 'Completed') && jobs;
    });
    const jobs = await Promise.all(names.map(async (n) => JSON.parse((await cli(['job', 'show', '-n', n, '-o', 'json'])).stdout)));
    const spans = jobs.map((j) => [Date.parse(j.start_time), Date.parse(j.end_time)]);
    // With two slots the third starts only after one of the first two ended.
    const [a, b, c] = spans.sort((x, y) => x[0] - y[0]);
    assert.ok(c[0] >= Math.min(a[1], b[1]) - 50, `third job started at ${c[0]} before a slot freed (${a[1]}, ${b[1]})`);
  });

  it('lists jobs newest first, as a table or a JSON array, with filters', async () => {
    const t = await cli(['job', 'list']);
    assert.match(t.stdout.split('\n')[0], /^Name\s+Display name\s+Status/);
    const all = JSON.parse((await cli(['job', 'list', '--all', '-o', 'json'])).stdout);
    assert.ok(all.length >= 7);
    assert.equal(all.at(-1).name, 'first-job');
    const demo = JSON.parse((await cli(['job', 'list', '--experiment-name', 'demo', '-o', 'json'])).stdout);
    assert.deepEqual(demo.map((j: { name: string }) => j.name), ['first-job']);
    const failed = JSON.parse((await cli(['job', 'list', '--status', 'Failed', '-o', 'json'])).stdout);
    assert.ok(failed.every((j: { status: string }) => j.status === 'Failed') && failed.length === 3);
  });

  it('cairn run builds the same job from the current folder', async () => {
    const r = await runCli(['run', '--name', 'run-job', '--', 'python3', '-c', 'import sys; print("hi", sys.argv[1:])', "it's"], { env: server.cliEnv, cwd: join(work, 'src') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `hi ["it's"]\n`);
    const job = JSON.parse((await cli(['job', 'show', '-n', 'run-job', '-o', 'json'])).stdout);
    assert.equal(job.experiment_name, 'src');
    assert.equal(job.command, `python3 -c 'import sys; print("hi", sys.argv[1:])' 'it'\\''s'`);
  });

  it('generates adjective_noun display names and unique names', async () => {
    writeFileSync(join(work, 'anon.yml'), 'command: "true"\n');
    const a = JSON.parse((await cli(['job', 'create', '-f', 'anon.yml', '-o', 'json'])).stdout);
    assert.match(a.display_name, /^[a-z]+_[a-z]+$/);
    assert.match(a.name, new RegExp(`^${a.display_name}_[a-z0-9]{10}$`));
    assert.equal(a.experiment_name, experimentNameFrom(basename(work)), 'the folder it was submitted from, as az ml does');
  });
});

describe('cairn: bad input gets one clear line, a non-zero exit and nothing half-created', () => {
  const server = new TestServer();
  const work = tempDir('bad');
  const cli = (args: string[], env: NodeJS.ProcessEnv = server.cliEnv) => runCli(args, { env, cwd: work });
  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server?.stop());

  const cases: [string, string, RegExp][] = [
    ['malformed.yml', 'command: [oops\n', /^error: .*malformed.yml:\d+:\d+: invalid YAML/],
    ['unknown.yml', 'command: x\nfoo: 1\n', /^error: .*unknown.yml line 2: unknown field 'foo' for a command job$/],
    ['types.yml', 'command: x\nlimits: {timeout: "soon"}\n', /^error: .*types.yml line 2: field 'limits.timeout'/],
    ['nocode.yml', 'command: x\ncode: ./missing\n', /^error: .*line 2: code folder '.\/missing' does not exist/],
    ['compute.yml', 'command: x\ncompute: azureml:gpu-cluster\n', /^error: compute 'gpu-cluster' does not exist in workspace 'default'; computes: local$/],
    ['badinput.yml', 'command: echo ${{inputs.x}}\n', /^error: command refers to \$\{\{inputs.x\}\} but the job has no input 'x'$/],
  ];
  for (const [file, text, re] of cases) {
    it(`refuses ${file}`, async () => {
      writeFileSync(join(work, file), text);
      const r = await cli(['job', 'create', '-f', file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr.trimEnd(), re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('leaves no job behind after refusals, and refuses a duplicate name', async () => {
    assert.deepEqual(JSON.parse((await cli(['job', 'list', '-o', 'json'])).stdout), []);
    writeFileSync(join(work, 'ok.yml'), 'command: "true"\nname: only-once\n');
    assert.equal((await cli(['job', 'create', '-f', 'ok.yml'])).code, 0);
    const dup = await cli(['job', 'create', '-f', 'ok.yml']);
    assert.equal(dup.code, 1);
    assert.equal(dup.stderr, "error: a job named 'only-once' already exists in workspace 'default'; pick another name or leave it out to get a generated one\n");
    assert.equal(JSON.parse((await cli(['job', 'list', '-o', 'json'])).stdout).length, 1);
  });

  it('says when a job does not exist', async () => {
    const r = await cli(['job', 'show', '-n', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: job 'nope' does not exist in workspace 'default'\n");
  });

  it('says when the configured server cannot be reached', async () => {
    const port = await freePort();
    const r = await cli(['job', 'list'], { CAIRN_SERVER: `http://127.0.0.1:${port}`, CAIRN_HOME: work });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot reach the Cairn server at http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });

  it('warns about a big code folder naming its largest entries, and refuses past the hard limit', async () => {
    const code = join(work, 'many');
    mkdirSync(code);
    for (let i = 0; i < 2001; i++) writeFileSync(join(code, `f${i}.txt`), i === 7 ? 'x'.repeat(5000) : 'x');
    writeFileSync(join(work, 'many.yml'), 'command: ls *.txt | wc -l\ncode: ./many\nname: many-files\n');
    const ok = await cli(['job', 'create', '-f', 'many.yml', '--stream']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /warning: snapshot is .* in 2,001 files \(warning past .*2,000 files\); largest: f7.txt 5.0 KB/);
    assert.match(ok.stdout, /^2001$/m);
    const refused = await cli(['job', 'create', '-f', 'many.yml', '-n', 'too-many'], { ...server.cliEnv, CAIRN_SNAPSHOT_MAX_FILES: '1000' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: snapshot is .* in 2,001 files \(refused: over the limit of 1,000 files\); largest: f7.txt/);
    assert.equal((await cli(['job', 'show', '-n', 'too-many'])).code, 1, 'nothing was created');
  });

  it('streams only the lines since a time with --since', async () => {
    writeFileSync(join(work, 'since.yml'), 'command: echo early; sleep 1.2; echo late\nname: since-job\n');
    assert.equal((await cli(['job', 'create', '-f', 'since.yml', '--stream'])).code, 0);
    const all = await cli(['job', 'stream', '-n', 'since-job']);
    assert.equal(all.stdout, 'early\nlate\n');
    const logs = await (await fetch(`${server.url}/api/v1/workspaces/default/jobs/since-job/logs`)).json();
    const late = logs.lines.find((l: { text: string }) => l.text === 'late').ts;
    const since = await cli(['job', 'stream', '-n', 'since-job', '--since', new Date(Date.parse(late) - 300).toISOString()]);
    assert.equal(since.stdout, 'late\n');
    const bad = await cli(['job', 'stream', '-n', 'since-job', '--since', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--since 'yesterday': expected a time/);
  });

  it('rejects an unknown output format', async () => {
    const r = await cli(['job', 'list', '-o', 'xml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown output format 'xml'/);
  });
});
