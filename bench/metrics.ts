// Metric ingest and read-back through the MLflow REST API of a real `cairn server` on SQLite.
// Baseline, timed in the same run against the same server: the same request bodies sent to
// `logged-models/search`, which parses the JSON and answers `{}` without storing anything.
// Prints one JSON object.
import { Agent, request } from 'node:http';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer } from '../test/helpers/cairn.ts';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 1000); // x 1000 metrics over 100 keys
const SINGLES = Number(process.env.BENCH_SINGLES ?? 10_000);
const CLIENTS = 4;
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

let base = '';
let root = '';
function post(path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
/** The body as text, without parsing it: what the server costs, apart from the client's JSON parse. */
function getText(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(`${root}${path}`, { agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}
async function get(path: string): Promise<any> {
  const res = await fetch(`${root}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Sends every body from CLIENTS concurrent loops; returns seconds taken and per-request latencies. */
async function drive(path: string, bodies: string[]): Promise<{ seconds: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++];
        const t = performance.now();
        const r = await post(path, b);
        lat.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, lat };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const server = await new TestServer().start();
root = server.url;
base = `${server.url}/api/2.0/mlflow`;
try {
  const client = new CairnClient({ url: server.url });
  const job = await client.createJob({ type: 'command', command: 'true', experiment_name: 'bench-metrics' } as any);
  const runId = job.id;
  const t0 = Date.now();

  // Batched: 1000 metrics a request over 100 keys (10 steps each), every body distinct.
  const batch = (i: number) =>
    JSON.stringify({
      run_id: runId,
      metrics: Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 100}`, value: Math.sin(i + j), timestamp: t0 + i, step: i * 10 + Math.floor(j / 100) })),
    });
  const batches = Array.from({ length: BATCHES }, (_, i) => batch(i));
  const baseBatch = await drive('/logged-models/search', batches.slice(0, Math.min(300, BATCHES)));
  const ingest = await drive('/runs/log-batch', batches);

  // Single-metric requests, 4 concurrent clients.
  const singles = Array.from({ length: SINGLES }, (_, i) => JSON.stringify({ run_id: runId, key: 'single', value: i, timestamp: t0 + i, step: i }));
  const baseSingle = await drive('/logged-models/search', singles);
  const single = await drive('/runs/log-metric', singles);

  // One key with 1,000,000 points.
  const big = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify({ run_id: runId, metrics: Array.from({ length: 1000 }, (_, j) => ({ key: 'big', value: Math.sin((i * 1000 + j) / 1000), timestamp: t0 + i, step: i * 1000 + j })) }),
  );
  const bigIngest = await drive('/runs/log-batch', big);

  const historyUrl = (token?: string) => `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=big&max_results=25000${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
  const historyMs: number[] = [];
  const historyParsedMs: number[] = [];
  let points = 0;
  for (let rep = 0; rep < 3; rep++) {
    let t = performance.now();
    let token: string | undefined;
    let pages = 0;
    do {
      const text = await getText(historyUrl(token));
      token = /"next_page_token":"([^"]+)"/.exec(text.slice(-200))?.[1];
      pages++;
    } while (token);
    historyMs.push(performance.now() - t);
    t = performance.now();
    points = 0;
    do {
      const page = await get(historyUrl(token));
      points += page.metrics?.length ?? 0;
      token = page.next_page_token;
    } while (token);
    historyParsedMs.push(performance.now() - t);
    if (pages !== 40) throw new Error(`expected 40 pages, got ${pages}`);
  }
  const downMs: number[] = [];
  let buckets = 0;
  for (let rep = 0; rep < 7; rep++) {
    const t = performance.now();
    const r = await get(`/api/v1/workspaces/default/jobs/${job.name}/metrics/big?buckets=1000`);
    downMs.push(performance.now() - t);
    buckets = r.buckets.length;
  }
  const noopMs: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const t = performance.now();
    await get(`/api/v1/health`);
    noopMs.push(performance.now() - t);
  }
  const historyOneKey = performance.now();
  const h = await get(`/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=m7&max_results=25000`);
  const historyOneKeyMs = performance.now() - historyOneKey;

  console.log(
    JSON.stringify(
      {
        batched_ingest: {
          metrics_per_s: Math.round((BATCHES * 1000) / ingest.seconds),
          requests: BATCHES,
          p99_ms: round(pct(ingest.lat, 0.99)),
          baseline_same_bodies_unstored_metrics_per_s: Math.round((Math.min(300, BATCHES) * 1000) / baseBatch.seconds),
          bar_metrics_per_s: 100_000,
        },
        single_metric: {
          requests_per_s: Math.round(SINGLES / single.seconds),
          p50_ms: round(pct(single.lat, 0.5), 2),
          p99_ms: round(pct(single.lat, 0.99), 2),
          baseline_unstored_requests_per_s: Math.round(SINGLES / baseSingle.seconds),
          baseline_p99_ms: round(pct(baseSingle.lat, 0.99), 2),
          bar: '>= 2000/s, p99 < 20 ms',
        },
        million_point_key: {
          ingest_s: round(bigIngest.seconds, 2),
          get_history_all_40_pages_ms: historyMs.map((x) => round(x)),
          get_history_all_pages_with_client_json_parse_ms: historyParsedMs.map((x) => round(x)),
          points,
          bar_history_ms: 1000,
          downsample_1000_buckets_ms: downMs.map((x) => round(x)),
          buckets,
          bar_downsample_ms: 50,
          baseline_health_request_ms: round(pct(noopMs, 0.5), 2),
        },
        series_of_a_100_key_million_point_run: { key_points: h.metrics.length, get_history_ms: round(historyOneKeyMs) },
      },
      null,
      1,
    ),
  );
} finally {
  agent.destroy();
  await server.stop();
}
