// The studio's sweep views in real Chromium against a real server, with sweeps submitted through the
// real CLI and trials that log through the cairn module: the progress followed live to the end, the
// trials table (ranked, sorted by a param, filtered by status and text), the best trial and the way
// back from a trial to its sweep, the primary metric of every trial in one chart, the trials on
// parallel axes, a stopped-early trial's reason, and the sweep's badge in the jobs list.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { json, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';

const STEPS = 6;
/** Logs `acc` once a step, slowly enough that the page sees the sweep part done. */
const TRAIN = `
import argparse, time, cairn
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--layers", type=int)
a = p.parse_args()
for i in range(${STEPS}):
    cairn.log_metric("acc", (1 - abs(a.lr - 0.1)) * (0.5 + 0.1 * a.layers) * (i + 1) / ${STEPS}, step=i)
    time.sleep(0.35)
`;
/** A good (0.9) or bad (0.1) curve, for the bandit policy to stop the bad one. */
const CURVE = `
import sys, time, cairn
for i in range(int(sys.argv[2])):
    cairn.log_metric("score", 0.9 if sys.argv[1] == "good" else 0.1, step=i)
    time.sleep(0.4)
`;
const SWEEP = `type: sweep
name: studio-sweep
experiment_name: studio-sweeps
trial: {code: ./src, command: "/usr/bin/python3 train.py --lr \${{search_space.lr}} --layers \${{search_space.layers}}"}
search_space:
  lr: {type: uniform, min_value: 0.01, max_value: 0.3}
  layers: {type: choice, values: [1, 2, 3]}
sampling_algorithm: {type: random, seed: 7}
objective: {primary_metric: acc, goal: maximize}
limits: {max_total_trials: 6, max_concurrent_trials: 3}
`;
const BANDIT = `type: sweep
name: studio-bandit
trial: {code: ./src, command: "/usr/bin/python3 curve.py \${{search_space.kind}} 20"}
search_space: {kind: {type: choice, values: [good, bad]}}
sampling_algorithm: grid
objective: {primary_metric: score, goal: maximize}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 2}
limits: {max_total_trials: 2, max_concurrent_trials: 2}
`;

interface TrialView {
  name: string;
  index: number;
  status: string;
  status_reason: string | null;
  params: { lr: number; layers: number; kind?: string };
  value: number | null;
  stopped_early: boolean;
}

