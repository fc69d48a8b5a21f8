/**
 * Bayesian sampling: the Tree-structured Parzen Estimator (Bergstra et al. 2011, as Hyperopt and
 * Optuna do it). The finished trials are split by their objective into the best few ("below") and
 * the rest ("above"); each set gets a Parzen density over the space — truncated Gaussians for
 * numbers, smoothed categorical weights for choices, a wide prior component in both — and the
 * next trial is the candidate, drawn from the good density l(x), that maximizes l(x) / g(x).
 *
 * Pure: the draws come from a stream keyed by (seed, trial index), so the same seed, index and
 * observations always give the same trial. Until enough trials have results, trials are random.
 */
import type { Distribution, SearchSpace, SweepParams, SweepParamValue } from '../../protocol/sweep-space.ts';
import { quantize, randomParams } from './distributions.ts';
import { Rng } from './rng.ts';
import { logSumExp, truncatedMass, truncNormFromUnit } from './stats.ts';
import type { Goal, Observation } from './samplers.ts';

export interface TpeSettings {
  /** Trials with a result needed before TPE takes over from random sampling. */
  nStartup: number;
  /** The fraction of results that count as good, and the most that may: below = min(ceil(gamma n), maxBelow). */
  gamma: number;
  maxBelow: number;
  /** Candidates drawn from l(x) per trial. */
  candidates: number;
  /** Weight of the prior component (uniform over the range / over the choices). */
  priorWeight: number;
  /** One joint density over all parameters (true), or one per parameter (false). */
  multivariate: boolean;
  /** Results older than this many are weighted down linearly (Hyperopt's and Optuna's 25). */
  forgetAfter: number;
}

export const DEFAULT_TPE: TpeSettings = { nStartup: 8, gamma: 0.2, maxBelow: 25, candidates: 24, priorWeight: 1, multivariate: true, forgetAfter: 25 };

/** A parameter as TPE sees it: a bounded number in its natural space (log for log-uniform), a choice, or one it leaves random. */
type Dim =
  | { kind: 'num'; name: string; low: number; high: number; value: (x: number) => SweepParamValue; internal: (v: SweepParamValue) => number | null }
  | { kind: 'cat'; name: string; values: readonly SweepParamValue[] }
  | { kind: 'free'; name: string };

const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
const asNumber = (v: SweepParamValue): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function dimOf(name: string, d: Distribution): Dim {
  switch (d.type) {
    case 'choice':
      return { kind: 'cat', name, values: d.values };
    case 'uniform':
    case 'quniform': {
      const { min_value: low, max_value: high } = d;
      const q = d.type === 'quniform' ? d.q : null;
      return {
        kind: 'num', name, low, high,
        value: (x) => (q === null ? x : quantize(x, q)),
        internal: (v) => (asNumber(v) === null ? null : clamp(v as number, low, high)),
      };
    }
    case 'loguniform':
    case 'qloguniform': {
      const { min_value: low, max_value: high } = d;
      const q = d.type === 'qloguniform' ? d.q : null;
      return {
        kind: 'num', name, low, high,
        value: (x) => (q === null ? Math.exp(x) : quantize(Math.exp(x), q)),
        internal: (v) => (asNumber(v) === null ? null : clamp(Math.log(Math.max(v as number, Number.MIN_VALUE)), low, high)),
      };
    }
    case 'randint':
      return {
        kind: 'num', name, low: 0, high: d.upper,
        value: (x) => Math.min(d.upper - 1, Math.floor(x)),
        internal: (v) => (asNumber(v) === null ? null : clamp((v as number) + 0.5, 0, d.upper)),
      };
    default:
      // Unbounded (normal and its kin): Azure's Bayesian sampling refuses them; here they stay random.
      return { kind: 'free', name };
  }
}

const catIndex = (values: readonly SweepParamValue[], v: SweepParamValue): number | null => {
  const k = values.findIndex((x) => x === v);
  return k < 0 ? null : k;
};

/** Observation weights, oldest first: flat for the newest `forgetAfter`, a ramp from 1/n before them. */
function ageWeights(n: number, forgetAfter: number): number[] {
  if (n <= forgetAfter) return Array(n).fill(1);
  const ramp = n - forgetAfter;
  return Array.from({ length: n }, (_, i) => (i < ramp ? 1 / n + ((1 - 1 / n) * i) / Math.max(1, ramp - 1) : 1));
}

