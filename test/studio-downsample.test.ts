// The math under the studio's charts and run comparison, as pure functions: the server's
// min/max/last buckets (no spike lost, runs lined up, raw points when zoomed far in), lining runs
// up on one x array, smoothing, log-scale gaps, zoom ranges, the bucket query, paging and search
// of metric names, columns and order_by, parallel-axis layout, and a conda file as YAML.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketize, extent } from '../src/tracking/buckets.ts';
import {
  align, bucketQuery, bucketsForWidth, ema, forLog, formatDuration, formatValue, pageOf, searchKeys, serverRange, zoomIn, type WireMetricBuckets,
} from '../src/studio/charts/series.ts';
import { chosenColumns, orderByOf, parseColumn, parseOrderBy } from '../src/studio/pages/experiments/columns.ts';
import { layoutParallel, pathOf } from '../src/studio/pages/experiments/parallel-layout.ts';
import type { Run } from '../src/studio/pages/experiments/mlflow.ts';
import { toYaml } from '../src/studio/pages/environments/types.ts';

/** Points packed as the store keeps them: step, timestamp, value. */
const pack = (values: number[], o: { t0?: number; dt?: number; firstStep?: number } = {}) => {
  const f = new Float64Array(values.length * 3);
  values.forEach((v, i) => f.set([(o.firstStep ?? 0) + i, (o.t0 ?? 0) + i * (o.dt ?? 1), v], i * 3));
  return f;
};

