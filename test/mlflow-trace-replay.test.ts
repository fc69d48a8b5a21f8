// Replays every HTTP call of the real MLflow Python clients (2.12 and 3.11, recorded against the
// real MLflow servers: shared/reference/mlflow/trace-client-*.txt) against a real `cairn server`,
// and checks that Cairn answers each with the status (and error_code) the real server gave, and
// with the shapes the client reads.
//
// The trace truncates bodies and responses at about 180 characters. A truncated JSON body is
// repaired by cutting back to its last complete element (repairJson). What that loses:
// * runs/create keeps only the first tags, log-batch only its complete metrics (3.11's first
//   log-batch of metrics becomes an empty batch), and log-metric loses its trailing `run_id`
//   (the `run_uuid` sent beside it remains);
// * the 'big' log-parameter loses its value entirely: it is refilled with 8000 'x' (the trace
//   shows only x's; the probe checks the 6000-character truncation), see FIXUPS.
// PUT calls carry no body in the trace: each uploads ARTIFACT_BYTES, which is 15 bytes like the
// recorded download of hello.txt.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { TestServer } from './helpers/cairn.ts';

const TRACES = ['trace-client-2.12.txt', 'trace-client-3.11.txt'];
// Copies of shared/reference/mlflow/trace-client-*.txt, kept with the tests so any clone replays them.
const TRACE_DIR = new URL('./fixtures/mlflow/', import.meta.url);
const ARTIFACT_BYTES = 'hello artifact\n';
const missing = TRACES.filter((t) => !existsSync(new URL(t, TRACE_DIR)));
if (missing.length) throw new Error(`the recorded traces are missing from test/fixtures/mlflow: ${missing.join(', ')}`);

export interface TraceCall {
  line: number;
  method: string;
  path: string;
  params?: Record<string, unknown>;
  /** The body as recorded: JSON, possibly cut short. */
  body?: string;
  status: number;
  /** The response as recorded: JSON (possibly cut short) or `<N bytes>`. */
  response: string;
}

/** `METHOD /path[ params={json}][  body={json...}] -> STATUS <response...>`, one call a line. */
export function parseTrace(text: string): TraceCall[] {
  const calls: TraceCall[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    // Greedy: the last " -> NNN" is the separator (a body may hold anything).
    const m = /^([A-Z]+) (\S+)(.*) -> (\d{3})(?: (.*))?$/s.exec(line);
    if (!m) throw new Error(`trace line ${i + 1} does not parse: ${line}`);
    const call: TraceCall = { line: i + 1, method: m[1], path: m[2], status: Number(m[4]), response: (m[5] ?? '').trim() };
    let rest = m[3].trim();
    if (rest.startsWith('params=')) {
      const end = rest.indexOf(' body=');
      call.params = JSON.parse(rest.slice('params='.length, end < 0 ? undefined : end));
      rest = end < 0 ? '' : rest.slice(end).trim();
    }
    if (rest.startsWith('body=')) call.body = rest.slice('body='.length);
    else if (rest) throw new Error(`trace line ${i + 1}: unexpected ${rest}`);
    calls.push(call);
  }
  return calls;
}

/**
 * JSON that may have been cut short, cut back to its last complete element and closed. Objects
 * inside arrays (a metric, a tag) must be whole, or they go; other open objects and arrays keep
 * their complete members. A number or string at the very end may itself be cut, so it goes too.
 */
export function repairJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // cut below
  }
  const stack: { kind: '{' | '['; whole: boolean }[] = [];
  const cuts: { at: number; closers: string }[] = [];
  const cut = (at: number) => {
    if (stack.some((f) => f.whole)) return;
    cuts.push({ at, closers: stack.map((f) => (f.kind === '{' ? '}' : ']')).reverse().join('') });
  };
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') {
        inString = false;
        cut(i + 1);
      }
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      stack.push({ kind: c, whole: c === '{' && stack[stack.length - 1]?.kind === '[' });
      cut(i + 1);
    } else if (c === '}' || c === ']') {
      stack.pop();
      cut(i + 1);
    } else if (c === ',') cut(i);
  }
  // The last cut that parses: a cut after a key (`{"a"`) does not.
  for (const c of cuts.reverse()) {
    try {
      return JSON.parse(text.slice(0, c.at) + c.closers);
    } catch {
      // an earlier cut
    }
  }
  throw new Error(`cannot repair JSON: ${text}`);
}

