// Metric ingest under load while the server is SIGKILLed and restarted: writers behave like the
// MLflow client (retry the same request until it is answered), and afterwards every acknowledged
// point is stored, and no point is stored twice, though some batches were committed and never answered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, json } from './helpers/cairn.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tracking survives a server crash', () => {
  let server: TestServer;
  before(async () => {
    server = await new TestServer().start();
  });
  after(() => server?.stop());

  it('ingest through two SIGKILLs: no acknowledged point lost, none stored twice', async () => {
    const api = () => `${server.url}/api/2.0/mlflow`;
    const created = await json(`${api()}/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_id: '0' }) });
    assert.equal(created.status, 200);
    const runId: string = created.body.run.info.run_id;

    const WRITERS = 3;
    const BATCHES = 60;
    const SIZE = 200;
    let acked = 0;
    let retries = 0;
    const ackedSteps = new Set<number>();
    const writer = async (w: number) => {
      for (let b = 0; b < BATCHES; b++) {
        const first = (w * BATCHES + b) * SIZE;
        const body = JSON.stringify({
          run_id: runId,
          metrics: Array.from({ length: SIZE }, (_, i) => ({ key: 'loss', value: (first + i) / 3, timestamp: 1_700_000_000_000 + first + i, step: first + i })),
          params: b === 0 ? [{ key: `writer${w}`, value: 'on' }] : [],
        });
        for (;;) {
          try {
            const r = await fetch(`${api()}/runs/log-batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            if (r.status === 200) break;
            assert.ok(r.status >= 500, `a retry is answered 200 or 5xx, not ${r.status}: ${await r.text()}`);
          } catch {
            // Connection refused or reset: the server is down. Retry the same bytes, as MLflow's client does.
          }
          retries++;
          await sleep(50);
        }
        acked++;
        for (let i = 0; i < SIZE; i++) ackedSteps.add(first + i);
      }
    };
    const writing = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    for (const at of [40, 110]) {
      while (acked < at) await sleep(5);
      await server.kill('SIGKILL');
      await sleep(200);
      await server.start();
    }
    await writing;
    assert.ok(retries > 0, 'the writers saw the server go away');

    const steps: number[] = [];
    let token: string | undefined;
    do {
      const page = await json(`${api()}/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=25000${token ? `&page_token=${token}` : ''}`);
      assert.equal(page.status, 200);
      for (const m of page.body.metrics ?? []) steps.push(m.step);
      token = page.body.next_page_token;
    } while (token);

    const stored = new Set(steps);
    assert.equal(steps.length, stored.size, `no point is stored twice (${steps.length - stored.size} duplicates)`);
    for (const s of ackedSteps) assert.ok(stored.has(s), `acknowledged step ${s} is stored`);
    assert.equal(stored.size, WRITERS * BATCHES * SIZE);
    const run = await json(`${api()}/runs/get?run_id=${runId}`);
    assert.equal(run.body.run.data.params.length, WRITERS);
    assert.equal(run.body.run.data.metrics[0].step, WRITERS * BATCHES * SIZE - 1);
  });
});
