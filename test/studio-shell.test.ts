// The studio's frame in real Chromium against a real server: served at / with deep links that
// survive a reload, a login on a server that needs a token (a job token never logs in), cookie
// sessions that cannot be used by another site, and visible messages when things go wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TestServer } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';

const TOKEN = 'studio-test-token-0123456789abcdef';

describe('the studio shell', () => {
  const open = new TestServer();
  const locked = new TestServer({ token: TOKEN });
  let browser: Browser;

  before(async () => {
    await Promise.all([open.start(), locked.start()]);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await Promise.all([open.stop(), locked.stop()]);
  });

  it('is served at /, needs no login on the embedded default, and a deep link survives a reload', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${open.url}/`);
    await page.waitForURL(`${open.url}/jobs`);
    await page.getByRole('link', { name: 'Compute' }).click();
    await page.waitForURL(`${open.url}/computes`);
    await page.reload();
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Compute');
    await page.goto(`${open.url}/no/such/page`);
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /the studio has no page \/no\/such\/page/);
    await screenshot(page, 'shell-not-found');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('asks for a token when the server needs one, refuses a wrong one and a job token, and keeps a good one for the session', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${locked.url}/computes`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await screenshot(page, 'shell-login');
    const login = async (token: string) => {
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Log in' }).click();
    };
    await login('not-the-token-at-all-000000');
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /the token is not valid for this server/);
    await login(`cjt.00000000-0000-0000-0000-000000000000.${'0'.repeat(64)}`);
    await page.getByText('a job token cannot log in to the studio').waitFor();
    await login(TOKEN);
    await page.getByRole('heading', { name: 'Compute' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Compute' }).waitFor();
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'cairn_session');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie!.httpOnly, true);
    assert.equal(cookie!.sameSite, 'Strict');
    assert.ok(!cookie!.value.includes(TOKEN), 'the cookie is not the token');

    // The cookie reads; a write needs the studio's header, which another site cannot send.
    const headers = { cookie: `cairn_session=${cookie!.value}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${locked.url}/api/v1/workspaces/default/jobs`, { headers })).status, 200);
    const forged = await fetch(`${locked.url}/api/v1/workspaces/default/computes`, { method: 'POST', headers, body: '{"spec":{}}' });
    assert.equal(forged.status, 403);
    assert.match(((await forged.json()) as { error: { message: string } }).error.message, /x-cairn-studio header is missing/);
    // A tampered cookie is nobody.
    const tampered = `${cookie!.value.slice(0, -1)}${cookie!.value.endsWith('0') ? '1' : '0'}`;
    assert.equal((await fetch(`${locked.url}/api/v1/workspaces/default/jobs`, { headers: { cookie: `cairn_session=${tampered}` } })).status, 401);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('says so in the page when the server goes away, and works on a phone-sized screen', async () => {
    const gone = new TestServer();
    await gone.start();
    const { context, page } = await newPage(browser, { phone: true });
    await page.goto(`${gone.url}/jobs`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await screenshot(page, 'shell-phone');
    await gone.stop();
    await page.getByRole('link', { name: 'Compute' }).click();
    await page.getByRole('alert').waitFor({ timeout: 15_000 });
    assert.match((await page.getByRole('alert').textContent())!, /cannot be reached/);
    await context.close();
  });
});
