// Out of memory on Slurm: a real Slurm 22.05 that enforces --mem the way a cluster without cgroups
// can (jobacct_gather/linux with OverMemoryKill: slurmstepd kills a step past its request). The job
// fails with Slurm's own words; one within its request runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';

const cluster = await startSlurm({ staticNodes: 1, cloudNodes: 0, enforceMemory: true });
const skip = 'skip' in cluster ? cluster.skip : false;

describe('Slurm enforcing memory (jobacct_gather OverMemoryKill)', { skip }, () => {
  const c = cluster as SlurmCluster;
  let server: TestServer;
  const work = tempDir('slurm-oom');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const ended = (name: string) =>
    waitFor(`${name} to end`, async () => {
      const j = (await json(`${server.url}/api/v1/workspaces/default/jobs/${name}`)).body;
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) ? j : null;
    }, 90_000);

  before(async () => {
    server = await new TestServer().start();
    writeFileSync(join(work, 'mem.yml'), `name: small-mem\ntype: slurm\nwork_dir: ${tempDir('slurm-oom-shared')}\nsbatch_options: ["--mem=400M"]\nslurm_env:\n  SLURM_CONF: ${c.conf}\n`);
    assert.equal((await runCli(['compute', 'attach', '-f', 'mem.yml'], { env: server.cliEnv, cwd: work, timeoutMs: 120_000 })).code, 0);
    await waitFor('attached', async () => (await json(`${server.url}/api/v1/workspaces/default/computes/small-mem`)).body.provisioning_state === 'Succeeded', 60_000);
  });
  after(async () => {
    await server?.stop();
    await c.stop();
  });

  it('a job within its --mem runs; one past it fails with Slurm\'s reason', async () => {
    assert.equal((await cli(['run', '--compute', 'small-mem', '-n', 'fits', '--', 'python3', '-c', 'x = bytearray(20 * 2**20); print("ok")'])).code, 0);
    assert.equal((await ended('fits')).status, 'Completed');
    assert.equal((await cli(['run', '--compute', 'small-mem', '-n', 'hog', '--no-stream', '--', 'python3', '-c', 'import time\nx = bytearray(900 * 2**20)\ntime.sleep(20)'])).code, 0);
    const j = await ended('hog');
    assert.equal(j.status, 'Failed');
    assert.match(j.status_reason, new RegExp(`^Slurm job ${j.slurm_job_id} ended (FAILED|OUT_OF_MEMORY|CANCELLED).*exceeded memory limit \\(\\d+ > 419430400\\)`), j.status_reason);
  });
});
