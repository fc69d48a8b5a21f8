// The studio's Jobs pages in real Chromium against a real server, with jobs submitted through the
// real CLI: the list (filters kept in the URL, paging, live), and one job's log (live, searchable,
// in colour, 200,000 lines in a window of rows), code snapshot, outputs, cancel and not-found.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';
import { CairnClient } from '../src/sdk/client.ts';

// A 1x1 red PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

describe('the studio: jobs', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('studio-jobs');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  let client: CairnClient;
  let browser: Browser;

  /** Writes a job file and submits it; with `stream`, waits for it to end. */
  async function submit(name: string, yaml: string, o: { stream?: boolean } = {}): Promise<void> {
    writeFileSync(join(work, `${name}.yml`), `name: ${name}\n${yaml}`);
    const r = await cli(['job', 'create', '-f', `${name}.yml`, ...(o.stream ? ['--stream'] : ['-o', 'json'])]);
    assert.equal(r.code, 0, r.stderr);
  }
  const open = async (path: string, o: { phone?: boolean } = {}) => {
    const { context, page } = await newPage(browser, o);
    await page.goto(`${server.url}${path}`);
    return { context, page };
  };
  const logPanel = (page: Page, label = 'job log') => page.getByRole('log', { name: label });

  before(async () => {
    await server.start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
    mkdirSync(join(work, 'src', 'utils'), { recursive: true });
    writeFileSync(join(work, 'src', 'ticker.py'), 'import time\nfor i in range(1, 400):\n    print(f"tick {i}", flush=True)\n    time.sleep(0.25)\n');
    writeFileSync(join(work, 'src', 'train.py'), `import base64, json, os\nos.makedirs("outputs", exist_ok=True)\njson.dump({"accuracy": 0.93, "epochs": [1, 2]}, open("outputs/result.json", "w"))\nopen("outputs/table.csv", "w").write('epoch,loss,note\\n1,0.5,"first, warm-up"\\n2,0.25,done\\n')\nopen("outputs/plot.png", "wb").write(base64.b64decode("${PNG}"))\nprint("trained")\n`);
    writeFileSync(join(work, 'src', 'utils', 'helpers.py'), 'def helper():\n    return "help is here"\n');
    writeFileSync(join(work, 'src', 'README.md'), '# Trainer\n');
    execFileSync('git', ['init', '-q', '-b', 'main', work]);
    execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init']);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('follows a running job’s log live, searches it, and cancels the job after a confirmation', async () => {
    await submit('ticker-job', 'command: python3 ticker.py\ncode: ./src\nexperiment_name: live\ndisplay_name: ticking along\n');
    const { context, page } = await open('/jobs/ticker-job?tab=logs');
    const log = logPanel(page);
    await log.getByText('tick 3', { exact: true }).waitFor();
    // The job still runs, and lines keep arriving in the open page.
    assert.ok(!['Completed', 'Failed', 'Canceled'].includes((await client.getJob('ticker-job')).status));
    await log.getByText('tick 10', { exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'following live' }).waitFor();
    await screenshot(page, 'jobs-log-live');

    await page.getByLabel('Search').fill('tick 1');
    await page.getByRole('status').filter({ hasText: 'matching' }).waitFor();
    const shown = await log.locator('.lx').allInnerTexts();
    assert.ok(shown.includes('tick 1') && shown.includes('tick 10'), shown.join('|'));
    assert.ok(shown.every((t) => t.startsWith('tick 1')), shown.join('|'));
    assert.ok(await log.locator('mark').count() >= 2, 'matches are marked');
    await page.getByLabel('Search').fill('');

    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).isEnabled(), true);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Cancel job ticker-job?').waitFor();
    await dialog.getByRole('button', { name: 'Yes, cancel job' }).click();
    await page.locator('.page-head .status', { hasText: 'Canceled' }).waitFor({ timeout: 30_000 });
    assert.equal((await client.getJob('ticker-job')).status, 'Canceled');
    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).isDisabled(), true, 'a finished job cannot be canceled');
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByText('cancel requested by the user').first().waitFor();
    assert.match(page.url(), /\/jobs\/ticker-job$/);
    await screenshot(page, 'jobs-overview-canceled');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows ANSI colours as coloured spans, not escape codes', async () => {
    await submit('ansi-job', "command: printf '\\033[31mred alert\\033[0m then \\033[1;32mbold green\\033[0m\\n'; echo oops >&2\n", { stream: true });
    const { context, page } = await open('/jobs/ansi-job?tab=logs');
    const log = logPanel(page);
    const red = log.locator('span.ansi-fg-1', { hasText: 'red alert' });
    await red.waitFor();
    assert.equal(await red.evaluate((e) => getComputedStyle(e).color), 'rgb(255, 123, 114)');
    assert.equal(await log.locator('span.ansi-bold.ansi-fg-2').innerText(), 'bold green');
    assert.doesNotMatch(await log.innerText(), /\[31m|\x1b/);
    await log.locator('.lx.stderr', { hasText: 'oops' }).waitFor();
    await screenshot(page, 'jobs-log-ansi');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('keeps a 200,000-line log responsive: only a window of rows is in the page', async () => {
    await submit('big-log', "command: seq 1 200000 | sed 's/^/line /'\n", { stream: true });
    const { context, page } = await open('/jobs/big-log?tab=logs');
    const log = logPanel(page);
    await page.getByRole('status').filter({ hasText: /^200,000 lines$/ }).waitFor({ timeout: 60_000 });
    // Followed to the end: the last line is in sight, and the page holds a few dozen rows, not 200,000.
    await log.getByText('line 200000', { exact: true }).waitFor();
    assert.ok((await log.locator('.log-row').count()) < 100);
    await log.evaluate((e) => (e.scrollTop = 0));
    await log.getByText('line 1', { exact: true }).waitFor();
    assert.equal(await log.getByText('line 200000', { exact: true }).count(), 0);
    await page.getByRole('button', { name: 'Follow', exact: true }).waitFor();
    // The keyboard reaches the end as well.
    await log.focus();
    await page.keyboard.press('End');
    await log.getByText('line 200000', { exact: true }).waitFor();
    assert.ok((await log.locator('.log-row').count()) < 100);
    await screenshot(page, 'jobs-log-200k');
    await page.getByLabel('Search').fill('line 199999');
    await page.getByRole('status').filter({ hasText: '1 matching' }).waitFor();
    assert.deepEqual(await log.locator('.lx').allInnerTexts(), ['line 199999']);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('browses the code snapshot and opens a file; previews and downloads outputs', async () => {
    await submit('train-job', 'command: python3 train.py\ncode: ./src\nexperiment_name: training\ntags: {team: vision}\n', { stream: true });
    const { context, page } = await open('/jobs/train-job?tab=code');
    await page.getByText('Repository').waitFor();
    await page.getByText('main', { exact: true }).waitFor();
    const tree = page.getByRole('tree', { name: 'files of the snapshot' });
    await tree.getByRole('button', { name: 'utils/' }).click();
    await tree.getByRole('button', { name: 'helpers.py' }).click();
    await page.getByText('return "help is here"').waitFor();
    assert.match(page.url(), /file=utils%2Fhelpers.py/);
    await screenshot(page, 'jobs-code');
    await page.reload();
    await page.getByText('return "help is here"').waitFor();

    await page.getByRole('tab', { name: 'Outputs' }).click();
    await page.getByRole('button', { name: 'Preview outputs/result.json' }).click();
    await page.getByText('"accuracy": 0.93,').waitFor();
    await page.getByRole('button', { name: 'Preview outputs/table.csv' }).click();
    const table = page.locator('.csv table');
    await table.getByRole('columnheader', { name: 'loss' }).waitFor();
    assert.deepEqual(await table.locator('tbody tr').first().locator('td').allInnerTexts(), ['1', '0.5', 'first, warm-up']);
    await screenshot(page, 'jobs-outputs');
    await page.getByRole('button', { name: 'Preview outputs/plot.png' }).click();
    const img = page.getByRole('img', { name: 'outputs/plot.png' });
    await img.waitFor();
    await waitFor('the picture to load', () => img.evaluate((e) => (e as HTMLImageElement).naturalWidth === 1));
    const href = await page.getByRole('link', { name: 'Download outputs/result.json' }).getAttribute('href');
    const body = await page.evaluate(async (u) => (await fetch(u!)).json(), href);
    assert.deepEqual(body, { accuracy: 0.93, epochs: [1, 2] });

    await page.getByRole('tab', { name: 'Params & tags' }).click();
    await page.getByRole('cell', { name: 'team' }).waitFor();
    await page.getByRole('tab', { name: 'Environment' }).click();
    await page.getByText('user-managed: the node’s own Python, as it is').waitFor();
    await page.getByRole('heading', { name: 'Preparation log' }).waitFor();
    await page.getByRole('tab', { name: 'Metrics' }).click();
    assert.match(page.url(), /tab=metrics/);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('lists a job’s data inputs with the versions they read, and each named output apart from outputs/', async () => {
    mkdirSync(join(work, 'data'), { recursive: true });
    writeFileSync(join(work, 'data', 'rows.csv'), 'a,b\n1,2\n');
    await submit(
      'data-job',
      'command: cp ${{inputs.rows}}/rows.csv ${{outputs.clean}}/rows.csv && echo 0.9 > ${{outputs.score}}/score.txt\ninputs:\n  rows: {type: uri_folder, path: ./data}\noutputs:\n  clean: {type: uri_folder, name: clean-rows}\n  score: {type: uri_folder}\n',
      { stream: true },
    );
    const { context, page } = await open('/jobs/data-job');
    const inputs = page.getByRole('region', { name: 'Data inputs' });
    await inputs.getByRole('cell', { name: 'rows', exact: true }).waitFor();
    assert.match(await inputs.innerText(), /uri_folder\s+ro_mount\s+\.\/data/);
    await page.getByRole('tab', { name: 'Outputs' }).click();
    const outputs = page.getByRole('region', { name: 'Named outputs' });
    await outputs.getByRole('cell', { name: 'azureml:clean-rows:1' }).waitFor();
    assert.deepEqual(await outputs.locator('tbody tr').first().locator('td').allInnerTexts(), ['clean', 'uri_folder', '1', '8 B', 'azureml:clean-rows:1', '']);
    await outputs.getByRole('cell', { name: 'score', exact: true }).waitFor();
    await screenshot(page, 'jobs-named-outputs');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('filters the list by status and text, keeps the filters in the URL, and pages through many jobs', async () => {
    // One after another, each in a later millisecond than the last: newest first is then by name.
    for (let i = 0; i < 23; i++) {
      const t = Date.now();
      await waitFor('the next millisecond', async () => Date.now() > t);
      await client.createJob({ type: 'command', command: 'true', name: `paged-${String(i).padStart(2, '0')}`, experiment_name: 'paging' });
    }
    const { context, page } = await open('/jobs');
    const rows = page.locator('table.job-table tbody tr');
    await page.locator('tr[data-job="paged-22"]').waitFor();

    await page.getByLabel('Status').selectOption('Canceled');
    await page.waitForURL(/status=Canceled/);
    await waitFor('only the canceled job', async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-job')) === 'ticker-job');
    assert.equal(await rows.first().locator('td').nth(2).getAttribute('title'), 'canceled by the user');
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Search').fill('ANSI');
    await page.waitForURL(/q=ANSI/);
    await waitFor('only the ANSI job', async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-job')) === 'ansi-job');
    await page.reload();
    assert.equal(await page.getByLabel('Search').inputValue(), 'ANSI');
    await waitFor('the filtered list after a reload', async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-job')) === 'ansi-job');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Tags').fill('team=vision');
    await waitFor('only the tagged job', async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-job')) === 'train-job');
    await page.getByRole('button', { name: 'Clear filters' }).click();

    // 23 jobs of one experiment, 10 to a page.
    await page.goto(`${server.url}/jobs?experiment=paging&size=10`);
    const pager = page.getByRole('navigation', { name: 'pages of jobs' });
    await pager.getByText('Jobs 1–10 of 23').waitFor();
    assert.equal(await rows.count(), 10);
    assert.equal(await rows.first().getAttribute('data-job'), 'paged-22');
    await screenshot(page, 'jobs-list');
    await pager.getByRole('button', { name: 'Older ›' }).click();
    await pager.getByText('Jobs 11–20 of 23').waitFor();
    await pager.getByRole('button', { name: 'Older ›' }).click();
    await pager.getByText('Jobs 21–23 of 23').waitFor();
    assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-job'))), ['paged-02', 'paged-01', 'paged-00']);
    assert.equal(await pager.getByRole('button', { name: 'Older ›' }).isDisabled(), true);
    await page.reload();
    await pager.getByText('Jobs 21–23 of 23').waitFor();
    await pager.getByRole('button', { name: '‹ Newer' }).click();
    await pager.getByText('Jobs 11–20 of 23').waitFor();
    assert.equal(await rows.first().getAttribute('data-job'), 'paged-12');
    await pager.getByRole('button', { name: '« Newest' }).click();
    await pager.getByText('Jobs 1–10 of 23').waitFor();
    // Live: a job submitted now shows up at the top without a reload.
    await client.createJob({ type: 'command', command: 'true', name: 'paged-23', experiment_name: 'paging' });
    await pager.getByText('Jobs 1–10 of 24').waitFor();
    assert.equal(await rows.first().getAttribute('data-job'), 'paged-23');

    // The API behind it: cursors the server did not give are refused in one line.
    const bad = await fetch(`${server.url}/api/v1/workspaces/default/jobs?after=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /^after: not a cursor this server gave/);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('says so when a job does not exist, and works on a phone-sized screen', async () => {
    const { context, page } = await open('/jobs/no-such-job');
    await page.getByRole('heading', { name: 'Job not found' }).waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /Not found: job 'no-such-job' does not exist in workspace 'default'/);
    await context.close();

    const phone = await open('/jobs/train-job?tab=logs', { phone: true });
    await logPanel(phone.page).getByText('trained').waitFor();
    await screenshot(phone.page, 'jobs-phone-log');
    await phone.page.goto(`${server.url}/jobs`);
    await phone.page.locator('tr[data-job="train-job"]').waitFor();
    await screenshot(phone.page, 'jobs-phone-list');
    assert.deepEqual(pageErrors(phone.page), []);
    await phone.context.close();
  });
});