describe('the studio: sweeps', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('studio-sweeps');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const api = (path: string) => json(`${server.url}/api/v1/workspaces/default${path}`);
  let browser: Browser;

  before(async () => {
    await server.start();
    await server.waitForAgent();
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'train.py'), TRAIN);
    writeFileSync(join(work, 'src', 'curve.py'), CURVE);
    writeFileSync(join(work, 'sweep.yml'), SWEEP);
    writeFileSync(join(work, 'bandit.yml'), BANDIT);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const rows = (page: Page) => page.locator('.trials-table tbody tr');
  const rowsAre = (page: Page, n: number) => page.locator(`.trials-table table[data-rows="${n}"]`).waitFor();
  const trialOrder = (page: Page) => rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-trial')));

  it('follows a sweep live to its end, then ranks, sorts and filters its trials, charts them and draws them on parallel axes', async () => {
    const r = await cli(['job', 'create', '-f', 'sweep.yml']);
    assert.equal(r.code, 0, r.stderr);
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs/studio-sweep?tab=trials`);
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const progress = page.locator('.sweep-progress');
    await progress.waitFor();

    // The progress moves on by itself: several counts seen, the first short of the end.
    const seen: number[] = [];
    await waitFor('6 of 6 trials completed on the page', async () => {
      const done = Number(await progress.getAttribute('data-completed'));
      if (seen.at(-1) !== done) seen.push(done);
      return done === 6;
    }, 120_000);
    assert.ok(seen[0]! < 6 && seen.length >= 2, `completed counts seen: ${seen.join(' → ')}`);
    assert.equal(await progress.getAttribute('data-created'), '6');
    assert.match((await page.locator('.sweep-counts').textContent())!, /6 of 6 trials created · 0 running · 0 queued · 6 completed · 0 stopped early · 0 failed · 0 canceled/);
    await page.locator('.job-head .status', { hasText: 'Completed' }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'the page was not reloaded');

    const sweep = (await api('/jobs/studio-sweep')).body;
    const trials = sweep.sweep.trials as TrialView[];
    assert.equal(trials.length, 6);

    // Ranked best first, as the server ranks them.
    await rowsAre(page, 6);
    assert.deepEqual(await trialOrder(page), trials.map((t) => t.name));
    const values = (await rows(page).locator('td[data-value]').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-value'))))) as number[];
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! >= values[i]!, `ranked: ${values.join(', ')}`);

    // Sorted by a param, both ways; the sort is kept in the URL.
    const byLr = [...trials].sort((a, b) => a.params.lr - b.params.lr).map((t) => t.name);
    await page.locator('th[data-sort="param.lr"] button').click();
    await page.waitForURL(/sort=param.lr/);
    await page.locator('th[data-sort="param.lr"][aria-sort="ascending"]').waitFor();
    assert.deepEqual(await trialOrder(page), byLr);
    await page.locator('th[data-sort="param.lr"] button').click();
    await page.locator('th[data-sort="param.lr"][aria-sort="descending"]').waitFor();
    assert.deepEqual(await trialOrder(page), [...byLr].reverse());
    await page.locator('th[data-sort="rank"] button').click();
    await page.locator('th[data-sort="rank"][aria-sort="ascending"]').waitFor();
    assert.deepEqual(await trialOrder(page), trials.map((t) => t.name));

    // The status filter and the text filter narrow the rows.
    const status = page.locator('.trial-filters select');
    await status.selectOption('Failed');
    await rowsAre(page, 0);
    await page.locator('.trial-filters [role="status"]', { hasText: '0 of 6 trials' }).waitFor();
    await status.selectOption('Completed');
    await rowsAre(page, 6);
    await status.selectOption('');
    const counts = [1, 2, 3].map((n) => trials.filter((t) => t.params.layers === n).length);
    const layers = counts.findIndex((c) => c > 0 && c < 6) + 1;
    assert.ok(layers > 0, `the seed gives more than one layers value: ${counts.join(', ')}`);
    const find = page.getByLabel('Find');
    await find.fill(`layers=${layers}`);
    await rowsAre(page, counts[layers - 1]!);
    assert.deepEqual(await trialOrder(page), trials.filter((t) => t.params.layers === layers).map((t) => t.name));
    // The chart and the parallel view follow the table's filter.
    await page.locator(`.trial-chart .metric-chart[data-runs="${counts[layers - 1]}"]`).waitFor();
    await find.fill('studio-sweep_3');
    await rowsAre(page, 1);
    await find.fill('');
    await rowsAre(page, 6);

    // One chart: the primary metric of every trial, one line each, every point drawn.
    const chart = page.locator('.trial-chart .metric-chart[data-metric="acc"][data-runs="6"][data-state="ready"]');
    await chart.waitFor();
    await waitFor('every point in the chart', async () => (await chart.getAttribute('data-points')) === String(6 * STEPS));
    assert.equal(await page.locator('.trial-chart .chart-legend li').count(), 6);
    await chart.locator('canvas').first().waitFor();

    // On parallel axes: lr, layers and acc; one line per trial, coloured by its value.
    const svg = page.locator('.trial-parallel svg.parallel');
    assert.equal(await svg.getAttribute('data-axes'), '3');
    assert.equal(await svg.getAttribute('data-lines'), '6');
    assert.deepEqual(await svg.locator('.axis-name').allTextContents(), ['lr', 'layers', 'acc']);
    const strokes = await svg.locator('path.line.colored').evaluateAll((ps) => ps.map((p) => (p as SVGPathElement).style.stroke));
    assert.equal(strokes.length, 6);
    assert.ok(new Set(strokes).size > 1, `coloured by value: ${strokes.join(' ')}`);
    await screenshot(page, 'sweep-trials');

    // The Overview: settings in words, the best trial linked, and from the trial back to the sweep.
    await page.getByRole('tab', { name: 'Overview' }).click();
    const summary = page.getByRole('region', { name: 'Sweep' });
    await summary.waitFor();
    const text = (await summary.textContent())!;
    assert.match(text, /maximize acc/);
    assert.match(text, /random \(seed 7\)/);
    assert.match(text, /uniform\(0\.01, 0\.3\)/);
    assert.match(text, /choice\(1, 2, 3\)/);
    const best = sweep.sweep.best as TrialView;
    assert.equal(best.name, trials[0]!.name);
    assert.equal(await summary.locator('.best-trial').getAttribute('data-trial'), best.name);
    await screenshot(page, 'sweep-overview');
    await summary.getByRole('link', { name: best.name }).click();
    await page.waitForURL(`${server.url}/jobs/${best.name}`);
    const banner = page.getByRole('region', { name: 'Sweep trial' });
    await banner.waitFor();
    assert.match((await banner.textContent())!, new RegExp(`Trial ${best.index} of sweep studio-sweep`));
    assert.equal(await banner.locator('[data-param="layers"] .mono').last().textContent(), String(best.params.layers));
    await screenshot(page, 'sweep-trial');
    await banner.getByRole('link', { name: 'studio-sweep' }).click();
    await page.waitForURL(`${server.url}/jobs/studio-sweep?tab=trials`);
    await rowsAre(page, 6);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows a stopped-early trial with the policy’s reason', async () => {
    const r = await cli(['job', 'create', '-f', 'bandit.yml']);
    assert.equal(r.code, 0, r.stderr);
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs/studio-bandit?tab=trials`);
    await page.locator('.sweep-progress[data-created="2"]').waitFor({ timeout: 60_000 });
    const stopped = page.locator('.trials-table tbody tr', { has: page.locator('.status', { hasText: 'Stopped early' }) });
    await stopped.waitFor({ timeout: 60_000 });
    const reason = (await stopped.locator('.stop-reason').textContent())!;
    assert.match(reason, /^stopped early by bandit: /);
    await page.locator('.sweep-counts .count.stopped_early', { hasText: '1 stopped early' }).waitFor();
    await page.locator('.trial-filters select').selectOption('stopped');
    await rowsAre(page, 1);
    const name = (await rows(page).first().getAttribute('data-trial'))!;
    const view = (await api('/jobs/studio-bandit')).body.sweep.trials as TrialView[];
    assert.equal(view.find((t) => t.stopped_early)?.name, name);
    assert.equal(view.find((t) => t.name === name)?.params.kind, 'bad');
    await page.locator('.job-head .status', { hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'sweep-stopped-early');
    await rows(page).first().getByRole('link', { name }).click();
    await page.waitForURL(`${server.url}/jobs/${name}`);
    await page.getByRole('region', { name: 'Sweep trial' }).getByText(/stopped early at interval \d+: bandit: /).waitFor();
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('marks sweeps in the jobs list, which leaves their trials out', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs`);
    const row = page.locator('tr[data-job="studio-sweep"]');
    await row.waitFor();
    assert.equal(await row.locator('.badge').textContent(), 'sweep');
    assert.equal(await page.locator('tr[data-job^="studio-sweep_"]').count(), 0);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });
});
