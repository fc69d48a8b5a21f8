// The Python SDK's costs, each against a baseline taken in the same run: `import cairn` in a fresh
// interpreter (in-process time, and the whole `python3 -c 'import cairn'` against `python3 -c pass`),
// and the per-call overhead of cairn.Client (`jobs.get`, `computes.list`) against the same GET made
// with urllib (a new connection each time, what a script without the SDK does) and with
// http.client on a kept-alive connection, in the same interpreter. Prints one JSON object.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { ROOT, TestServer, tempDir } from '../test/helpers/cairn.ts';
import { median, p90, round1 as r } from './lib/first-line.ts';

const PYTHON = '/usr/bin/python3';
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const CALLS = Number(process.env.BENCH_CALLS ?? 300);
/** The bars: `import cairn` under 50 ms, each client call within 5 ms of the raw request. */
const IMPORT_BAR_MS = 50;
const CALL_BAR_MS = 5;

// A copy with its bytecode written once, as pip leaves an installed package: the first import
// after a change compiles, every later one reads .pyc files.
const site = tempDir('bench-py');
cpSync(join(ROOT, 'src/agent/python/cairn'), join(site, 'cairn'), { recursive: true, filter: (f) => !f.includes('__pycache__') });
const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: site };
delete env.PYTHONDONTWRITEBYTECODE;
const python = (code: string, extra: NodeJS.ProcessEnv = {}) => {
  const res = spawnSync(PYTHON, ['-c', code], { env: { ...env, ...extra }, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`python failed: ${res.stderr}`);
  return res.stdout;
};
python('import cairn, cairn.client, cairn.client._jobs, cairn.client._computes, cairn.client._assets, cairn.client._environments');

const inProcess: number[] = [];
const withClient: number[] = [];
const wallImport: number[] = [];
const wallPass: number[] = [];
const timeProcess = (code: string) => {
  const t0 = performance.now();
  python(code);
  return performance.now() - t0;
};
for (let i = 0; i < RUNS; i++) {
  inProcess.push(Number(python('import time\nt = time.perf_counter()\nimport cairn\nprint((time.perf_counter() - t) * 1000)')));
  withClient.push(Number(python('import time\nt = time.perf_counter()\nimport cairn\ncairn.Client\nprint((time.perf_counter() - t) * 1000)')));
  wallPass.push(timeProcess('pass'));
  wallImport.push(timeProcess('import cairn'));
}

const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
await server.start();
await server.waitForAgent();
const sdk = new CairnClient({ url: server.url });
const job = await sdk.createJob({ type: 'command', command: 'true' } as never);
await sdk.stream(job.name);

const calls = python(
  `
import http.client, json, time, urllib.request
from urllib.parse import urlsplit
import cairn
URL, JOB, N = ${JSON.stringify(server.url)}, ${JSON.stringify(job.name)}, ${CALLS}
c = cairn.Client(url=URL)
paths = {"jobs.get": "/api/v1/workspaces/default/jobs/" + JOB, "computes.list": "/api/v1/workspaces/default/computes"}
calls = {"jobs.get": lambda: c.jobs.get(JOB), "computes.list": lambda: c.computes.list()}
u = urlsplit(URL)
kept = http.client.HTTPConnection(u.hostname, u.port)
def raw_urllib(p):
    with urllib.request.urlopen(URL + p) as res:
        return json.loads(res.read().decode("utf-8"))
def raw_kept(p):
    kept.request("GET", p, headers={"accept": "application/json"})
    return json.loads(kept.getresponse().read().decode("utf-8"))
def med(f):
    for _ in range(20):
        f()
    xs = []
    for _ in range(N):
        t = time.perf_counter()
        f()
        xs.append((time.perf_counter() - t) * 1000)
    xs.sort()
    return xs[len(xs) // 2]
out = {}
for name, p in paths.items():
    # Interleaved rounds, so a slow patch of the machine falls on all three alike.
    a, b, k = [], [], []
    for _ in range(3):
        a.append(med(calls[name])); b.append(med(lambda: raw_urllib(p))); k.append(med(lambda: raw_kept(p)))
    out[name] = {"client_ms": sorted(a)[1], "urllib_ms": sorted(b)[1], "kept_alive_ms": sorted(k)[1]}
print(json.dumps(out))
`,
);
await server.stop();
const perCall = JSON.parse(calls) as Record<string, { client_ms: number; urllib_ms: number; kept_alive_ms: number }>;
const r2 = (x: number) => Math.round(x * 100) / 100;
const overheads = Object.values(perCall).map((c) => c.client_ms - c.urllib_ms);

console.log(
  JSON.stringify({
    bench: 'python-sdk',
    python: PYTHON,
    runs: RUNS,
    calls_per_median: CALLS,
    import_cairn_ms: r(median(inProcess)),
    import_cairn_p90_ms: r(p90(inProcess)),
    import_cairn_and_client_ms: r(median(withClient)),
    process_import_cairn_ms: r(median(wallImport)),
    process_pass_ms: r(median(wallPass)),
    process_overhead_ms: r(median(wallImport) - median(wallPass)),
    import_bar_ms: IMPORT_BAR_MS,
    import_within_bar: median(inProcess) < IMPORT_BAR_MS,
    per_call: Object.fromEntries(
      Object.entries(perCall).map(([k, v]) => [k, { client_ms: r2(v.client_ms), urllib_ms: r2(v.urllib_ms), kept_alive_ms: r2(v.kept_alive_ms), overhead_vs_urllib_ms: r2(v.client_ms - v.urllib_ms), overhead_vs_kept_alive_ms: r2(v.client_ms - v.kept_alive_ms) }]),
    ),
    call_bar_ms: CALL_BAR_MS,
    calls_within_bar: overheads.every((o) => o <= CALL_BAR_MS),
    note: 'import times read .pyc files (a copy compiled once, as pip leaves a package); per-call times are medians of interleaved rounds in one interpreter against a local server; urllib opens a connection per request, the client keeps one',
  }),
);
