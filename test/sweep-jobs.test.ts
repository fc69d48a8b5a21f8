// Sweep jobs end to end: the real CLI against a real server (SQLite, local compute, real agents),
// trials that log through the cairn module, on local, on a local-provider cluster and on a host
// attached over real OpenSSH.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor, json } from './helpers/cairn.ts';
import { CairnClient } from '../src/sdk/client.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';

const bed = await sshTestbed({});
const sshSkip = 'skip' in bed ? bed.skip : false;

/** Logs `acc` once per epoch: a score that is best near lr=0.1 and grows with epochs; writes outputs/model.txt. */
const TRAIN = `
import argparse, os, time, json, cairn
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--layers", type=int)
p.add_argument("--epochs", type=int, default=3)
a = p.parse_args()
for e in range(a.epochs):
    acc = (1 - abs(a.lr - 0.1)) * (0.5 + 0.1 * a.layers) * (e + 1) / a.epochs
    cairn.log_metric("acc", acc, step=e)
print("vars", os.environ.get("AZUREML_SWEEP_lr"), os.environ.get("AZUREML_SWEEP_layers"), os.environ.get("CAIRN_SWEEP_TRIAL"), flush=True)
os.makedirs("outputs", exist_ok=True)
open("outputs/model.txt", "w").write(json.dumps({"lr": a.lr, "layers": a.layers}))
`;

/** Logs a scripted curve per interval (good: 0.9 each time; bad: 0.1), slowly, so the policy can see both. */
const CURVE = `
import sys, time, cairn
kind = sys.argv[1]
for i in range(int(sys.argv[2])):
    cairn.log_metric("score", 0.9 if kind == "good" else 0.1, step=i)
    time.sleep(0.4)
`;

const sweepYaml = (o: { name: string; compute?: string; extra?: string; total?: number; concurrent?: number; sampling?: string }) =>
  [
    '$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json',
    'type: sweep',
    `name: ${o.name}`,
    'experiment_name: sweeps',
    ...(o.compute ? [`compute: ${o.compute}`] : []),
    'trial:',
    '  code: ./src',
    '  command: /usr/bin/python3 train.py --lr ${{search_space.lr}} --layers ${{search_space.layers}} --epochs ${{inputs.epochs}}',
    'inputs:',
    '  epochs: 3',
    'search_space:',
    '  lr: {type: uniform, min_value: 0.01, max_value: 0.3}',
    '  layers: {type: choice, values: [1, 2, 3]}',
    `sampling_algorithm: ${o.sampling ?? '{type: random, seed: 7}'}`,
    'objective: {primary_metric: acc, goal: maximize}',
    `limits: {max_total_trials: ${o.total ?? 6}, max_concurrent_trials: ${o.concurrent ?? 3}}`,
    ...(o.extra ? [o.extra] : []),
  ].join('\n');

