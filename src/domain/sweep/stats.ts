/** The normal distribution's functions the samplers need (no dependencies). */

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erfc(x), fractional error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The standard normal CDF. */
export const normCdf = (x: number): number => 0.5 * erfc(-x / SQRT2);

/** log of the standard normal density. */
export const logNormPdf = (x: number): number => -0.5 * x * x - LOG_SQRT_2PI;

// Acklam's rational approximation of the normal quantile (relative error below 1.2e-9).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** The standard normal quantile (inverse CDF) of p in (0, 1). */
export function normInv(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normInv needs 0 < p < 1, got ${p}`);
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/** log(sum(exp(xs))), safe for large and -Infinity terms. */
export function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}

/** A normal(mu, sigma) truncated to [low, high]: its mass there, to normalize densities. */
export function truncatedMass(mu: number, sigma: number, low: number, high: number): number {
  const a = (low - mu) / sigma;
  const b = (high - mu) / sigma;
  // Take the difference on the side where the tails are not both near 1 (keeps precision).
  const m = a > 0 ? normCdf(-a) - normCdf(-b) : normCdf(b) - normCdf(a);
  return Math.max(m, 1e-300);
}

/** log density at x of normal(mu, sigma) truncated to [low, high] (x assumed inside). */
export function logTruncNormPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  return logNormPdf((x - mu) / sigma) - Math.log(sigma) - Math.log(truncatedMass(mu, sigma, low, high));
}

/** A draw from normal(mu, sigma) truncated to [low, high], by inverting the CDF at u in (0, 1). */
export function truncNormFromUnit(u: number, mu: number, sigma: number, low: number, high: number): number {
  const a = (low - mu) / sigma;
  const b = (high - mu) / sigma;
  let x: number;
  if (a > 0) {
    // Upper tail: work with survival functions, which keep their precision there.
    const sa = normCdf(-a);
    const sb = normCdf(-b);
    const s = sa - u * (sa - sb);
    x = s > 0 && s < 1 ? -normInv(s) : a;
  } else {
    const fa = normCdf(a);
    const fb = normCdf(b);
    const f = fa + u * (fb - fa);
    x = f > 0 && f < 1 ? normInv(f) : f <= 0 ? a : b;
  }
  return Math.min(high, Math.max(low, mu + sigma * x));
}
