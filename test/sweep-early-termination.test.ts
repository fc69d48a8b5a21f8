// Early termination of sweep trials (bandit, median_stopping, truncation_selection), as Azure ML v2
// documents it: scripted metric curves, and exactly which trials stop, at which interval, and why.
// Pure code: no store, no server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EarlyTermination } from '../src/protocol/sweep-policy.ts';
import { bestSoFar, decideStops, evaluationPoint, formatNumber, type Goal, type StopDecision, type TrialCurve } from '../src/domain/sweep/early-termination.ts';

const policy = (p: unknown) => EarlyTermination.parse(p);
const running = (name: string, values: number[]): TrialCurve => ({ name, values, running: true });
const finished = (name: string, values: number[]): TrialCurve => ({ name, values, running: false });
const stops = (p: unknown, goal: Goal, trials: TrialCurve[]): StopDecision[] => decideStops(policy(p), goal, trials);
const stop = (name: string, interval: number, reason: string): StopDecision => ({ name, interval, reason });

function schemaError(input: unknown): string[] {
  const r = EarlyTermination.safeParse(input);
  assert.equal(r.success, false, `expected ${JSON.stringify(input)} to be refused`);
  return r.error!.issues.map((i) => i.message);
}

describe('early_termination schema', () => {
  it('reads the three Azure ML v2 policies, with their defaults', () => {
    assert.deepEqual(policy({ type: 'bandit', slack_factor: 0.1 }), { type: 'bandit', slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 0 });
    assert.deepEqual(policy({ type: 'bandit', slack_amount: 0.2, evaluation_interval: 2, delay_evaluation: 5 }), { type: 'bandit', slack_amount: 0.2, evaluation_interval: 2, delay_evaluation: 5 });
    assert.deepEqual(policy({ type: 'median_stopping' }), { type: 'median_stopping', evaluation_interval: 1, delay_evaluation: 0 });
    assert.deepEqual(policy({ type: 'truncation_selection', truncation_percentage: 20 }), {
      type: 'truncation_selection', truncation_percentage: 20, evaluation_interval: 1, delay_evaluation: 0, exclude_finished_jobs: false,
    });
    assert.equal(policy({ type: 'truncation_selection', truncation_percentage: 99, exclude_finished_jobs: true }).type, 'truncation_selection');
  });

  it('bandit needs exactly one of slack_factor and slack_amount', () => {
    assert.deepEqual(schemaError({ type: 'bandit' }), ['bandit needs slack_factor or slack_amount']);
    assert.deepEqual(schemaError({ type: 'bandit', slack_factor: 0.1, slack_amount: 0.2 }), ['give slack_factor or slack_amount, not both']);
    assert.deepEqual(schemaError({ type: 'bandit', slack_factor: 0 }), ['slack_factor must be a number greater than 0']);
    assert.deepEqual(schemaError({ type: 'bandit', slack_amount: -1 }), ['slack_amount must be a number greater than 0']);
    assert.deepEqual(schemaError({ type: 'bandit', slack_factor: '0.1' }), ['slack_factor must be a number greater than 0']);
  });

  it('truncation_percentage is a whole number from 1 to 99', () => {
    assert.deepEqual(schemaError({ type: 'truncation_selection', truncation_percentage: 0 }), ['truncation_percentage must be a whole number from 1 to 99']);
    assert.deepEqual(schemaError({ type: 'truncation_selection', truncation_percentage: 100 }), ['truncation_percentage must be a whole number from 1 to 99']);
    assert.deepEqual(schemaError({ type: 'truncation_selection', truncation_percentage: 12.5 }), ['truncation_percentage must be a whole number from 1 to 99']);
    assert.deepEqual(schemaError({ type: 'truncation_selection' }), ['truncation_selection needs truncation_percentage (a whole number from 1 to 99)']);
    assert.deepEqual(schemaError({ type: 'truncation_selection', truncation_percentage: 10, exclude_finished_jobs: 'yes' }), ['exclude_finished_jobs must be true or false']);
  });

  it('intervals are whole numbers of 0 or more', () => {
    assert.deepEqual(schemaError({ type: 'median_stopping', evaluation_interval: -1 }), ['evaluation_interval must be a whole number of 0 or more']);
    assert.deepEqual(schemaError({ type: 'median_stopping', delay_evaluation: 1.5 }), ['delay_evaluation must be a whole number of 0 or more']);
  });

  it('an unknown type names the three types; an unknown field names the policy and its fields', () => {
    assert.deepEqual(schemaError({ type: 'median' }), ["early_termination.type must be bandit, median_stopping or truncation_selection (found 'median')"]);
    assert.deepEqual(schemaError({ slack_factor: 0.1 }), ['early_termination.type must be bandit, median_stopping or truncation_selection (found nothing)']);
    assert.deepEqual(schemaError('bandit'), ["early_termination must be a mapping with a type (bandit, median_stopping or truncation_selection) (found 'bandit')"]);
    assert.deepEqual(schemaError({ type: 'bandit', slack_factor: 0.1, slack: 1 }), ["bandit takes no 'slack' (its fields: slack_factor, slack_amount, evaluation_interval, delay_evaluation)"]);
    assert.deepEqual(schemaError({ type: 'median_stopping', truncation_percentage: 10 }), ["median_stopping takes no 'truncation_percentage' (its fields: evaluation_interval, delay_evaluation)"]);
    assert.deepEqual(schemaError({ type: 'truncation_selection', truncation_percentage: 10, slack_factor: 0.1 }), [
      "truncation_selection takes no 'slack_factor' (its fields: truncation_percentage, evaluation_interval, delay_evaluation, exclude_finished_jobs)",
    ]);
  });
});

