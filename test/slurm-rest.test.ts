// slurmrestd instead of the Slurm commands: a real slurmrestd 22.05 (JWT auth) in front of a real
// Slurm cluster (test/helpers/slurm.ts). Cairn detects the API version from its OpenAPI document,
// gets a token with `scontrol token`, and submits, follows and cancels jobs through it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';
import { SlurmRest } from '../src/compute/slurm/rest.ts';

const cluster = await startSlurm({ rest: true, cloudNodes: 0 });
const skip = 'skip' in cluster ? cluster.skip : false;

describe('Slurm through slurmrestd (real slurmrestd 22.05, JWT)', { skip }, () => {
  const c = cluster as SlurmCluster;
  let server: TestServer;
  const work = tempDir('slurm-rest');
  const cli = (args: string[], timeoutMs = 120_000) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs });
  const job = async (name: string) => (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}`)).body;
  const ended = (name: string) =>
    waitFor(`${name} to end`, async () => {
      const j = await job(name);
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) ? j : null;
    }, 90_000);

  before(async () => {
    server = await new TestServer().start();
    writeFileSync(join(work, 'rest.yml'), `name: rest\ntype: slurm\npartition: debug\nwork_dir: ${tempDir('slurm-rest-shared')}\nslurmrestd_url: ${c.rest!.url}\nslurm_env:\n  SLURM_CONF: ${c.conf}\n`);
  });
  after(async () => {
    await server?.stop();
    await c.stop();
  });

  it('detects the API version slurmrestd offers, and refuses one it does not speak in one line', async () => {
    const rest = new SlurmRest(c.rest!.url, async () => ({ user: c.rest!.user, token: c.rest!.token() }));
    assert.equal(await rest.detect(), 'v0.0.38');
    const wrong = new SlurmRest(c.rest!.url, async () => ({ user: c.rest!.user, token: 'not-a-token' }));
    await assert.rejects(wrong.detect(), /^CairnError: slurmrestd at http:\/\/127\.0\.0\.1:\d+ could not ping slurmctld for user 'slurmrest' \(a bad or expired token\?\): /);
  });

  it('attach checks slurmrestd; sbatch_options, which slurmrestd cannot take, are refused', async () => {
    const r = await cli(['compute', 'attach', '-f', 'rest.yml', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('rest provisioned', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/rest`)).body.provisioning_state === 'Succeeded', 60_000);
    writeFileSync(join(work, 'opts.yml'), `name: restopts\ntype: slurm\nslurmrestd_url: ${c.rest!.url}\nsbatch_options: ["--mem=1G"]\nslurm_env:\n  SLURM_CONF: ${c.conf}\n`);
    const bad = await cli(['compute', 'attach', '-f', 'opts.yml']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: sbatch_options are sbatch's command-line options, which slurmrestd does not take/);
  });

  it('a job goes through slurmrestd and completes; a failing one keeps its exit code', async () => {
    assert.equal((await cli(['run', '--compute', 'rest', '-n', 'via-rest', '--', 'sh', '-c', 'echo "job $SLURM_JOB_ID"'])).code, 0);
    const j = await ended('via-rest');
    assert.equal(j.status, 'Completed', j.status_reason);
    assert.match(j.slurm_job_id, /^\d+$/);
    const logs = (await json(`${server.url}/api/v1/workspaces/default/jobs/via-rest/logs`)).body.lines.map((l: { text: string }) => l.text);
    assert.deepEqual(logs, [`job ${j.slurm_job_id}`]);
    // Submitted through slurmrestd, as the JWT's user (root here): Slurm says so.
    assert.match(c.cmd(['scontrol', 'show', 'job', j.slurm_job_id, '-o']), /UserId=root\(0\)/);

    assert.equal((await cli(['run', '--compute', 'rest', '-n', 'rest-fails', '--no-stream', '--', 'sh', '-c', 'exit 7'])).code, 0);
    const f = await ended('rest-fails');
    assert.equal(f.status, 'Failed');
    assert.equal(f.exit_code, 7);
  });

  it('a submission Slurm refuses fails the job with Slurm\'s words; cancel goes through slurmrestd', async () => {
    // A size with a GPU asks for --gres gpu:1; this cluster has no GPUs.
    writeFileSync(join(work, 'gpu.yml'), 'command: nvidia-smi\ncompute: rest\nresources:\n  instance_type: Standard_NC6s_v3\n');
    assert.equal((await cli(['job', 'create', '-f', 'gpu.yml', '-n', 'wants-gpu'])).code, 0);
    const g = await ended('wants-gpu');
    assert.equal(g.status, 'Failed');
    // slurmrestd's own words for a GPU request on a cluster without GRES.
    assert.equal(g.status_reason, 'Slurm refused the job: Failure during parsing');
    assert.equal(g.slurm_job_id, undefined, 'nothing reached Slurm');

    assert.equal((await cli(['run', '--compute', 'rest', '-n', 'rest-long', '--no-stream', '--', 'sleep', '300'])).code, 0);
    await waitFor('rest-long to run', async () => (await job('rest-long')).status === 'Running', 60_000);
    assert.equal((await cli(['job', 'cancel', '-n', 'rest-long'])).code, 0);
    const k = await ended('rest-long');
    assert.equal(k.status, 'Canceled', k.status_reason);
    // Ended in Slurm too: cancelled through slurmrestd, or ended by its agent, which heard of the cancel first.
    await waitFor('Slurm to end it', async () => /JobState=(CANCELLED|COMPLETED|FAILED) /.test(c.cmd(['scontrol', 'show', 'job', k.slurm_job_id, '-o'])), 30_000);
  });
});