describe('sweep jobs', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('sweep');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const show = async (name: string) => JSON.parse((await ok(['job', 'show', '-n', name, '-o', 'json'])).stdout);
  const ended = (name: string, ms = 120_000) => waitFor(`sweep ${name} ended`, async () => {
    const j = await show(name);
    return ['Completed', 'Failed', 'Canceled'].includes(j.status) && j;
  }, ms);
  const jobCount = async () => (await json(`${server.url}/api/v1/workspaces/default/jobs?all=true`)).body.length as number;

  before(async () => {
    await server.start();
    await server.waitForAgent();
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'train.py'), TRAIN);
    writeFileSync(join(work, 'src', 'curve.py'), CURVE);
  });
  after(() => server.stop());

  it('runs a random sweep: trials with their values, ranked, the best named and downloadable', async () => {
    writeFileSync(join(work, 'sweep.yml'), sweepYaml({ name: 'rand-sweep' }));
    const r = await ok(['job', 'create', '-f', 'sweep.yml', '--stream']);
    assert.match(r.stderr, /job rand-sweep Completed/);
    const sweep = await show('rand-sweep');
    assert.equal(sweep.type, 'sweep');
    assert.equal(sweep.status, 'Completed');
    assert.equal(sweep.sweep.progress.created, 6);
    assert.equal(sweep.sweep.progress.completed, 6);
    assert.equal(sweep.sweep.seed, 7);
    const trials = sweep.sweep.trials as { name: string; index: number; params: { lr: number; layers: number }; value: number; intervals: number }[];
    assert.deepEqual(trials.map((t) => t.index).sort(), [0, 1, 2, 3, 4, 5]);
    for (const t of trials) {
      assert.ok(t.params.lr >= 0.01 && t.params.lr <= 0.3, `lr ${t.params.lr} in bounds`);
      assert.ok([1, 2, 3].includes(t.params.layers));
      assert.equal(t.intervals, 3);
      const expected = (1 - Math.abs(t.params.lr - 0.1)) * (0.5 + 0.1 * t.params.layers);
      assert.ok(Math.abs(t.value - expected) < 1e-9, 'the value ranked is the last one logged');
    }
    // Ranked best first, and the best named in the reason and the view.
    for (let i = 1; i < trials.length; i++) assert.ok(trials[i - 1].value >= trials[i].value);
    assert.equal(sweep.sweep.best.name, trials[0].name);
    assert.match(sweep.status_reason, new RegExp(`6 of 6 trials: 6 completed; best ${trials[0].name} \\(acc `));

    // A trial: a command job with the values filled in, its variables set and its values as MLflow params.
    const t0 = await show('rand-sweep_0');
    assert.equal(t0.parent_job_name, 'rand-sweep');
    assert.equal(t0.child.index, 0);
    // The command as submitted, its values filled in (inputs are filled in on the node, as for any job).
    assert.equal(t0.command, `/usr/bin/python3 train.py --lr ${t0.child.params.lr} --layers ${t0.child.params.layers} --epochs \${{inputs.epochs}}`);
    const logs = (await json(`${server.url}/api/v1/workspaces/default/jobs/rand-sweep_0/logs`)).body.lines.map((l: { text: string }) => l.text);
    assert.ok(logs.includes(`vars ${t0.child.params.lr} ${t0.child.params.layers} 0`), logs.join('\n'));
    const run = (await json(`${server.url}/api/2.0/mlflow/runs/get?run_id=${t0.id}`)).body.run;
    const params = Object.fromEntries(run.data.params.map((p: { key: string; value: string }) => [p.key, p.value]));
    assert.deepEqual(params, { lr: String(t0.child.params.lr), layers: String(t0.child.params.layers) });
    assert.equal(run.data.tags.find((x: { key: string }) => x.key === 'mlflow.parentRunId')?.value, sweep.id);

    // Lists: trials only under --parent.
    const top = JSON.parse((await ok(['job', 'list', '-o', 'json'])).stdout) as { name: string }[];
    assert.ok(top.some((j) => j.name === 'rand-sweep') && !top.some((j) => j.name.startsWith('rand-sweep_')));
    const children = JSON.parse((await ok(['job', 'list', '--parent', 'rand-sweep', '-o', 'json'])).stdout) as { name: string }[];
    assert.deepEqual(children.map((j) => j.name).sort(), trials.map((t) => t.name).sort());
    const table = (await ok(['job', 'show', '-n', 'rand-sweep', '-o', 'table'])).stdout;
    assert.match(table, /progress\s+6 of 6 trials created: 6 completed/);
    assert.match(table, new RegExp(`best\\s+${trials[0].name} \\(acc `));
    assert.match(table, /trials, best first by acc/);

    // The best trial's outputs.
    const dl = await ok(['job', 'download', '-n', 'rand-sweep', '--best', '--download-path', join(work, 'dl')]);
    assert.match(dl.stderr, new RegExp(`best trial of rand-sweep: ${trials[0].name}`));
    const model = JSON.parse(readFileSync(join(work, 'dl', trials[0].name, 'outputs', 'model.txt'), 'utf8'));
    assert.deepEqual(model, trials[0].params);

    // The TypeScript SDK follows a sweep to its end too.
    const followed = await new CairnClient({ url: server.url }).waitForCompletion('rand-sweep');
    assert.equal(followed.type, 'sweep');
    assert.equal(followed.sweep?.best?.name, trials[0].name);

    // The same seed draws the same values again.
    writeFileSync(join(work, 'again.yml'), sweepYaml({ name: 'rand-again', total: 2, concurrent: 2 }));
    await ok(['job', 'create', '-f', 'again.yml']);
    const again = await ended('rand-again');
    const byIndex = (ts: { index: number; params: unknown }[], i: number) => ts.find((t) => t.index === i)!.params;
    assert.deepEqual(byIndex(again.sweep.trials, 0), byIndex(trials, 0));
    assert.deepEqual(byIndex(again.sweep.trials, 1), byIndex(trials, 1));
  });

  it('enumerates a grid exactly', async () => {
    writeFileSync(
      join(work, 'grid.yml'),
      sweepYaml({ name: 'grid-sweep', sampling: 'grid', total: 100, concurrent: 4 }).replace('{type: uniform, min_value: 0.01, max_value: 0.3}', '{type: choice, values: [0.05, 0.1]}'),
    );
    const r = await ok(['job', 'create', '-f', 'grid.yml']);
    assert.match(r.stderr, /the grid has 6 points, so the sweep makes 6 trials/);
    const sweep = await ended('grid-sweep');
    assert.equal(sweep.status, 'Completed');
    const combos = (sweep.sweep.trials as { params: { lr: number; layers: number } }[]).map((t) => `${t.params.lr}/${t.params.layers}`).sort();
    assert.deepEqual(combos, ['0.05/1', '0.05/2', '0.05/3', '0.1/1', '0.1/2', '0.1/3']);
    assert.equal(sweep.sweep.best.params.lr, 0.1);
    assert.equal(sweep.sweep.best.params.layers, 3);
  });

  it('stops a trial early with the policy’s reason and counts it apart', async () => {
    writeFileSync(
      join(work, 'bandit.yml'),
      [
        'type: sweep',
        'name: bandit-sweep',
        'trial: {code: ./src, command: "/usr/bin/python3 curve.py ${{search_space.kind}} 25"}',
        'search_space: {kind: {type: choice, values: [good, bad]}}',
        'sampling_algorithm: grid',
        'objective: {primary_metric: score, goal: maximize}',
        'early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 2}',
        'limits: {max_total_trials: 2, max_concurrent_trials: 2}',
      ].join('\n'),
    );
    await ok(['job', 'create', '-f', 'bandit.yml']);
    const sweep = await ended('bandit-sweep');
    assert.equal(sweep.status, 'Completed');
    const bad = sweep.sweep.trials.find((t: { params: { kind: string } }) => t.params.kind === 'bad');
    const good = sweep.sweep.trials.find((t: { params: { kind: string } }) => t.params.kind === 'good');
    assert.equal(good.status, 'Completed');
    assert.equal(good.intervals, 25);
    assert.equal(bad.status, 'Canceled', JSON.stringify(sweep.sweep.trials) + server.log.slice(-2000));
    assert.equal(bad.stopped_early, true);
    assert.match(bad.status_reason, /^stopped early by bandit: 0\.1 < 0\.8182 \(best 0\.9 \/ \(1 \+ 0\.1\)\) at interval ([3-9]|1\d|2[0-4])$/);
    assert.ok(bad.intervals < 25);
    assert.equal(sweep.sweep.progress.stopped_early, 1);
    assert.match(sweep.status_reason, /1 completed, 1 stopped early/);
  });

  it('a failed trial does not fail the sweep; all failing does; cancel cancels the trials', async () => {
    writeFileSync(join(work, 'src', 'flaky.py'), 'import sys, cairn\nif sys.argv[1] == "bad": sys.exit(3)\ncairn.log_metric("m", 1.0)\n');
    const flaky = (name: string, values: string) =>
      [
        'type: sweep',
        `name: ${name}`,
        'trial: {code: ./src, command: "/usr/bin/python3 flaky.py ${{search_space.k}}"}',
        `search_space: {k: {type: choice, values: [${values}]}}`,
        'sampling_algorithm: grid',
        'objective: {primary_metric: m, goal: maximize}',
      ].join('\n');
    writeFileSync(join(work, 'flaky.yml'), flaky('some-fail', 'ok, bad'));
    await ok(['job', 'create', '-f', 'flaky.yml']);
    const some = await ended('some-fail');
    assert.equal(some.status, 'Completed');
    assert.match(some.status_reason, /1 completed, 1 failed/);
    writeFileSync(join(work, 'allbad.yml'), flaky('all-fail', 'bad'));
    await ok(['job', 'create', '-f', 'allbad.yml']);
    const all = await ended('all-fail');
    assert.equal(all.status, 'Failed');
    assert.match(all.status_reason, /^all 1 trials failed; the first: all-fail_0: /);

    writeFileSync(join(work, 'long.yml'), sweepYaml({ name: 'to-cancel', total: 8, concurrent: 2 }).replace('--epochs ${{inputs.epochs}}', '--epochs 1 && sleep 60'));
    await ok(['job', 'create', '-f', 'long.yml']);
    await waitFor('two trials running', async () => (await show('to-cancel')).sweep.progress.running === 2);
    await ok(['job', 'cancel', '-n', 'to-cancel']);
    const canceled = await ended('to-cancel');
    assert.equal(canceled.status, 'Canceled');
    assert.equal(canceled.sweep.progress.created, 2, 'no trial is made after the cancel');
    for (const t of canceled.sweep.trials) assert.equal(t.status, 'Canceled');
  });

  it('bayesian sampling draws from what finished trials logged; limits.timeout ends a sweep', async () => {
    writeFileSync(join(work, 'bayes.yml'), sweepYaml({ name: 'bayes-sweep', sampling: '{type: bayesian, seed: 5}', total: 4, concurrent: 2 }));
    await ok(['job', 'create', '-f', 'bayes.yml']);
    const b = await ended('bayes-sweep');
    assert.equal(b.status, 'Completed', b.status_reason);
    assert.equal(b.sweep.progress.completed, 4);
    assert.equal(new Set(b.sweep.trials.map((t: { params: { lr: number } }) => t.params.lr)).size, 4);

    writeFileSync(join(work, 'slow.yml'), sweepYaml({ name: 'timed-out', total: 4, concurrent: 2, extra: '' }).replace(/limits: \{(.*)\}/, 'limits: {$1, timeout: 3, trial_timeout: 600}').replace('--epochs ${{inputs.epochs}}', '--epochs 1 && sleep 60'));
    await ok(['job', 'create', '-f', 'slow.yml']);
    const t = await ended('timed-out');
    assert.equal(t.status, 'Canceled');
    assert.match(t.status_reason, /^limits.timeout of 3 s reached; 2 of 4 trials: 2 canceled; best timed-out_[01] \(acc [0-9.]+\)$/);
    const trial = await show('timed-out_0');
    assert.equal(trial.limits.timeout, 600, 'trial_timeout is each trial\'s limits.timeout');
  });

  it('says when trials complete without the objective metric', async () => {
    writeFileSync(join(work, 'nometric.yml'), sweepYaml({ name: 'no-metric', total: 1, concurrent: 1 }).replace('primary_metric: acc', 'primary_metric: accuracy'));
    await ok(['job', 'create', '-f', 'nometric.yml']);
    const s = await ended('no-metric');
    assert.match(s.status_reason, /1 of 1 completed trial never logged the primary metric 'accuracy'/);
    assert.equal(s.sweep.best, null);
    const dl = await cli(['job', 'download', '-n', 'no-metric', '--best']);
    assert.equal(dl.code, 1);
    assert.match(dl.stderr, /sweep 'no-metric' has no best trial yet: no trial has logged 'accuracy'/);
  });

  it('refuses bad sweeps with one line naming the problem, creating nothing', async () => {
    const before = await jobCount();
    const cases: [string, string, RegExp][] = [
      ['min above max', sweepYaml({ name: 'b1' }).replace('min_value: 0.01, max_value: 0.3', 'min_value: 5, max_value: 1'), /search_space\.lr.*min_value \(5\) must be below max_value \(1\)/],
      ['empty choice', sweepYaml({ name: 'b2' }).replace('values: [1, 2, 3]', 'values: []'), /choice needs at least one value/],
      ['unknown distribution', sweepYaml({ name: 'b3' }).replace('type: uniform', 'type: gauss'), /unknown distribution 'gauss'/],
      ['unknown key', sweepYaml({ name: 'b4' }).replace('${{search_space.layers}}', '${{search_space.depth}}'), /trial.command refers to \$\{\{search_space.depth\}\} but search_space has no 'depth'/],
      ['zero trials', sweepYaml({ name: 'b5', total: 0 }), /limits.max_total_trials must be at least 1/],
      ['negative concurrency', sweepYaml({ name: 'b6', concurrent: -2 }), /limits.max_concurrent_trials must be at least 1/],
      ['grid with uniform', sweepYaml({ name: 'b7', sampling: 'grid' }), /grid.*lr.*uniform|lr.*uniform.*grid/i],
      ['bayesian with early termination', sweepYaml({ name: 'b8', sampling: 'bayesian', extra: 'early_termination: {type: median_stopping}' }), /bayesian sampling does not support early termination/],
      ['no compute', sweepYaml({ name: 'b9', compute: 'nowhere' }), /compute 'nowhere' does not exist/],
      ['no max_total_trials', sweepYaml({ name: 'b10' }).replace(/limits: .*/, 'limits: {max_concurrent_trials: 2}'), /limits.max_total_trials is required/],
      ['unknown policy', sweepYaml({ name: 'b11', extra: 'early_termination: {type: stop_fast}' }), /early_termination/],
    ];
    for (const [what, yaml, re] of cases) {
      writeFileSync(join(work, 'bad.yml'), yaml);
      const r = await cli(['job', 'create', '-f', 'bad.yml']);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
    }
    // Unused key: a warning, and the sweep runs.
    writeFileSync(join(work, 'unused.yml'), sweepYaml({ name: 'unused-key', total: 1, concurrent: 1 }).replace("  layers: {type: choice, values: [1, 2, 3]}", "  layers: {type: choice, values: [1, 2, 3]}\n  momentum: {type: uniform, min_value: 0, max_value: 1}"));
    const r = await ok(['job', 'create', '-f', 'unused.yml']);
    assert.match(r.stderr, /warning: search_space.momentum is not used by trial.command/);
    assert.equal(await jobCount(), before + 1, 'only the good sweep was created');
    await ended('unused-key');
  });

  it('runs its trials on a cluster of the local provider', async () => {
    await ok(['compute', 'create', '--name', 'sweep-cluster', '--type', 'amlcompute', '--size', 'Standard_DS1_v2', '--min-instances', '0', '--max-instances', '2']);
    writeFileSync(join(work, 'cluster.yml'), sweepYaml({ name: 'cluster-sweep', compute: 'azureml:sweep-cluster', total: 3, concurrent: 2 }));
    await ok(['job', 'create', '-f', 'cluster.yml']);
    const s = await ended('cluster-sweep', 180_000);
    assert.equal(s.status, 'Completed', s.status_reason);
    for (const t of s.sweep.trials) {
      const j = await show(t.name);
      assert.equal(j.compute, 'sweep-cluster');
      assert.match(j.node, /sweep-cluster/);
    }
  });

  it('runs its trials on a machine attached over SSH', { skip: sshSkip }, async () => {
    const t = bed as Testbed;
    writeFileSync(join(work, 'vm.yml'), `name: sweep-vm\ntype: virtualmachine\naddress: 127.0.0.1\nssh_settings:\n  admin_username: root\n  ssh_port: ${t.port}\n  ssh_private_key_file: ${t.rootKeyPath}\n`);
    await ok(['compute', 'attach', '-f', 'vm.yml']);
    try {
      writeFileSync(join(work, 'vmsweep.yml'), sweepYaml({ name: 'vm-sweep', compute: 'sweep-vm', total: 2, concurrent: 2 }));
      await ok(['job', 'create', '-f', 'vmsweep.yml']);
      const s = await ended('vm-sweep', 180_000);
      assert.equal(s.status, 'Completed', s.status_reason);
      assert.equal(s.sweep.progress.completed, 2);
      for (const tr of s.sweep.trials) assert.equal((await show(tr.name)).compute, 'sweep-vm');
    } finally {
      await cli(['compute', 'detach', '-n', 'sweep-vm', '--yes', '--force']);
    }
  });
});

