// The sweep's search space schemas and its samplers, on their own (pure code): each distribution
// drawn right, the grid exactly the product, random and Sobol reproducible from the seed, TPE
// better than random on Branin, and the schema's refusals worded as Azure words them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkSamplingCombination, Distribution, normalizeSampling, SamplingAlgorithm, SearchSpace, type SweepParams } from '../src/protocol/sweep-space.ts';
import { makeSampler, type Observation, type Sampler } from '../src/domain/sweep/samplers.ts';
import { sobolCoordinate, sobolShift, SOBOL_MAX_DIMENSIONS } from '../src/domain/sweep/sobol.ts';
import { normCdf, normInv } from '../src/domain/sweep/stats.ts';

const RANDOM = { type: 'random', rule: 'random' } as const;
const SOBOL = { type: 'random', rule: 'sobol' } as const;
const space = (s: Record<string, unknown>) => SearchSpace.parse(s);
const draw = (sampler: Sampler, n: number, name = 'p') => Array.from({ length: n }, (_, i) => sampler.sample(i, [], 'minimize')[name]);
const nums = (xs: unknown[]) => xs.map((x) => x as number);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const isMultiple = (v: number, q: number) => Math.abs(v / q - Math.round(v / q)) < 1e-9;
const issues = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, v: unknown) => {
  const r = schema.safeParse(v);
  assert.equal(r.success, false, `expected ${JSON.stringify(v)} to be refused`);
  return r.error!.issues.map((i) => i.message).join('; ');
};

