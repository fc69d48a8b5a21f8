// The studio's metric charts in real Chromium against a real server: a job's 100,000-point
// metric drawn from min/max/last buckets with its one spike intact, zooming that asks the server
// for the selected steps and gets finer buckets down to the raw points, the wall-time and relative
// axes, log scale and smoothing (kept in the URL), 3,000 metrics reachable by search and pages,
// and the message a chart shows when the server goes away.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';

const POINTS = 100_000;
const SPIKE_STEP = 54_321;
const SPIKE = 1000;
/** Points are logged as if a point came every 10 ms from a moment after the jobs were made. */
let T0 = 0;
/** The loss curve every test reads: smooth, positive, with one spike far above the rest. */
const lossAt = (i: number) => (i === SPIKE_STEP ? SPIKE : 2 / (1 + i / 2000) + 0.05 * Math.sin(i / 50));

/** Logs metrics through MLflow's REST API in batches of 1,000, four requests at a time. */
async function logMetrics(url: string, runId: string, points: { key: string; value: number; step: number; timestamp: number }[]): Promise<void> {
  const batches: (typeof points)[] = [];
  for (let i = 0; i < points.length; i += 1000) batches.push(points.slice(i, i + 1000));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const metrics = batches[next++]!;
        const r = await fetch(`${url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run_id: runId, metrics }) });
        assert.equal(r.status, 200, await r.text());
      }
    }),
  );
}

/** A run made through MLflow's API (no job), in the Default experiment. */
async function mlflowRun(url: string): Promise<string> {
  const r = await fetch(`${url}/api/2.0/mlflow/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_id: '0', run_name: 'plain' }) });
  return ((await r.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
}

const chart = (page: Page, metric: string): Locator => page.locator(`.metric-chart[data-metric="${metric}"]`);
const attr = async (l: Locator, name: string) => (await l.getAttribute(name)) ?? '';
/** Waits until the chart has drawn what it was last asked for. */
async function ready(l: Locator, extra = ''): Promise<void> {
  await l.and(l.page().locator(`[data-state="ready"]${extra}`)).waitFor({ timeout: 20_000 });
}
/** Drags across the plot from one fraction of its width to another (uPlot's select-to-zoom). */
async function drag(l: Locator, from: number, to: number): Promise<void> {
  const over = l.locator('.u-over');
  const box = (await over.boundingBox())!;
  const y = box.y + box.height / 2;
  await l.page().mouse.move(box.x + box.width * from, y);
  await l.page().mouse.down();
  await l.page().mouse.move(box.x + box.width * ((from + to) / 2), y, { steps: 4 });
  await l.page().mouse.move(box.x + box.width * to, y, { steps: 4 });
  await l.page().mouse.up();
}

describe('studio charts', () => {
  const server = new TestServer();
  let browser: Browser;
  let big = '';
  let wide = '';

  before(async () => {
    await server.start();
    browser = await openBrowser();
    const client = new CairnClient({ url: server.url });
    const job = await client.createJob({ type: 'command', command: 'true', experiment_name: 'charts', name: 'big-metrics' } as never);
    big = job.name;
    T0 = Date.now() + 60_000;
    const loss = Array.from({ length: POINTS }, (_, i) => ({ key: 'loss', value: lossAt(i), step: i, timestamp: T0 + i * 10 }));
    const zero = Array.from({ length: 100 }, (_, i) => ({ key: 'grad/zeroes', value: i % 10, step: i, timestamp: T0 + i * 10 }));
    await logMetrics(server.url, job.id, [...loss, ...zero]);

    const many = await client.createJob({ type: 'command', command: 'true', experiment_name: 'charts', name: 'many-metrics' } as never);
    wide = many.name;
    const keys = Array.from({ length: 3000 }, (_, k) => `layer_${String(k).padStart(4, '0')}/grad_norm`);
    await logMetrics(server.url, many.id, keys.flatMap((key, k) => [0, 1, 2].map((step) => ({ key, value: k + step / 10, step, timestamp: T0 + step }))));
  });
  after(async () => {
    await browser?.close();
    await server.stop();
  });

  /** Opens the big job's metrics tab and waits for its loss chart; `asked` collects the bucket requests the page makes. */
  async function openLoss(o: { asked?: string[]; phone?: boolean } = {}) {
    const { context, page } = await newPage(browser, { phone: o.phone });
    if (o.asked) page.on('request', (r) => r.url().includes('/metric-buckets?') && o.asked!.push(r.url()));
    await page.goto(`${server.url}/jobs/${big}?tab=metrics`);
    const loss = chart(page, 'loss');
    await ready(loss);
    return { context, page, loss };
  }

  it('the bucket API: several runs over one range, wall and relative time, a run that is gone, bad input', async () => {
    const api = async (q: string) => {
      const r = await fetch(`${server.url}/api/v1/workspaces/default/metric-buckets?${q}`);
      return { status: r.status, body: (await r.json()) as any };
    };
    const other = await mlflowRun(server.url);
    await logMetrics(server.url, other, Array.from({ length: 10 }, (_, i) => ({ key: 'loss', value: i, step: 200_000 + i, timestamp: T0 + i })));
    const both = await api(`key=loss&runs=${big},${other},nope&buckets=100`);
    assert.equal(both.status, 200);
    assert.deepEqual(both.body.range, { start: 0, end: 200_009 }, "the union of the runs' steps");
    const [a, b, gone] = both.body.runs;
    assert.equal(a.count, POINTS, 'a job name is taken as its run id');
    assert.equal(b.count, 10);
    assert.equal(Math.max(...a.buckets.map((x: { max: number }) => x.max)), SPIKE);
    assert.match(gone.error.message, /nope/);
    const wall = await api(`key=loss&runs=${big}&buckets=10&axis=time&start_time=${T0}&end_time=${T0 + 99}`);
    assert.deepEqual([wall.body.range, wall.body.runs[0].count], [{ start: T0, end: T0 + 99 }, 10]);
    const relative = await api(`key=loss&runs=${big}&buckets=10&axis=relative`);
    assert.ok(relative.body.range.start > 0, 'points come after the run started');
    const bad = await api(`key=loss&runs=${big}&buckets=0`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /buckets/);
    assert.equal((await api('key=loss&buckets=5')).status, 400);
  });

  it('draws a 100,000-point metric as about one bucket per pixel, and the spike survives', async () => {
    const { context, page, loss } = await openLoss();
    assert.equal(await attr(loss, 'data-points'), String(POINTS), 'every point is in some bucket');
    const buckets = Number(await attr(loss, 'data-buckets'));
    const width = (await loss.locator('.u-over').boundingBox())!.width;
    assert.ok(buckets > 100 && buckets <= Math.ceil(width) + 80, `about one bucket per pixel: ${buckets} buckets for ${width} px`);
    assert.equal(Number(await attr(loss, 'data-max')), SPIKE, 'the spike is the drawn maximum');
    assert.equal(await attr(loss, 'data-range'), `0:${POINTS - 1}`);
    await loss.locator('.u-over').hover();
    assert.match((await loss.locator('.readout').textContent())!, /^step \d+ · big-metrics: /);
    await screenshot(page, 'charts-job-metrics');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('zooming asks the server for the selected steps and shows finer buckets, down to raw points; a double-click resets', async () => {
    const asked: string[] = [];
    const { context, page, loss } = await openLoss({ asked });
    const wholeWidth = Number(await attr(loss, 'data-bucket-width'));
    await drag(loss, 0.5, 0.6);
    await ready(loss, ':not([data-range="0:99999"])');
    const [lo, hi] = (await attr(loss, 'data-range')).split(':').map(Number);
    assert.ok(lo! > 45_000 && hi! < 65_000 && lo! < SPIKE_STEP && hi! > SPIKE_STEP, `the selection: ${lo}..${hi}`);
    const zoomed = new URL(asked.at(-1)!);
    assert.deepEqual([zoomed.searchParams.get('key'), zoomed.searchParams.get('start_step'), zoomed.searchParams.get('end_step')], ['loss', String(lo), String(hi)]);
    const finer = Number(await attr(loss, 'data-bucket-width'));
    assert.ok(finer < wholeWidth / 5, `finer buckets: ${finer} steps each, was ${wholeWidth}`);
    assert.equal(Number(await attr(loss, 'data-max')), SPIKE, 'the spike is still drawn');
    await screenshot(page, 'charts-zoomed');

    // Zoom in from the keyboard until a bucket holds at most one step: the raw points.
    const zoomIn = page.getByRole('button', { name: 'Zoom in on loss' });
    for (let i = 0; i < 12 && Number(await attr(loss, 'data-bucket-width')) > 1; i++) {
      const before = await attr(loss, 'data-range');
      await zoomIn.focus();
      await page.keyboard.press('Enter');
      await ready(loss, `:not([data-range="${before}"])`);
    }
    const [rlo, rhi] = (await attr(loss, 'data-range')).split(':').map(Number);
    assert.ok(Number(await attr(loss, 'data-bucket-width')) <= 1, 'raw points at last');
    assert.equal(Number(await attr(loss, 'data-buckets')), rhi! - rlo! + 1, 'one slot per logged step');

    await loss.locator('.u-over').dblclick();
    await ready(loss, '[data-range="0:99999"]');
    assert.ok(asked.length >= 4, 'each range was asked for');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('switches to wall-time and relative-time axes and a log scale, kept in the URL', async () => {
    const asked: string[] = [];
    const { context, page, loss } = await openLoss({ asked });
    await page.getByLabel('X axis').selectOption('time');
    await ready(loss, '[data-axis="time"]');
    assert.equal(await attr(loss, 'data-range'), `${T0}:${T0 + (POINTS - 1) * 10}`, 'wall time, in ms');
    assert.equal(new URL(asked.at(-1)!).searchParams.get('axis'), 'time');
    assert.equal(Number(await attr(loss, 'data-max')), SPIKE);
    await drag(loss, 0.2, 0.3);
    await ready(loss, `[data-axis="time"]:not([data-range="${T0}:${T0 + (POINTS - 1) * 10}"])`);
    const last = new URL(asked.at(-1)!).searchParams;
    assert.ok(Number(last.get('start_time')) > T0 && Number(last.get('end_time')) < T0 + POINTS * 10, 'the zoom asks for a time range');

    await page.getByLabel('X axis').selectOption('relative');
    await ready(loss, '[data-axis="relative"]');
    assert.equal(new URL(asked.at(-1)!).searchParams.get('axis'), 'relative');
    await page.getByLabel('Log scale').check();
    await ready(loss, '[data-scale="log"]');
    // Zero cannot be drawn on a log scale: the chart says how many values it leaves out.
    const zeroes = chart(page, 'grad/zeroes');
    await ready(zeroes, '[data-scale="log"]');
    assert.match((await zeroes.locator('.readout').textContent())!, /10 values of zero or less are not drawn/);
    await page.getByLabel(/Smoothing/).focus();
    await page.keyboard.press('End');
    await page.waitForURL(/smoothing=0.99/);
    assert.match(page.url(), /x=relative/);
    assert.match(page.url(), /log=1/);
    await screenshot(page, 'charts-relative-log-smoothed');
    await page.reload();
    await ready(chart(page, 'loss'), '[data-axis="relative"][data-scale="log"]');
    assert.equal(await page.getByLabel('Log scale').isChecked(), true);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('keeps 3,000 metrics reachable: one page of charts drawn, any metric found by name or by page', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs/${wide}?tab=metrics`);
    await page.getByText('Metrics 1–12 of 3,000').first().waitFor();
    assert.equal(await page.locator('.metric-chart').count(), 12, 'only the current page is drawn');
    await ready(chart(page, 'layer_0000/grad_norm'));
    await page.getByLabel('Search metrics').fill('layer_2718');
    const found = chart(page, 'layer_2718/grad_norm');
    await ready(found);
    assert.equal(await page.locator('.metric-chart').count(), 1);
    assert.equal(Number(await attr(found, 'data-max')), 2718.2);
    await screenshot(page, 'charts-search-3000');
    await page.getByLabel('Search metrics').fill('');
    await page.getByText('Metrics 1–12 of 3,000').first().waitFor();
    await page.getByRole('spinbutton').first().fill('250');
    await ready(chart(page, 'layer_2999/grad_norm'));
    await page.getByText('Metrics 2,989–3,000 of 3,000').first().waitFor();
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('works on a phone-sized screen', async () => {
    const { context, page, loss } = await openLoss({ phone: true });
    const box = (await loss.boundingBox())!;
    assert.ok(box.width <= 390, `the chart fits the screen: ${box.width} px`);
    await screenshot(page, 'charts-phone');
    await context.close();
  });

  it('says so in the chart when the server goes away', async () => {
    const gone = new TestServer();
    await gone.start();
    const client = new CairnClient({ url: gone.url });
    const job = await client.createJob({ type: 'command', command: 'true', experiment_name: 'charts' } as never);
    await logMetrics(gone.url, job.id, Array.from({ length: 500 }, (_, i) => ({ key: 'loss', value: lossAt(i), step: i, timestamp: T0 + i })));
    const { context, page } = await newPage(browser);
    await page.goto(`${gone.url}/jobs/${job.name}?tab=metrics`);
    const loss = chart(page, 'loss');
    await ready(loss);
    await gone.stop();
    await page.getByRole('button', { name: 'Zoom in on loss' }).click();
    await loss.getByRole('alert').waitFor();
    assert.match((await loss.getByRole('alert').textContent())!, /cannot be reached/);
    await context.close();
  });
});
