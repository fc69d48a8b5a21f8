// Bayesian sampling (TPE) against random sampling, on two standard test functions minimized with a
// fixed trial budget: Branin (2-d, min 0.397887) and Hartmann6 (6-d on [0,1]^6, min -3.32237).
// Each sweep is simulated one trial after another: trial i is sampled with the results of trials
// before it, as a sweep with max_concurrent_trials 1 runs. Same seeds for both algorithms.
// Prints one JSON object: per function the median, p25 and p75 of the best value found.
// BENCH_SEEDS=n and BENCH_SEED_BASE=k change the seeds (k, k+1, …); BENCH_TPE='{"gamma":0.2}' tries other TPE settings.
import type { SearchSpace } from '../src/protocol/sweep-space.ts';
import { makeSampler, type Observation } from '../src/domain/sweep/samplers.ts';
import { DEFAULT_TPE, type TpeSettings } from '../src/domain/sweep/tpe.ts';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 20);
const SEED_BASE = Number(process.env.BENCH_SEED_BASE ?? 1000);
const TPE: TpeSettings = { ...DEFAULT_TPE, ...(process.env.BENCH_TPE ? (JSON.parse(process.env.BENCH_TPE) as Partial<TpeSettings>) : {}) };

function branin(p: Record<string, unknown>): number {
  const x1 = p.x1 as number;
  const x2 = p.x2 as number;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

function hartmann6(p: Record<string, unknown>): number {
  const x = [0, 1, 2, 3, 4, 5].map((j) => p[`x${j}`] as number);
  let f = 0;
  for (let i = 0; i < 4; i++) f -= H_ALPHA[i]! * Math.exp(-x.reduce((s, xj, j) => s + H_A[i]![j]! * (xj - H_P[i]![j]!) ** 2, 0));
  return f;
}

const PROBLEMS: { name: string; fn: (p: Record<string, unknown>) => number; space: SearchSpace; budget: number; optimum: number }[] = [
  { name: 'branin', fn: branin, budget: 50, optimum: 0.397887, space: { x1: { type: 'uniform', min_value: -5, max_value: 10 }, x2: { type: 'uniform', min_value: 0, max_value: 15 } } },
  {
    name: 'hartmann6',
    fn: hartmann6,
    budget: 100,
    optimum: -3.32237,
    space: Object.fromEntries([0, 1, 2, 3, 4, 5].map((j) => [`x${j}`, { type: 'uniform', min_value: 0, max_value: 1 }])) as SearchSpace,
  },
];

/** The best value one simulated sweep finds. */
function sweep(problem: (typeof PROBLEMS)[number], type: 'random' | 'bayesian', seed: number): number {
  const sampler = makeSampler(problem.space, type === 'random' ? { type: 'random', rule: 'random' } : { type: 'bayesian' }, seed, TPE);
  const observations: Observation[] = [];
  let best = Infinity;
  for (let i = 0; i < problem.budget; i++) {
    const params = sampler.sample(i, observations, 'minimize');
    const value = problem.fn(params);
    observations.push({ params, value });
    best = Math.min(best, value);
  }
  return best;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
};
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const summary = (xs: number[]) => ({ median: r4(quantile(xs, 0.5)), p25: r4(quantile(xs, 0.25)), p75: r4(quantile(xs, 0.75)) });

const t0 = performance.now();
const result: Record<string, unknown> = { bench: 'sweep-bayesian', seeds: SEEDS, tpe: TPE };
let allBeat = true;
for (const problem of PROBLEMS) {
  const seeds = Array.from({ length: SEEDS }, (_, i) => SEED_BASE + i);
  const random = seeds.map((s) => sweep(problem, 'random', s));
  const bayesian = seeds.map((s) => sweep(problem, 'bayesian', s));
  const wins = seeds.filter((_, i) => bayesian[i]! < random[i]!).length;
  // Beats: a lower median best, by at least a tenth of random's gap to the optimum.
  const mr = quantile(random, 0.5);
  const mb = quantile(bayesian, 0.5);
  const beats = mb < mr - 0.1 * (mr - problem.optimum);
  allBeat &&= beats;
  result[problem.name] = {
    budget: problem.budget,
    optimum: problem.optimum,
    random: summary(random),
    bayesian: summary(bayesian),
    bayesian_won_seeds: wins,
    bayesian_beats_random: beats,
  };
}
result.bayesian_beats_random = allBeat;
result.wall_ms = Math.round(performance.now() - t0);
console.log(JSON.stringify(result));