describe('search space schema', () => {
  it('reads every Azure distribution', () => {
    for (const d of [
      { type: 'choice', values: [1, 'a', true] },
      { type: 'randint', upper: 10 },
      { type: 'uniform', min_value: -1, max_value: 1 },
      { type: 'quniform', min_value: 0, max_value: 10, q: 2 },
      { type: 'loguniform', min_value: -5, max_value: 0 },
      { type: 'qloguniform', min_value: 0, max_value: 5, q: 1 },
      { type: 'normal', mu: 0, sigma: 1 },
      { type: 'qnormal', mu: 0, sigma: 1, q: 0.5 },
      { type: 'lognormal', mu: 0, sigma: 1 },
      { type: 'qlognormal', mu: 0, sigma: 1, q: 1 },
    ])
      assert.deepEqual(Distribution.parse(d), d);
  });

  it('refuses what Azure refuses, saying why', () => {
    assert.match(issues(Distribution, { type: 'uniform', min_value: 5, max_value: 1 }), /min_value \(5\) must be below max_value \(1\)/);
    assert.match(issues(Distribution, { type: 'quniform', min_value: 1, max_value: 1, q: 1 }), /min_value \(1\) must be below max_value \(1\)/);
    assert.match(issues(Distribution, { type: 'choice', values: [] }), /choice needs at least one value/);
    assert.match(issues(Distribution, { type: 'choice', values: [1, 1] }), /choice lists 1 twice/);
    assert.match(issues(Distribution, { type: 'choice', values: [{ a: 1 }] }), /strings, numbers or booleans/);
    assert.match(issues(Distribution, { type: 'choice', values: Array.from({ length: 1001 }, (_, i) => i) }), /at most 1000/);
    assert.equal(
      issues(Distribution, { type: 'gauss', mu: 0, sigma: 1 }),
      "unknown distribution 'gauss'; expected choice, randint, uniform, quniform, loguniform, qloguniform, normal, qnormal, lognormal, qlognormal",
    );
    assert.match(issues(Distribution, { values: [1] }), /needs a type: one of choice, randint/);
    assert.match(issues(Distribution, 'uniform(0, 1)'), /expected a distribution like/);
    assert.match(issues(Distribution, { type: 'uniform', min_value: 0, max_value: 1, step: 2 }), /Unrecognized key: "step"/);
    assert.match(issues(Distribution, { type: 'uniform', min_value: 0, max_value: Infinity }), /max_value must be a finite number/);
    assert.match(issues(Distribution, { type: 'uniform', min_value: 0 }), /max_value is required/);
    assert.match(issues(Distribution, { type: 'randint', upper: 0 }), /upper must be at least 1/);
    assert.match(issues(Distribution, { type: 'randint', upper: 2.5 }), /upper must be a whole number/);
    assert.match(issues(Distribution, { type: 'quniform', min_value: 0, max_value: 1, q: 0 }), /q must be above 0/);
    assert.match(issues(Distribution, { type: 'normal', mu: 0, sigma: -1 }), /sigma must be above 0/);
    assert.match(issues(Distribution, { type: 'loguniform', min_value: 0, max_value: 1000 }), /exponents/);
    assert.match(issues(Distribution, { type: 'lognormal', mu: 0, sigma: 100 }), /exponents/);
  });

  it('names parameters like Azure and holds 1 to 100 of them', () => {
    const u = { type: 'uniform', min_value: 0, max_value: 1 };
    assert.ok(SearchSpace.safeParse({ learning_rate: u, _x9: u }).success);
    assert.match(issues(SearchSpace, { '9lives': u }), /parameter name must be a letter or _/);
    assert.match(issues(SearchSpace, { 'a-b': u }), /parameter name/);
    assert.match(issues(SearchSpace, {}), /at least one parameter/);
    assert.match(issues(SearchSpace, Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, u]))), /at most 100 parameters/);
    assert.match(issues(SearchSpace, { lr: { type: 'gauss' } }), /unknown distribution 'gauss'/);
  });

  it('reads sampling algorithms bare or as objects, and normalizes them', () => {
    assert.deepEqual(normalizeSampling(SamplingAlgorithm.parse('random')), { type: 'random', rule: 'random' });
    assert.deepEqual(normalizeSampling(SamplingAlgorithm.parse('grid')), { type: 'grid' });
    assert.deepEqual(normalizeSampling(SamplingAlgorithm.parse('bayesian')), { type: 'bayesian' });
    assert.deepEqual(normalizeSampling(SamplingAlgorithm.parse({ type: 'random', seed: 7, rule: 'sobol', logbase: 'e' })), { type: 'random', rule: 'sobol', seed: 7, logbase: 'e' });
    assert.deepEqual(normalizeSampling(SamplingAlgorithm.parse({ type: 'bayesian', seed: 3 })), { type: 'bayesian', seed: 3 });
    assert.match(issues(SamplingAlgorithm, 'hyperband'), /must be random, grid or bayesian/);
    assert.match(issues(SamplingAlgorithm, { type: 'random', seed: -1 }), /seed must be 0 or more/);
    assert.match(issues(SamplingAlgorithm, { type: 'random', rule: 'halton' }), /rule must be random or sobol/);
    assert.match(issues(SamplingAlgorithm, { type: 'random', logbase: 1 }), /logbase/);
    assert.match(issues(SamplingAlgorithm, { type: 'grid', seed: 1 }), /Unrecognized key: "seed"/);
  });

  it('checks the space against the algorithm as Azure does', () => {
    const s = space({ lr: { type: 'loguniform', min_value: -6, max_value: -1 }, bs: { type: 'choice', values: [16, 32] }, wd: { type: 'uniform', min_value: 0, max_value: 1 } });
    assert.equal(checkSamplingCombination(s, 'random', true), null);
    assert.equal(checkSamplingCombination(s, { type: 'random', rule: 'sobol' }, false), null);
    assert.match(checkSamplingCombination(s, 'grid', false)!, /^Grid sampling supports only choice distributions: parameter 'lr' is loguniform/);
    assert.match(checkSamplingCombination(s, { type: 'bayesian' }, false)!, /^Bayesian sampling supports only choice, uniform and quniform distributions: parameter 'lr' is loguniform/);
    const ok = space({ bs: { type: 'choice', values: [16, 32] }, wd: { type: 'uniform', min_value: 0, max_value: 1 }, n: { type: 'quniform', min_value: 1, max_value: 9, q: 1 } });
    assert.equal(checkSamplingCombination(ok, 'bayesian', false), null);
    assert.equal(checkSamplingCombination(ok, 'bayesian', true), 'bayesian sampling does not support early termination policies; remove early_termination');
    assert.equal(checkSamplingCombination(space({ bs: { type: 'choice', values: [1] } }), 'grid', true), null);
  });
});

