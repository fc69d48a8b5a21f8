// The studio's pipeline views in real Chromium against a real server, with pipelines submitted
// through the real CLI: a diamond's graph (nodes in layers by dependency depth, an edge per
// dependency) followed live to its end, a node's link to its step's page and that page's banner back;
// the same pipeline again, every step reused from the first, its output read from the first's job; a failed step in red with its dependent
// skipped; and the pipeline's badge in the jobs list, which leaves the steps out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { json, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { newPage, openBrowser, pageErrors, screenshot } from './helpers/browser.ts';

const DIAMOND = `type: pipeline
name: studio-pipe
settings: {default_compute: local}
outputs: {first: {type: uri_folder}}
jobs:
  a: {command: "mkdir -p \${{outputs.o}} && echo a > \${{outputs.o}}/a.txt && sleep 1", outputs: {o: "\${{parent.outputs.first}}"}}
  b: {command: "cat \${{inputs.i}}/a.txt && sleep 2 && mkdir -p \${{outputs.o}} && echo b > \${{outputs.o}}/b.txt", inputs: {i: "\${{parent.jobs.a.outputs.o}}"}, outputs: {o: {type: uri_folder}}}
  c: {command: "sleep 2 && mkdir -p \${{outputs.o}} && echo c > \${{outputs.o}}/c.txt", inputs: {i: "\${{parent.jobs.a.outputs.o}}"}, outputs: {o: {type: uri_folder}}}
  d: {command: "ls \${{inputs.x}} \${{inputs.y}}", inputs: {x: "\${{parent.jobs.b.outputs.o}}", y: "\${{parent.jobs.c.outputs.o}}"}}
`;
const FAILING = `type: pipeline
name: studio-fail
settings: {default_compute: local}
jobs:
  bad: {command: "exit 3", outputs: {o: {type: uri_folder}}}
  then: {command: "ls \${{inputs.i}}", inputs: {i: "\${{parent.jobs.bad.outputs.o}}"}}
`;
const GREEN = 'rgb(230, 244, 234)';
const BLUE = 'rgb(227, 238, 251)';
/** How the graph colours a status: by the class of its node. */
const tone = (status: string) => ({ NotStarted: 'wait', Completed: 'ok', Failed: 'bad', Canceled: 'off', Skipped: 'off' })[status] ?? 'run';
const RED = 'rgb(253, 236, 234)';

