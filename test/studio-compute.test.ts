// The studio's Compute pages in real Chromium against a real server: a cluster made through the
// form (the protocol's messages shown as the user types, the server's refusal shown when it
// refuses), its page with a real ready node and its SSH connection string, an instance stopped and
// started, a machine attached over real SSH and detached, deletes with their confirmations, and a
// compute deleted elsewhere while its page is open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer, tempDir } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';

const bed = await sshTestbed();
const noSsh = 'skip' in bed ? bed.skip : false;
const SLOW = { timeout: 90_000 };

/** The label (field) that holds the input named `name`: its message is inside it. */
const field = (page: Page, name: string) => page.locator('label', { has: page.locator(`[name="${name}"]`) });
const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });
/** A wait that, when it fails, says what the server had (the compute as the API shows it). */
async function explained(wait: Promise<unknown>, state: () => Promise<unknown>): Promise<void> {
  try {
    await wait;
  } catch (err) {
    throw new Error(`${(err as Error).message}\nthe server had: ${JSON.stringify(await state().catch((e: Error) => e.message))}`, { cause: err });
  }
}

describe('the studio compute pages', () => {
  const server = new TestServer();
  let client: CairnClient;
  let browser: Browser;
  let publicKey: string;

  before(async () => {
    await server.start();
    client = new CairnClient({ url: server.url });
    browser = await openBrowser();
    const keys = tempDir('studio-keys');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'id')]);
    publicKey = readFileSync(join(keys, 'id.pub'), 'utf8').trim();
  });
  after(async () => {
    await browser?.close();
    // Wait until each is gone: a node's sshd and agent outlive a server stopped mid-delete.
    for (const c of ['studio-vm', 'studio-cluster', 'studio-inst', 'studio-busy', 'studio-gone']) {
      const asked = await client.computes.delete(c, { detach: c === 'studio-vm', force: true }).then(() => true, () => false);
      if (asked) await client.computes.wait(c, { until: 'gone', timeoutMs: 60_000 }).catch(() => {});
    }
    await server.stop();
  });

  it('creates a cluster through the form: a bad name is refused as the CLI words it, then the cluster has a ready node and an SSH connection string', SLOW, async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes?tab=clusters`);
    await heading(page, 'Compute').waitFor();
    await page.getByText('No compute clusters yet.').waitFor();
    await screenshot(page, 'compute-clusters-empty');
    await page.getByRole('button', { name: '+ New' }).click();
    await page.getByRole('heading', { name: 'New compute cluster' }).waitFor();
    assert.match(page.url(), /tab=clusters&new=1$/, 'the open form is in the URL');

    const create = page.getByRole('button', { name: 'Create' });
    await page.locator('[name="name"]').fill('1bad');
    await field(page, 'name').getByText("compute name '1bad' must start with a letter").waitFor();
    assert.equal(await create.isDisabled(), true, 'no submit while the name is invalid');
    await page.getByText("Not ready: compute name '1bad' must start with a letter").waitFor();
    await page.locator('[name="name"]').fill('ab');
    await field(page, 'name').getByText("compute name 'ab' must be 3 to 24 characters long (it has 2)").waitFor();
    await screenshot(page, 'compute-new-cluster-bad-name');

    await page.locator('[name="name"]').fill('studio-cluster');
    await page.locator('select[name="size"] option[value="Standard_DS1_v2"]').waitFor({ state: 'attached' });
    await page.locator('select[name="size"]').selectOption('Standard_DS1_v2');
    await page.locator('[name="min_instances"]').fill('1');
    await page.locator('[name="max_instances"]').fill('2');
    await page.getByLabel('Allow SSH into the nodes').check();
    await page.locator('[name="ssh_settings.admin_username"]').fill('studiouser');
    await page.locator('[name="ssh_settings.ssh_key_value"]').fill(publicKey);
    await page.locator('[name="tags"]').fill('team=studio');
    assert.equal(await page.getByRole('alert').count(), 0, 'a valid form shows no message');
    await create.click();
    await page.waitForURL(`${server.url}/computes/studio-cluster`);
    await heading(page, 'studio-cluster').waitFor();

    // The local provider brings the minimum node up within seconds; it says how to log in to it.
    const nodes = page.getByRole('table', { name: 'Nodes' });
    await explained(nodes.getByText('ready').waitFor({ timeout: 60_000 }), () => client.computes.get('studio-cluster'));
    const connection = (await nodes.locator('code').textContent())!;
    assert.match(connection, /^ssh -p \d+ studiouser@127\.0\.0\.1$/);
    await nodes.getByRole('button', { name: `Copy: ${connection}` }).waitFor();
    await page.getByRole('table', { name: 'Scaling history' }).getByText('scaled up 0 -> 1: min_instances is 1').waitFor();
    assert.match((await page.getByRole('region', { name: 'Properties' }).textContent())!, /Standard_DS1_v2.*team=studio/s);
    // A cluster has no power switch: the server's reason is beside the disabled buttons.
    assert.equal(await page.getByRole('button', { name: 'Stop', exact: true }).isDisabled(), true);
    await page.getByText('Stop is not available: a compute cluster has no power switch').waitFor();
    await screenshot(page, 'compute-cluster-page');

    // The list shows it with its node counts, and a second one by the same name is the server's to refuse.
    await page.locator('.crumbs').getByRole('link', { name: 'Compute' }).click();
    const row = page.getByRole('table', { name: 'Compute clusters' }).getByRole('row', { name: /studio-cluster/ });
    await row.getByText('1 / 1 / 2').waitFor();
    await screenshot(page, 'compute-clusters-list');
    await page.getByRole('button', { name: '+ New' }).click();
    await page.locator('[name="name"]').fill('studio-cluster');
    await page.locator('select[name="size"] option[value="Standard_DS1_v2"]').waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').getByText("a compute named 'studio-cluster' already exists in workspace 'default'").waitFor();
    assert.match(page.url(), /\/computes\?tab=clusters&new=1$/, 'a refused create stays on the form');
    await row.getByRole('link', { name: 'studio-cluster' }).click();
    await heading(page, 'studio-cluster').waitFor();
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows each invalid field of the cluster, instance and attach forms with its own message', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes?tab=clusters&new=1`);
    await page.getByRole('heading', { name: 'New compute cluster' }).waitFor();
    await page.locator('[name="name"]').fill('bad_name');
    await page.locator('[name="min_instances"]').fill('x');
    await page.locator('[name="max_instances"]').fill('0');
    await page.locator('[name="idle_time_before_scale_down"]').fill('-5');
    await page.getByLabel('Allow SSH into the nodes').check();
    await page.locator('[name="ssh_settings.admin_username"]').fill('has space');
    await page.locator('[name="ssh_settings.ssh_key_value"]').fill('-----BEGIN OPENSSH PRIVATE KEY-----');
    await page.locator('[name="tags"]').fill('no equals sign');
    const expected: [string, string][] = [
      ['name', "compute name 'bad_name' may contain only letters, digits and '-' (found '_')"],
      ['min_instances', 'min_instances: expected an integer of 0 or more'],
      ['max_instances', 'max_instances: expected an integer of 1 or more'],
      ['idle_time_before_scale_down', 'idle_time_before_scale_down: expected an integer of 0 or more (seconds)'],
      ['ssh_settings.admin_username', "ssh_settings.admin_username: must be a user name without spaces (found 'has space')"],
      ['ssh_settings.ssh_key_value', 'ssh_settings.ssh_key_value: this is a private key; give the public key'],
      ['tags', "tags: line 1 ('no equals sign') is not key=value"],
    ];
    for (const [name, message] of expected) await field(page, name).getByText(message).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create' }).isDisabled(), true);
    await page.locator('select[name="provider.type"]').selectOption('ssh');
    await page.locator('[name="provider.hosts"]').fill('ops@10.0.0.5');
    await field(page, 'provider.hosts').getByText("provider.hosts.0.address: expected a host name or IP address, not user@host: write '10.0.0.5'").waitFor();
    await screenshot(page, 'compute-new-cluster-invalid-fields');

    await page.getByRole('tab', { name: 'Compute instances' }).click();
    await page.getByRole('button', { name: '+ New' }).click();
    await page.getByRole('heading', { name: 'New compute instance' }).waitFor();
    await page.locator('[name="name"]').fill('my-instance');
    await page.locator('[name="idle_time_before_shutdown_minutes"]').fill('5');
    await field(page, 'idle_time_before_shutdown_minutes').getByText('idle_time_before_shutdown_minutes: expected an integer from 15 to 4320 (minutes)').waitFor();
    await page.getByRole('button', { name: '+ Add a schedule' }).click();
    const schedule = page.getByRole('group', { name: 'schedule 1' });
    await schedule.getByRole('textbox', { name: /^Cron expression/ }).fill('0 25 * * *');
    await schedule.getByText("schedules.compute_start_stop.0.trigger.expression: the hour field '25' is invalid: 25 is out of range 0-23").waitFor();
    await schedule.getByRole('textbox', { name: /^Cron expression/ }).fill('0 19 * * 1-5');
    await schedule.getByRole('textbox', { name: 'Time zone' }).fill('Mars/Olympus');
    await schedule.getByText("unknown time zone 'Mars/Olympus'").waitFor();
    await screenshot(page, 'compute-new-instance-invalid-fields');

    await page.getByRole('tab', { name: 'Attached computes' }).click();
    await page.getByRole('button', { name: 'Attach' }).click();
    await page.getByRole('heading', { name: 'Attach a compute' }).waitFor();
    await page.locator('[name="name"]').fill('gpu-box');
    await page.locator('[name="address"]').fill('root@10.0.0.7');
    await page.locator('[name="ssh_settings.ssh_port"]').fill('70000');
    await page.locator('[name="ssh_settings.admin_username"]').fill('root');
    await page.locator('[name="ssh_settings.ssh_key_value"]').fill(publicKey);
    await page.locator('[name="work_dir"]').fill('relative/dir');
    await page.locator('[name="max_concurrent_jobs"]').fill('0');
    await page.locator('[name="host_key"]').fill('MD5:aa');
    for (const [name, message] of [
      ['address', "address: expected a host name or IP address, not user@host: write '10.0.0.7' and put the user in ssh_settings.admin_username"],
      ['ssh_settings.ssh_port', 'ssh_settings.ssh_port: expected an integer from 1 to 65535'],
      ['ssh_settings.ssh_key_value', 'ssh_settings.ssh_key_value: this is a public key; Cairn logs in with the private key'],
      ['work_dir', "work_dir: must be an absolute path or start with '~/' (found 'relative/dir')"],
      ['max_concurrent_jobs', 'max_concurrent_jobs: expected an integer of 1 or more'],
      ['host_key', "host_key: expected an SSH host key fingerprint: 'SHA256:' and 43 base64 characters"],
    ] as const)
      await field(page, name).getByText(message).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Attach', exact: true }).last().isDisabled(), true);
    await screenshot(page, 'compute-attach-invalid-fields');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('lists by kind: instances, clusters, inference (not available yet, saying why) and attached computes with local', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes`);
    await page.getByRole('tab', { name: 'Compute instances', selected: true }).waitFor();
    await page.getByRole('tab', { name: 'Inference clusters' }).click();
    await page.waitForURL(/tab=inference/);
    await page.getByText('Inference clusters are not available yet.').waitFor();
    await page.getByText('Cairn does not serve models yet').waitFor();
    await screenshot(page, 'compute-inference');
    await page.getByRole('tab', { name: 'Attached computes' }).click();
    const local = page.getByRole('table', { name: 'Attached computes' }).getByRole('row', { name: /local/ });
    await local.getByText('Succeeded').waitFor();
    await screenshot(page, 'compute-attached-list');
    await local.getByRole('link', { name: 'local' }).click();
    await heading(page, 'local').waitFor();
    // The built-in compute can do none of these, and each button says why.
    for (const name of ['Start', 'Stop', 'Restart', 'Delete']) assert.equal(await page.getByRole('button', { name, exact: true }).isDisabled(), true, `${name} is disabled`);
    await page.getByText("Delete is not available: the local compute is built in: it is the server's own machine and cannot be deleted").waitFor();
    await page.getByRole('table', { name: 'Nodes' }).getByText('ready').waitFor();
    await screenshot(page, 'compute-local-page');

    const phone = await newPage(browser, { phone: true });
    await phone.page.goto(`${server.url}/computes?tab=attached`);
    await phone.page.getByRole('table', { name: 'Attached computes' }).getByRole('link', { name: 'local' }).waitFor();
    await screenshot(phone.page, 'compute-list-phone');
    assert.deepEqual([...pageErrors(page), ...pageErrors(phone.page)], []);
    await phone.context.close();
    await context.close();
  });

  it('stops and starts a compute instance, each after a confirmation', SLOW, async () => {
    await client.computes.create({ name: 'studio-inst', type: 'computeinstance', size: 'Standard_DS2_v2' });
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes/studio-inst`);
    await explained(page.getByRole('table', { name: 'Nodes' }).getByText('ready').waitFor({ timeout: 60_000 }), () => client.computes.get('studio-inst'));
    const state = (s: string) => page.locator('.page-head .status', { hasText: new RegExp(`^${s}$`) });
    await state('Running').waitFor();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Stop compute studio-inst?').waitFor();
    await screenshot(page, 'compute-instance-stop-dialog');
    await dialog.getByRole('button', { name: 'Yes, stop' }).click();
    await state('Stopped').waitFor({ timeout: 60_000 });
    // Its node stays, stopped, with its disk: start brings the same node back.
    await page.getByRole('table', { name: 'Nodes' }).getByText('stopped').waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, start' }).click();
    await state('Running').waitFor({ timeout: 60_000 });
    await explained(page.getByRole('table', { name: 'Nodes' }).getByText('ready').waitFor({ timeout: 60_000 }), () => client.computes.get('studio-inst'));
    await screenshot(page, 'compute-instance-page');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('deletes a cluster after its confirmation, and a compute deleted elsewhere while its page is open says not found', SLOW, async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes/studio-cluster`);
    await heading(page, 'studio-cluster').waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByText('Its nodes are given back').waitFor();
    await screenshot(page, 'compute-delete-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('status').getByText('is gone').waitFor({ timeout: 60_000 });
    await assert.rejects(client.computes.get('studio-cluster'), /does not exist/);

    await client.computes.create({ name: 'studio-gone', type: 'amlcompute', size: 'Standard_DS1_v2', min_instances: 0, max_instances: 1 });
    await page.goto(`${server.url}/computes/studio-gone`);
    await heading(page, 'studio-gone').waitFor();
    await client.computes.delete('studio-gone');
    await client.computes.wait('studio-gone', { until: 'gone', timeoutMs: 60_000 });
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 15_000 });
    assert.match((await alert.textContent())!, /Not found: compute 'studio-gone' does not exist in workspace 'default'/);
    await alert.getByRole('link', { name: 'Back to Compute' }).waitFor();
    await screenshot(page, 'compute-deleted-elsewhere');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows the server refusing a delete while a job is unfinished, and deletes once asked to cancel the job too', SLOW, async () => {
    await client.computes.create({ name: 'studio-busy', type: 'amlcompute', size: 'Standard_DS1_v2', min_instances: 0, max_instances: 1 });
    const job = await client.createJob({ type: 'command', command: 'sleep 300', compute: 'studio-busy' });
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes/studio-busy`);
    await heading(page, 'studio-busy').waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Yes, delete' }).click();
    await dialog.getByRole('alert').getByText(`compute 'studio-busy' has 1 unfinished job: ${job.name}`).waitFor();
    await screenshot(page, 'compute-delete-refused');
    await dialog.getByLabel('Cancel its unfinished jobs and delete it anyway').check();
    await dialog.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('status').getByText('is gone').waitFor({ timeout: 60_000 });
    assert.equal((await client.getJob(job.name)).status, 'Canceled');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('attaches a machine over real SSH through the form (an unreachable port is the server\'s message) and detaches it', { ...SLOW, timeout: 180_000, skip: noSsh }, async () => {
    const t = bed as Testbed;
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/computes?tab=attached&new=1`);
    await page.getByRole('heading', { name: 'Attach a compute' }).waitFor();
    await page.locator('[name="name"]').fill('studio-vm');
    await page.locator('[name="address"]').fill('127.0.0.1');
    await page.locator('[name="ssh_settings.admin_username"]').fill('root');
    await page.locator('[name="ssh_settings.ssh_port"]').fill('9');
    await page.locator('[name="ssh_settings.ssh_key_value"]').fill(t.rootKey);
    const attach = page.getByRole('button', { name: 'Attach', exact: true }).last();
    await attach.click();
    await page.getByRole('alert').getByText(/cannot reach 127\.0\.0\.1:9/).waitFor({ timeout: 60_000 });
    await screenshot(page, 'compute-attach-unreachable');

    await page.locator('[name="ssh_settings.ssh_port"]').fill(String(t.port));
    await attach.click();
    await page.waitForURL(`${server.url}/computes/studio-vm`, { timeout: 90_000 });
    await explained(page.getByRole('table', { name: 'Nodes' }).getByText('ready').waitFor({ timeout: 90_000 }), () => client.computes.get('studio-vm'));
    assert.match((await page.getByRole('region', { name: 'Properties' }).textContent())!, new RegExp(`Host key${t.hostKey.replace(/[+/]/g, '\\$&')}`));
    await screenshot(page, 'compute-vm-page');

    await page.getByRole('button', { name: 'Detach', exact: true }).click();
    await page.getByRole('dialog').getByText('the machine itself stays').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, detach' }).click();
    await page.getByRole('status').getByText('is gone').waitFor({ timeout: 90_000 });
    await assert.rejects(client.computes.get('studio-vm'), /does not exist/);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });
});
