// Replays every HTTP call that the real MLflow Python client (2.12 and 3.11) made against the real
// MLflow server (recorded in shared/reference/mlflow/trace-client-*.txt) against a real Cairn
// server, and expects the same status and error code for each. The recording cut long bodies
// short; repairJson() closes them at the last complete element.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestServer } from './helpers/cairn.ts';

const TRACES = join(ROOT, '..', 'shared', 'reference', 'mlflow');

/** Closes a JSON text cut short: a cut string is closed where it stops, else it goes back to the last whole array element or member. */
export function repairJson(s: string): string {
  const ok = (t: string) => {
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };
  if (ok(s)) return s;
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  const cuts: { at: number; closers: string; inArray: boolean }[] = [];
  const closers = () => [...stack].reverse().join('');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      stack.pop();
      cuts.push({ at: i + 1, closers: closers(), inArray: stack[stack.length - 1] === ']' });
    } else if (c === ',') cuts.push({ at: i, closers: closers(), inArray: stack[stack.length - 1] === ']' });
  }
  if (inString && !escaped && ok(`${s}"${closers()}`)) return `${s}"${closers()}`;
  if (ok(s + closers())) return s + closers();
  for (const preferArrays of [true, false]) {
    for (const c of [...cuts].reverse()) {
      if (preferArrays && !c.inArray) continue;
      const t = s.slice(0, c.at) + c.closers;
      if (ok(t)) return t;
    }
  }
  throw new Error(`cannot repair ${s.slice(0, 80)}...`);
}

interface Call {
  method: string;
  path: string;
  params?: Record<string, unknown>;
  body?: string;
  status: number;
  response: string;
}

export function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  for (const line of text.split('\n')) {
    const m = /^(GET|POST|PUT|DELETE) (\S+)\s+(?:params=(\{.*?\}))?\s*(?:body=(.*?))?\s*-> (\d{3}) ?(.*)$/.exec(line);
    if (!m) continue;
    calls.push({ method: m[1], path: m[2], params: m[3] ? JSON.parse(m[3]) : undefined, body: m[4] ? repairJson(m[4]) : undefined, status: Number(m[5]), response: m[6] });
  }
  return calls;
}

describe('repairJson', () => {
  it('closes cut strings, drops cut elements and members, and leaves whole JSON alone', () => {
    assert.equal(repairJson('{"a": 1}'), '{"a": 1}');
    assert.deepEqual(JSON.parse(repairJson('{"key": "big", "value": "xxxx')), { key: 'big', value: 'xxxx' });
    assert.deepEqual(JSON.parse(repairJson('{"tags": [{"key": "a", "value": "1"}, {"ke')), { tags: [{ key: 'a', value: '1' }] });
    assert.deepEqual(JSON.parse(repairJson('{"m": [{"key": "x", "value": 1.0}, {"key": "y", "value": ')), { m: [{ key: 'x', value: 1 }] });
    assert.deepEqual(JSON.parse(repairJson('{"a": 1, "b": {"c": 2')), { a: 1, b: { c: 2 } });
    assert.deepEqual(JSON.parse(repairJson('{"a": "q\\"uote", "b": tr')), { a: 'q"uote' });
  });
});

for (const version of ['2.12', '3.11']) {
  describe(`replay of the real MLflow ${version} client's calls`, () => {
    let server: TestServer;
    after(() => server?.stop());

    it('every call gets the status and error code the real server gave', async () => {
      server = await new TestServer().start();
      const calls = parseTrace(readFileSync(join(TRACES, `trace-client-${version}.txt`), 'utf8'));
      assert.ok(calls.length >= 30, `parsed ${calls.length} calls`);
      const runs = new Map<string, string>();
      const exps = new Map<string, string>();
      const map = (s: string) => {
        for (const [from, to] of runs) {
          s = s.split(from).join(to);
          // The recording cut some bodies inside a run id: a cut id stands for the whole one.
          s = s.replace(/"([0-9a-f]{8,31})"/g, (all, part: string) => (from.startsWith(part) ? `"${to}"` : all));
        }
        for (const [from, to] of exps) {
          s = s
            .replace(new RegExp(`("experiment_ids?":\\s*\\[?\\s*)"${from}"`, 'g'), `$1"${to}"`)
            .replace(new RegExp(`/artifacts/${from}/`, 'g'), `/artifacts/${to}/`)
            .replace(new RegExp(`("path":\\s*)"${from}/`, 'g'), `$1"${to}/`);
        }
        return s;
      };
      for (const call of calls) {
        const path = map(call.path);
        const params = call.params ? (JSON.parse(map(JSON.stringify(call.params))) as Record<string, string | number>) : undefined;
        const qs = params ? `?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}` : '';
        const init: RequestInit = { method: call.method };
        if (call.body !== undefined) init.body = map(call.body);
        if (call.method === 'POST') init.headers = { 'content-type': 'application/json' };
        if (call.method === 'PUT') init.body = `bytes of ${path}`;
        const res = await fetch(`${server.url}${path}${qs}`, init);
        const text = await res.text();
        const what = `${call.method} ${call.path} ${JSON.stringify(params ?? '')}: ${text.slice(0, 300)}`;
        assert.equal(res.status, call.status, what);
        if (call.status >= 400) {
          const want = /"error_code": "(\w+)"/.exec(call.response)?.[1];
          assert.equal(JSON.parse(text).error_code, want, what);
        } else if (/^\s*\{/.test(text) || res.headers.get('content-type')?.includes('json')) {
          const body = text ? JSON.parse(text) : {};
          // Learn our ids for the ones the trace used.
          const traceExp = /"experiment_id": "(\d+)"/.exec(call.response)?.[1];
          if (path.endsWith('/experiments/create') && traceExp) exps.set(traceExp, body.experiment_id);
          const traceRun = /"run_uuid": "([0-9a-f]{32})"/.exec(call.response)?.[1];
          if (path.endsWith('/runs/create') && traceRun) runs.set(traceRun, body.run.info.run_id);
          if (path.endsWith('/runs/get')) assert.equal(body.run.info.run_id, body.run.info.run_uuid);
          if (path.endsWith('/metrics/get-history')) assert.deepEqual(body.metrics.map((m: { value: number }) => m.value), [1.5, 1.2], 'logging order');
        }
      }
      assert.ok(runs.size === 1 && exps.size === 1, 'the trace created one experiment and one run');
    });
  });
}
