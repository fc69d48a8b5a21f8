import { z } from 'zod';

/**
 * A sweep's search space and sampling algorithm, in Azure ML v2's YAML shapes. Shared by the
 * server, the CLI and the studio (a browser): nothing here may import node: modules.
 */

export const DISTRIBUTION_TYPES = ['choice', 'randint', 'uniform', 'quniform', 'loguniform', 'qloguniform', 'normal', 'qnormal', 'lognormal', 'qlognormal'] as const;
export type DistributionType = (typeof DISTRIBUTION_TYPES)[number];

/** The most values one choice may list. */
export const MAX_CHOICE_VALUES = 1000;
/** The most parameters one search space may have. */
export const MAX_SEARCH_SPACE_PARAMS = 100;
/** exp(709.78) is the largest double: log-based values must stay below it. */
const MAX_EXPONENT = 700;

export const SweepParamValue = z.union([z.string().max(4096).refine((v) => !v.includes('\0'), 'must not contain a NUL character'), z.number(), z.boolean()], { error: 'choice values must be strings, numbers or booleans' });
export type SweepParamValue = z.infer<typeof SweepParamValue>;
export type SweepParams = Record<string, SweepParamValue>;

const num = (field: string) =>
  z.number({ error: (iss) => (iss.input === undefined ? `${field} is required` : `${field} must be a finite number`) });
const positiveNum = (field: string) => num(field).positive({ error: (iss) => `${field} must be above 0 (got ${String(iss.input)})` });