describe('helpers', () => {
  it('formatNumber keeps at most 4 significant digits', () => {
    assert.equal(formatNumber(0.92 / 1.2), '0.7667');
    assert.equal(formatNumber(0.92 - 0.1), '0.82');
    assert.equal(formatNumber(-4 / 3), '-1.333');
    assert.equal(formatNumber(1), '1');
    assert.equal(formatNumber(123456), '123500');
    assert.equal(formatNumber(-0), '0');
  });

  it('bestSoFar is the best of the first k values by the goal, skipping what is not a finite number', () => {
    assert.equal(bestSoFar([0.3, 0.9, 0.5, 0.95], 'maximize', 3), 0.9);
    assert.equal(bestSoFar([0.3, 0.9, 0.5, 0.95], 'maximize'), 0.95);
    assert.equal(bestSoFar([0.3, 0.9, 0.5, 0.1], 'minimize', 3), 0.3);
    assert.equal(bestSoFar([NaN, 0.4, Infinity], 'maximize'), 0.4);
    assert.equal(bestSoFar([], 'maximize'), undefined);
    assert.equal(bestSoFar([NaN], 'minimize'), undefined);
  });

  it('a trial is judged at the latest interval k <= its values with k % evaluation_interval === 0 and k > delay_evaluation', () => {
    const p = { evaluation_interval: 2, delay_evaluation: 3 };
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => evaluationPoint(p, n)), [undefined, undefined, undefined, undefined, 4, 4, 6, 6]);
    assert.deepEqual([0, 1, 5, 6, 7].map((n) => evaluationPoint({ evaluation_interval: 1, delay_evaluation: 5 }, n)), [undefined, undefined, undefined, 6, 7]);
    assert.deepEqual([1, 2, 3].map((n) => evaluationPoint({ evaluation_interval: 0, delay_evaluation: 0 }, n)), [1, 2, 3], 'an evaluation_interval of 0 reads as 1');
  });
});

