// A job page's Metrics tab with 10 series of 100,000 points each, in headless Chromium.
// Navigation to interactive: from the navigation's start (the new document's time origin) until
// all 10 charts have drawn their buckets (each chart's data-state is ready and uPlot's draw hook has
// run), median of 5 in a warm context (the studio's files cached, the server's chunks in memory).
// Zoom: from the mouse-up that ends a select-to-zoom until the chart has drawn the finer buckets
// the server sent for that range, median of 5. Same-run baselines: the same tab of a job without
// metrics (the page's own cost, no charts), and the page fetching one zoom's buckets by itself (the
// network and server part of a zoom). Bars: 500 ms to interactive, 100 ms a zoom.
// Prints one JSON object.
import type { Page } from 'playwright-core';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer } from '../test/helpers/cairn.ts';
import { openBrowser } from '../test/helpers/browser.ts';

const SERIES = 10;
const POINTS = Number(process.env.BENCH_POINTS ?? 100_000);
const RUNS = 5;
const BAR_MS = 500;
const ZOOM_BAR_MS = 100;
const TIMEOUT_MS = 20_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Every point of SERIES metrics, 1,000 a request, four requests at a time. */
async function logSeries(url: string, runId: string): Promise<void> {
  const t0 = Date.now();
  const bodies: string[] = [];
  for (let s = 0; s < SERIES; s++) {
    for (let i = 0; i < POINTS; i += 1000) {
      const metrics = Array.from({ length: Math.min(1000, POINTS - i) }, (_, k) => {
        const step = i + k;
        return { key: `metric_${s}`, value: Math.exp(-step / 30_000) + 0.05 * Math.sin(step / (40 + s)) + (step % 9973 === 0 ? 3 : 0), step, timestamp: t0 + step * 10 };
      });
      bodies.push(JSON.stringify({ run_id: runId, metrics }));
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) {
        const r = await fetch(`${url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[next++] });
        if (r.status !== 200) throw new Error(`log-batch: ${r.status} ${await r.text()}`);
      }
    }),
  );
}

/** Milliseconds from the navigation's start until `ready` gives the page's clock (checked every frame). */
async function navigate(page: Page, url: string, ready: () => number | false): Promise<number> {
  await page.goto(url, { waitUntil: 'commit', timeout: TIMEOUT_MS });
  const at = await page.waitForFunction(ready, undefined, { timeout: TIMEOUT_MS, polling: 'raf' });
  return (await at.jsonValue()) as number;
}

const allChartsDrawn = () => {
  const charts = [...document.querySelectorAll('.metric-chart')];
  return charts.length === 10 && charts.every((c) => c.getAttribute('data-state') === 'ready' && Number(c.getAttribute('data-draws')) >= 1) && performance.now();
};
const emptyTabShown = () => [...document.querySelectorAll('main p')].some((p) => p.textContent === 'No metrics logged yet.') && performance.now();

/** One select-to-zoom on the first chart: mouse-up to the draw of the new range, timed in the page. */
async function zoomOnce(page: Page, from: number, to: number): Promise<{ ms: number; url: string }> {
  const card = page.locator('.metric-chart[data-metric="metric_0"]');
  const before = (await card.getAttribute('data-range'))!;
  await card.evaluate((el, was) => {
    const w = window as unknown as { zoom: { up: number; drawn: number } };
    w.zoom = { up: 0, drawn: 0 };
    document.addEventListener('mouseup', () => (w.zoom.up = performance.now()), { capture: true, once: true });
    const watch = new MutationObserver(() => {
      if (w.zoom.up && !w.zoom.drawn && el.getAttribute('data-range') !== was && el.getAttribute('data-state') === 'ready') {
        w.zoom.drawn = performance.now();
        watch.disconnect();
      }
    });
    watch.observe(el, { attributes: true, attributeFilter: ['data-draws'] });
  }, before);
  const asked = page.waitForRequest((r) => r.url().includes('/metric-buckets?') && r.url().includes('start_step'));
  const box = (await card.locator('.u-over').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to, y, { steps: 3 });
  await page.mouse.up();
  const url = (await asked).url();
  const ms = await page.waitForFunction(() => {
    const z = (window as unknown as { zoom: { up: number; drawn: number } }).zoom;
    return z.drawn ? z.drawn - z.up : 0;
  }, undefined, { timeout: TIMEOUT_MS, polling: 'raf' });
  return { ms: (await ms.jsonValue()) as number, url };
}

async function main(): Promise<void> {
  const server = await new TestServer().start();
  const browser = await openBrowser();
  try {
    const client = new CairnClient({ url: server.url });
    const job = await client.createJob({ type: 'command', command: 'true', experiment_name: 'bench-charts', name: 'bench-charts' } as never);
    const empty = await client.createJob({ type: 'command', command: 'true', experiment_name: 'bench-charts', name: 'bench-no-metrics' } as never);
    const tLog = Date.now();
    await logSeries(server.url, job.id);
    const logMs = Date.now() - tLog;

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const charts = `${server.url}/jobs/${job.name}?tab=metrics`;
    const bare = `${server.url}/jobs/${empty.name}?tab=metrics`;
    await navigate(page, charts, allChartsDrawn); // warms the browser's cache and the server's

    const interactive: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      interactive.push(await navigate(page, charts, allChartsDrawn));
      baseline.push(await navigate(page, bare, emptyTabShown));
    }

    await navigate(page, charts, allChartsDrawn);
    const zooms: number[] = [];
    const fetchOnly: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const z = await zoomOnce(page, 0.2 + i * 0.05, 0.45 + i * 0.05);
      zooms.push(z.ms);
      // The same request by itself from the page: what a zoom costs before any drawing.
      fetchOnly.push(await page.evaluate(async (u) => {
        const t = performance.now();
        await (await fetch(u)).json();
        return performance.now() - t;
      }, z.url));
      const card = page.locator('.metric-chart[data-metric="metric_0"]');
      await card.locator('.u-over').dblclick();
      await page.waitForFunction((range) => document.querySelector('.metric-chart[data-metric="metric_0"]')?.getAttribute('data-range') === range && document.querySelector('.metric-chart[data-metric="metric_0"]')?.getAttribute('data-state') === 'ready', `0:${POINTS - 1}`, { timeout: TIMEOUT_MS });
    }
    const buckets = Number(await page.locator('.metric-chart[data-metric="metric_0"]').getAttribute('data-buckets'));
    const tti = median(interactive);
    const zoom = median(zooms);
    console.log(
      JSON.stringify({
        bench: 'studio-charts',
        series: SERIES,
        points_per_series: POINTS,
        log_ms: logMs,
        buckets_per_chart: buckets,
        runs: RUNS,
        navigate_to_interactive_ms: round1(tti),
        navigate_to_interactive_max_ms: round1(Math.max(...interactive)),
        baseline_tab_without_metrics_ms: round1(median(baseline)),
        bar_ms: BAR_MS,
        zoom_rerender_ms: round1(zoom),
        zoom_rerender_max_ms: round1(Math.max(...zooms)),
        baseline_zoom_fetch_only_ms: round1(median(fetchOnly)),
        zoom_bar_ms: ZOOM_BAR_MS,
        within_bar: tti <= BAR_MS && zoom <= ZOOM_BAR_MS,
      }),
    );
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
