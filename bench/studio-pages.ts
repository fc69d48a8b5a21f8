// Studio pages, navigation to interactive, with 10,000 jobs in the store.
// The jobs (finished, each an MLflow run of one of 20 experiments) are written straight into a new
// server's SQLite store before it starts; then headless Chromium opens every page route of the
// studio and times from navigation until the page's heading shows, nothing is loading any more,
// and, where the page has a table, its first row is there. Each page is opened 5 times in one
// browser context (the studio's files are cached, as for a person moving between pages); the
// median is reported. Same-run baseline: the server's /api/v1/health opened the same way (one small
// JSON answer, no studio). The bar is 1,000 ms a page. A page with nothing to list counts as ready
// once its heading shows; `data` says which kind each page was.
// Prints one JSON object.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Store } from '../src/store/index.ts';
import { insertJobRun } from '../src/server/services/tracking/job-runs.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';
import { openBrowser } from '../test/helpers/browser.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const RUNS = 5;
const BAR_MS = 1_000;
const READY_TIMEOUT_MS = 15_000;
const STATUSES = ['Completed', 'Completed', 'Completed', 'Failed', 'Canceled'];

async function seed(dataDir: string): Promise<string> {
  const store = await Store.open(`sqlite:${join(dataDir, 'cairn.db')}`);
  const t0 = Date.now() - JOBS * 60_000;
  await store.resources.ensureWorkspace('default', new Date(t0).toISOString());
  await store.computes.insert({ workspace: 'default', name: 'local', type: 'local', spec: JSON.stringify({ description: "the server's own machine" }), provisioning_state: 'Succeeded', created_at: new Date(t0).toISOString() });
  for (let i = 0; i < JOBS; i += 500) {
    await store.transaction(async (trx) => {
      for (let k = i; k < Math.min(JOBS, i + 500); k++) {
        const at = (ms: number) => new Date(t0 + k * 60_000 + ms).toISOString();
        const status = STATUSES[k % STATUSES.length]!;
        const row = {
          id: randomUUID(), workspace: 'default', name: `bench-job-${k}`, display_name: `train ${k}`, experiment_name: `experiment-${k % 20}`, compute: 'local', status,
          status_reason: status === 'Failed' ? 'exit code 1' : null, spec: JSON.stringify({ command: `python train.py --seed ${k}` }), snapshot_id: null, git: null,
          created_at: at(0), created_by: 'bench', start_time: at(1_000), end_time: at(30_000), exit_code: status === 'Completed' ? 0 : status === 'Failed' ? 1 : null,
          attempt: 1, node: 'local', cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: t0 + k * 60_000, environment: null, environment_record: null, wait_code: null,
        };
        await store.jobs.with(trx).insert(row, 'submitted', row.created_at);
        await insertJobRun(trx, row, null);
      }
    });
  }
  await store.close();
  return `bench-job-${JOBS - 1}`;
}

/** Heading shown, nothing loading, and a first row in every table the page has. */
const isInteractive = () => {
  if (!document.querySelector('main h1')) return false;
  if ([...document.querySelectorAll('main [role=status]')].some((e) => /…$/.test(e.textContent ?? ''))) return false;
  const tables = [...document.querySelectorAll('main table')];
  return tables.every((t) => t.querySelector('tbody tr'));
};

async function timeOnce(page: Page, url: string, ready: 'studio' | 'json'): Promise<number | null> {
  const t0 = performance.now();
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: READY_TIMEOUT_MS });
    if (ready === 'json') await page.waitForFunction(() => document.body?.textContent?.includes('"status"'), undefined, { timeout: READY_TIMEOUT_MS });
    else await page.waitForFunction(isInteractive, undefined, { timeout: READY_TIMEOUT_MS, polling: 'raf' });
    return performance.now() - t0;
  } catch {
    return null;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const dataDir = tempDir('bench-studio');
  const tSeed = Date.now();
  const oneJob = await seed(dataDir);
  const seedMs = Date.now() - tSeed;
  const server = await new TestServer({ dataDir }).start();
  const browser = await openBrowser();
  try {
    await server.waitForAgent();
    // One experiment's page (its 500 runs) and one environment's page need an id and a name.
    const experiment = (await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=experiment-0`)).json()) as { experiment: { experiment_id: string } };
    const env = await fetch(`${server.url}/api/v1/workspaces/default/environments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench-env', description: 'the node as it is' }) });
    if (env.status !== 201) throw new Error(`creating bench-env: ${env.status} ${await env.text()}`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // Warm the browser's cache of the studio's files, as for anyone who has opened it once.
    await timeOnce(page, `${server.url}/computes`, 'studio');
    // The attached tab, so that /computes has a row to show (local); the default tab is empty here.
    const routes = ['/jobs', `/jobs/${oneJob}`, '/experiments', `/experiments/${experiment.experiment.experiment_id}`, '/computes?tab=attached', '/computes/local', '/environments', '/environments/bench-env'];
    const pages: Record<string, { ms: number | null; max_ms: number | null; data: string; timeouts: number }> = {};
    for (const route of routes) {
      const times: number[] = [];
      let timeouts = 0;
      for (let i = 0; i < RUNS; i++) {
        const ms = await timeOnce(page, `${server.url}${route}`, 'studio');
        if (ms === null) timeouts++;
        else times.push(ms);
      }
      const rows = await page.locator('main table tbody tr').count();
      const data = rows ? `table rows (${rows})` : (await page.locator('main [role=alert]').count()) ? 'an error message' : 'no table (heading and text only)';
      pages[route] = { ms: times.length ? round1(median(times)) : null, max_ms: times.length ? round1(Math.max(...times)) : null, data, timeouts };
    }
    const health: number[] = [];
    for (let i = 0; i < RUNS; i++) health.push((await timeOnce(page, `${server.url}/api/v1/health`, 'json')) ?? Number.NaN);
    const worst = Math.max(...Object.values(pages).map((p) => p.ms ?? Number.POSITIVE_INFINITY));
    console.log(
      JSON.stringify({
        bench: 'studio-pages',
        jobs: JOBS,
        seed_ms: seedMs,
        runs_per_page: RUNS,
        bar_ms: BAR_MS,
        baseline_health_json_ms: round1(median(health)),
        pages,
        worst_page_ms: Number.isFinite(worst) ? round1(worst) : null,
        within_bar: Number.isFinite(worst) && worst <= BAR_MS,
      }),
    );
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