describe('bandit', () => {
  // Five intervals each but d (two). e dipped after a good start: its best so far counts.
  const curves = () => [
    running('a', [0.5, 0.7, 0.8, 0.9, 0.92]),
    running('b', [0.3, 0.5, 0.6, 0.7, 0.71]),
    running('c', [0.6, 0.7, 0.75, 0.77, 0.77]),
    running('d', [0.1, 0.2]),
    running('e', [0.9, 0.5, 0.5, 0.5, 0.5]),
  ];

  it('maximize with slack_factor: stopped below best / (1 + slack_factor) at the interval, each against the trials that reached it', () => {
    assert.deepEqual(stops({ type: 'bandit', slack_factor: 0.2 }, 'maximize', curves()), [
      stop('b', 5, 'bandit: 0.71 < 0.7667 (best 0.92 / (1 + 0.2)) at interval 5'),
      stop('d', 2, 'bandit: 0.2 < 0.75 (best 0.9 / (1 + 0.2)) at interval 2'),
    ]);
  });

  it('maximize with slack_amount: stopped below best - slack_amount', () => {
    assert.deepEqual(stops({ type: 'bandit', slack_amount: 0.1 }, 'maximize', curves()), [
      stop('b', 5, 'bandit: 0.71 < 0.82 (best 0.92 - 0.1) at interval 5'),
      stop('c', 5, 'bandit: 0.77 < 0.82 (best 0.92 - 0.1) at interval 5'),
      stop('d', 2, 'bandit: 0.2 < 0.8 (best 0.9 - 0.1) at interval 2'),
    ]);
  });

  it('finished trials are never stopped but set the best; values after the interval do not count', () => {
    const trials = [
      finished('f', [0.5, 0.6, 0.7, 0.8, 0.95, 0.99]),
      running('c', [0.6, 0.7, 0.75, 0.77, 0.77]),
      finished('g', [0.1, 0.1, 0.1, 0.1, 0.1]),
    ];
    assert.deepEqual(stops({ type: 'bandit', slack_factor: 0.2 }, 'maximize', trials), [stop('c', 5, 'bandit: 0.77 < 0.7917 (best 0.95 / (1 + 0.2)) at interval 5')]);

    // At interval 4 the best is a's 0.5: its 0.99 at interval 5 and h's lone 0.99 (it never reached 4) do not count.
    const later = [running('a', [0.5, 0.5, 0.5, 0.5, 0.99]), running('b', [0.45, 0.45, 0.45, 0.45]), finished('h', [0.99])];
    assert.deepEqual(stops({ type: 'bandit', slack_amount: 0.1 }, 'maximize', later), []);
  });

  it('minimize: stopped above best * (1 + slack_factor), or best + slack_amount', () => {
    const losses = [running('a', [1.0, 0.8, 0.7, 0.65, 0.66]), running('b', [1.2, 1.0, 0.9, 0.85, 0.8]), running('c', [0.9, 0.8, 0.75, 0.77, 0.7])];
    assert.deepEqual(stops({ type: 'bandit', slack_factor: 0.2 }, 'minimize', losses), [stop('b', 5, 'bandit: 0.8 > 0.78 (best 0.65 * (1 + 0.2)) at interval 5')]);
    assert.deepEqual(stops({ type: 'bandit', slack_amount: 0.05 }, 'minimize', losses), [
      stop('b', 5, 'bandit: 0.8 > 0.7 (best 0.65 + 0.05) at interval 5'),
    ], 'c at 0.7 equals the bound: kept');
  });

  it('negative values: the slack works on |best|, so the best trial is never stopped', () => {
    const nll = [running('a', [-1, -2, -3]), running('b', [-0.5, -1, -1.4]), running('c', [-1, -1.5, -1.6])];
    assert.deepEqual(stops({ type: 'bandit', slack_factor: 0.5 }, 'minimize', nll), [stop('b', 3, 'bandit: -1.4 > -1.5 (best -3 + |-3| * 0.5) at interval 3')]);
    assert.deepEqual(stops({ type: 'bandit', slack_amount: 1 }, 'minimize', nll), [
      stop('b', 3, 'bandit: -1.4 > -2 (best -3 + 1) at interval 3'),
      stop('c', 3, 'bandit: -1.6 > -2 (best -3 + 1) at interval 3'),
    ]);

    const rewards = [running('a', [-3, -2, -1]), running('b', [-3, -2.5, -1.5]), running('c', [-2, -1.2, -1.3])];
    assert.deepEqual(stops({ type: 'bandit', slack_factor: 0.5 }, 'maximize', rewards), [
      stop('b', 3, 'bandit: -1.5 < -1.333 (best -1 - |-1| * 0.5 / (1 + 0.5)) at interval 3'),
    ]);
  });

  it('nothing before delay_evaluation, and only at multiples of evaluation_interval (the latest one reached)', () => {
    const p = { type: 'bandit', slack_amount: 0.1, evaluation_interval: 2, delay_evaluation: 3 };
    const b = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    const at = (n: number) => stops(p, 'maximize', [running('a', [0.9, 0.9, 0.9, 0.9, 0.9, 0.9]), running('b', b.slice(0, n))]);
    assert.deepEqual(at(1), []);
    assert.deepEqual(at(2), [], 'interval 2 is a multiple of 2 but within the delay');
    assert.deepEqual(at(3), []);
    assert.deepEqual(at(4), [stop('b', 4, 'bandit: 0.4 < 0.8 (best 0.9 - 0.1) at interval 4')]);
    assert.deepEqual(at(5), [stop('b', 4, 'bandit: 0.4 < 0.8 (best 0.9 - 0.1) at interval 4')], 'interval 5 is not evaluated: still judged at 4');
    assert.deepEqual(at(6), [stop('b', 6, 'bandit: 0.6 < 0.8 (best 0.9 - 0.1) at interval 6')]);

    // Seen late, with a good value after the interval: judged on its values up to 4, as a poll at 4 would have.
    assert.deepEqual(stops(p, 'maximize', [running('a', [0.9, 0.9, 0.9, 0.9]), running('b', [0.1, 0.2, 0.3, 0.4, 0.95])]), [
      stop('b', 4, 'bandit: 0.4 < 0.8 (best 0.9 - 0.1) at interval 4'),
    ]);
  });

  it('a trial with no values, or none that are numbers, is never stopped', () => {
    const trials = [running('a', [0.9, 0.9]), running('empty', []), running('nan', [NaN, NaN])];
    assert.deepEqual(stops({ type: 'bandit', slack_factor: 0.01 }, 'maximize', trials), []);
  });
});