describe('trace parsing and JSON repair', () => {
  const REPAIRS: [string, unknown][] = [
    ['{"a": 1}', { a: 1 }],
    ['{"a": 1, "b": "xy', { a: 1 }],
    ['{"a": 1, "b": 23', { a: 1 }],
    ['{"a": 1,', { a: 1 }],
    ['{"a": [1, 2, 3', { a: [1, 2] }],
    ['{"a": [1, {"b": 2}', { a: [1, { b: 2 }] }],
    ['{"m": [{"k": 1}, {"k": 2, "v"', { m: [{ k: 1 }] }],
    ['{"m": [{"k": 1, "v": 2', { m: [] }],
    ['{"a": {"b": 1, "c": 2', { a: { b: 1 } }],
    ['{"a": {"b": "done"', { a: { b: 'done' } }],
    ['{"s": "a,b]}", "t": "c', { s: 'a,b]}' }],
    ['{"s": "q\\"x,", "t', { s: 'q"x,' }],
    ['{"a', {}],
    ['{', {}],
    ['[', []],
    ['{"a": [', { a: [] }],
    ['{   "run": {     "info": {       "run_uuid": "abc",       "experiment_id": "1",  ', { run: { info: { run_uuid: 'abc', experiment_id: '1' } } }],
  ];
  for (const [text, expected] of REPAIRS) it(`repairs ${text}`, () => assert.deepEqual(repairJson(text), expected));

  it('refuses what is not JSON at all', () => {
    assert.throws(() => repairJson('nope'), /cannot repair/);
    assert.throws(() => repairJson(''), /cannot repair/);
  });

  it('parses trace lines', () => {
    const calls = parseTrace(
      [
        'GET /api/2.0/mlflow/experiments/get params={"experiment_id": "1"}  -> 200 {   "experiment": {',
        'POST /api/2.0/mlflow/runs/log-batch  body={"run_id": "r", "metrics": [{"key": "x", "value": 1. -> 200 {}',
        'PUT /api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/hello.txt   -> 200 {}',
        'GET /api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/hello.txt   -> 200 <15 bytes>',
        'POST /x  body={"note": "a -> 500 b"} -> 400 {"error_code": "X", "message": "m"}',
      ].join('\n'),
    );
    assert.deepEqual(calls[0], { line: 1, method: 'GET', path: '/api/2.0/mlflow/experiments/get', params: { experiment_id: '1' }, status: 200, response: '{   "experiment": {' });
    assert.equal(calls[1].body, '{"run_id": "r", "metrics": [{"key": "x", "value": 1.');
    assert.deepEqual([calls[2].method, calls[2].body, calls[2].params, calls[2].response], ['PUT', undefined, undefined, '{}']);
    assert.equal(calls[3].response, '<15 bytes>');
    assert.deepEqual([calls[4].body, calls[4].status], ['{"note": "a -> 500 b"}', 400]);
  });

  it('reads both recorded traces whole', () => {
    for (const t of TRACES) {
      const calls = parseTrace(readFileSync(new URL(t, TRACE_DIR), 'utf8'));
      assert.ok(calls.length > 30, t);
      for (const c of calls) if (c.body !== undefined) assert.equal(typeof repairJson(c.body), 'object', `${t}:${c.line}`);
    }
  });
});

/** Trace ids to ours, learned from our answers to experiments/create and runs/create. */
class IdMap {
  readonly exp = new Map<string, string>();
  readonly run = new Map<string, string>();
  text(s: string): string {
    return s.replace(/[0-9a-f]{32}/g, (id) => this.run.get(id) ?? id);
  }
  /** `<exp>/<run>/artifacts...` in an artifact path. */
  artifactPath(s: string): string {
    return this.text(s).replace(/^(\/?)(\d+)(?=\/)/, (_, slash, e) => slash + (this.exp.get(e) ?? e));
  }
  urlPath(p: string): string {
    const m = /^(.*\/mlflow-artifacts\/artifacts)(\/.*)$/.exec(p);
    return m ? m[1] + this.artifactPath(m[2]) : this.text(p);
  }
  value(v: unknown, key = ''): unknown {
    if (typeof v === 'string') {
      if (key === 'experiment_id') return this.exp.get(v) ?? v;
      if (key === 'path') return this.artifactPath(v);
      return this.text(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.value(x, key === 'experiment_ids' ? 'experiment_id' : ''));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x, k)]));
    return v;
  }
}

/** Where repair lost what the call needs (documented at the top). */
const FIXUPS: [(path: string, body: any) => boolean, (body: any) => void][] = [
  [(p, b) => p.endsWith('/runs/log-parameter') && b.key === 'big' && b.value === undefined, (b) => (b.value = 'x'.repeat(8000))],
];

