// Min/max/last buckets of a metric series over any x axis (step, wall time or time since the run
// started), for charts: a chart asks for about as many buckets as it is pixels wide, so every
// spike survives (it is some bucket's max) while the answer stays small. Pure: points in, buckets out.

export type MetricAxis = 'step' | 'time' | 'relative';

export interface AxisBucket {
  /** The bucket's x range, inclusive, in the axis' units (steps, or milliseconds). */
  start: number;
  end: number;
  count: number;
  min: number;
  max: number;
  /** The value of the point with the largest x (the latest logged among equal x). */
  last: number;
  last_x: number;
}

/**
 * Points are packed as the store keeps them: step, timestamp (ms), value, repeated. An axis reads
 * x at `column` of each point, less `shift`: one subtraction in the hot loops, whatever the axis.
 */
const readerOf = (axis: MetricAxis, offset: number) => ({ column: axis === 'step' ? 0 : 1, shift: axis === 'relative' ? offset : 0 });

/** The smallest and largest x of a series, or null when it has no points. */
export function extent(points: Float64Array, axis: MetricAxis, offset = 0): [number, number] | null {
  if (points.length < 3) return null;
  const { column, shift } = readerOf(axis, offset);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = column; i < points.length; i += 3) {
    const x = points[i] - shift;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/**
 * `buckets` equal slices of the integer range [lo, hi]; empty buckets are left out. Bucket b's
 * start is a function of (lo, hi, buckets, b) only, so series bucketed over the same range line up
 * bucket by bucket (a chart overlays several runs on one x array). NaN values count but never
 * become a min or max.
 */
export function bucketize(points: Float64Array, o: { axis: MetricAxis; offset?: number; lo: number; hi: number; buckets: number }): AxisBucket[] {
  const { axis, lo, hi } = o;
  const offset = o.offset ?? 0;
  if (hi < lo || o.buckets < 1) return [];
  const n = Math.floor(o.buckets);
  const span = hi - lo + 1;
  const perX = n / span;
  const count = new Float64Array(n);
  const min = new Float64Array(n).fill(Infinity);
  const max = new Float64Array(n).fill(-Infinity);
  const last = new Float64Array(n);
  const lastX = new Float64Array(n).fill(-Infinity);
  const lastTs = new Float64Array(n);
  const { column, shift } = readerOf(axis, offset);
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i + column] - shift;
    if (x < lo || x > hi) continue;
    let b = Math.floor((x - lo) * perX);
    if (b >= n) b = n - 1;
    const v = points[i + 2];
    count[b]++;
    if (v < min[b]) min[b] = v;
    if (v > max[b]) max[b] = v;
    const ts = points[i + 1];
    if (x > lastX[b] || (x === lastX[b] && ts >= lastTs[b])) {
      lastX[b] = x;
      lastTs[b] = ts;
      last[b] = v;
    }
  }
  const width = span / n;
  const out: AxisBucket[] = [];
  for (let b = 0; b < n; b++) {
    if (!count[b]) continue;
    out.push({
      start: Math.ceil(lo + b * width),
      end: b === n - 1 ? hi : Math.ceil(lo + (b + 1) * width) - 1,
      count: count[b],
      min: min[b] === Infinity ? NaN : min[b],
      max: max[b] === -Infinity ? NaN : max[b],
      last: last[b],
      last_x: lastX[b],
    });
  }
  return out;
}
