// Slurm computes against a real Slurm 22.05 (Debian's packages, started by test/helpers/slurm.ts):
// controller plus static nodes n1-n3 and CLOUD nodes c1-c3 with power saving, all on this host. The
// compute runs Slurm's commands on the server's own host (no address); test/slurm-ssh.test.ts
// reaches a cluster through a login host. The real CLI runs as a subprocess. Sweeps and pipelines
// run their trials and steps here too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { json, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { jobKit } from './helpers/job-kit.ts';
import { allreduceScript } from './helpers/torch.ts';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';
import { Store } from '../src/store/index.ts';

const cluster = await startSlurm({ minJobAge: 5, suspendTime: 10 });
const skip = 'skip' in cluster ? cluster.skip : false;
const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

describe('Slurm computes on a real Slurm 22.05 (commands on the server host)', { skip }, () => {
  const c = cluster as SlurmCluster;
  let server: TestServer;
  const work = tempDir('slurm-jobs');
  const shared = tempDir('slurm-shared');
  const { cli, job, waitStatus, logs } = jobKit(() => server, work);
  const computeYaml = (name: string, extra = '') => `name: ${name}\ntype: slurm\nwork_dir: ${shared}\nslurm_env:\n  SLURM_CONF: ${c.conf}\n${extra}`;
  /** Slurm jobs of this cluster with a name, from the job completion log and squeue: how many submissions Slurm saw. */
  const slurmJobsNamed = (name: string): string[] => {
    const done = readFileSync(c.jobCompLog, 'utf8').split('\n').filter((l) => l.includes(` Name=${name} `)).map((l) => /^JobId=(\d+)/.exec(l)![1]!);
    const live = c.cmd(['squeue', '-h', '-a', '-t', 'all', '-o', '%A %j']).split('\n').filter((l) => l.endsWith(` ${name}`)).map((l) => l.split(' ')[0]!);
    return [...new Set([...done, ...live])];
  };
  const submissionOf = async (name: string, attempt = 1) => `cairn-${(await job(name)).id}-${attempt}`;

  before(async () => {
    server = await new TestServer().start();
    writeFileSync(join(work, 'hpc.yml'), computeYaml('hpc', 'partition: debug\nsbatch_options: ["--mem=100M"]\n'));
    writeFileSync(join(work, 'train.py'), 'import os, sys\nprint("hello from", os.environ.get("SLURMD_NODENAME"), "job", os.environ.get("SLURM_JOB_ID"), flush=True)\nsys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)\n');
  });
  after(async () => {
    if (process.env.CAIRN_TEST_SERVER_LOG) writeFileSync(process.env.CAIRN_TEST_SERVER_LOG, server?.log ?? '');
    await server?.stop();
    await c.stop();
  });

  it('attach checks the cluster; compute show lists partitions and nodes as Slurm reports them', async () => {
    const r = await cli(['compute', 'attach', '-f', 'hpc.yml', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('hpc provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/hpc`)).body.provisioning_state === 'Succeeded', 60_000);
    const show = JSON.parse((await cli(['compute', 'show', '-n', 'hpc', '-o', 'json'])).stdout);
    assert.equal(show.slurm.version, '22.05.8');
    assert.equal(show.slurm.cluster, c.name);
    assert.deepEqual(show.slurm.partitions.map((p: { name: string }) => p.name), ['debug', 'cloud']);
    assert.deepEqual(show.slurm.nodes.map((n: { name: string }) => n.name).sort(), [...c.staticNodes, ...c.cloudNodes].sort());
    assert.match(show.slurm.nodes.find((n: { name: string }) => n.name === 'c2').state, /CLOUD/);
    const table = (await cli(['compute', 'show', '-n', 'hpc', '-o', 'table'])).stdout;
    assert.match(table, /slurm: 22\.05\.8, cluster /);
    assert.match(table, /debug\*\s+UP\s+3 \(n\[1-3\]\)/);
  });

  it('bad input is refused in one line and nothing is stored: a missing partition, a Cairn-owned sbatch option, a host without Slurm', async () => {
    const cases: [string, string, RegExp][] = [
      ['nopart.yml', computeYaml('nopart', 'partition: gpu\n'), /partition 'gpu' does not exist on Slurm cluster '\w+' \(it has: debug, cloud\)/],
      ['owned.yml', computeYaml('owned', 'sbatch_options: ["--nodes=4"]\n'), /sbatch_options: --nodes is Cairn's/],
      ['noslurm.yml', `name: noslurm\ntype: slurm\nslurm_env:\n  PATH: /nonexistent\n`, /Slurm's commands are not on this host: sinfo was not found/],
    ];
    for (const [file, yaml, message] of cases) {
      writeFileSync(join(work, file), yaml);
      const r = await cli(['compute', 'attach', '-f', file]);
      assert.notEqual(r.code, 0, `${file} was accepted`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      const name = /^name: (\S+)/.exec(yaml)![1];
      assert.equal((await cli(['compute', 'show', '-n', name!])).code, 1, `${name} was not stored`);
    }
  });

  it('a job becomes one sbatch submission: logs come back, the Slurm job id is on the job, Completed', async () => {
    const r = await cli(['run', '--compute', 'hpc', '-n', 'hello', '--', 'python3', 'train.py']);
    assert.equal(r.code, 0, r.stderr);
    const j = await waitStatus('hello', ['Completed']);
    assert.match(j.slurm_job_id, /^\d+$/);
    assert.match(r.stdout, new RegExp(`hello from n\\d job ${j.slurm_job_id}`));
    assert.deepEqual(slurmJobsNamed(await submissionOf('hello')), [j.slurm_job_id], 'exactly one Slurm job');
    const reasons = j.history.map((h: { reason: string }) => h.reason);
    assert.ok(reasons.includes(`submitted to Slurm as job ${j.slurm_job_id}`), reasons.join(' | '));
    // Slurm may show the job CONFIGURING for a moment while its node gets ready: that is Provisioning, when a pass sees it.
    const statuses = [...new Set(j.history.map((h: { status: string }) => h.status))].filter((s) => s !== 'Provisioning');
    assert.deepEqual(statuses, ['Queued', 'Preparing', 'Running', 'Finalizing', 'Completed']);
    const provisioning = j.history.findIndex((h: { status: string }) => h.status === 'Provisioning');
    if (provisioning >= 0) assert.equal(j.history[provisioning - 1].status, 'Queued', 'Provisioning only comes between Queued and Preparing');
    const detail = (await cli(['job', 'show', '-n', 'hello', '-o', 'table'])).stdout;
    assert.match(detail, new RegExp(`slurm_job_id\\s+${j.slurm_job_id}`));
  });

  it('a failing command fails the job with its exit code', async () => {
    const r = await cli(['run', '--compute', 'hpc', '-n', 'fails', '--no-stream', '--', 'python3', 'train.py', '3']);
    assert.equal(r.code, 0, r.stderr);
    const j = await waitStatus('fails', ['Failed', 'Completed']);
    assert.equal(j.status, 'Failed');
    assert.equal(j.exit_code, 3);
  });

  it("a sweep's trials and a pipeline's steps run as Slurm jobs; a step's folder passes from local to the cluster", async () => {
    mkdirSync(join(work, 'sweep-src'), { recursive: true });
    writeFileSync(join(work, 'sweep-src', 'score.py'), 'import os, sys, cairn\ncairn.log_metric("score", float(sys.argv[1]))\nprint("trial on", os.environ.get("SLURMD_NODENAME"), flush=True)\n');
    writeFileSync(join(work, 'sweep.yml'), ['type: sweep', 'name: slurm-sweep', 'compute: azureml:hpc', 'trial:', '  code: ./sweep-src', '  command: python3 score.py ${{search_space.x}}', 'search_space: {x: {type: choice, values: [1, 2]}}', 'sampling_algorithm: grid', 'objective: {primary_metric: score, goal: maximize}', 'limits: {max_total_trials: 2, max_concurrent_trials: 2}', ''].join('\n'));
    const s = await cli(['job', 'create', '-f', 'sweep.yml']);
    assert.equal(s.code, 0, s.stderr);
    const sweep = await waitStatus('slurm-sweep', ['Completed', 'Failed', 'Canceled'], 180_000);
    assert.equal(sweep.status, 'Completed', sweep.status_reason);
    assert.equal(sweep.sweep.best.name, 'slurm-sweep_1');
    for (const t of ['slurm-sweep_0', 'slurm-sweep_1']) {
      const trial = await job(t);
      // Trials made together go to Slurm as one job array: JOBID_TASK.
      assert.match(trial.slurm_job_id, /^\d+(_\d+)?$/, `${t} ran as a Slurm job`);
      assert.ok((await logs(t)).some((l) => /^trial on n\d$/.test(l)), `${t} ran on a Slurm node`);
    }

    await server.waitForAgent();
    writeFileSync(join(work, 'slurm-pipe.yml'), [
      'type: pipeline',
      'name: slurm-pipe',
      'settings: {default_compute: azureml:hpc}',
      'jobs:',
      '  make: {compute: azureml:local, command: "mkdir -p ${{outputs.o}} && echo made-locally > ${{outputs.o}}/f.txt", outputs: {o: {type: uri_folder}}}',
      '  use: {command: "cat ${{inputs.i}}/f.txt && echo on $SLURMD_NODENAME", inputs: {i: "${{parent.jobs.make.outputs.o}}"}}',
      '',
    ].join('\n'));
    const p = await cli(['job', 'create', '-f', 'slurm-pipe.yml']);
    assert.equal(p.code, 0, p.stderr);
    const pipe = await waitStatus('slurm-pipe', ['Completed', 'Failed', 'Canceled'], 180_000);
    assert.equal(pipe.status, 'Completed', pipe.status_reason);
    assert.equal((await job('slurm-pipe_make')).compute, 'local');
    const use = await job('slurm-pipe_use');
    assert.equal(use.compute, 'hpc');
    assert.match(use.slurm_job_id, /^\d+$/);
    const lines = await logs('slurm-pipe_use');
    assert.ok(lines.includes('made-locally') && lines.some((l) => /^on n\d$/.test(l)), lines.join(' | '));
  });

  it('a job Slurm refuses fails with Slurm\'s own message, nothing left half-submitted; one that can never fit is refused at submit', async () => {
    // A size with a GPU asks for --gres=gpu:1; this cluster has no GPUs.
    writeFileSync(join(work, 'gpu.yml'), 'command: nvidia-smi\ncompute: hpc\nresources:\n  instance_type: Standard_NC6s_v3\n');
    assert.equal((await cli(['job', 'create', '-f', 'gpu.yml', '-n', 'wants-gpu'])).code, 0);
    const g = await waitStatus('wants-gpu', ['Failed', 'Completed']);
    assert.match(g.status_reason, /^Slurm refused the job: (Batch job submission failed: )?Invalid generic resource \(gres\) specification$/);
    assert.equal(g.slurm_job_id, undefined);
    assert.deepEqual(g.attempts.map((a: { state: string }) => a.state), ['ended']);
    const nodes = (await json(`${server.url}/api/v1/workspaces/default/computes/hpc`)).body.nodes as { name: string }[];
    assert.deepEqual(nodes.filter((n) => n.name.includes(g.id)), [], 'no node of it left waiting for an agent');

    writeFileSync(join(work, 'big.yml'), 'command: hostname\ncompute: hpc\nresources:\n  instance_count: 4\n');
    const big = await cli(['job', 'create', '-f', 'big.yml', '-n', 'too-big']);
    assert.equal(big.code, 1);
    assert.equal(big.stderr, "error: compute 'hpc' cannot run this job: partition 'debug' has 3 nodes: a job on 4 nodes cannot run there\n");
    assert.equal((await cli(['job', 'show', '-n', 'too-big'])).code, 1, 'no job was created');
  });

  it('a job waiting behind other work shows Slurm\'s reason and how many jobs are ahead; cancel removes it from Slurm\'s queue', async () => {
    // Fill every CPU of the partition, then queue one more job from outside Cairn.
    const blocker = c.cmd(['sbatch', '--parsable', '-p', 'debug', '-N3', '--exclusive', '-o', '/dev/null', '--wrap', 'sleep 120']).trim();
    const other = c.cmd(['sbatch', '--parsable', '-p', 'debug', '-N1', '-o', '/dev/null', '--wrap', 'sleep 1']).trim();
    try {
      assert.equal((await cli(['run', '--compute', 'hpc', '-n', 'waits', '--no-stream', '--', 'python3', 'train.py'])).code, 0);
      const waiting = await waitFor('waits to show Slurm\'s reason', async () => {
        const j = await job('waits');
        return /Slurm job \d+ is pending: (Resources|Priority)/.test(j.status_reason ?? '') && j.status === 'Queued' ? j : null;
      }, 30_000);
      assert.match(waiting.status_reason, /\(\d+ jobs? ahead\)/);
      const id = waiting.slurm_job_id;
      assert.equal((await cli(['job', 'cancel', '-n', 'waits'])).code, 0);
      const j = await waitStatus('waits', ['Canceled']);
      assert.equal(j.status, 'Canceled');
      await waitFor('Slurm to cancel it', async () => /CANCELLED/.test(c.cmd(['squeue', '-h', '-a', '-t', 'all', '-j', id, '-o', '%T']) || 'CANCELLED'), 30_000);
    } finally {
      c.cmd(['scancel', blocker, other]);
    }
  });

  it('cancelling a running job runs scancel and ends it Canceled', async () => {
    assert.equal((await cli(['run', '--compute', 'hpc', '-n', 'long', '--no-stream', '--', 'python3', '-c', 'import time\nfor i in range(300): print(i, flush=True); time.sleep(1)'])).code, 0);
    await waitFor('long to print', async () => (await logs('long')).includes('2'), 60_000);
    assert.equal((await cli(['job', 'cancel', '-n', 'long'])).code, 0);
    const j = await waitStatus('long', ['Canceled', 'Failed', 'Completed'], 60_000);
    assert.equal(j.status, 'Canceled', j.status_reason);
    // Ended in Slurm too (cancelled by scancel, or ended by its agent, which heard of the cancel first); a job Slurm already forgot has ended.
    await waitFor('Slurm to end it', async () => {
      try {
        return /JobState=(CANCELLED|COMPLETED|FAILED) /.test(c.cmd(['scontrol', 'show', 'job', j.slurm_job_id, '-o']));
      } catch (err) {
        return /Invalid job id/.test((err as Error).message);
      }
    }, 30_000);
  });

  it('limits.timeout maps to --time and ends the job as timed out', async () => {
    writeFileSync(join(work, 'timeout.yml'), 'command: sleep 300\ncompute: hpc\nlimits:\n  timeout: 3\n');
    assert.equal((await cli(['job', 'create', '-f', 'timeout.yml', '-n', 'short'])).code, 0);
    const j = await waitStatus('short', ['Failed', 'Completed', 'Canceled'], 90_000);
    assert.equal(j.status, 'Failed');
    assert.match(j.status_reason, /timeout/i);
    const limit = c.cmd(['scontrol', 'show', 'job', j.slurm_job_id, '-o']).match(/TimeLimit=(\S+)/)?.[1];
    assert.equal(limit, '00:01:00', 'a 3 s timeout asks Slurm for one minute, never UNLIMITED');
  });

  it('two nodes through srun: the PyTorch all-reduce sums over both ranks', { skip: torch ? false : process.env.CI === 'true' ? false : 'python3-torch is not installed' }, async () => {
    writeFileSync(
      join(work, 'allreduce.py'),
      allreduceScript('SLURMD_NODENAME'),
    );
    writeFileSync(join(work, 'dist.yml'), 'command: /usr/bin/python3 allreduce.py\ncode: .\ncompute: hpc\nresources:\n  instance_count: 2\ndistribution:\n  type: pytorch\n  process_count_per_instance: 1\nlimits: {timeout: 300}\n');
    const r = await cli(['job', 'create', '-f', 'dist.yml', '-n', 'allreduce', '--stream'], 240_000);
    assert.equal(r.code, 0, r.stderr);
    const j = await waitStatus('allreduce', ['Completed', 'Failed']);
    assert.equal(j.status, 'Completed', j.status_reason);
    const lines = r.stdout.trim().split('\n').filter((l) => l.includes('sum')).sort();
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0]!, /^\[rank 0\] rank 0 of 2 on n\d: sum 3\.0$/);
    assert.match(lines[1]!, /^\[rank 1\] rank 1 of 2 on n\d: sum 3\.0$/);
    assert.notEqual(lines[0]!.split(' on ')[1]!.split(':')[0], lines[1]!.split(' on ')[1]!.split(':')[0], 'two different Slurm nodes');
    assert.equal(j.attempts.length, 2);
  });

  it('a node that fails under a job: NODE_FAIL requeues it as a new attempt, which runs elsewhere and completes', async () => {
    assert.equal((await cli(['run', '--compute', 'hpc', '-n', 'survivor', '--no-stream', '--', 'python3', '-c', 'import os, time\nprint("on", os.environ["SLURMD_NODENAME"], flush=True)\ntime.sleep(6)\nprint("done", flush=True)'])).code, 0);
    const running = await waitFor('survivor to run', async () => {
      const j = await job('survivor');
      return j.status === 'Running' && (await logs('survivor')).some((l) => l.startsWith('on ')) ? j : null;
    }, 60_000);
    const node = (await logs('survivor')).find((l) => l.startsWith('on '))!.slice(3);
    c.cmd(['scontrol', 'update', `nodename=${node}`, 'state=down', 'reason=cairn-test']);
    try {
      const j = await waitFor('survivor to be requeued and complete', async () => {
        const x = await job('survivor');
        return x.status === 'Completed' || x.status === 'Failed' ? x : null;
      }, 120_000);
      assert.equal(j.status, 'Completed', j.status_reason);
      assert.equal(j.attempt, 2);
      const events = j.history.map((h: { status: string; reason: string }) => `${h.status}: ${h.reason}`);
      assert.ok(events.some((e: string) => /^Preempted: .*NODE_FAIL/.test(e)), events.join('\n'));
      assert.ok(events.some((e: string) => /^Queued: requeued after preemption as attempt 2/.test(e)), events.join('\n'));
      assert.notEqual(j.slurm_job_id, running.slurm_job_id, 'the new attempt is a new Slurm job');
    } finally {
      // ReturnToService=2 may have brought it back already (its slurmd never stopped answering).
      if (/State=DOWN/.test(c.cmd(['scontrol', 'show', 'node', node, '-o']))) c.cmd(['scontrol', 'update', `nodename=${node}`, 'state=resume']);
    }
  });

  it('a job on CLOUD nodes waits in Provisioning while Slurm powers a node up, then runs', async () => {
    writeFileSync(join(work, 'cloud.yml'), computeYaml('hpc-cloud', 'partition: cloud\n'));
    assert.equal((await cli(['compute', 'attach', '-f', 'cloud.yml'])).code, 0);
    await waitFor('hpc-cloud provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/hpc-cloud`)).body.provisioning_state === 'Succeeded', 60_000);
    const show = JSON.parse((await cli(['compute', 'show', '-n', 'hpc-cloud', '-o', 'json'])).stdout);
    const scaling = show.slurm.autoscaling.find((a: { partition: string }) => a.partition === 'cloud');
    assert.deepEqual({ max: scaling.max_instances, min: scaling.min_instances, idle: scaling.idle_time_before_scale_down }, { max: 3, min: 1, idle: 10 });
    assert.match(scaling.explanation, /SuspendExcNodes/);
    // Two nodes: at least one must power up (SuspendExcNodes keeps only one of c[1-3] up).
    writeFileSync(join(work, 'cloudjob.yml'), 'command: hostname\ncompute: hpc-cloud\nresources:\n  instance_count: 2\n');
    assert.equal((await cli(['job', 'create', '-f', 'cloudjob.yml', '-n', 'on-cloud'])).code, 0);
    const j = await waitStatus('on-cloud', ['Completed', 'Failed'], 150_000);
    assert.equal(j.status, 'Completed', j.status_reason);
    const statuses = j.history.map((h: { status: string }) => h.status);
    assert.ok(statuses.includes('Provisioning'), `no Provisioning in ${statuses.join(', ')}`);
    assert.match(readFileSync(c.powerLog, 'utf8'), /RESUME/);
  });

  it('compute update changes max_instances through scontrol and says what needs slurm.conf', async () => {
    const r = await cli(['compute', 'update', '-n', 'hpc-cloud', '--set', 'max_instances=2']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the partition to shrink', async () => /Nodes=c\[1-2\] /.test(c.cmd(['scontrol', 'show', 'partition', 'cloud', '-o'])), 30_000);
    await waitFor('the update to be applied', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/hpc-cloud`)).body.provisioning_state === 'Succeeded', 30_000);
    const refused = await cli(['compute', 'update', '-n', 'hpc-cloud', '--set', 'min_instances=2']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: min_instances 2: Slurm 22\.05 cannot change SuspendExcNodes with scontrol; set SuspendExcNodes=c\[1-2\]:2 in slurm\.conf and run `scontrol reconfigure` \(no restart needed\)\n$/);
    const shown = JSON.parse((await cli(['compute', 'show', '-n', 'hpc-cloud', '-o', 'json'])).stdout);
    assert.equal(shown.min_instances, undefined, 'nothing of the refused update was stored');
    assert.equal(shown.provisioning_state, 'Succeeded');
    assert.equal(shown.slurm.autoscaling[0].max_instances, 2);
  });

  it('a burst of like jobs goes to Slurm as job arrays: each task runs its own job, a canceled one alone ends, and a crash before the ids were recorded finds them again by the array\'s name', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `burst-${i}`);
    const partition = (state: string) => c.cmd(['scontrol', 'update', 'PartitionName=debug', `State=${state}`]);
    partition('DOWN'); // Slurm queues them and runs nothing until the crash below is over
    let jobs: { name: string; id: string; slurm_job_id: string }[];
    try {
      const printTask = 'import os; e = os.environ.get; print("task", e("SLURM_ARRAY_JOB_ID", "-") + "_" + e("SLURM_ARRAY_TASK_ID", "-"), "of", e("SLURM_JOB_NAME"), flush=True)';
      await Promise.all(names.map(async (name) => {
        const r = await json(`${server.url}/api/v1/workspaces/default/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spec: { type: 'command', name, compute: 'hpc', command: `python3 -c '${printTask}'` } }) });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }));
      jobs = await waitFor('the burst to reach Slurm', async () => {
        const all = await Promise.all(names.map(job));
        return all.every((j) => j.slurm_job_id) ? all : null;
      }, 60_000);
      const arrayed = jobs.filter((j) => /^\d+_\d+$/.test(j.slurm_job_id));
      assert.ok(arrayed.length >= 3, `jobs handed over together share a job array: ${jobs.map((j) => j.slurm_job_id).join(' ')}`);
      assert.equal(new Set(jobs.map((j) => j.slurm_job_id)).size, names.length, 'each job its own Slurm job or task');
      const live = c.cmd(['squeue', '-h', '-a', '-r', '-t', 'all', '-o', '%i %j']);
      for (const j of arrayed) assert.match(live, new RegExp(`^${j.slurm_job_id} cairn-array-[0-9a-f-]{36}$`, 'm'));

      // A crash after sbatch but before the ids were stored: the submissions are back to recorded,
      // their ids forgotten. The restarted server must find them by the array's name, not submit again.
      await server.kill();
      const store = await Store.open(`sqlite:${join(server.dataDir, 'cairn.db')}`);
      try {
        for (const j of arrayed) assert.ok(await store.batch.update(`cairn-${j.id}-1`, { state: 'recorded', external_id: null }, ['submitted']));
      } finally {
        await store.close();
      }
      await server.start();
      await waitFor('the submissions to be found again', async () => {
        const s = await Store.open(`sqlite:${join(server.dataDir, 'cairn.db')}`).catch(() => null);
        if (!s) return false;
        try {
          const rows = await s.batch.live('default', 'hpc');
          return arrayed.every((j) => rows.some((r) => r.name === `cairn-${j.id}-1` && r.state === 'submitted' && r.external_id === j.slurm_job_id));
        } finally {
          await s.close();
        }
      }, 60_000);

      // One task canceled in the queue: scancel of that task only.
      assert.equal((await cli(['job', 'cancel', '-n', arrayed[0]!.name])).code, 0);
      await waitStatus(arrayed[0]!.name, ['Canceled']);
      await waitFor('Slurm to cancel that task', async () => /CANCELLED/.test(c.cmd(['squeue', '-h', '-a', '-r', '-t', 'all', '-j', arrayed[0]!.slurm_job_id, '-o', '%T']) || 'CANCELLED'), 30_000);
      // One task canceled in the queue outside Cairn: Slurm keeps no record of it, yet the job ends.
      c.cmd(['scancel', arrayed[1]!.slurm_job_id]);
      const gone = await waitStatus(arrayed[1]!.name, ['Canceled', 'Failed']);
      assert.equal(gone.status, 'Canceled');
      assert.match(gone.status_reason, new RegExp(`task ${arrayed[1]!.slurm_job_id} left its array's queue before it started`));
    } finally {
      partition('UP');
    }
    const arrayed = jobs.filter((j) => /_/.test(j.slurm_job_id));
    const ran = jobs.filter((j) => j !== arrayed[0] && j !== arrayed[1]);
    for (const j of ran) {
      const done = await waitStatus(j.name, ['Completed', 'Failed', 'Canceled'], 180_000);
      assert.equal(done.status, 'Completed', `${j.name}: ${done.status_reason}`);
      // Each task ran its own job: the task Slurm ran is the one Cairn recorded for it.
      const expected = /_/.test(j.slurm_job_id) ? new RegExp(`^task ${j.slurm_job_id} of cairn-array-[0-9a-f-]{36}$`) : new RegExp(`^task -_- of cairn-${j.id}-1$`);
      assert.deepEqual((await logs(j.name)).map((l) => expected.test(l)), [true], (await logs(j.name)).join('\n'));
    }
    // Slurm saw each array once: as many task ends in the completion log as the array had jobs.
    await waitFor('every task in the completion log', async () => {
      const log = readFileSync(c.jobCompLog, 'utf8');
      return ran.filter((j) => /_/.test(j.slurm_job_id)).every((j) => { const [a, t] = j.slurm_job_id.split('_'); return log.includes(`ArrayJobId=${a} ArrayTaskId=${t} `); });
    }, 30_000);
    const log = readFileSync(c.jobCompLog, 'utf8').split('\n');
    for (const a of new Set(jobs.filter((j) => /_/.test(j.slurm_job_id)).map((j) => j.slurm_job_id.split('_')[0]))) {
      const tasks = log.filter((l) => l.includes(` ArrayJobId=${a} `)).map((l) => / ArrayTaskId=(\d+) /.exec(l)![1]);
      assert.equal(tasks.length, new Set(tasks).size, `array ${a}: each task ran once`);
      assert.equal(tasks.length, ran.filter((j) => j.slurm_job_id.startsWith(`${a}_`)).length);
    }
  });

  it('the Slurm controller restarting mid-job loses nothing: the job completes, submitted once', async () => {
    assert.equal((await cli(['run', '--compute', 'hpc', '-n', 'through-restart', '--no-stream', '--', 'python3', '-c', 'import time\nfor i in range(8): print(i, flush=True); time.sleep(1)'])).code, 0);
    await waitStatus('through-restart', ['Running']);
    await c.restartController({ downMs: 3_000 });
    const j = await waitStatus('through-restart', ['Completed', 'Failed']);
    assert.equal(j.status, 'Completed', j.status_reason);
    assert.deepEqual(await logs('through-restart'), ['0', '1', '2', '3', '4', '5', '6', '7']);
    assert.equal(slurmJobsNamed(await submissionOf('through-restart')).length, 1);
  });

  it('the Cairn server restarting mid-job loses nothing and submits nothing twice; Slurm forgetting a job (MinJobAge) is covered by the completion log', async () => {
    assert.equal((await cli(['run', '--compute', 'hpc', '-n', 'server-restart', '--no-stream', '--', 'python3', '-c', 'import time\nfor i in range(6): print(i, flush=True); time.sleep(1)'])).code, 0);
    await waitStatus('server-restart', ['Running']);
    await server.kill();
    await new Promise((r) => setTimeout(r, 3_000));
    await server.start();
    const j = await waitStatus('server-restart', ['Completed', 'Failed']);
    assert.equal(j.status, 'Completed', j.status_reason);
    assert.deepEqual(await logs('server-restart'), ['0', '1', '2', '3', '4', '5']);
    assert.equal(slurmJobsNamed(await submissionOf('server-restart')).length, 1);
  });
});