/** Every key of `expected` (the recorded answer, repaired) is in `actual` with the same value. */
function assertSubset(actual: any, expected: any, where: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: not an array`);
    for (const [i, e] of expected.entries()) {
      const found = actual.some((a: unknown) => {
        try {
          assertSubset(a, e, where);
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(found, `${where}[${i}]: ${JSON.stringify(e)} not in ${JSON.stringify(actual)}`);
    }
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${where}: not an object`);
    for (const [k, v] of Object.entries(expected)) {
      if (['creation_time', 'last_update_time'].includes(k)) continue;
      assertSubset(actual[k], v, `${where}.${k}`);
    }
  } else assert.deepEqual(actual, expected, where);
}

describe('replaying the real MLflow clients’ traces', () => {
  const server = new TestServer();
  before(() => server.start());
  after(() => server?.stop());

  for (const trace of TRACES) {
    describe(trace, () => {
      const ids = new IdMap();
      /** What we logged, to check what the client reads back. */
      const points = new Map<string, { key: string; value: unknown; timestamp: number; step: number }[]>();
      const uploaded = new Map<string, string[]>();
      const calls = parseTrace(readFileSync(new URL(trace, TRACE_DIR), 'utf8'));

      for (const call of calls) {
        it(`${call.line}: ${call.method} ${call.path.replace(/^\/api\/2.0/, '')} → ${call.status}`, async () => {
          const path = ids.urlPath(call.path);
          let url = `${server.url}${path}`;
          if (call.params) {
            const q = new URLSearchParams();
            for (const [k, v] of Object.entries(ids.value(call.params) as Record<string, unknown>)) q.append(k, String(v));
            url += `?${q}`;
          }
          let body: any;
          const init: RequestInit = { method: call.method };
          if (call.body !== undefined) {
            body = ids.value(repairJson(call.body));
            for (const [when, fix] of FIXUPS) if (when(path, body)) fix(body);
            init.body = JSON.stringify(body);
            init.headers = { 'content-type': 'application/json', 'user-agent': 'mlflow-python-client/replay' };
          } else if (call.method === 'PUT') {
            init.body = ARTIFACT_BYTES;
            init.headers = { 'content-type': 'text/plain' };
          }
          const res = await fetch(url, init);
          const bytes = Buffer.from(await res.arrayBuffer());
          const text = bytes.toString('utf8');
          assert.equal(res.status, call.status, `${call.method} ${path} ${init.body ?? ''} -> ${res.status} ${text}`);

          const isFile = call.method === 'GET' && /\/mlflow-artifacts\/artifacts\/./.test(path);
          const ours = isFile ? undefined : JSON.parse(text);
          if (call.status >= 400) {
            assert.deepEqual(Object.keys(ours).sort(), ['error_code', 'message']);
            const recorded = /^\{"error_code": "(\w+)", "message": "(.*?)(?:"\})?$/.exec(call.response);
            assert.ok(recorded, call.response);
            assert.equal(ours.error_code, recorded[1]);
            // A recorded message cut short must still begin ours; a whole one must equal it.
            const message = ids.text(recorded[2]);
            if (call.response.endsWith('"}')) assert.equal(ours.message, message);
            else assert.ok(ours.message.startsWith(message), `${ours.message} !^= ${message}`);
            return;
          }

          // What the recorded answer shows (ids mapped), ours holds too.
          const sized = /^<(\d+) bytes>$/.exec(call.response);
          if (sized && isFile) assert.equal(bytes.length, Number(sized[1]));
          else if (sized && Number(sized[1]) === 2) assert.deepEqual(ours, {});
          else if (!sized) {
            // Learn our ids before comparing.
            const route = path.replace(/^\/(ajax-)?api\/2\.0/, '');
            if (route === '/mlflow/experiments/create') {
              assert.equal(typeof ours.experiment_id, 'string');
              ids.exp.set((repairJson(call.response) as any).experiment_id, ours.experiment_id);
            }
            if (route === '/mlflow/runs/create') {
              const recordedRun = /"run_uuid": "([0-9a-f]{32})"/.exec(call.response);
              assert.ok(recordedRun);
              ids.run.set(recordedRun[1], ours.run.info.run_id);
            }
            const recorded = ids.value(repairJson(call.response));
            if (call.response === '{}') assert.deepEqual(ours, {});
            else assertSubset(ours, recorded, 'response');
          }
          checkShape(call.method, path.replace(/^\/(ajax-)?api\/2\.0/, ''), url, body, ours, { points, uploaded, ids });
        });
      }
    });
  }
});

interface Model {
  points: Map<string, { key: string; value: unknown; timestamp: number; step: number }[]>;
  uploaded: Map<string, string[]>;
  ids: IdMap;
}