describe('server buckets', () => {
  const values = Array.from({ length: 100_000 }, (_, i) => (i === 77_777 ? 500 : i === 12_345 ? -40 : Math.sin(i / 100)));
  const points = pack(values, { t0: 1_000_000, dt: 10 });

  it('keeps every spike: the largest max and the smallest min are the series\' own', () => {
    const b = bucketize(points, { axis: 'step', lo: 0, hi: 99_999, buckets: 600 });
    assert.equal(b.length, 600);
    assert.equal(Math.max(...b.map((x) => x.max)), 500);
    assert.equal(Math.min(...b.map((x) => x.min)), -40);
    assert.equal(b.reduce((n, x) => n + x.count, 0), 100_000, 'every point counted once');
    const spike = b.find((x) => x.max === 500)!;
    assert.ok(spike.start <= 77_777 && 77_777 <= spike.end);
    assert.equal(spike.last, values[spike.end], 'last is the value at the largest step');
    assert.equal(spike.last_x, spike.end);
  });

  it('slices a range exactly, and gives raw points once buckets outnumber steps', () => {
    const b = bucketize(points, { axis: 'step', lo: 1000, hi: 1099, buckets: 400 });
    assert.equal(b.length, 100);
    assert.deepEqual(b.map((x) => x.start), Array.from({ length: 100 }, (_, i) => 1000 + i));
    assert.ok(b.every((x) => x.count === 1 && x.min === x.max && x.max === x.last && x.start === x.end));
    assert.deepEqual(bucketize(points, { axis: 'step', lo: 5, hi: 4, buckets: 10 }), []);
    assert.deepEqual(bucketize(points, { axis: 'step', lo: 200_000, hi: 300_000, buckets: 10 }), []);
  });

  it('lines up series bucketed over the same range: equal starts are the same bucket', () => {
    const a = bucketize(pack([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { axis: 'step', lo: 0, hi: 29, buckets: 7 });
    // Steps 0-9 and 3-12: the runs overlap (a check over disjoint runs would pass whatever the bounds).
    const b = bucketize(pack([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], { firstStep: 3 }), { axis: 'step', lo: 0, hi: 29, buckets: 7 });
    const starts = new Set(a.map((x) => x.start));
    assert.ok(b.every((x) => !starts.has(x.start) || a.find((y) => y.start === x.start)!.end === x.end));
    const shared = b.filter((x) => starts.has(x.start));
    assert.deepEqual(shared.map((x) => x.start), [0, 5, 9], 'a bucket starts where the range says, not at its first point');
    for (const bucket of [...a, ...b]) assert.ok(bucket.end >= bucket.start);
  });

  it('buckets by wall time and by time since the run started', () => {
    const byTime = bucketize(points, { axis: 'time', lo: 1_000_000, hi: 1_000_000 + 999_990, buckets: 100 });
    assert.equal(byTime.reduce((n, x) => n + x.count, 0), 100_000);
    assert.equal(Math.max(...byTime.map((x) => x.max)), 500);
    assert.deepEqual(extent(points, 'relative', 999_000), [1000, 1000 + 999_990]);
    const early = bucketize(points, { axis: 'relative', offset: 999_000, lo: 1000, hi: 1099, buckets: 10 });
    assert.equal(early.reduce((n, x) => n + x.count, 0), 10, 'ten points in the first 100 ms');
    assert.equal(extent(new Float64Array(0), 'step'), null);
  });

  it('counts NaN but never makes it a min or max', () => {
    const [b] = bucketize(pack([NaN, 2, NaN]), { axis: 'step', lo: 0, hi: 2, buckets: 1 });
    assert.deepEqual([b!.count, b!.min, b!.max], [3, 2, 2]);
    assert.ok(Number.isNaN(b!.last));
    const [only] = bucketize(pack([NaN]), { axis: 'step', lo: 0, hi: 0, buckets: 1 });
    assert.ok(Number.isNaN(only!.min) && Number.isNaN(only!.max));
  });
});

describe('chart math', () => {
  const answer: WireMetricBuckets = {
    key: 'loss',
    axis: 'step',
    range: { start: 0, end: 99 },
    buckets: 10,
    runs: [
      { run_id: 'a', buckets: [{ start: 0, end: 9, count: 10, min: 1, max: 'Infinity', last: 2, last_x: 9 }, { start: 20, end: 29, count: 10, min: -3, max: 7, last: 0, last_x: 29 }] },
      { run_id: 'b', buckets: [{ start: 10, end: 19, count: 1, min: 4, max: 4, last: 4, last_x: 10 }] },
      { run_id: 'gone', error: { code: 'NotFound', message: 'run gone was deleted' } },
    ],
  };

  it('lines runs up on one x array, with gaps where a run has no bucket', () => {
    const a = align(answer);
    assert.deepEqual(a.x, [0, 10, 20]);
    assert.deepEqual(a.runs[0]!.hi, [null, null, 7], 'a non-finite edge is not drawn');
    assert.deepEqual(a.runs[1]!.last, [null, 4, null]);
    assert.deepEqual([a.max, a.min, a.bucketWidth, a.binned], [7, -3, 10, true]);
    assert.equal(a.runs[2]!.error, 'run gone was deleted');
    assert.equal(a.runs[0]!.points, 20);
    const seconds = align({ ...answer, axis: 'time', runs: [answer.runs[1]!] });
    assert.deepEqual(seconds.x, [0.01], 'time axes are in seconds for uPlot');
    assert.equal(seconds.binned, false);
    assert.equal(align(answer, ['b', 'missing']).runs[1]!.error, 'no answer for this run');
  });

  it('smooths like TensorBoard: debiased, gaps kept, weight 0 changes nothing', () => {
    const v = [10, null, 10, 10];
    assert.equal(ema(v, 0), v);
    assert.deepEqual(ema(v, 0.9).map((x) => (x === null ? null : Math.round(x * 1e9) / 1e9)), [10, null, 10, 10]);
    const s = ema([0, 10, 10, 10, 10, 10], 0.6) as number[];
    assert.equal(s[0], 0);
    assert.ok(s.every((x, i) => i === 0 || (x > s[i - 1]! && x < 10)), 'rises towards 10 without reaching it');
    assert.deepEqual(ema([NaN, 4], 0.5), [null, 4]);
  });

  it('leaves zero and below out of a log scale, and says how many', () => {
    assert.deepEqual(forLog([1, 0, -2, null, 3]), { values: [1, null, null, null, 3], hidden: 2 });
  });

  it('turns a selection into a server range, zooms to the middle half, asks with the right names', () => {
    assert.deepEqual(serverRange(10.2, 5.7, 'step'), [5, 11]);
    assert.deepEqual(serverRange(3, 3, 'step'), [3, 4], 'never empty');
    assert.deepEqual(serverRange(1.5, 2.25, 'time'), [1500, 2250], 'seconds on the chart, ms on the server');
    assert.deepEqual(zoomIn([0, 1000]), [250, 750]);
    assert.deepEqual(zoomIn([0, 3]), [0, 3], 'nothing left to zoom');
    const step = new URLSearchParams(bucketQuery({ key: 'a/b c', runs: ['r1', 'r2'], axis: 'step', buckets: 500, range: [10, 20] }));
    assert.deepEqual([...step], [['key', 'a/b c'], ['runs', 'r1,r2'], ['buckets', '500'], ['axis', 'step'], ['start_step', '10'], ['end_step', '20']]);
    const time = new URLSearchParams(bucketQuery({ key: 'k', runs: ['r'], axis: 'relative', buckets: 20, range: [0, 5000] }));
    assert.deepEqual([time.get('start_time'), time.get('end_time'), time.get('start_step')], ['0', '5000', null]);
    assert.equal(new URLSearchParams(bucketQuery({ key: 'k', runs: ['r'], axis: 'step', buckets: 20, range: null })).has('start_step'), false);
    assert.deepEqual([bucketsForWidth(5), bucketsForWidth(640.4), bucketsForWidth(1e6)], [20, 640, 4000]);
  });

  it('finds metrics by every word of a search, and pages them without losing any', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `layer_${i}/grad_norm`);
    assert.deepEqual(searchKeys(keys, 'LAYER_2718 grad'), ['layer_2718/grad_norm']);
    assert.equal(searchKeys(keys, '  ').length, 3000);
    const last = pageOf(keys, 250, 12);
    assert.deepEqual([last.page, last.pages, last.items.length, last.items.at(-1)], [250, 250, 12, 'layer_2999/grad_norm']);
    assert.equal(pageOf(keys, 9999, 12).page, 250, 'past the end shows the last page');
    assert.equal(pageOf(keys, 0, 12).page, 1);
    assert.deepEqual(pageOf([], 3, 12), { items: [], page: 1, pages: 1 });
  });

  it('writes durations and values as people read them', () => {
    assert.deepEqual([0, 45, 125, 3600, 3725 + 3600, -90].map(formatDuration), ['0s', '45s', '2m 5s', '1h', '2h 2m', '-1m 30s']);
    assert.deepEqual([1000, 0.1 + 0.2, 1e-7, 123456789.5, null].map(formatValue), ['1000', '0.3', '1.0000e-7', '1.2346e+8', '-']);
  });
});