describe('the studio: pipelines', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('studio-pipelines');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const api = (path: string) => json(`${server.url}/api/v1/workspaces/default${path}`);
  let browser: Browser;

  before(async () => {
    await server.start();
    await server.waitForAgent();
    writeFileSync(join(work, 'pipe.yml'), DIAMOND);
    writeFileSync(join(work, 'fail.yml'), FAILING);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const graph = (page: Page) => page.locator('svg.pipeline-graph');
  const node = (page: Page, step: string) => graph(page).locator(`g.step-node[data-step="${step}"]`);
  const statuses = (page: Page) => graph(page).locator('g.step-node').evaluateAll((gs) => gs.map((g) => `${g.getAttribute('data-step')}=${g.getAttribute('data-status')}`).join(' '));
  const fill = (page: Page, step: string) => node(page, step).locator('rect:not(.tone)').evaluate((r) => getComputedStyle(r).fill);

  it('draws a diamond in layers and follows its steps live to the end; a node opens its step, whose banner leads back', async () => {
    const r = await cli(['job', 'create', '-f', 'pipe.yml']);
    assert.equal(r.code, 0, r.stderr);
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs/studio-pipe`);
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    // The Graph tab is the pipeline's first.
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'Graph');
    await graph(page).waitFor();

    // Four nodes, four edges; a first, b and c side by side, d last.
    assert.equal(await graph(page).getAttribute('data-nodes'), '4');
    assert.equal(await graph(page).getAttribute('data-edges'), '4');
    assert.equal(await graph(page).getAttribute('data-layers'), '3');
    const layers = Object.fromEntries(await Promise.all(['a', 'b', 'c', 'd'].map(async (s) => [s, Number(await node(page, s).getAttribute('data-layer'))])));
    assert.deepEqual(layers, { a: 0, b: 1, c: 1, d: 2 });
    const edges = await graph(page).locator('path.edge').evaluateAll((ps) => ps.map((p) => `${p.getAttribute('data-from')}>${p.getAttribute('data-to')}`).sort());
    assert.deepEqual(edges, ['a>b', 'a>c', 'b>d', 'c>d']);
    const box = async (s: string) => (await node(page, s).boundingBox())!;
    const [a, b, c, d] = [await box('a'), await box('b'), await box('c'), await box('d')];
    assert.ok(a.y < b.y && b.y === c.y && c.y < d.y, 'layers run top to bottom');
    assert.ok(b.x < c.x, 'b before c, as in the file');

    // The statuses move on by themselves, without a reload, until every step is Completed.
    // Each node is coloured as its status says; a running step is blue.
    const seen: string[] = [];
    const looks = new Map<string, string>();
    const done = 'a=Completed b=Completed c=Completed d=Completed';
    await waitFor('every step Completed on the page', async () => {
      const now = await statuses(page);
      if (seen.at(-1) !== now) seen.push(now);
      const nodes = await graph(page).locator('g.step-node').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-status')!, g.getAttribute('class')!, getComputedStyle(g.querySelector('rect:not(.tone)')!).fill] as const));
      for (const [status, cls, fill] of nodes) {
        assert.match(cls, new RegExp(`\\b${tone(status)}\\b`), `${status} is coloured as ${tone(status)}: ${cls}`);
        looks.set(status, fill);
      }
      return now === done;
    }, 90_000);
    assert.ok(seen.length >= 2 && seen[0] !== done, `states seen: ${seen.join(' → ')}`);
    assert.equal(looks.get('Running'), BLUE, `a running step was seen, in blue: ${seen.join(' → ')}`);
    await page.locator('.job-head .status', { hasText: 'Completed' }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'the page was not reloaded');
    assert.equal(await fill(page, 'd'), GREEN);
    assert.match((await node(page, 'b').locator('.step-status').textContent())!, /^Completed · \d+\.\ds$/);

    // The steps table: what each waits for and its job.
    const rows = page.locator('.steps-table tbody tr');
    assert.equal(await rows.count(), 4);
    const d1 = page.locator('.steps-table tr[data-step="d"]');
    assert.equal(await d1.locator('td').nth(1).textContent(), 'b, c');
    assert.equal(await d1.getAttribute('data-status'), 'Completed');
    assert.equal(await d1.getByRole('link', { name: 'studio-pipe_d' }).getAttribute('href'), '/jobs/studio-pipe_d');
    await screenshot(page, 'pipeline-graph');

    // A node opens its step's job; the step's banner leads back to the graph.
    await node(page, 'b').locator('a').click();
    await page.waitForURL(`${server.url}/jobs/studio-pipe_b`);
    const banner = page.getByRole('region', { name: 'Pipeline step' });
    await banner.waitFor();
    assert.match((await banner.textContent())!, /^Step b of pipeline studio-pipe$/);
    assert.equal(await page.getByRole('region', { name: 'Sweep trial' }).count(), 0);
    await screenshot(page, 'pipeline-step');
    await banner.getByRole('link', { name: 'studio-pipe' }).click();
    await page.waitForURL(`${server.url}/jobs/studio-pipe`);
    await graph(page).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'the links did not reload the page');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows the steps of the same pipeline again as reused from the first', async () => {
    const r = await cli(['job', 'create', '-f', 'pipe.yml', '-n', 'studio-pipe-2', '--stream']);
    assert.equal(r.code, 0, r.stderr);
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs/studio-pipe-2`);
    await graph(page).waitFor();
    for (const s of ['a', 'b', 'c', 'd']) {
      assert.equal(await node(page, s).getAttribute('data-status'), 'Completed');
      assert.equal(await node(page, s).getAttribute('data-reused-from'), `studio-pipe_${s}`);
      assert.equal(await node(page, s).locator('.step-reused').textContent(), `reused from studio-pipe_${s}`);
    }
    const row = page.locator('.steps-table tr[data-step="c"]');
    assert.equal(await row.getByRole('link', { name: 'studio-pipe_c', exact: true }).getAttribute('href'), '/jobs/studio-pipe_c');
    // The pipeline's output is step a's, whose files the first pipeline's job holds.
    const out = page.getByRole('region', { name: 'Outputs' }).locator('tr[data-output="first"]');
    assert.deepEqual(await out.locator('td').allTextContents(), ['first', 'a.outputs.o', 'studio-pipe_a', 'azureml://jobs/studio-pipe-2/outputs/first']);
    assert.equal(await out.getByRole('link', { name: 'studio-pipe_a' }).getAttribute('href'), '/jobs/studio-pipe_a');
    await screenshot(page, 'pipeline-reused');

    // The reused step's page names the job that stood in for it.
    await node(page, 'a').locator('a').click();
    await page.waitForURL(`${server.url}/jobs/studio-pipe-2_a`);
    const banner = page.getByRole('region', { name: 'Pipeline step' });
    await banner.waitFor();
    assert.match((await banner.textContent())!, /^Step a of pipeline studio-pipe-2 · reused from studio-pipe_a/);
    await banner.getByRole('link', { name: 'studio-pipe_a' }).click();
    await page.waitForURL(`${server.url}/jobs/studio-pipe_a`);
    await page.getByRole('region', { name: 'Pipeline step' }).getByText(/^Step a of pipeline studio-pipe$/).waitFor();
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('shows a failed step in red and the step that needs it skipped', async () => {
    const r = await cli(['job', 'create', '-f', 'fail.yml']);
    assert.equal(r.code, 0, r.stderr);
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs/studio-fail`);
    await page.locator('.job-head .status', { hasText: 'Failed' }).waitFor({ timeout: 60_000 });
    await node(page, 'then').and(page.locator('[data-status="Skipped"]')).waitFor();
    assert.equal(await node(page, 'bad').getAttribute('data-status'), 'Failed');
    assert.match((await node(page, 'bad').getAttribute('class'))!, /\bbad\b/);
    assert.equal(await fill(page, 'bad'), RED);
    assert.match((await node(page, 'then').getAttribute('class'))!, /\boff\b/);
    assert.equal(await node(page, 'then').locator('a').count(), 0, 'a skipped step has no job to link to');
    const view = (await api('/jobs/studio-fail')).body.pipeline.steps as { name: string; status: string; status_reason: string | null }[];
    const skipped = view.find((s) => s.name === 'then')!;
    assert.equal(skipped.status, 'Skipped');
    assert.equal(await page.locator('.steps-table tr[data-step="then"] .step-note').textContent(), skipped.status_reason);
    await screenshot(page, 'pipeline-failed');
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });

  it('marks pipelines in the jobs list, which leaves their steps out', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/jobs`);
    const row = page.locator('tr[data-job="studio-pipe"]');
    await row.waitFor();
    assert.equal(await row.locator('.badge').textContent(), 'pipeline');
    assert.equal(await page.locator('tr[data-job^="studio-pipe_"]').count(), 0);
    assert.deepEqual(pageErrors(page), []);
    await context.close();
  });
});