describe('random sampling of each distribution', () => {
  const N = 5000;
  const sample = (d: unknown, n = N, algorithm: Parameters<typeof makeSampler>[1] = RANDOM) => draw(makeSampler(space({ p: d }), algorithm, 42), n);

  it('choice and randint: only their values, all of them, evenly', () => {
    const c = sample({ type: 'choice', values: ['a', 2, false] });
    for (const v of ['a', 2, false]) assert.ok(Math.abs(c.filter((x) => x === v).length / N - 1 / 3) < 0.05, `choice ${v}`);
    assert.equal(c.filter((x) => !['a', 2, false].includes(x as never)).length, 0);
    const r = nums(sample({ type: 'randint', upper: 5 }));
    assert.ok(r.every((x) => Number.isInteger(x) && x >= 0 && x < 5));
    for (let k = 0; k < 5; k++) assert.ok(Math.abs(r.filter((x) => x === k).length / N - 0.2) < 0.04, `randint ${k}`);
    assert.deepEqual(new Set(sample({ type: 'randint', upper: 1 }, 50)), new Set([0]));
  });

  it('uniform and quniform: within the bounds, q steps rounded as round(x / q) * q', () => {
    const u = nums(sample({ type: 'uniform', min_value: -2, max_value: 3 }));
    assert.ok(u.every((x) => x >= -2 && x <= 3));
    assert.ok(Math.abs(mean(u) - 0.5) < 0.1 && Math.abs(std(u) - 5 / Math.sqrt(12)) < 0.1);
    assert.ok(u.some((x) => !Number.isInteger(x * 1e6)), 'floats keep their full precision');
    const q = nums(sample({ type: 'quniform', min_value: 0, max_value: 1, q: 0.1 }));
    assert.ok(q.every((x) => x >= 0 && x <= 1 && isMultiple(x, 0.1) && x === Number(x.toFixed(1))), 'multiples of 0.1 written as such (0.3, not 0.30000000000000004)');
    assert.equal(new Set(q).size, 11);
    const qi = nums(sample({ type: 'quniform', min_value: 1, max_value: 64, q: 4 }));
    assert.ok(qi.every((x) => Number.isInteger(x) && x % 4 === 0 && x >= 0 && x <= 64), 'an integer q gives integers');
  });

  it('loguniform and qloguniform take exponents: exp(uniform(min_value, max_value)), or logbase ** it', () => {
    const l = nums(sample({ type: 'loguniform', min_value: -6, max_value: -1 }));
    assert.ok(l.every((x) => x >= Math.exp(-6) && x <= Math.exp(-1)));
    assert.ok(Math.abs(mean(l.map(Math.log)) + 3.5) < 0.1, 'uniform in log space');
    const b10 = nums(sample({ type: 'loguniform', min_value: -5, max_value: -1 }, N, { type: 'random', rule: 'random', logbase: 10 }));
    assert.ok(b10.every((x) => x >= 1e-5 && x <= 1e-1) && Math.abs(mean(b10.map(Math.log10)) + 3) < 0.1, 'logbase 10');
    const ql = nums(sample({ type: 'qloguniform', min_value: 0, max_value: 5, q: 2 }));
    assert.ok(ql.every((x) => Number.isInteger(x) && x % 2 === 0 && x >= 0 && x <= Math.exp(5) + 1));
  });

  it('normal and its kin: mean and spread right over many draws', () => {
    const n = nums(sample({ type: 'normal', mu: 10, sigma: 3 }));
    assert.ok(Math.abs(mean(n) - 10) < 0.1 * 3, `mean ${mean(n)}`);
    assert.ok(Math.abs(std(n) - 3) < 0.1 * 3, `std ${std(n)}`);
    assert.ok(Math.abs(n.filter((x) => x < 10 - 3).length / N - normCdf(-1)) < 0.03, 'a normal tail, not a uniform one');
    const qn = nums(sample({ type: 'qnormal', mu: 0, sigma: 5, q: 1 }));
    assert.ok(qn.every(Number.isInteger) && Math.abs(mean(qn)) < 0.5);
    const ln = nums(sample({ type: 'lognormal', mu: 1, sigma: 0.5 }));
    assert.ok(ln.every((x) => x > 0));
    assert.ok(Math.abs(mean(ln.map(Math.log)) - 1) < 0.05 && Math.abs(std(ln.map(Math.log)) - 0.5) < 0.05);
    const qln = nums(sample({ type: 'qlognormal', mu: 2, sigma: 1, q: 5 }));
    assert.ok(qln.every((x) => Number.isInteger(x) && x % 5 === 0 && x >= 0));
  });

  it('the normal quantile inverts the CDF', () => {
    for (const x of [-6, -3, -1.5, -0.2, 0, 0.7, 2, 4.5]) assert.ok(Math.abs(normInv(normCdf(x)) - x) < 1e-5, `${x}`);
    assert.ok(Math.abs(normInv(0.975) - 1.959964) < 1e-6);
  });
});