const Choice = z.strictObject({
  type: z.literal('choice'),
  values: z
    .array(SweepParamValue, { error: 'choice values must be a list' })
    .min(1, 'choice needs at least one value')
    .max(MAX_CHOICE_VALUES, `choice may have at most ${MAX_CHOICE_VALUES} values`)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      for (const v of values) {
        const key = `${typeof v}:${String(v)}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `choice lists ${JSON.stringify(v)} twice`, input: values });
        seen.add(key);
      }
    }),
});

const RandInt = z.strictObject({
  type: z.literal('randint'),
  upper: num('upper')
    .int({ error: 'upper must be a whole number' })
    .min(1, { error: 'upper must be at least 1 (randint draws from 0 to upper - 1)' })
    .max(Number.MAX_SAFE_INTEGER, { error: 'upper is too large' }),
});

const range = { min_value: num('min_value'), max_value: num('max_value') };
const Uniform = z.strictObject({ type: z.literal('uniform'), ...range });
const QUniform = z.strictObject({ type: z.literal('quniform'), ...range, q: positiveNum('q') });
const LogUniform = z.strictObject({ type: z.literal('loguniform'), ...range });
const QLogUniform = z.strictObject({ type: z.literal('qloguniform'), ...range, q: positiveNum('q') });
const gauss = { mu: num('mu'), sigma: positiveNum('sigma') };
const Normal = z.strictObject({ type: z.literal('normal'), ...gauss });
const QNormal = z.strictObject({ type: z.literal('qnormal'), ...gauss, q: positiveNum('q') });
const LogNormal = z.strictObject({ type: z.literal('lognormal'), ...gauss });
const QLogNormal = z.strictObject({ type: z.literal('qlognormal'), ...gauss, q: positiveNum('q') });

const unknownType = (input: unknown): string => {
  const allowed = DISTRIBUTION_TYPES.join(', ');
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  if (type === undefined) return `a distribution needs a type: one of ${allowed}`;
  return `unknown distribution ${typeof type === 'string' ? `'${type}'` : JSON.stringify(type)}; expected ${allowed}`;
};

/** One parameter's distribution (Azure ML v2's `search_space` entries). */
export const Distribution = z
  .discriminatedUnion('type', [Choice, RandInt, Uniform, QUniform, LogUniform, QLogUniform, Normal, QNormal, LogNormal, QLogNormal], {
    error: (iss) => {
      if (iss.code === 'invalid_union') return unknownType(iss.input);
      if (iss.code === 'invalid_type') return `expected a distribution like {type: uniform, min_value: 0, max_value: 1}; one of ${DISTRIBUTION_TYPES.join(', ')}`;
      return undefined;
    },
  })
  .superRefine((d, ctx) => {
    if ('min_value' in d) {
      if (!(d.min_value < d.max_value)) ctx.addIssue({ code: 'custom', message: `min_value (${d.min_value}) must be below max_value (${d.max_value})`, input: d });
      else if ((d.type === 'loguniform' || d.type === 'qloguniform') && (d.max_value > MAX_EXPONENT || d.min_value < -MAX_EXPONENT))
        ctx.addIssue({ code: 'custom', message: `${d.type} takes exponents: value = exp(uniform(min_value, max_value)); min_value and max_value must be within ±${MAX_EXPONENT}`, input: d });
    }
    if ((d.type === 'lognormal' || d.type === 'qlognormal') && Math.abs(d.mu) + 10 * d.sigma > MAX_EXPONENT)
      ctx.addIssue({ code: 'custom', message: `${d.type} takes exponents: value = exp(normal(mu, sigma)); |mu| + 10 sigma must stay within ${MAX_EXPONENT}`, input: d });
    if ((d.type === 'normal' || d.type === 'qnormal') && Math.abs(d.mu) + 10 * d.sigma > Number.MAX_VALUE / 2)
      ctx.addIssue({ code: 'custom', message: `${d.type}: mu and sigma are too large`, input: d });
  });
export type Distribution = z.infer<typeof Distribution>;
/** The same, under a name that cannot be confused with job-spec's distributed-training `Distribution`. */
export const SweepDistribution = Distribution;
export type SweepDistribution = Distribution;

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Parameter name → distribution; each name becomes `${{search_space.<name>}}` in the trial. */
export const SearchSpace = z
  .record(z.string().regex(PARAM_NAME, 'a search space parameter name must be a letter or _ then letters, digits or _ (at most 128)'), Distribution, {
    error: (iss) => {
      if (iss.code === 'invalid_type') return 'search_space must map parameter names to distributions';
      if (iss.code === 'invalid_key') return `${iss.issues[0]?.message ?? 'invalid parameter name'}${typeof iss.input === 'string' ? ` (got '${iss.input}')` : ''}`;
      return undefined;
    },
  })
  .refine((s) => Object.keys(s).length >= 1, 'search_space needs at least one parameter')
  .refine((s) => Object.keys(s).length <= MAX_SEARCH_SPACE_PARAMS, `search_space may have at most ${MAX_SEARCH_SPACE_PARAMS} parameters`);
export type SearchSpace = z.infer<typeof SearchSpace>;

const seed = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(0, `${what} must be 0 or more`);

const LOGBASE_ERROR = "sampling_algorithm.logbase must be a number above 0 other than 1, or 'e'";
const RandomSampling = z.strictObject({
  type: z.literal('random'),
  seed: seed('sampling_algorithm.seed').optional(),
  rule: z.enum(['random', 'sobol'], { error: 'sampling_algorithm.rule must be random or sobol' }).optional(),
  /** The base of the log-based distributions (loguniform, lognormal and their q forms): a number above 0 (not 1), or e. */
  logbase: z
    .union([z.literal('e'), z.number().positive().refine((b) => b !== 1, LOGBASE_ERROR)], { error: LOGBASE_ERROR })
    .optional(),
});
const GridSampling = z.strictObject({ type: z.literal('grid') });
/** `seed` is Cairn's addition: the same seed and the same results give the same trials. */
const BayesianSampling = z.strictObject({ type: z.literal('bayesian'), seed: seed('sampling_algorithm.seed').optional() });

const SAMPLING_ERROR = 'sampling_algorithm must be random, grid or bayesian (or an object with that type)';
/** Azure ML v2's `sampling_algorithm`: a bare `random | grid | bayesian`, or an object with that type. */
export const SamplingAlgorithm = z.union(
  [
    z.enum(['random', 'grid', 'bayesian'], { error: SAMPLING_ERROR }),
    z.discriminatedUnion('type', [RandomSampling, GridSampling, BayesianSampling], {
      error: (iss) => (iss.code === 'invalid_union' || iss.code === 'invalid_type' ? SAMPLING_ERROR : undefined),
    }),
  ],
  {
    // An object: what is wrong with it as an object; anything else: what the choices are.
    error: (iss) => {
      const nested = iss.code === 'invalid_union' && typeof iss.input === 'object' && iss.input !== null ? iss.errors[1] : undefined;
      return nested?.length ? nested.map((i) => i.message).join('; ') : SAMPLING_ERROR;
    },
  },
);
export type SamplingAlgorithm = z.infer<typeof SamplingAlgorithm>;

export type NormalizedSampling =
  | { type: 'random'; seed?: number; rule: 'random' | 'sobol'; logbase?: number | 'e' }
  | { type: 'grid' }
  | { type: 'bayesian'; seed?: number };

/** The object form, with rule defaulting to random; a seed not given stays undefined (the server picks one). */
export function normalizeSampling(a: SamplingAlgorithm): NormalizedSampling {
  const o = typeof a === 'string' ? { type: a } : a;
  switch (o.type) {
    case 'random': {
      const r = o as z.infer<typeof RandomSampling>;
      return { type: 'random', rule: r.rule ?? 'random', ...(r.seed !== undefined ? { seed: r.seed } : {}), ...(r.logbase !== undefined ? { logbase: r.logbase } : {}) };
    }
    case 'grid':
      return { type: 'grid' };
    case 'bayesian': {
      const b = o as z.infer<typeof BayesianSampling>;
      return { type: 'bayesian', ...(b.seed !== undefined ? { seed: b.seed } : {}) };
    }
  }
}

/** Distributions Azure's Bayesian sampling accepts. */
export const BAYESIAN_TYPES: readonly DistributionType[] = ['choice', 'uniform', 'quniform'];

/**
 * Why Azure would refuse this space with this algorithm, or null when it is fine: grid takes only
 * choice; bayesian takes choice, uniform and quniform, and no early termination policy.
 */
export function checkSamplingCombination(space: SearchSpace, algorithm: SamplingAlgorithm | NormalizedSampling, hasEarlyTermination: boolean): string | null {
  const a = typeof algorithm === 'string' ? normalizeSampling(algorithm) : algorithm;
  if (a.type === 'grid') {
    for (const [name, d] of Object.entries(space))
      if (d.type !== 'choice') return `Grid sampling supports only choice distributions: parameter '${name}' is ${d.type}; use random or bayesian sampling, or list its values with choice`;
  }
  if (a.type === 'bayesian') {
    for (const [name, d] of Object.entries(space))
      if (!BAYESIAN_TYPES.includes(d.type)) return `Bayesian sampling supports only choice, uniform and quniform distributions: parameter '${name}' is ${d.type}; use random sampling for it`;
    if (hasEarlyTermination) return 'bayesian sampling does not support early termination policies; remove early_termination';
  }
  return null;
}