/** A Parzen estimator over the space: components (the observations, then the prior) with a weight each. */
interface Parzen {
  logWeights: Float64Array;
  /** Per numeric dim: the components' means, bandwidths, and log normalizers (sigma × mass inside the bounds × √2π). */
  num: { mu: Float64Array; sigma: Float64Array; logNorm: Float64Array }[];
  /** Per categorical dim: each observation's choice; its component puts log `hit` on it and log `miss` on the others; the prior is uniform. */
  cat: { at: Int32Array; hit: number; miss: number; prior: number; n: number }[];
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The estimator of a set of observations (their internal coordinates, oldest first). */
function fitParzen(dims: Dim[], xs: number[][], s: TpeSettings): Parzen {
  const n = xs.length;
  const weights = [...ageWeights(n, s.forgetAfter), s.priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  const logWeights = Float64Array.from(weights, (x) => Math.log(x / total));
  const numDims = dims.filter((d) => d.kind === 'num').length;
  const num: Parzen['num'] = [];
  const cat: Parzen['cat'] = [];
  dims.forEach((d, j) => {
    if (d.kind === 'num') {
      const range = d.high - d.low;
      const mu = Float64Array.from({ length: n + 1 }, (_, k) => (k < n ? xs[k]![j]! : 0.5 * (d.low + d.high)));
      const sigma = new Float64Array(n + 1);
      if (s.multivariate) {
        // One bandwidth for all, shrinking with the number of observations (Optuna's multivariate rule).
        sigma.fill(0.2 * Math.max(n, 1) ** (-1 / (numDims + 4)) * range);
      } else {
        // Each kernel as wide as the larger gap to its neighbours (the prior's mean and the bounds count).
        const idx = Array.from(mu.keys()).sort((a, b) => mu[a]! - mu[b]! || a - b);
        const sorted = [d.low, ...idx.map((i) => mu[i]!), d.high];
        idx.forEach((i, r) => (sigma[i] = Math.max(sorted[r + 1]! - sorted[r]!, sorted[r + 2]! - sorted[r + 1]!)));
        if (idx.length >= 2) {
          sigma[idx[0]!] = sorted[2]! - sorted[1]!;
          sigma[idx[idx.length - 1]!] = sorted[idx.length]! - sorted[idx.length - 1]!;
        }
      }
      // Hyperopt's "magic clip": no kernel narrower than the range over the number of components.
      const minSigma = range / Math.min(100, n + 2);
      for (let k = 0; k < n; k++) sigma[k] = clamp(sigma[k]!, minSigma, range);
      sigma[n] = range; // the prior: wide, centred
      const logNorm = Float64Array.from(mu, (m, k) => Math.log(sigma[k]!) + Math.log(truncatedMass(m, sigma[k]!, d.low, d.high)) + LOG_SQRT_2PI);
      num.push({ mu, sigma, logNorm });
    } else if (d.kind === 'cat') {
      // Each observation's categorical: 1 on its choice plus priorWeight / (n + 1) on every choice, normalized.
      const k = d.values.length;
      const smooth = s.priorWeight / (n + 1);
      const z = 1 + k * smooth;
      cat.push({ at: Int32Array.from(xs, (x) => x[j]!), hit: Math.log((1 + smooth) / z), miss: Math.log(smooth / z), prior: -Math.log(k), n: k });
    }
  });
  return { logWeights, num, cat };
}

type Modelled = { d: Dim; j: number; slot: number }[];

/** log of the estimator's density at x (internal coordinates of the `modelled` dims, in their order). */
function logDensity(p: Parzen, modelled: Modelled, x: readonly number[]): number {
  const terms = Float64Array.from(p.logWeights);
  const n = terms.length - 1;
  modelled.forEach(({ d, slot }, i) => {
    const xi = x[i]!;
    if (d.kind === 'num') {
      const { mu, sigma, logNorm } = p.num[slot]!;
      for (let k = 0; k <= n; k++) {
        const z = (xi - mu[k]!) / sigma[k]!;
        terms[k] = terms[k]! - 0.5 * z * z - logNorm[k]!;
      }
    } else {
      const { at, hit, miss, prior } = p.cat[slot]!;
      for (let k = 0; k < n; k++) terms[k] = terms[k]! + (at[k] === xi ? hit : miss);
      terms[n] = terms[n]! + prior;
    }
  });
  return logSumExp(terms);
}

/** A draw of one parameter from component k of the estimator. */
function drawFrom(p: Parzen, dim: Dim, slot: number, k: number, rng: Rng): number {
  if (dim.kind === 'num') {
    const { mu, sigma } = p.num[slot]!;
    return truncNormFromUnit(rng.uniform(), mu[k]!, sigma[k]!, dim.low, dim.high);
  }
  const { at, hit, miss, n } = p.cat[slot]!;
  if (k === at.length) return rng.int(n); // the prior
  // Its own choice with probability e^hit, else any choice (itself included) evenly: e^hit = e^miss + (1 - n e^miss).
  const u = rng.uniform();
  return u < 1 - n * Math.exp(miss) ? at[k]! : Math.min(n - 1, Math.floor(((u - (1 - n * Math.exp(miss))) / (n * Math.exp(miss))) * n));
}

function pickComponent(p: Parzen, rng: Rng): number {
  let u = rng.uniform();
  for (let k = 0; k < p.logWeights.length; k++) if ((u -= Math.exp(p.logWeights[k]!)) <= 0) return k;
  return p.logWeights.length - 1;
}

/** What TPE learned from a set of results: null while there are too few (trials are random then). */
export interface TpeModel {
  space: SearchSpace;
  dims: Dim[];
  modelled: Modelled;
  below: Parzen;
  above: Parzen;
}

/** The estimators of the good and the other results (the costly half: the sampler keeps it while the results stay the same). */
export function fitTpe(space: SearchSpace, observations: readonly Observation[], goal: Goal, s: TpeSettings = DEFAULT_TPE): TpeModel | null {
  const dims = Object.entries(space).map(([name, d]) => dimOf(name, d));
  // Usable results: a number (NaN is none), and every parameter TPE models known and in the space.
  const usable: { x: number[]; loss: number; age: number }[] = [];
  for (const o of observations) {
    if (o.value === null || Number.isNaN(o.value)) continue;
    const x: number[] = [];
    let ok = true;
    for (const d of dims) {
      const v = o.params[d.name];
      const xi = d.kind === 'free' ? 0 : v === undefined ? null : d.kind === 'num' ? d.internal(v) : catIndex(d.values, v);
      if (xi === null) ok = false;
      x.push(xi ?? 0);
    }
    if (ok) usable.push({ x, loss: goal === 'minimize' ? o.value : -o.value, age: usable.length });
  }
  if (usable.length < s.nStartup || dims.every((d) => d.kind === 'free')) return null;
  // The best gamma share (ties: the older first) are the good ones.
  const ranked = [...usable].sort((a, b) => a.loss - b.loss || a.age - b.age);
  const nBelow = Math.max(1, Math.min(Math.ceil(s.gamma * usable.length), s.maxBelow));
  const fit = (set: typeof ranked) => fitParzen(dims, [...set].sort((a, b) => a.age - b.age).map((o) => o.x), s);
  const slots = dims.map((d, j) => dims.slice(0, j).filter((e) => e.kind === d.kind).length);
  const modelled: Modelled = dims.map((d, j) => ({ d, j, slot: slots[j]! })).filter((e) => e.d.kind !== 'free');
  return { space, dims, modelled, below: fit(ranked.slice(0, nBelow)), above: fit(ranked.slice(nBelow)) };
}

/** Trial `index`'s values: the best of the candidates drawn from l(x) by l(x) / g(x), or random without a model. */
export function proposeTpe(model: TpeModel | null, space: SearchSpace, seed: number, index: number, s: TpeSettings = DEFAULT_TPE): SweepParams {
  const fallback = randomParams(space, seed, index);
  if (model === null) return fallback;
  const { dims, modelled, below, above } = model;
  const rng = new Rng(seed, index, 'tpe');
  const chosen: number[] = dims.map(() => 0);
  if (s.multivariate) {
    // Joint candidates: a component of l, then every parameter from that component.
    let best = -Infinity;
    for (let c = 0; c < s.candidates; c++) {
      const k = pickComponent(below, rng);
      const x = modelled.map(({ d, slot }) => drawFrom(below, d, slot, k, rng));
      const ei = logDensity(below, modelled, x) - logDensity(above, modelled, x);
      if (ei > best) {
        best = ei;
        modelled.forEach(({ j }, i) => (chosen[j] = x[i]!));
      }
    }
  } else {
    // One parameter at a time, each with its own candidates and densities.
    for (const m of modelled) {
      let best = -Infinity;
      for (let c = 0; c < s.candidates; c++) {
        const x = [drawFrom(below, m.d, m.slot, pickComponent(below, rng), rng)];
        const ei = logDensity(below, [m], x) - logDensity(above, [m], x);
        if (ei > best) {
          best = ei;
          chosen[m.j] = x[0]!;
        }
      }
    }
  }
  const params: SweepParams = {};
  dims.forEach((d, j) => (params[d.name] = d.kind === 'num' ? d.value(chosen[j]!) : d.kind === 'cat' ? d.values[chosen[j]!]! : fallback[d.name]!));
  return params;
}

/** Trial `index`'s values with TPE: fitTpe then proposeTpe. */
export function sampleTpe(space: SearchSpace, seed: number, index: number, observations: readonly Observation[], goal: Goal, s: TpeSettings = DEFAULT_TPE): SweepParams {
  return proposeTpe(fitTpe(space, observations, goal, s), space, seed, index, s);
}