describe('grid sampling', () => {
  const s = space({ a: { type: 'choice', values: [1, 2, 3] }, b: { type: 'choice', values: ['x', 'y'] }, c: { type: 'choice', values: [true, false] } });

  it('enumerates the product exactly, in nested-loop order, and stops at its end', () => {
    const grid = makeSampler(s, normalizeSampling('grid'), 0);
    assert.equal(grid.capacity, 12);
    const all = Array.from({ length: 12 }, (_, i) => grid.sample(i, [], 'maximize'));
    assert.equal(new Set(all.map((p) => JSON.stringify(p))).size, 12, 'no duplicates');
    const expected: SweepParams[] = [];
    for (const a of [1, 2, 3]) for (const b of ['x', 'y']) for (const c of [true, false]) expected.push({ a, b, c });
    assert.deepEqual(all, expected);
    assert.deepEqual(Object.keys(all[5]!), ['a', 'b', 'c']);
    assert.throws(() => grid.sample(12, [], 'maximize'), /the grid has 12 points; trial 12 is past its end/);
    assert.throws(() => grid.sample(-1, [], 'maximize'), /trial index/);
    assert.deepEqual(makeSampler(s, { type: 'grid' }, 99).sample(7, [], 'minimize'), all[7], 'the seed does not matter');
  });

  it('refuses a space with a distribution other than choice', () => {
    assert.throws(() => makeSampler(space({ u: { type: 'uniform', min_value: 0, max_value: 1 } }), { type: 'grid' }, 0), /parameter 'u' is uniform/);
  });
});

