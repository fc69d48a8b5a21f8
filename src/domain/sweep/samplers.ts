/**
 * The samplers of a sweep: which values trial i gets. Pure functions of (seed, index, results so
 * far): a server that restarts in the middle of a sweep proposes exactly the trials it would have.
 *
 * - random: trial i's values from a generator keyed by (seed, i) alone;
 * - random with rule sobol: the i-th point of a seeded, digitally shifted Sobol sequence;
 * - grid: the cartesian product of the choices, in nested-loop order (last parameter fastest);
 * - bayesian: TPE (tpe.ts), random until DEFAULT_TPE.nStartup trials have results.
 */
import type { NormalizedSampling, SearchSpace, SweepParams } from '../../protocol/sweep-space.ts';
import { fromUnit, randomParams, type LogBase } from './distributions.ts';
import { sobolCoordinate, SOBOL_MAX_DIMENSIONS } from './sobol.ts';
import { DEFAULT_TPE, fitTpe, proposeTpe, type TpeModel, type TpeSettings } from './tpe.ts';

export { randomParams } from './distributions.ts';

export interface Observation {
  params: SweepParams;
  /** The primary metric as the trial logged it (the sampler orients it by `goal`); null when the trial failed or never logged it. */
  value: number | null;
}
export type Goal = 'maximize' | 'minimize';

export interface Sampler {
  /** How many distinct trials it can propose: the grid's size; Infinity otherwise. */
  readonly capacity: number;
  /**
   * The params of trial `index` (0-based). Pure: the same (seed, index, observations) always
   * gives the same answer. `observations` are the finished trials, oldest first (only bayesian
   * reads them; it may get fewer than `index` while trials still run).
   */
  sample(index: number, observations: readonly Observation[], goal: Goal): SweepParams;
}

const checkIndex = (index: number) => {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`trial index must be a whole number from 0, got ${index}`);
};

function randomSampler(space: SearchSpace, seed: number, logbase: LogBase): Sampler {
  return {
    capacity: Infinity,
    sample(index) {
      checkIndex(index);
      return randomParams(space, seed, index, logbase);
    },
  };
}

function sobolSampler(space: SearchSpace, seed: number, logbase: LogBase): Sampler {
  const entries = Object.entries(space);
  if (entries.length > SOBOL_MAX_DIMENSIONS) throw new RangeError(`sobol sampling takes at most ${SOBOL_MAX_DIMENSIONS} parameters`);
  return {
    capacity: Infinity,
    sample(index) {
      checkIndex(index);
      const params: SweepParams = {};
      entries.forEach(([name, d], j) => (params[name] = fromUnit(d, sobolCoordinate(index, j, seed), logbase)));
      return params;
    },
  };
}

function gridSampler(space: SearchSpace): Sampler {
  const entries = Object.entries(space).map(([name, d]) => {
    if (d.type !== 'choice') throw new Error(`Grid sampling supports only choice distributions: parameter '${name}' is ${d.type}`);
    return [name, d.values] as const;
  });
  const capacity = entries.reduce((n, [, values]) => n * values.length, 1);
  return {
    capacity,
    sample(index) {
      checkIndex(index);
      if (index >= capacity) throw new RangeError(`the grid has ${capacity} points; trial ${index} is past its end`);
      const params: SweepParams = {};
      // Mixed radix, the last parameter the fastest digit: nested loops in the space's key order.
      let rest = index;
      for (let k = entries.length - 1; k >= 0; k--) {
        const [name, values] = entries[k]!;
        params[name] = values[rest % values.length]!;
        rest = Math.floor(rest / values.length);
      }
      return Object.fromEntries(entries.map(([name]) => [name, params[name]!]));
    },
  };
}

function bayesianSampler(space: SearchSpace, seed: number, settings: TpeSettings): Sampler {
  // The model depends only on the results and the goal: a sweep that makes several trials at once
  // with the same results fits it once. (Results are taken as unchanged while the array and its length are.)
  let last: { observations: readonly Observation[]; length: number; goal: Goal; model: TpeModel | null } | null = null;
  return {
    capacity: Infinity,
    sample(index, observations, goal) {
      checkIndex(index);
      if (!last || last.observations !== observations || last.length !== observations.length || last.goal !== goal)
        last = { observations, length: observations.length, goal, model: fitTpe(space, observations, goal, settings) };
      return proposeTpe(last.model, space, seed, index, settings);
    },
  };
}

/**
 * The sampler of a sweep. `seed` is the one the sweep was given (the algorithm's own seed when it
 * names one, else one the server picked at submit and kept): the same seed, the same trials.
 */
export function makeSampler(space: SearchSpace, algorithm: NormalizedSampling, seed: number, tpe: TpeSettings = DEFAULT_TPE): Sampler {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`a sampler's seed must be a whole number, got ${seed}`);
  switch (algorithm.type) {
    case 'grid':
      return gridSampler(space);
    case 'random':
      return algorithm.rule === 'sobol' ? sobolSampler(space, seed, algorithm.logbase ?? 'e') : randomSampler(space, seed, algorithm.logbase ?? 'e');
    case 'bayesian':
      return bayesianSampler(space, seed, tpe);
  }
}