describe('median_stopping', () => {
  it('maximize: stopped when its best so far is below the median of the running averages of the trials that reached the interval', () => {
    // Running averages at 4: a 0.75, b 0.6, c 0.48, d 0.7 (finished, counted) → median 0.65.
    const trials = [running('a', [0.6, 0.7, 0.8, 0.9]), running('b', [0.5, 0.6, 0.6, 0.7]), running('c', [0.4, 0.5, 0.5, 0.52]), finished('d', [0.7, 0.7, 0.7, 0.7])];
    assert.deepEqual(stops({ type: 'median_stopping' }, 'maximize', trials), [stop('c', 4, 'median_stopping: best 0.52 < median 0.65 of running averages at interval 4')]);

    // A finished trial below the median is not stopped, but its average counts: 0.75, 0.6, 0.48, 0.1 → median 0.54.
    trials[3] = finished('d', [0.1, 0.1, 0.1, 0.1]);
    assert.deepEqual(stops({ type: 'median_stopping' }, 'maximize', trials), [stop('c', 4, 'median_stopping: best 0.52 < median 0.54 of running averages at interval 4')]);
  });

  it('minimize: stopped when its best so far is above the median', () => {
    // Running averages at 3: a 0.8, b 1.1, c 0.7 → median 0.8.
    const trials = [running('a', [1.0, 0.8, 0.6]), running('b', [1.2, 1.1, 1.0]), running('c', [0.9, 0.7, 0.5])];
    assert.deepEqual(stops({ type: 'median_stopping' }, 'minimize', trials), [stop('b', 3, 'median_stopping: best 1 > median 0.8 of running averages at interval 3')]);
  });

  it('needs two other trials at the interval; a best equal to the median is kept', () => {
    assert.deepEqual(stops({ type: 'median_stopping' }, 'maximize', [running('x', [0.9]), running('y', [0.1])]), []);
    assert.deepEqual(stops({ type: 'median_stopping' }, 'maximize', [running('x', [0.9]), running('y', [0.1]), running('w', [0.5])]), [
      stop('y', 1, 'median_stopping: best 0.1 < median 0.5 of running averages at interval 1'),
    ]);
    // z has not reached interval 2: y is alone with x there.
    assert.deepEqual(stops({ type: 'median_stopping' }, 'maximize', [running('x', [0.9, 0.9]), running('y', [0.1, 0.1]), running('z', [0.5])]), []);
  });

  it('respects delay_evaluation and evaluation_interval', () => {
    const p = { type: 'median_stopping', delay_evaluation: 2, evaluation_interval: 3 };
    const trials = (n: number) => [running('a', [0.9, 0.9, 0.9, 0.9, 0.9, 0.9]), running('b', [0.8, 0.8, 0.8, 0.8, 0.8, 0.8]), running('c', [0.1, 0.1, 0.1, 0.1, 0.1, 0.1].slice(0, n))];
    assert.deepEqual(stops(p, 'maximize', trials(2)), []);
    assert.deepEqual(stops(p, 'maximize', trials(3)), [stop('c', 3, 'median_stopping: best 0.1 < median 0.8 of running averages at interval 3')]);
    assert.deepEqual(stops(p, 'maximize', trials(5)), [stop('c', 3, 'median_stopping: best 0.1 < median 0.8 of running averages at interval 3')]);
    assert.deepEqual(stops(p, 'maximize', trials(6)), [stop('c', 6, 'median_stopping: best 0.1 < median 0.8 of running averages at interval 6')]);
    assert.deepEqual(stops({ type: 'median_stopping', delay_evaluation: 3 }, 'maximize', trials(3)), [], 'interval 3 is within a delay of 3');
  });
});

