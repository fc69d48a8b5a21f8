// The studio's Attach form and compute page for a Slurm cluster, in real Chromium against a real
// server and a real Slurm 22.05 (the commands on the server's host): the form's own messages as
// the user types, the server's refusal of an sbatch option Cairn sets itself, then the attached
// cluster's page with its partitions, nodes and autoscaling as Slurm reports them, and a job run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';
import { startSlurm, type SlurmCluster } from './helpers/slurm.ts';

const cluster = await startSlurm({ staticNodes: 2, cloudNodes: 2, suspendTime: 30 });
const skip = 'skip' in cluster ? cluster.skip : false;

describe('the studio with a Slurm cluster (real Chromium, real Slurm 22.05)', { skip }, () => {
  const c = cluster as SlurmCluster;
  let server: TestServer;
  let client: CairnClient;
  let browser: Browser;
  const shared = tempDir('studio-slurm-shared');
  const work = tempDir('studio-slurm-work');

  before(async () => {
    server = await new TestServer().start();
    client = new CairnClient({ url: server.url });
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await client?.computes.delete('studio-hpc', { detach: true, force: true }).catch(() => {});
    await server?.stop();
    await c.stop();
  });

  it('attaches a Slurm cluster through the form: its own messages, the server\'s refusal, then the cluster as Slurm reports it', { timeout: 180_000 }, async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes?tab=attached&new=1`);
    await page.getByRole('heading', { name: 'Attach a compute' }).waitFor();
    await page.locator('select[name="type"]').selectOption('slurm');
    await page.getByLabel('Login host (optional)').waitFor();
    await page.locator('[name="name"]').fill('studio-hpc');
    const field = (name: string) => page.locator('label', { has: page.locator(`[name="${name}"]`) });

    // The protocol's messages, as the user types.
    await page.locator('[name="default_time_limit"]').fill('UNLIMITED');
    await field('default_time_limit').getByText(/UNLIMITED is not allowed/).waitFor();
    await page.locator('[name="default_time_limit"]').fill('10:00');
    await page.locator('[name="slurm_env"]').fill('SLURM_CONF');
    await field('slurm_env').getByText("slurm_env: line 1 ('SLURM_CONF') is not key=value").waitFor();
    await page.locator('[name="slurm_env"]').fill(`SLURM_CONF=${c.conf}`);
    await page.locator('[name="partition"]').fill('debug');
    await page.locator('[name="work_dir"]').fill(shared);

    // An option Cairn sets itself is the server's refusal, by name; nothing is stored.
    await page.locator('[name="sbatch_options"]').fill('--mem=100M\n--nodes=2');
    const attach = page.getByRole('button', { name: 'Attach', exact: true }).last();
    await attach.click();
    await page.getByRole('alert').getByText(/--nodes is Cairn's/).waitFor({ timeout: 60_000 });
    await screenshot(page, 'compute-slurm-attach-refused');
    assert.deepEqual((await client.computes.list()).map((x) => x.name).filter((n) => n === 'studio-hpc'), []);

    await page.locator('[name="sbatch_options"]').fill('--mem=100M');
    await attach.click();
    await page.waitForURL(`${server.url}/computes/studio-hpc`, { timeout: 90_000 });
    const slurm = page.getByRole('region', { name: 'Slurm' });
    await slurm.getByText(/Slurm 22\.05\.8, cluster/).waitFor({ timeout: 60_000 });
    const partitions = page.getByRole('table', { name: 'Slurm partitions' });
    await partitions.getByText("debug (default) (this compute's)").waitFor();
    assert.match((await partitions.textContent())!, /cloud/);
    const nodes = page.getByRole('table', { name: 'Slurm nodes' });
    for (const n of [...c.staticNodes, ...c.cloudNodes]) await nodes.getByRole('cell', { name: n, exact: true }).waitFor();
    await page.getByLabel('Autoscaling of cloud').getByText(/max_instances 2/).waitFor();
    assert.match((await page.getByRole('region', { name: 'Properties' }).textContent())!, /--mem=100M/);
    await screenshot(page, 'compute-slurm-page');

    // The same cluster seen by the CLI, and a job through it.
    writeFileSync(join(work, 'job.yml'), 'command: echo hello from $SLURMD_NODENAME\ncompute: studio-hpc\n');
    const r = await runCli(['job', 'create', '-f', 'job.yml', '--stream'], { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello from n[12]/);
    const jobs = await client.listJobs();
    const job = jobs.find((j) => j.compute === 'studio-hpc')!;
    await page.goto(`${server.url}/jobs/${job.name}`);
    await page.getByText(/Completed/).first().waitFor({ timeout: 30_000 });
    const slurmId = (await client.getJob(job.name)).slurm_job_id;
    assert.match(slurmId ?? '', /^\d+$/);
    await waitFor('the Slurm job id on the job page', async () => (await page.textContent('body'))?.includes(`Slurm job${slurmId}`), 30_000);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });
});
