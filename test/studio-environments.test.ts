// The environment pages in real Chromium against a real server: the list (archived ones on
// request), one environment's versions with its spec as written, archive and restore after a
// confirmation, the jobs that prepared it, and the server's message for one that does not exist.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';

const WS = '/api/v1/workspaces/default';

describe('studio environments', () => {
  const server = new TestServer();
  let browser: Browser;
  let jobName = '';
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}${WS}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: (await r.json()) as any };
  };

  before(async () => {
    await server.start();
    browser = await openBrowser();
    const conda = (pkgs: string[]) => ({ name: 'train', channels: ['conda-forge'], dependencies: ['python=3.11', { pip: pkgs }] });
    assert.equal((await api('POST', '/environments', { name: 'train-env', conda_file: conda(['numpy==1.26.4']), description: 'for training' })).status, 201);
    assert.equal((await api('POST', '/environments', { name: 'train-env', conda_file: conda(['numpy==1.26.4', 'scikit-learn==1.5.0']), tags: { team: 'vision' } })).status, 201);
    assert.equal((await api('POST', '/environments', { name: 'slim', image: 'python:3.11-slim' })).status, 201);
    assert.equal((await api('POST', '/environments', { name: 'plain', description: 'the node as it is' })).status, 201);
    const client = new CairnClient({ url: server.url });
    const job = await client.createJob({ type: 'command', command: 'true', environment: 'azureml:plain:1' } as never);
    jobName = job.name;
    for (let i = 0; i < 200; i++) {
      if (['Completed', 'Failed', 'Canceled'].includes((await api('GET', `/jobs/${jobName}`)).body.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await browser?.close();
    await server.stop();
  });

  it('lists environments with their kind and what they are made of', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/environments`);
    const row = page.getByRole('row', { name: /train-env/ });
    await row.waitFor();
    assert.match((await row.textContent())!, /train-env2conda \/ pip3 packages: python=3.11, numpy==1.26.4, scikit-learn==1.5.0/);
    assert.match((await page.getByRole('row', { name: /slim/ }).textContent())!, /container image.*image python:3.11-slim/);
    await screenshot(page, 'environments-list');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows a version with its spec as written, and archives and restores after a confirmation', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/environments`);
    await page.getByRole('link', { name: 'train-env' }).click();
    await page.getByRole('heading', { name: 'Version 2' }).waitFor();
    assert.match((await page.locator('pre.yaml').textContent())!, /dependencies:\n {2}- python=3.11\n {2}- pip:\n {6}- numpy==1.26.4\n {6}- scikit-learn==1.5.0\n/);
    await page.getByText('tag team').waitFor();
    await page.getByText('environment: azureml:train-env:2').waitFor();
    await screenshot(page, 'environment-detail');

    await page.getByRole('button', { name: 'Archive 1', exact: true }).click();
    await page.getByRole('dialog').getByText('Archive version 1 of').waitFor();
    await page.getByRole('button', { name: 'Yes, archive 1' }).click();
    await page.getByRole('button', { name: 'Restore 1', exact: true }).waitFor();
    const v1 = await api('GET', '/environments/train-env?version=1');
    assert.equal(v1.body.archived, true);
    await page.getByRole('button', { name: 'Restore 1', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, restore 1' }).click();
    await page.getByRole('button', { name: 'Archive 1', exact: true }).waitFor();
    assert.equal((await api('GET', '/environments/train-env?version=1')).body.archived, false);

    // Cancelling the dialog changes nothing.
    await page.getByRole('button', { name: 'Archive all' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await api('GET', '/environments/train-env')).body.archived, false);
    await page.getByRole('button', { name: 'Archive all' }).click();
    await page.getByRole('button', { name: 'Yes, archive all' }).click();
    await page.getByRole('button', { name: 'Restore all' }).waitFor();
    await page.getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('link', { name: 'slim' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'train-env' }).count(), 0, 'archived ones leave the list');
    await page.getByLabel('Show archived').check();
    await page.getByRole('link', { name: 'train-env' }).waitFor();
    assert.match(page.url(), /archived=1/);
    await page.goto(`${server.url}/environments/train-env`);
    await page.getByRole('button', { name: 'Restore all' }).click();
    await page.getByRole('button', { name: 'Yes, restore all' }).click();
    await page.getByRole('button', { name: 'Archive all' }).waitFor();
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows the jobs that prepared an environment, on a phone-sized screen too', async () => {
    const { context, page } = await newPage(browser, { phone: true });
    await page.goto(`${server.url}/environments/plain`);
    await page.getByText('Runs with the node\'s own Python').waitFor();
    const row = page.getByRole('row', { name: new RegExp(jobName) });
    await row.waitFor();
    assert.match((await row.textContent())!, /Completed/);
    await screenshot(page, 'environment-phone');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it("says which environments exist when one does not, and which versions when a version does not", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/environments/nope`);
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /environment 'nope' does not exist.*plain, slim, train-env/);
    await page.goto(`${server.url}/environments/slim?version=7`);
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /has no version 7; showing 1/);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });
});