describe('truncation_selection', () => {
  const five = () => [running('a', [0.5, 0.9, 0.9]), running('b', [0.8, 0.8, 0.8]), running('c', [0.6, 0.7, 0.7]), running('d', [0.6, 0.6, 0.6]), running('e', [0.3, 0.41, 0.4])];

  it('stops the lowest floor(n * percentage / 100) at the interval', () => {
    assert.deepEqual(stops({ type: 'truncation_selection', truncation_percentage: 20 }, 'maximize', five()), [
      stop('e', 3, 'truncation_selection: 0.41 in the lowest 20% (rank 5 of 5) at interval 3'),
    ]);
    assert.deepEqual(stops({ type: 'truncation_selection', truncation_percentage: 40 }, 'maximize', five()), [
      stop('d', 3, 'truncation_selection: 0.6 in the lowest 40% (rank 4 of 5) at interval 3'),
      stop('e', 3, 'truncation_selection: 0.41 in the lowest 40% (rank 5 of 5) at interval 3'),
    ]);
    assert.deepEqual(stops({ type: 'truncation_selection', truncation_percentage: 20 }, 'maximize', five().slice(0, 4)), [], 'floor(4 * 20%) is 0');
  });

  it('minimize: the highest values are the lowest performing', () => {
    const trials = [running('a', [-0.1]), running('b', [-0.2]), running('c', [-0.3]), running('d', [-0.4]), running('e', [0.9])];
    assert.deepEqual(stops({ type: 'truncation_selection', truncation_percentage: 20 }, 'minimize', trials), [
      stop('e', 1, 'truncation_selection: 0.9 in the lowest 20% (rank 5 of 5) at interval 1'),
    ]);
  });

  it('finished trials count unless exclude_finished_jobs, and are never stopped', () => {
    const trials = five();
    trials[4] = finished('e', [0.3, 0.41, 0.4]);
    assert.deepEqual(stops({ type: 'truncation_selection', truncation_percentage: 25 }, 'maximize', trials), [], 'e, finished, takes the one place');
    assert.deepEqual(stops({ type: 'truncation_selection', truncation_percentage: 25, exclude_finished_jobs: true }, 'maximize', trials), [
      stop('d', 3, 'truncation_selection: 0.6 in the lowest 25% (rank 4 of 4) at interval 3'),
    ]);
  });

  it('ties share a rank and are kept at the edge; trials are ranked among those that reached their interval', () => {
    const p = { type: 'truncation_selection', truncation_percentage: 50 };
    assert.deepEqual(stops(p, 'maximize', [running('a', [0.9]), running('b', [0.5]), running('c', [0.5]), running('d', [0.1])]), [
      stop('d', 1, 'truncation_selection: 0.1 in the lowest 50% (rank 4 of 4) at interval 1'),
    ]);
    assert.deepEqual(stops(p, 'maximize', [running('a', [0.9]), running('b', [0.8]), running('c', [0.5]), running('d', [0.5])]), [
      stop('c', 1, 'truncation_selection: 0.5 in the lowest 50% (rank 3 of 4) at interval 1'),
      stop('d', 1, 'truncation_selection: 0.5 in the lowest 50% (rank 3 of 4) at interval 1'),
    ]);
    // s logged once: judged at 1 among all four; the others at 2 among the three that reached it (floor(1.5) = 1).
    assert.deepEqual(stops(p, 'maximize', [running('a', [0.1, 0.9]), running('b', [0.2, 0.8]), running('c', [0.3, 0.3]), running('s', [0.25])]), [
      stop('c', 2, 'truncation_selection: 0.3 in the lowest 50% (rank 3 of 3) at interval 2'),
    ]);
  });

  it('respects delay_evaluation and evaluation_interval; no values → never stopped', () => {
    const p = { type: 'truncation_selection', truncation_percentage: 50, delay_evaluation: 1, evaluation_interval: 2 };
    const trials = (n: number) => [running('a', [0.9, 0.9, 0.9]), running('b', [0.1, 0.1, 0.1].slice(0, n)), running('none', [])];
    assert.deepEqual(stops(p, 'maximize', trials(1)), []);
    assert.deepEqual(stops(p, 'maximize', trials(2)), [stop('b', 2, 'truncation_selection: 0.1 in the lowest 50% (rank 2 of 2) at interval 2')]);
    assert.deepEqual(stops(p, 'maximize', trials(3)), [stop('b', 2, 'truncation_selection: 0.1 in the lowest 50% (rank 2 of 2) at interval 2')]);
  });
});

describe('determinism', () => {
  it('the same curves give the same decisions, whatever order the trials come in', () => {
    const trials = [
      running('a', [0.5, 0.7, 0.8, 0.9, 0.92]),
      running('b', [0.3, 0.5, 0.6, 0.7, 0.71]),
      finished('f', [0.2, 0.2, 0.2, 0.2, 0.2]),
      running('c', [0.6, 0.7, 0.75, 0.77, 0.77]),
      running('d', [0.1, 0.2]),
    ];
    const byName = (s: StopDecision[]) => [...s].sort((x, y) => x.name.localeCompare(y.name));
    for (const p of [{ type: 'bandit', slack_factor: 0.1 }, { type: 'median_stopping' }, { type: 'truncation_selection', truncation_percentage: 40 }]) {
      const first = stops(p, 'maximize', trials);
      assert.ok(first.length > 0, `${p.type} stops something here`);
      assert.deepEqual(stops(p, 'maximize', trials), first);
      assert.deepEqual(byName(stops(p, 'maximize', [...trials].reverse())), byName(first));
    }
  });
});