describe('random and Sobol reproducibility', () => {
  const s = space({
    lr: { type: 'loguniform', min_value: -6, max_value: -1 },
    bs: { type: 'choice', values: [8, 16, 32, 64] },
    m: { type: 'normal', mu: 0, sigma: 1 },
    n: { type: 'randint', upper: 100 },
  });

  for (const algorithm of [RANDOM, SOBOL]) {
    it(`${algorithm.rule}: same seed, same trials; another seed, other trials; trial i depends on nothing drawn before`, () => {
      const run = (seed: number, order: number[]) => {
        const sampler = makeSampler(s, algorithm, seed);
        const out: SweepParams[] = [];
        for (const i of order) out[i] = sampler.sample(i, [], 'minimize');
        return out;
      };
      const forward = Array.from({ length: 64 }, (_, i) => i);
      const a = run(7, forward);
      assert.deepEqual(run(7, forward), a);
      assert.deepEqual(run(7, [...forward].reverse()), a, 'drawn backwards');
      assert.deepEqual(makeSampler(s, algorithm, 7).sample(40, [], 'minimize'), a[40], 'trial 40 alone, as after a restart');
      const b = run(8, forward);
      assert.ok(a.filter((p, i) => p.lr !== b[i]!.lr).length >= 60, 'another seed');
      assert.equal(new Set(a.map((p) => p.lr)).size, 64);
    });
  }

  it('Sobol: the first 2^k points put one point in each 1/2^k of each axis, over 40 dimensions', () => {
    const dims = 40;
    const wide = space(Object.fromEntries(Array.from({ length: dims }, (_, j) => [`x${j}`, { type: 'uniform', min_value: 0, max_value: 1 }])));
    for (const seed of [0, 1, 123456789]) {
      const sampler = makeSampler(wide, SOBOL, seed);
      const points = Array.from({ length: 1024 }, (_, i) => sampler.sample(i, [], 'minimize'));
      for (const k of [1, 2, 5, 10])
        for (let j = 0; j < dims; j++) {
          const bins = new Set(points.slice(0, 2 ** k).map((p) => Math.floor((p[`x${j}`] as number) * 2 ** k)));
          assert.equal(bins.size, 2 ** k, `seed ${seed}, dimension ${j}, 2^${k} points`);
        }
    }
    assert.ok(SOBOL_MAX_DIMENSIONS >= 100);
  });

  it("Sobol: the first two dimensions form a (0, k, 2)-net (each elementary box of area 2^-k holds one point)", () => {
    const k = 8;
    for (const seed of [3, 4]) {
      const pts = Array.from({ length: 2 ** k }, (_, i) => [sobolCoordinate(i, 0, seed), sobolCoordinate(i, 1, seed)] as const);
      for (let a = 0; a <= k; a++) assert.equal(new Set(pts.map(([x, y]) => `${Math.floor(x * 2 ** a)},${Math.floor(y * 2 ** (k - a))}`)).size, 2 ** k, `boxes 2^-${a} × 2^-${k - a}`);
    }
  });

  it('Sobol without its shift is the standard sequence (Joe–Kuo direction numbers)', () => {
    const raw = (i: number, j: number) => ((Math.round(sobolCoordinate(i, j, 5) * 2 ** 32 - 0.5) ^ sobolShift(5, j)) >>> 0) / 2 ** 32;
    const first8 = Array.from({ length: 8 }, (_, i) => [0, 1, 2].map((j) => raw(i, j)).join(','));
    const known = ['0,0,0', '0.5,0.5,0.5', '0.75,0.25,0.25', '0.25,0.75,0.75', '0.375,0.375,0.625', '0.875,0.875,0.125', '0.625,0.125,0.875', '0.125,0.625,0.375'];
    assert.deepEqual(new Set(first8), new Set(known));
  });

  it('Sobol spreads the choices evenly too', () => {
    const sampler = makeSampler(space({ c: { type: 'choice', values: ['a', 'b', 'c', 'd'] } }), SOBOL, 11);
    const c = draw(sampler, 16, 'c');
    for (const v of ['a', 'b', 'c', 'd']) assert.equal(c.filter((x) => x === v).length, 4);
  });
});