describe('a sweep across a server restart', () => {
  const dataDir = tempDir('sweep-restart');
  let server = new TestServer({ dataDir, args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('sweep-restart-work');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  after(() => server.stop());

  it('loses no trial and runs none twice when the server dies mid-sweep', async () => {
    await server.start();
    mkdirSync(join(work, 'src'));
    // Each trial appends its index to a file outside the job: a trial run twice would show twice.
    // Jobs run as their own user: the ledger is writable by anyone.
    const shared = tempDir('sweep-ledger');
    chmodSync(shared, 0o777);
    const ledger = join(shared, 'ledger.txt');
    writeFileSync(ledger, '');
    chmodSync(ledger, 0o666);
    writeFileSync(join(work, 'src', 'mark.py'), `import os, time, cairn\ntime.sleep(0.3)\nopen(${JSON.stringify(ledger)}, "a").write(os.environ["CAIRN_SWEEP_TRIAL"] + "\\n")\ncairn.log_metric("v", float(os.environ["AZUREML_SWEEP_x"]))\n`);
    writeFileSync(
      join(work, 'sweep.yml'),
      [
        'type: sweep',
        'name: survivor',
        // A trial that logs while the server is down waits for it to come back (the module's flush timeout).
        'trial: {code: ./src, command: "/usr/bin/python3 mark.py # ${{search_space.x}}", environment_variables: {CAIRN_FLUSH_TIMEOUT: "60"}}',
        'search_space: {x: {type: uniform, min_value: 0, max_value: 1}}',
        'sampling_algorithm: {type: random, seed: 11}',
        'objective: {primary_metric: v, goal: maximize}',
        'limits: {max_total_trials: 24, max_concurrent_trials: 4}',
      ].join('\n'),
    );
    assert.equal((await cli(['job', 'create', '-f', 'sweep.yml'])).code, 0);
    const created = async () => JSON.parse((await cli(['job', 'show', '-n', 'survivor', '-o', 'json'])).stdout).sweep.progress.created as number;
    await waitFor('some trials made', async () => (await created()) >= 6, 60_000);
    server.proc!.kill('SIGKILL');
    await new Promise((r) => server.proc!.once('exit', r));
    // Back on the same port: trials that were running keep logging to the address they were given.
    const port = server.port;
    server = new TestServer({ dataDir, args: ['--max-concurrent-jobs', '4'] });
    server.port = port;
    await server.start();
    const s = await waitFor('sweep ended', async () => {
      const j = JSON.parse((await cli(['job', 'show', '-n', 'survivor', '-o', 'json'])).stdout);
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) && j;
    }, 180_000);
    assert.equal(s.status, 'Completed', s.status_reason);
    assert.equal(s.sweep.trials.length, 24);
    assert.deepEqual(s.sweep.trials.map((t: { index: number }) => t.index).sort((a: number, b: number) => a - b), Array.from({ length: 24 }, (_, i) => i));
    // Every trial's value is the one it was given, and it logged exactly that.
    for (const t of s.sweep.trials) assert.equal(t.value, t.params.x, JSON.stringify(t));
    // A trial whose job was retried after the crash (its agent died with the server) may run again
    // as a job attempt; no trial index was made twice, so each index is in the ledger, and a
    // repeated index is only one whose job has more than one attempt.
    const lines = readFileSync(ledger, 'utf8').trim().split('\n');
    assert.deepEqual([...new Set(lines)].sort((a, b) => Number(a) - Number(b)), Array.from({ length: 24 }, (_, i) => String(i)));
    for (const idx of new Set(lines.filter((l, i) => lines.indexOf(l) !== i))) {
      const j = JSON.parse((await cli(['job', 'show', '-n', `survivor_${idx}`, '-o', 'json'])).stdout);
      assert.ok(j.attempt > 1, `trial ${idx} ran twice in one attempt`);
    }
    assert.ok(existsSync(ledger));
  });
});
