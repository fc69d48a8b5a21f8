// The `cairn` Python module (src/agent/python/cairn) that every job gets on its PYTHONPATH, run
// by the system interpreter against a small recording server that answers like MLflow's
// tracking REST API (log-batch, runs/get, mlflow-artifacts PUT).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHONPATH = join(ROOT, 'src', 'agent', 'python');
const PYTHON = process.env.CAIRN_TEST_PYTHON ?? '/usr/bin/python3';
const RUN_ID = 'run-abc123';
const BATCH = '/api/2.0/mlflow/runs/log-batch';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts/';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}
interface Metric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}
interface Batch {
  run_id: string;
  metrics: Metric[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

/** Answers like an MLflow tracking server and records every request. */
class FakeMlflow {
  server?: Server;
  port = 0;
  mode: 'ok' | '503' = 'ok';
  requests: Recorded[] = [];
  params = new Map<string, string>();

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://x');
        const [status, answer] = this.answer(req.method ?? '', url, body);
        this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private answer(method: string, url: URL, body: Buffer): [number, unknown] {
    const refuse = (status: number, error_code: string, message: string): [number, unknown] => [status, { error_code, message }];
    if (url.pathname.startsWith('/_test/mode/')) {
      this.mode = url.pathname.slice('/_test/mode/'.length) as 'ok' | '503';
      return [200, {}];
    }
    if (this.mode === '503') return refuse(503, 'TEMPORARILY_UNAVAILABLE', 'the store is busy, try later');
    if (method === 'POST' && url.pathname === BATCH) {
      let b: Batch;
      try {
        b = JSON.parse(body.toString('utf8')) as Batch;
      } catch {
        return refuse(400, 'BAD_REQUEST', 'malformed JSON');
      }
      const metrics = b.metrics ?? [];
      const params = b.params ?? [];
      const tags = b.tags ?? [];
      if (metrics.length > 1000 || params.length > 100 || tags.length > 100 || metrics.length + params.length + tags.length > 1000) {
        return refuse(400, 'INVALID_PARAMETER_VALUE', 'A batch logging request can contain at most 1000 metrics, 100 params, 100 tags');
      }
      const keys = params.map((p) => p.key);
      if (new Set(keys).size !== keys.length) return refuse(400, 'INVALID_PARAMETER_VALUE', 'Duplicate parameter keys have been submitted');
      for (const p of params) {
        const old = this.params.get(p.key);
        if (old !== undefined && old !== p.value) {
          return refuse(400, 'INVALID_PARAMETER_VALUE',
            `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${b.run_id}'. Attempted logging new value '${p.value}'.`);
        }
      }
      for (const p of params) this.params.set(p.key, p.value);
      return [200, {}];
    }
    if (method === 'GET' && url.pathname === '/api/2.0/mlflow/runs/get') {
      return [200, { run: { info: { run_id: url.searchParams.get('run_id'), experiment_id: '7', status: 'RUNNING' }, data: {} } }];
    }
    if (method === 'PUT' && url.pathname.startsWith(ARTIFACTS)) return [200, {}];
    return refuse(404, 'ENDPOINT_NOT_FOUND', `no route ${method} ${url.pathname}`);
  }

  /** Accepted log-batch requests, parsed. */
  batches(): Batch[] {
    return this.requests.filter((r) => r.path === BATCH && r.status === 200).map((r) => JSON.parse(r.body.toString('utf8')) as Batch);
  }
  metrics(key?: string): Metric[] {
    return this.batches().flatMap((b) => b.metrics).filter((m) => key === undefined || m.key === key);
  }
  /** Accepted artifact uploads by decoded artifact path (after `<exp>/<run>/artifacts/`). */
  artifacts(): Map<string, { body: Buffer; type: string | undefined; raw: string }> {
    const out = new Map<string, { body: Buffer; type: string | undefined; raw: string }>();
    for (const r of this.requests.filter((x) => x.method === 'PUT' && x.status === 200)) {
      const rest = r.path.slice(ARTIFACTS.length).split('/').map(decodeURIComponent);
      assert.equal(rest[2], 'artifacts', r.path);
      out.set(rest.slice(3).join('/'), { body: r.body, type: r.headers['content-type'], raw: r.path });
    }
    return out;
  }
}

interface PyResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Runs a Python script with only the given environment (plus PATH and the module's PYTHONPATH). */
function runPy(script: string, env: Record<string, string> = {}, o: { timeoutMs?: number; onStderr?: (all: string) => void } = {}): Promise<PyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-py-'));
  const file = join(dir, 'job.py');
  writeFileSync(file, dedent(script));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [file], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      o.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function jobEnv(fake: FakeMlflow | string, extra: Record<string, string> = {}): Record<string, string> {
  const uri = typeof fake === 'string' ? fake : fake.uri;
  return { MLFLOW_TRACKING_URI: uri, MLFLOW_RUN_ID: RUN_ID, MLFLOW_EXPERIMENT_ID: '7', ...extra };
}

/** A URI on which nothing listens (a port that was just free). */
async function deadUri(): Promise<{ uri: string; port: number }> {
  const f = await new FakeMlflow().start();
  await f.stop();
  return { uri: f.uri, port: f.port };
}

function count(haystack: string, needle: string | RegExp): number {
  return haystack.split(needle).length - 1;
}

function steps(fake: FakeMlflow, key: string): number[] {
  return fake.metrics(key).map((m) => m.step);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('python module cairn: logging to the MLflow tracking API', () => {
  it('sends metrics, params and tags as log-batch requests within MLflow\'s limits', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const before = Date.now();
      const r = await runPy(`
        import cairn
        for i in range(2500):
            cairn.log_metric("loss", i / 10, step=i)
        for i in range(250):
            cairn.log_param("p%03d" % i, i)
        for i in range(150):
            cairn.set_tag("t%03d" % i, "v%d" % i)
        print("flushed", cairn.flush(timeout=30))
      `, jobEnv(fake, { CAIRN_SEND_INTERVAL: '60' }));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /flushed True/);
      assert.equal(r.stderr, '');
      const posts = fake.requests.filter((x) => x.path === BATCH);
      assert.ok(posts.every((x) => x.status === 200 && x.headers['content-type'] === 'application/json'));
      const batches = fake.batches();
      for (const b of batches) {
        assert.equal(b.run_id, RUN_ID);
        assert.ok(b.metrics.length <= 1000 && b.params.length <= 100 && b.tags.length <= 100);
        assert.ok(b.metrics.length + b.params.length + b.tags.length <= 1000);
      }
      assert.deepEqual(batches.filter((b) => b.metrics.length > 0).map((b) => b.metrics.length), [1000, 1000, 500]);
      assert.deepEqual(batches.filter((b) => b.params.length > 0).map((b) => b.params.length), [100, 100, 50]);
      assert.deepEqual(batches.filter((b) => b.tags.length > 0).map((b) => b.tags.length), [100, 50]);
      const metrics = fake.metrics();
      assert.deepEqual(metrics.map((m) => m.step), range(2500));
      assert.deepEqual(Object.keys(metrics[7]).sort(), ['key', 'step', 'timestamp', 'value']);
      assert.deepEqual([metrics[7].key, metrics[7].value], ['loss', 0.7]);
      assert.ok(metrics.every((m) => Number.isInteger(m.timestamp) && m.timestamp >= before - 1000 && m.timestamp <= Date.now()));
      const params = batches.flatMap((b) => b.params);
      assert.deepEqual(params.map((p) => p.value), range(250).map(String));
      assert.deepEqual(params[3], { key: 'p003', value: '3' });
      assert.deepEqual(batches.flatMap((b) => b.tags)[149], { key: 't149', value: 'v149' });
    } finally {
      await fake.stop();
    }
  });

  it('encodes NaN and infinities as MLflow\'s strings and drops non-numbers with one warning', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const r = await runPy(`
        import math, cairn
        class Scalar(object):  # like a numpy or torch scalar
            def __float__(self):
                return 2.5
        cairn.log_metric("nan", float("nan"))
        cairn.log_metric("inf", math.inf, step=1)
        cairn.log_metric("ninf", -math.inf, step=2)
        cairn.log_metric("scalar", Scalar(), step=3, timestamp=1700000000123)
        cairn.log_metric("bad", "not a number")
        cairn.log_metric("bad", object())
        cairn.log_metrics({"m1": 1, "m2": True}, step=4)
        print("flushed", cairn.flush())
      `, jobEnv(fake));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /flushed True/);
      assert.equal(count(r.stderr, /metric 'bad'.*not a number/), 1, r.stderr);
      const raw = fake.requests.filter((x) => x.path === BATCH).map((x) => x.body.toString()).join('\n');
      assert.doesNotMatch(raw, /[^"]NaN|[^"-]Infinity/);
      const byKey = new Map(fake.metrics().map((m) => [m.key, m]));
      assert.deepEqual([...byKey.keys()].sort(), ['inf', 'm1', 'm2', 'nan', 'ninf', 'scalar']);
      assert.equal(byKey.get('nan')!.value, 'NaN');
      assert.equal(byKey.get('nan')!.step, 0);
      assert.equal(byKey.get('inf')!.value, 'Infinity');
      assert.equal(byKey.get('ninf')!.value, '-Infinity');
      assert.deepEqual(byKey.get('scalar'), { key: 'scalar', value: 2.5, timestamp: 1700000000123, step: 3 });
      assert.deepEqual([byKey.get('m1')!.value, byKey.get('m2')!.value, byKey.get('m2')!.step], [1, 1, 4]);
      assert.equal(byKey.get('m1')!.timestamp, byKey.get('m2')!.timestamp);
    } finally {
      await fake.stop();
    }
  });

  it('sends the bearer token, and falls back to CAIRN_SERVER_URL, CAIRN_JOB_ID and CAIRN_JOB_TOKEN', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const script = `
        import cairn
        cairn.log_metric("x", 1)
        cairn.log_text("hi", "a.txt")
        print("flushed", cairn.flush())
      `;
      const a = await runPy(script, jobEnv(fake, { MLFLOW_TRACKING_TOKEN: 's3cret' }));
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /flushed True/);
      assert.ok(fake.requests.length >= 2);
      assert.ok(fake.requests.every((x) => x.headers.authorization === 'Bearer s3cret'));
      assert.equal(fake.requests.filter((x) => x.path.startsWith('/api/2.0/mlflow/runs/get')).length, 0);

      fake.requests = [];
      const b = await runPy(script, { CAIRN_SERVER_URL: `${fake.uri}/`, CAIRN_JOB_ID: 'job-42', CAIRN_JOB_TOKEN: 'tok2' });
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, /flushed True/);
      assert.ok(fake.requests.every((x) => x.headers.authorization === 'Bearer tok2'));
      assert.deepEqual(fake.batches().map((x) => x.run_id), ['job-42']);
      // No MLFLOW_EXPERIMENT_ID: the experiment is asked of the server once, for the artifact URL.
      assert.deepEqual(fake.requests.filter((x) => x.method === 'GET').map((x) => x.path), ['/api/2.0/mlflow/runs/get?run_id=job-42']);
      assert.deepEqual(fake.requests.filter((x) => x.method === 'PUT').map((x) => x.path), [`${ARTIFACTS}7/job-42/artifacts/a.txt`]);
    } finally {
      await fake.stop();
    }
  });

  it('Run.get_context() logs Azure-style: steps 0, 1, 2... per name, tags, id and experiment', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const r = await runPy(`
        from cairn import Run
        run = Run.get_context()
        print("id", run.id, "experiment", run.experiment.name)
        for v in [0.9, 0.8, 0.7]:
            run.log("loss", v)
        run.log("acc", 0.5, description="accuracy")
        run.log("acc", 0.6)
        run.log("bad", "x")
        run.log("bad", 1.0)
        run.log("fixed", 3, step=10)
        run.log_list("lr", [0.1, 0.01, 0.001])
        run.log_row("eval", f1=0.8, prec=0.7)
        run.log_row("eval", f1=0.85, prec=0.75)
        run.tag("stage", "tune")
        run.tag("flag")
        run.set_tags({"a": 1})
        print("same", Run.get_context() is run)
        print("flushed", run.flush())
      `, jobEnv(fake, { MLFLOW_EXPERIMENT_NAME: 'exp-one' }));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`id ${RUN_ID} experiment exp-one`));
      assert.match(r.stdout, /same True\nflushed True/);
      assert.match(r.stderr, /metric 'bad'.*not a number/);
      assert.deepEqual(steps(fake, 'loss'), [0, 1, 2]);
      assert.deepEqual(fake.metrics('loss').map((m) => m.value), [0.9, 0.8, 0.7]);
      assert.deepEqual(steps(fake, 'acc'), [0, 1]);
      assert.deepEqual(fake.metrics('bad').map((m) => [m.step, m.value]), [[0, 1]]);
      assert.deepEqual(steps(fake, 'fixed'), [10]);
      assert.deepEqual(steps(fake, 'lr'), [0, 1, 2]);
      assert.deepEqual(fake.metrics('eval.f1').map((m) => [m.step, m.value]), [[0, 0.8], [1, 0.85]]);
      assert.deepEqual(steps(fake, 'eval.prec'), [0, 1]);
      assert.deepEqual(fake.batches().flatMap((b) => b.tags), [
        { key: 'stage', value: 'tune' },
        { key: 'flag', value: '' },
        { key: 'a', value: '1' },
      ]);
    } finally {
      await fake.stop();
    }
  });

  it('uploads artifacts (a file, a folder, a folder\'s contents, text) in order, as they were at call time', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'cairn-art-'));
      const model = Buffer.from(range(300_000).map((i) => (i * 7) % 256));
      writeFileSync(join(dir, 'model.bin'), model);
      mkdirSync(join(dir, 'plots', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'plots', 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
      writeFileSync(join(dir, 'plots', 'sub', 'b c.txt'), 'hello');
      const r = await runPy(`
        import cairn
        d = ${JSON.stringify(dir)}
        cairn.log_metric("before", 1)
        cairn.log_artifact(d + "/model.bin")
        with open(d + "/model.bin", "wb") as f:
            f.write(b"overwritten")  # after the call: not what gets uploaded
        cairn.log_artifact(d + "/model.bin", "models/best")
        cairn.log_artifact(d + "/plots")
        cairn.log_artifacts(d + "/plots", "flat/")
        cairn.log_text(u"h\\u00e9llo\\n", "notes/readme.txt")
        cairn.log_artifact(d + "/missing.txt")
        cairn.log_artifact(d + "/model.bin", "../escape")
        cairn.log_metric("after", 2)
        print("flushed", cairn.flush())
      `, jobEnv(fake));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /flushed True/);
      assert.match(r.stderr, /no such file or folder: .*missing\.txt/);
      assert.match(r.stderr, /'\.\.\/escape' leaves the run's folder/);
      const arts = fake.artifacts();
      assert.deepEqual([...arts.keys()], [
        'model.bin', 'models/best/model.bin', 'plots/a.png', 'plots/sub/b c.txt', 'flat/a.png', 'flat/sub/b c.txt', 'notes/readme.txt',
      ]);
      assert.ok(arts.get('model.bin')!.body.equals(model));
      assert.equal(arts.get('models/best/model.bin')!.body.toString(), 'overwritten');
      assert.deepEqual([...arts.get('plots/a.png')!.body], [0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
      assert.equal(arts.get('plots/a.png')!.type, 'image/png');
      assert.equal(arts.get('flat/sub/b c.txt')!.body.toString(), 'hello');
      assert.equal(arts.get('plots/sub/b c.txt')!.raw, `${ARTIFACTS}7/${RUN_ID}/artifacts/plots/sub/b%20c.txt`);
      assert.equal(arts.get('notes/readme.txt')!.body.toString('utf8'), 'héllo\n');
      assert.equal(arts.get('notes/readme.txt')!.type, 'text/plain');
      // Ordered with the metrics: "before" went out before the first upload, "after" after the last.
      const kinds = fake.requests.map((x) => (x.method === 'PUT' ? 'put' : x.body.toString().includes('"before"') ? 'before' : 'after'));
      assert.deepEqual(kinds, ['before', ...Array(7).fill('put'), 'after']);
    } finally {
      await fake.stop();
    }
  });

  it('flush() is False while the server answers 503 and True once it delivered; nothing is sent twice', async () => {
    const fake = await new FakeMlflow().start();
    fake.mode = '503';
    try {
      const r = await runPy(`
        import os, urllib.request, cairn
        cairn.log_metric("x", 1.0)
        print("first", cairn.flush(timeout=1.5))
        urllib.request.urlopen(urllib.request.Request(os.environ["MLFLOW_TRACKING_URI"] + "/_test/mode/ok", data=b"", method="POST")).read()
        print("second", cairn.flush(timeout=15))
        print("nothing pending", cairn.flush(timeout=0))
      `, jobEnv(fake));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /first False\nsecond True\nnothing pending True/);
      assert.match(r.stderr, /HTTP 503 TEMPORARILY_UNAVAILABLE: the store is busy.*retrying/);
      assert.match(r.stderr, /answers again/);
      assert.ok(fake.requests.filter((x) => x.status === 503).length >= 2);
      assert.deepEqual(steps(fake, 'x'), [0]);
    } finally {
      await fake.stop();
    }
  });

  it('outside a job sends nothing and prints each call on stderr', async () => {
    const script = `
      import cairn
      from cairn import Run
      cairn.log_metric("loss", 0.5, step=3)
      cairn.log_param("lr", 0.01)
      cairn.set_tag("k", "v")
      open("f.txt", "w").write("x")
      cairn.log_artifact("f.txt", "out")
      cairn.log_text("hi", "n.txt")
      run = Run.get_context()
      run.log("acc", 0.9)
      print("id", run.id)
      print("flushed", cairn.flush())
      try:
          Run.get_context(allow_offline=False)
      except RuntimeError as e:
          print("raised", e)
    `;
    const envs: Record<string, string>[] = [{}, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' }];
    for (const env of envs) {
      const r = await runPy(script, env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stderr.trim().split('\n'), [
        'cairn (offline): metric loss=0.5 step=3',
        'cairn (offline): param lr=0.01',
        'cairn (offline): tag k=v',
        'cairn (offline): artifact f.txt -> out/f.txt',
        'cairn (offline): text -> n.txt (2 bytes)',
        'cairn (offline): metric acc=0.9 step=0',
      ]);
      assert.match(r.stdout, /^id OfflineRun_[0-9a-f-]{36}\nflushed True\nraised cairn: not running inside a Cairn job/);
    }
  });

  it('a refused param change prints the server\'s message once, and everything else still arrives', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const r = await runPy(`
        import cairn
        cairn.log_param("lr", 0.1)
        print("first", cairn.flush())
        cairn.log_param("lr", 0.1)   # the same value again: fine
        cairn.log_param("bs", 32)
        cairn.log_param("bs", 64)    # changed, in what would be the same batch
        cairn.log_param("lr", 0.2)   # changed
        for i in range(10):
            cairn.log_metric("m", i, step=i)
        cairn.set_tag("t", "v")
        print("second", cairn.flush())
      `, jobEnv(fake));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /first True\nsecond True/);
      assert.equal(count(r.stderr, 'cairn: server refused param \'lr\' (HTTP 400 INVALID_PARAMETER_VALUE): Changing param values is not allowed'), 1, r.stderr);
      assert.equal(count(r.stderr, 'cairn: server refused param \'bs\''), 1, r.stderr);
      assert.equal(count(r.stderr, 'server refused'), 2, r.stderr);
      assert.doesNotMatch(r.stderr, /Duplicate/);
      assert.deepEqual([...fake.params], [['lr', '0.1'], ['bs', '32']]);
      assert.deepEqual(steps(fake, 'm'), range(10));
      assert.deepEqual(fake.batches().flatMap((b) => b.tags), [{ key: 't', value: 'v' }]);
      assert.equal(fake.batches().flatMap((b) => b.params).filter((p) => p.key === 'lr').length, 1);
    } finally {
      await fake.stop();
    }
  });

  it('keeps everything while the server is down and delivers it once when it comes up (at exit)', async () => {
    const { uri, port } = await deadUri();
    const fake = new FakeMlflow();
    let starting: Promise<unknown> | undefined;
    try {
      const r = await runPy(`
        import cairn
        for i in range(300):
            cairn.log_metric("m", i, step=i)
        cairn.log_param("p", "v")
        cairn.set_tag("t", "v")
        cairn.log_text("x", "a.txt")
        print("logged")
      `, jobEnv(uri, { CAIRN_FLUSH_TIMEOUT: '30' }), {
        onStderr: (all) => {
          if (!starting && all.includes('cannot deliver')) starting = new Promise((res) => setTimeout(res, 1500)).then(() => fake.start(port));
        },
      });
      await starting;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /cannot deliver to http:\/\/127\.0\.0\.1:\d+ \(.*\); retrying in the background/);
      assert.match(r.stderr, /answers again/);
      assert.doesNotMatch(r.stderr, /gave up/);
      assert.deepEqual(steps(fake, 'm'), range(300));
      assert.deepEqual(fake.batches().flatMap((b) => b.params), [{ key: 'p', value: 'v' }]);
      assert.deepEqual(fake.batches().flatMap((b) => b.tags), [{ key: 't', value: 'v' }]);
      assert.deepEqual([...fake.artifacts().keys()], ['a.txt']);
    } finally {
      await fake.stop();
    }
  });

  it('exits within the flush timeout when the server never answers, counting what was not delivered', async () => {
    const { uri } = await deadUri();
    const r = await runPy(`
      import cairn
      for i in range(1234):
          cairn.log_metric("m", i, step=i)
      print("logged")
    `, jobEnv(uri, { CAIRN_FLUSH_TIMEOUT: '2' }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /logged/);
    assert.match(r.stderr, /cairn: gave up after 2s: 1234 entries not delivered to http:\/\/127\.0\.0\.1:\d+ \(.*refused/);
    assert.ok(r.ms < 2000 + 8000, `took ${r.ms} ms`);
  });

  it('bounds the buffer: drops the newest with one warning and counts them at exit', async () => {
    const { uri } = await deadUri();
    const r = await runPy(`
      import cairn
      for i in range(250):
          cairn.log_metric("m", i, step=i)
      print("logged")
    `, jobEnv(uri, { CAIRN_FLUSH_TIMEOUT: '1', CAIRN_MAX_BUFFER: '100' }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(count(r.stderr, /100 entries are waiting to be sent.*dropping new ones/), 1, r.stderr);
    assert.match(r.stderr, /100 entries not delivered/);
    assert.match(r.stderr, /150 entries were dropped because 100 were already waiting/);
  });

  it('does not slow the training loop: 100,000 calls with the server down, then with it up', async (t) => {
    const script = `
      import os, time, cairn
      t0 = time.time()
      for i in range(100000):
          cairn.log_metric("loss", i * 0.001, step=i)
      print("loop %.3f" % (time.time() - t0))
      t1 = time.time()
      print("flushed", cairn.flush(timeout=float(os.environ["WAIT"])), "%.3f" % (time.time() - t1))
    `;
    const { uri } = await deadUri();
    const down = await runPy(script, jobEnv(uri, { CAIRN_FLUSH_TIMEOUT: '1', WAIT: '1' }));
    assert.equal(down.code, 0, down.stderr);
    const loopDown = Number(/loop ([\d.]+)/.exec(down.stdout)![1]);
    t.diagnostic(`server down: 100000 log_metric calls took ${loopDown}s`);
    assert.ok(loopDown < 20, `${loopDown}s`);
    assert.match(down.stderr, /100000 entries not delivered/);
    assert.doesNotMatch(down.stderr, /dropped/);

    const fake = await new FakeMlflow().start();
    try {
      const up = await runPy(script, jobEnv(fake, { WAIT: '60' }));
      assert.equal(up.code, 0, up.stderr);
      const loopUp = Number(/loop ([\d.]+)/.exec(up.stdout)![1]);
      t.diagnostic(`server up: loop ${loopUp}s, ${/flushed .*/.exec(up.stdout)![0]}, ${fake.batches().length} requests`);
      assert.ok(loopUp < 20, `${loopUp}s`);
      assert.match(up.stdout, /flushed True/);
      const batches = fake.batches();
      assert.ok(batches.length >= 100 && batches.every((b) => b.metrics.length <= 1000));
      assert.deepEqual(steps(fake, 'loss'), range(100000));
    } finally {
      await fake.stop();
    }
  });

  it('is thread-safe, and a forked child sends only what it logs itself', async () => {
    const fake = await new FakeMlflow().start();
    try {
      const r = await runPy(`
        import os, threading, cairn
        cairn.log_metric("parent_before", 1)   # still queued when the process forks
        pid = os.fork()
        if pid == 0:
            cairn.log_metric("child", 2)
            os._exit(0 if cairn.flush(timeout=15) else 3)
        def work(n):
            for i in range(1000):
                cairn.log_metric("thread%d" % n, i, step=i)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("child", os.waitpid(pid, 0)[1])
        print("flushed", cairn.flush(timeout=15))
      `, jobEnv(fake));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /child 0\nflushed True/);
      assert.equal(fake.metrics('parent_before').length, 1);
      assert.equal(fake.metrics('child').length, 1);
      for (const n of range(4)) assert.deepEqual(steps(fake, `thread${n}`), range(1000));
    } finally {
      await fake.stop();
    }
  });
});