function branin(p: SweepParams): number {
  const x1 = p.x1 as number;
  const x2 = p.x2 as number;
  return (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}
const BRANIN = space({ x1: { type: 'uniform', min_value: -5, max_value: 10 }, x2: { type: 'uniform', min_value: 0, max_value: 15 } });

describe('bayesian sampling (TPE)', () => {
  const run = (type: 'random' | 'bayesian', seed: number, trials: number, f = branin, goal: 'minimize' | 'maximize' = 'minimize') => {
    const sampler = makeSampler(BRANIN, type === 'random' ? RANDOM : { type: 'bayesian' }, seed);
    const obs: Observation[] = [];
    for (let i = 0; i < trials; i++) {
      const params = sampler.sample(i, obs, goal);
      obs.push({ params, value: f(params) });
    }
    return obs;
  };
  const best = (obs: Observation[]) => Math.min(...obs.map((o) => branin(o.params)));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it('finds better Branin minima than random with 60 trials (median over 10 seeds)', () => {
    const seeds = Array.from({ length: 10 }, (_, i) => 100 + i);
    const random = median(seeds.map((s) => best(run('random', s, 60))));
    const tpe = median(seeds.map((s) => best(run('bayesian', s, 60))));
    assert.ok(tpe < random, `TPE ${tpe} vs random ${random}`);
    assert.ok(tpe < 0.397887 + 0.5 * (random - 0.397887), `TPE ${tpe} closes at least half of random's gap to the optimum (random ${random})`);
  });

  it('is pure, reads goal, and ignores failed trials and foreign values', () => {
    const obs = run('bayesian', 5, 30);
    const sampler = makeSampler(BRANIN, { type: 'bayesian' }, 5);
    const next = sampler.sample(30, obs, 'minimize');
    assert.deepEqual(makeSampler(BRANIN, { type: 'bayesian' }, 5).sample(30, obs, 'minimize'), next);
    assert.notDeepEqual(sampler.sample(31, obs, 'minimize'), next, 'another index, another draw (trials made together differ)');
    const flipped = obs.map((o) => ({ ...o, value: -o.value! }));
    assert.deepEqual(sampler.sample(30, flipped, 'maximize'), next, 'maximizing -f is minimizing f');
    const noisy: Observation[] = [...obs, { params: { x1: 1, x2: 2 }, value: null }, { params: { x1: 1, x2: 2 }, value: NaN }, { params: { x1: 'a', x2: 2 }, value: 0 }, { params: {}, value: -100 }];
    assert.deepEqual(sampler.sample(30, noisy, 'minimize'), next);
    const p = sampler.sample(30, obs, 'minimize');
    assert.ok((p.x1 as number) >= -5 && (p.x1 as number) <= 10 && (p.x2 as number) >= 0 && (p.x2 as number) <= 15);
    assert.deepEqual(sampler.sample(3, [], 'minimize'), makeSampler(BRANIN, RANDOM, 5).sample(3, [], 'minimize'), 'random until it has results');
  });

  it('learns choices and keeps q-steps and integers', () => {
    const s = space({
      opt: { type: 'choice', values: ['sgd', 'adam', 'rmsprop', 'lbfgs'] },
      layers: { type: 'quniform', min_value: 1, max_value: 8, q: 1 },
      dropout: { type: 'quniform', min_value: 0, max_value: 0.5, q: 0.05 },
    });
    // The best: adam, 6 layers, dropout 0.2.
    const f = (p: SweepParams) => (p.opt === 'adam' ? 0 : 1) + Math.abs((p.layers as number) - 6) * 0.2 + Math.abs((p.dropout as number) - 0.2);
    let adamTpe = 0;
    for (const seed of [1, 2, 3]) {
      const sampler = makeSampler(s, { type: 'bayesian' }, seed);
      const obs: Observation[] = [];
      for (let i = 0; i < 40; i++) {
        const params = sampler.sample(i, obs, 'minimize');
        assert.ok(Number.isInteger(params.layers) && (params.layers as number) >= 1 && (params.layers as number) <= 8);
        assert.ok(isMultiple(params.dropout as number, 0.05) && params.dropout === Number((params.dropout as number).toFixed(2)));
        if (i >= 20 && params.opt === 'adam') adamTpe++;
        obs.push({ params, value: f(params) });
      }
    }
    assert.ok(adamTpe > 0.5 * 60, `TPE chose adam in ${adamTpe} of its last 60 trials (random: about 15)`);
  });
});