describe('run comparison', () => {
  const run = (id: string, params: Record<string, string>, metrics: Record<string, number>): Run => ({
    info: { run_id: id, run_name: id, experiment_id: '1', user_id: '', status: 'FINISHED', start_time: 0, lifecycle_stage: 'active' },
    data: { params: Object.entries(params).map(([key, value]) => ({ key, value })), metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })) },
  });

  it('names columns as MLflow does, and sorts with order_by that survives odd keys', () => {
    assert.deepEqual(parseColumn('metrics.train.loss'), { kind: 'metrics', key: 'train.loss' });
    assert.equal(parseColumn('tags.x'), null);
    assert.equal(parseColumn('params.'), null);
    assert.equal(orderByOf('metrics.val`loss', true), 'metrics.`val``loss` DESC');
    assert.deepEqual(parseOrderBy(orderByOf('metrics.val`loss', true)), { id: 'metrics.val`loss', descending: true });
    assert.deepEqual(parseOrderBy('attributes.start_time ASC'), { id: 'start_time', descending: false });
    assert.equal(parseOrderBy('nonsense'), null);
    const available = { params: ['a', 'b', 'c', 'd', 'e'], metrics: ['m'] };
    assert.equal(chosenColumns(null, available).length, 5, 'four params and the metric by default');
    assert.deepEqual(chosenColumns('-', available), []);
    assert.deepEqual(chosenColumns('params.e,bogus,metrics.m', available), [{ kind: 'params', key: 'e' }, { kind: 'metrics', key: 'm' }]);
  });

  it('places runs on parallel axes: numeric params as numbers, others as categories, missing values as gaps', () => {
    const runs = [run('r1', { lr: '0.1', opt: 'adam' }, { loss: 1 }), run('r2', { lr: '0.3', opt: 'sgd' }, { loss: 3 }), run('r3', { lr: '0.2' }, {})];
    const cols = [{ kind: 'params' as const, key: 'lr' }, { kind: 'params' as const, key: 'opt' }, { kind: 'metrics' as const, key: 'loss' }];
    const { axes, lines } = layoutParallel(runs, cols);
    assert.deepEqual(axes.map((a) => a.numeric), [true, false, true]);
    assert.deepEqual(axes[1]!.ticks.map((t) => t.label), ['adam', 'sgd']);
    assert.deepEqual(lines.map((l) => l.ys.map((y) => (y === null ? null : Math.round(y * 100) / 100))), [[0, 0, 0], [1, 1, 1], [0.5, null, null]]);
    assert.equal(pathOf([0, 1, null, 0.5], (i) => i * 10, (f) => 100 - f * 100), 'M0.0 100.0L10.0 0.0M27 50.0L33 50.0');
  });

  it('writes a conda file as the YAML its author wrote', () => {
    const yaml = toYaml({ name: 'train', channels: ['conda-forge'], dependencies: ['python=3.11', 'numpy>=1.26', { pip: ['torch==2.3.0', 'my pkg'] }] });
    assert.equal(yaml, 'name: train\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy>=1.26\n  - pip:\n      - torch==2.3.0\n      - my pkg\n');
  });
});
