// The experiment pages in real Chromium against a real server: 120 runs made through MLflow's
// REST API, filtered with MLflow's grammar (and a bad filter answered with MLflow's own message),
// sorted by a metric on the server, columns chosen and kept across a reload, the runs on parallel
// axes, picked runs' charts overlaid, a deleted run named, and a job's run linking to its job.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';

const RUNS = 120;
const LRS = ['0.01', '0.1', '0.001'];
/** Each run's params and final metrics, so the test knows what every filter and sort must give. */
const trial = (i: number) => ({ name: `trial-${String(i).padStart(3, '0')}`, lr: LRS[i % 3]!, batch: String(16 << i % 4), loss: ((i * 37) % 100) / 100 + 0.001 });

describe('studio experiments', () => {
  const server = new TestServer();
  let browser: Browser;
  let sweep = '';
  let withJob = '';
  let jobName = '';
  const ids: string[] = [];
  const mlflow = async (path: string, body: unknown) => {
    const r = await fetch(`${server.url}/api/2.0/mlflow${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };

  before(async () => {
    await server.start();
    browser = await openBrowser();
    sweep = (await mlflow('/experiments/create', { name: 'lr-sweep' })).body.experiment_id;
    const t0 = Date.now();
    for (let i = 0; i < RUNS; i++) {
      const t = trial(i);
      const run = (await mlflow('/runs/create', { experiment_id: sweep, run_name: t.name, start_time: t0 + i })).body.run;
      ids.push(run.info.run_id);
      const curve = Array.from({ length: 50 }, (_, s) => ({ key: 'loss', value: t.loss + (50 - s) / 50, step: s, timestamp: t0 + s }));
      curve.push({ key: 'loss', value: t.loss, step: 50, timestamp: t0 + 50 });
      const r = await mlflow('/runs/log-batch', {
        run_id: run.info.run_id,
        params: [{ key: 'lr', value: t.lr }, { key: 'batch', value: t.batch }],
        metrics: [...curve, { key: 'acc', value: 1 - t.loss, step: 50, timestamp: t0 + 50 }],
      });
      assert.equal(r.status, 200);
    }
    const job = await new CairnClient({ url: server.url }).createJob({ type: 'command', command: 'true', experiment_name: 'with-a-job' } as never);
    jobName = job.name;
    withJob = ((await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=with-a-job`)).json()) as any).experiment.experiment_id;
  });
  after(async () => {
    await browser?.close();
    await server.stop();
  });

  const rows = (page: Page) => page.locator('.runs-table tbody tr');
  const rowsAre = async (page: Page, n: number) => page.locator(`.runs-table table[data-rows="${n}"]`).waitFor();

  it('lists experiments and opens one: its 120 runs side by side, on parallel axes', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/experiments`);
    await page.getByRole('link', { name: 'lr-sweep' }).click();
    await page.waitForURL(`${server.url}/experiments/${sweep}`);
    await rowsAre(page, RUNS);
    await page.getByRole('heading', { name: 'lr-sweep' }).waitFor();
    const svg = page.locator('svg.parallel');
    assert.equal(await svg.getAttribute('data-lines'), String(RUNS), 'one line per run');
    assert.equal(await svg.getAttribute('data-axes'), '4', 'batch, lr, acc, loss');
    await screenshot(page, 'experiment-runs');
    await page.goto(`${server.url}/experiments`);
    await page.getByRole('link', { name: 'with-a-job' }).waitFor();
    await screenshot(page, 'experiments-list');
    await page.getByLabel('Name contains').fill('SWEEP');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/name=SWEEP/);
    await page.getByRole('link', { name: 'with-a-job' }).waitFor({ state: 'detached' });
    assert.deepEqual(await page.locator('main table tbody tr td:first-child').allTextContents(), ['lr-sweep']);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it("filters with MLflow's grammar, and shows MLflow's message for a bad filter", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/experiments/${sweep}`);
    await rowsAre(page, RUNS);
    const filter = "metrics.loss < 0.5 and params.lr = '0.01'";
    const expected = Array.from({ length: RUNS }, (_, i) => trial(i)).filter((t) => t.loss < 0.5 && t.lr === '0.01');
    assert.ok(expected.length > 5 && expected.length < 40);
    await page.getByLabel('Filter runs').fill(filter);
    await page.getByRole('button', { name: 'Apply' }).click();
    await rowsAre(page, expected.length);
    assert.deepEqual((await rows(page).locator('td:nth-child(2)').allTextContents()).sort(), expected.map((t) => t.name).sort());
    assert.equal(new URL(page.url()).searchParams.get('filter'), filter);
    assert.equal(await page.locator('svg.parallel').getAttribute('data-lines'), String(expected.length));

    const bad = 'metrics.loss <> 0.5';
    const direct = await mlflow('/runs/search', { experiment_ids: [sweep], filter: bad });
    assert.equal(direct.status, 400);
    await page.getByLabel('Filter runs').fill(bad);
    await page.getByRole('button', { name: 'Apply' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.ok((await alert.textContent())!.includes(direct.body.message), `MLflow's message: ${direct.body.message}`);
    await screenshot(page, 'experiment-bad-filter');
    await page.getByRole('button', { name: 'Clear' }).click();
    await rowsAre(page, RUNS);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('sorts by a metric on the server, both ways', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/experiments/${sweep}`);
    await rowsAre(page, RUNS);
    const losses = Array.from({ length: RUNS }, (_, i) => trial(i).loss).sort((a, b) => a - b);
    const lossHeader = page.getByRole('columnheader', { name: /loss/ });
    // The table is asked for again in the new order: wait for its first row to say so.
    const at = await lossIndex(page);
    await lossHeader.getByRole('button').click();
    await page.waitForURL(/order=metrics.*loss.*DESC/);
    await page.locator('th[aria-sort="descending"]').waitFor();
    await page.waitForFunction(([i, want]) => Math.abs(Number(document.querySelector(`.runs-table tbody tr td:nth-child(${i + 1})`)?.textContent ?? NaN) - want) < 1e-6, [at, losses.at(-1)!] as [number, number]);
    await rowsAre(page, RUNS);
    await lossHeader.getByRole('button').click();
    await page.waitForURL(/order=metrics.*loss.*ASC/);
    await page.waitForFunction(([i, want]) => Math.abs(Number(document.querySelector(`.runs-table tbody tr td:nth-child(${i + 1})`)?.textContent ?? NaN) - want) < 1e-6, [at, losses[0]!] as [number, number]);
    await rowsAre(page, RUNS);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('keeps the columns chosen across a reload', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/experiments/${sweep}`);
    await rowsAre(page, RUNS);
    await page.getByText(/^Columns \(/).click();
    await page.getByRole('checkbox', { name: 'batch', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'acc', exact: true }).uncheck();
    await page.waitForURL(/cols=/);
    await page.reload();
    await rowsAre(page, RUNS);
    const headers = await page.locator('.runs-table thead th').allTextContents();
    assert.ok(headers.some((h) => h.includes('lr')) && headers.some((h) => h.includes('loss')), headers.join('|'));
    assert.ok(!headers.some((h) => h.includes('batch') || h.includes('acc')), headers.join('|'));
    assert.equal(await page.locator('svg.parallel').getAttribute('data-axes'), '2');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it("overlays picked runs' charts, and names a picked run that was deleted", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/experiments/${sweep}`);
    await rowsAre(page, RUNS);
    await page.getByRole('checkbox', { name: 'Select run trial-007' }).check();
    await page.getByRole('checkbox', { name: 'Select run trial-042' }).check();
    const loss = page.locator('.metric-chart[data-metric="loss"][data-runs="2"][data-state="ready"]');
    await loss.waitFor();
    assert.equal(await loss.getAttribute('data-points'), '102', 'both runs, 51 points each');
    assert.equal(Number(await loss.getAttribute('data-max')), Math.max(trial(7).loss, trial(42).loss) + 1);
    await screenshot(page, 'experiment-overlay');

    assert.equal((await mlflow('/runs/delete', { run_id: ids[42] })).status, 200);
    await page.reload();
    await page.getByText(/trial-042 \(\w+\) was deleted/).first().waitFor();
    await page.locator('.metric-chart[data-metric="loss"][data-state="ready"]').getByText(/was deleted; restore it to chart it/).waitFor();
    await rowsAre(page, RUNS - 1);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it("links a job's run to its job page, and works on a phone-sized screen", async () => {
    const { context, page } = await newPage(browser, { phone: true });
    await page.goto(`${server.url}/experiments/${withJob}`);
    await rowsAre(page, 1);
    assert.equal(await page.getByRole('link', { name: jobName }).getAttribute('href'), `/jobs/${jobName}`);
    await screenshot(page, 'experiment-phone');
    await page.goto(`${server.url}/experiments/999999`);
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /999999/);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });
});

/** Which cell of a row holds the loss column (the fixed columns come first). */
async function lossIndex(page: Page): Promise<number> {
  const headers = await page.locator('.runs-table thead th').allTextContents();
  return headers.findIndex((h) => /^loss/.test(h.trim()));
}
