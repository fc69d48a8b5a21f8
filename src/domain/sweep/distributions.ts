/** From a uniform number in (0, 1) to a parameter's value, for each of Azure's distributions. */
import type { Distribution, SearchSpace, SweepParams, SweepParamValue } from '../../protocol/sweep-space.ts';
import { Rng } from './rng.ts';
import { normInv } from './stats.ts';

export type LogBase = number | 'e';

/** x kept a finite double (a value must survive JSON and a command line). */
export const finite = (x: number): number => (x > Number.MAX_VALUE ? Number.MAX_VALUE : x < -Number.MAX_VALUE ? -Number.MAX_VALUE : x);

/** Decimal places of q when it is written plainly (0.05 → 2), null when it has none or too many. */
function decimals(q: number): number | null {
  const s = String(q);
  if (s.includes('e')) return null;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1 <= 15 ? s.length - dot - 1 : null;
}

/**
 * round(x / q) * q, as Azure (and Hyperopt) quantize. An integer q gives an integer, and a decimal
 * q gives a number with q's decimals (0.1 steps give 0.3, not 0.30000000000000004).
 */
export function quantize(x: number, q: number): number {
  const k = Math.round(x / q);
  let v = finite(k * q);
  const places = decimals(q);
  if (places !== null && places > 0 && Math.abs(v) < 1e15) v = Number(v.toFixed(places));
  return v === 0 ? 0 : v; // no -0
}

const power = (x: number, base: LogBase): number => finite(base === 'e' ? Math.exp(x) : base ** x);

/**
 * The value at quantile u (0 < u < 1) of a distribution. choice and randint split (0, 1) into
 * equal parts, continuous ones invert their CDF, so a uniform u gives the distribution itself
 * and a stratified u (Sobol) gives stratified values.
 */
export function fromUnit(d: Distribution, u: number, logbase: LogBase = 'e'): SweepParamValue {
  switch (d.type) {
    case 'choice':
      return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))]!;
    case 'randint':
      return Math.min(d.upper - 1, Math.floor(u * d.upper));
    case 'uniform':
      return d.min_value + u * (d.max_value - d.min_value);
    case 'quniform':
      return quantize(d.min_value + u * (d.max_value - d.min_value), d.q);
    case 'loguniform':
      return power(d.min_value + u * (d.max_value - d.min_value), logbase);
    case 'qloguniform':
      return quantize(power(d.min_value + u * (d.max_value - d.min_value), logbase), d.q);
    case 'normal':
      return finite(d.mu + d.sigma * normInv(u));
    case 'qnormal':
      return quantize(finite(d.mu + d.sigma * normInv(u)), d.q);
    case 'lognormal':
      return power(d.mu + d.sigma * normInv(u), logbase);
    case 'qlognormal':
      return quantize(power(d.mu + d.sigma * normInv(u), logbase), d.q);
  }
}

/** Trial `index`'s values with random sampling: each depends only on (seed, index), never on the trials before. */
export function randomParams(space: SearchSpace, seed: number, index: number, logbase: LogBase = 'e'): SweepParams {
  const rng = new Rng(seed, index, 'random');
  const params: SweepParams = {};
  for (const [name, d] of Object.entries(space)) params[name] = fromUnit(d, rng.uniform(), logbase);
  return params;
}
