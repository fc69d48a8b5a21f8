import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvCache } from '../src/agent/environments/env-cache.ts';
import { BuildError } from '../src/agent/environments/run-logged.ts';
import type { Built, Plan } from '../src/agent/environments/plans.ts';
import { pythonMatches, splitCondaFile } from '../src/agent/environments/conda-spec.ts';
import { tempDir } from './helpers/cairn.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const built = (): Built => ({ launch: { type: 'host', path: ['/x/bin'], env: {} }, packages: ['a==1'] });

/** A plan whose build the test controls: it writes a file of `bytes` bytes, prints lines, may fail. */
function plan(key: string, o: { bytes?: number; fail?: string; gate?: Promise<void> } = {}): Plan & { calls: number } {
  const p = {
    key,
    builder: 'test',
    calls: 0,
    async build(c: Parameters<Plan['build']>[0]): Promise<Built> {
      p.calls++;
      c.sink('step 1');
      await o.gate;
      c.sink('step 2');
      writeFileSync(join(c.dir, 'payload'), Buffer.alloc(o.bytes ?? 10));
      if (o.fail) throw new BuildError(`builder exited with code 1: ${o.fail}`, o.fail);
      return built();
    },
  };
  return p;
}
const K = (c: string) => c.repeat(64);
const noSnapshot = async () => {};

describe('the environment cache (agent side)', () => {
  it('jobs asking for a key being built share one build, and a late one sees its output from the start', async () => {
    const cache = new EnvCache(tempDir('envcache'), 2 ** 30);
    let open!: () => void;
    const p = plan(K('a'), { gate: new Promise<void>((r) => (open = r)) });
    const first: string[] = [];
    const late: string[] = [];
    const a = cache.get(p, noSnapshot, process.env, (l) => first.push(l));
    await sleep(20);
    assert.equal(cache.building(K('a')), true);
    const b = cache.get(p, noSnapshot, process.env, (l) => late.push(l));
    open();
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(p.calls, 1);
    assert.deepEqual(ra, rb);
    assert.deepEqual(late.slice(0, 2), ['step 1', 'step 2'], 'replayed, then live');
    assert.deepEqual(cache.ready(K('a'))?.packages, ['a==1']);
    assert.equal(cache.buildsRun, 1);
  });

  it('a failed build leaves nothing behind and the next request builds again', async () => {
    const dir = tempDir('envcache');
    const cache = new EnvCache(dir, 2 ** 30);
    await assert.rejects(cache.get(plan(K('b'), { fail: 'ERROR: boom' }), noSnapshot, process.env, () => {}), /builder exited with code 1: ERROR: boom/);
    assert.equal(existsSync(join(dir, K('b'))), false);
    assert.equal(existsSync(join(dir, `${K('b')}.lock`)), false);
    const again = plan(K('b'));
    await cache.get(again, noSnapshot, process.env, () => {});
    assert.equal(again.calls, 1);
  });

  it('a lock left by a dead agent is broken: its builder is killed and the half-built folder redone', async () => {
    const dir = tempDir('envcache');
    const key = K('c');
    mkdirSync(join(dir, key));
    writeFileSync(join(dir, key, 'half-written'), 'x');
    const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const deadPid = spawnSync('true').pid!;
    writeFileSync(join(dir, `${key}.lock`), JSON.stringify({ pid: deadPid, pgid: orphan.pid }));
    const exited = new Promise((r) => orphan.once('exit', r));
    const lines: string[] = [];
    const p = plan(key);
    await new EnvCache(dir, 2 ** 30).get(p, noSnapshot, process.env, (l) => lines.push(l));
    await exited;
    assert.equal(p.calls, 1);
    assert.equal(existsSync(join(dir, key, 'half-written')), false);
    assert.match(lines[0]!, /interrupted \(its agent died\); building it again/);
  });

  it('a lock held by another live process is waited for, and its result used without building', async () => {
    const dir = tempDir('envcache');
    const key = K('d');
    const other = spawn('sleep', ['300'], { stdio: 'ignore' });
    writeFileSync(join(dir, `${key}.lock`), JSON.stringify({ pid: other.pid }));
    const p = plan(key);
    const waiting = new EnvCache(dir, 2 ** 30).get(p, noSnapshot, process.env, () => {});
    await sleep(300);
    mkdirSync(join(dir, key));
    writeFileSync(join(dir, key, 'ready.json'), JSON.stringify({ ...built(), key, builder: 'other', created_at: 'x', build_seconds: 1, size_bytes: 1 }));
    const ready = await waiting;
    other.kill();
    assert.equal(p.calls, 0);
    assert.equal(ready.builder, 'other');
  });

  it('past the size cap the least recently used go first, never one in use', async () => {
    const dir = tempDir('envcache');
    const cache = new EnvCache(dir, 150 * 1024);
    for (const c of ['e', 'f', 'g']) {
      await cache.get(plan(K(c), { bytes: 60 * 1024 }), noSnapshot, process.env, () => {});
      await sleep(30);
    }
    // e and f were built before g; the cap (150 kB) holds two of the ~64 kB folders.
    await sleep(100);
    assert.equal(cache.ready(K('e')), null, 'least recently used: removed');
    assert.ok(cache.ready(K('f')) && cache.ready(K('g')));
    cache.acquire(K('f'));
    await sleep(30);
    cache.ready(K('g')); // g used after f
    await cache.get(plan(K('h'), { bytes: 60 * 1024 }), noSnapshot, process.env, () => {});
    await sleep(100);
    assert.ok(cache.ready(K('f')), 'in use: kept although least recently used');
    assert.equal(existsSync(join(dir, K('g'), 'ready.json')), false);
    assert.ok(JSON.parse(readFileSync(join(dir, K('h'), 'ready.json'), 'utf8')).size_bytes >= 60 * 1024);
  });
});

describe('conda files on a node without conda', () => {
  it('splits python, conda-only packages and the pip section', () => {
    assert.deepEqual(splitCondaFile({ dependencies: ['python=3.11.4=h1234_0', 'pip>=23', 'numpy=1.24', 'conda-forge::scipy', { pip: ['torch==2.1', '-e ./pkg'] }] }), {
      python: '3.11.4',
      condaOnly: ['numpy=1.24', 'conda-forge::scipy'],
      pip: ['torch==2.1', '-e ./pkg'],
    });
    assert.equal(splitCondaFile({ dependencies: ['python >=3.9,<3.12'] }).python, '>=3.9,<3.12');
  });

  it('matches Python versions as conda reads them', () => {
    for (const [spec, ok] of [['3.11', true], ['=3.11', true], ['3.11.*', true], ['==3.11.2', true], ['==3.11', false], ['>=3.9,<3.12', true], ['<3.11', false], ['3.10|3.11', true], ['3.8', false], ['!=3.11', false]] as const) {
      assert.equal(pythonMatches('3.11.2', spec), ok, spec);
    }
  });
});