/** What the client reads from each answer, checked against what this replay sent. */
function checkShape(method: string, route: string, url: string, body: any, ours: any, m: Model): void {
  const q = new URL(url).searchParams;
  const runId = body?.run_id ?? body?.run_uuid ?? q.get('run_id');
  const log = (ms: any[]) => {
    for (const x of ms) {
      const k = `${runId}/${x.key}`;
      if (!m.points.has(k)) m.points.set(k, []);
      m.points.get(k)!.push({ key: x.key, value: x.value, timestamp: x.timestamp, step: x.step ?? 0 });
    }
  };
  const run = (r: any) => {
    assert.match(r.info.run_id, /^[0-9a-f]{32}$/);
    assert.equal(r.info.run_uuid, r.info.run_id);
    assert.equal(r.info.artifact_uri, `mlflow-artifacts:/${r.info.experiment_id}/${r.info.run_id}/artifacts`);
    assert.ok(r.data && typeof r.data === 'object');
  };
  const artifact = /^\/mlflow-artifacts\/artifacts\/\d+\/([0-9a-f]{32})\/artifacts\/(.+)$/.exec(route);
  switch (artifact ? `${method} artifact` : route) {
    case '/mlflow/experiments/get':
    case '/mlflow/experiments/get-by-name': {
      const e = ours.experiment;
      assert.equal(typeof e.experiment_id, 'string');
      assert.equal(e.artifact_location, `mlflow-artifacts:/${e.experiment_id}`);
      assert.equal(e.lifecycle_stage, 'active');
      if (q.get('experiment_name')) assert.equal(e.name, q.get('experiment_name'));
      break;
    }
    case '/mlflow/runs/create':
      run(ours.run);
      assert.equal(ours.run.info.status, 'RUNNING');
      assert.equal(ours.run.info.experiment_id, body.experiment_id);
      assert.equal(ours.run.info.start_time, body.start_time);
      for (const t of body.tags) assert.ok(ours.run.data.tags.some((x: any) => x.key === t.key && x.value === t.value), t.key);
      assert.ok(ours.run.data.tags.some((x: any) => x.key === 'mlflow.runName' && x.value === body.run_name));
      break;
    case '/mlflow/runs/get':
      run(ours.run);
      assert.equal(ours.run.info.run_id, q.get('run_id'));
      break;
    case '/mlflow/runs/update':
      assert.equal(ours.run_info.run_id, runId);
      assert.equal(ours.run_info.status, body.status);
      if (body.end_time) assert.equal(ours.run_info.end_time, body.end_time);
      break;
    case '/mlflow/runs/log-metric':
      log([body]);
      break;
    case '/mlflow/runs/log-batch':
      log(body.metrics ?? []);
      break;
    case '/mlflow/metrics/get-history': {
      const expected = m.points.get(`${runId}/${q.get('metric_key')}`) ?? [];
      assert.ok(expected.length > 0);
      assert.deepEqual(ours.metrics, expected, 'in logging order');
      assert.equal(ours.next_page_token, undefined);
      break;
    }
    case '/mlflow/runs/search':
      assert.ok(Array.isArray(ours.runs));
      for (const r of ours.runs) run(r);
      assert.ok(ours.runs.every((r: any) => body.experiment_ids.includes(r.info.experiment_id)));
      assert.ok(ours.runs.some((r: any) => [...m.ids.run.values()].includes(r.info.run_id)));
      if (body.filter) for (const r of ours.runs) assert.ok(r.data.params.some((p: any) => `params.${p.key} = '${p.value}'` === body.filter), body.filter);
      break;
    case '/mlflow-artifacts/artifacts': {
      // A listing: the direct children of the listed folder, by name.
      const [, listedRun, sub] = /^\d+\/([0-9a-f]{32})\/artifacts\/?(.*)$/.exec(q.get('path')!)!;
      const prefix = sub ? `${sub}/` : '';
      const children = new Map<string, boolean>();
      for (const p of m.uploaded.get(listedRun) ?? []) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length).split('/');
        children.set(rest[0], rest.length > 1);
      }
      const files = [...(ours.files ?? [])].sort((a: any, b: any) => a.path.localeCompare(b.path));
      const expected = [...children].sort(([a], [b]) => a.localeCompare(b)).map(([path, dir]) => (dir ? { path, is_dir: true } : { path, is_dir: false, file_size: ARTIFACT_BYTES.length }));
      assert.deepEqual(files, expected);
      break;
    }
    case 'PUT artifact': {
      const [, r, rel] = artifact!;
      if (!m.uploaded.has(r)) m.uploaded.set(r, []);
      m.uploaded.get(r)!.push(decodeURIComponent(rel));
      break;
    }
  }
}
