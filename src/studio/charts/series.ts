// The math of the charts, apart from any DOM so node:test checks it directly: lining up the
// buckets of several runs on one x array, smoothing, log-scale safety, zoom ranges, paging.

export type Axis = 'step' | 'time' | 'relative';
export const AXES: { id: Axis; label: string }[] = [
  { id: 'step', label: 'Step' },
  { id: 'time', label: 'Wall time' },
  { id: 'relative', label: 'Relative time' },
];
export const isAxis = (s: string | null | undefined): s is Axis => s === 'step' || s === 'time' || s === 'relative';

/** A double as MLflow writes it: non-finite values are strings. */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';
export const num = (v: WireDouble): number => (typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity);

export interface WireBucket {
  start: number;
  end: number;
  count: number;
  min: WireDouble;
  max: WireDouble;
  last: WireDouble;
  last_x: number;
}
export interface WireRunBuckets {
  run_id: string;
  count?: number;
  buckets?: WireBucket[];
  error?: { code: string; message: string };
}
export interface WireMetricBuckets {
  key: string;
  axis: Axis;
  range: { start: number; end: number } | null;
  buckets: number;
  runs: WireRunBuckets[];
}

type Column = (number | null)[];
export interface Aligned {
  /** x of each slot in chart units: steps, or seconds (uPlot's time scale counts seconds). */
  x: number[];
  runs: { runId: string; lo: Column; hi: Column; last: Column; points: number; error?: string }[];
  /** The largest and smallest value drawn (the band's edges), over every run: what no spike escapes. */
  max: number | null;
  min: number | null;
  /** Server units (steps or ms) per bucket over the range asked for. */
  bucketWidth: number | null;
  /** Whether some bucket holds more than one point of a run (else every point is drawn as it is). */
  binned: boolean;
}

/** Chart units from the server's: the time axes come in milliseconds. */
const toChartX = (x: number, axis: Axis): number => (axis === 'step' ? x : x / 1000);

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * One x array for every run: the server bucketed them over the same range with the same count, so
 * equal bucket starts are the same bucket. A run without a bucket at some x gets null there.
 */
export function align(m: WireMetricBuckets, order: string[] = m.runs.map((r) => r.run_id)): Aligned {
  const starts = new Set<number>();
  for (const r of m.runs) for (const b of r.buckets ?? []) starts.add(b.start);
  const xs = [...starts].sort((a, b) => a - b);
  const slot = new Map(xs.map((x, i) => [x, i]));
  let max: number | null = null;
  let min: number | null = null;
  let binned = false;
  const byId = new Map(m.runs.map((r) => [r.run_id, r]));
  const runs = order.map((runId) => {
    const r = byId.get(runId);
    const lo: Column = new Array(xs.length).fill(null);
    const hi: Column = new Array(xs.length).fill(null);
    const last: Column = new Array(xs.length).fill(null);
    let points = 0;
    for (const b of r?.buckets ?? []) {
      const i = slot.get(b.start)!;
      lo[i] = finite(num(b.min));
      hi[i] = finite(num(b.max));
      last[i] = finite(num(b.last));
      points += b.count;
      if (b.count > 1) binned = true;
      if (hi[i] !== null && (max === null || hi[i]! > max)) max = hi[i];
      if (lo[i] !== null && (min === null || lo[i]! < min)) min = lo[i];
    }
    return { runId, lo, hi, last, points, ...(r?.error ? { error: r.error.message } : !r ? { error: 'no answer for this run' } : {}) };
  });
  const bucketWidth = m.range ? (m.range.end - m.range.start + 1) / m.buckets : null;
  return { x: xs.map((x) => toChartX(x, m.axis)), runs, max, min, bucketWidth, binned };
}

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first points are not
 * pulled towards zero. `weight` 0 leaves the values alone; gaps stay gaps and do not reset it.
 */
export function ema(values: Column, weight: number): Column {
  if (weight <= 0) return values;
  const w = Math.min(weight, 0.999);
  let acc = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    acc = acc * w + (1 - w) * v;
    n++;
    return acc / (1 - w ** n);
  });
}

/** A log scale cannot draw zero or less: those values become gaps, and how many is said. */
export function forLog(values: Column): { values: Column; hidden: number } {
  let hidden = 0;
  const out = values.map((v) => {
    if (v !== null && v <= 0) {
      hidden++;
      return null;
    }
    return v;
  });
  return { values: out, hidden };
}

/** A range the server buckets, in its units, from a selection in chart units: whole steps or ms, never empty. */
export function serverRange(a: number, b: number, axis: Axis): [number, number] {
  const scale = axis === 'step' ? 1 : 1000;
  let lo = Math.floor(Math.min(a, b) * scale);
  let hi = Math.ceil(Math.max(a, b) * scale);
  if (hi <= lo) hi = lo + 1;
  return [lo, hi];
}

/** The middle half of a range: what "zoom in" from the keyboard shows. */
export function zoomIn([lo, hi]: [number, number]): [number, number] {
  const quarter = Math.floor((hi - lo) / 4);
  return quarter < 1 ? [lo, hi] : [lo + quarter, hi - quarter];
}

/** The query string asking for one metric of some runs over a range, `buckets` slices wide. */
export function bucketQuery(o: { key: string; runs: string[]; axis: Axis; buckets: number; range: [number, number] | null }): string {
  const q = new URLSearchParams({ key: o.key, runs: o.runs.join(','), buckets: String(o.buckets), axis: o.axis });
  if (o.range) {
    const [from, to] = o.axis === 'step' ? ['start_step', 'end_step'] : ['start_time', 'end_time'];
    q.set(from, String(o.range[0]));
    q.set(to, String(o.range[1]));
  }
  return q.toString();
}

/** About one bucket per pixel of the chart's width, within what the server allows. */
export const bucketsForWidth = (px: number): number => Math.max(20, Math.min(4000, Math.round(px)));

/** Keys whose name holds every word of the query (any case); the order is kept. */
export function searchKeys(keys: string[], query: string): string[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return keys;
  return keys.filter((k) => {
    const l = k.toLowerCase();
    return words.every((w) => l.includes(w));
  });
}

/** One page of a list (pages count from 1; a page past the end shows the last). */
export function pageOf<T>(items: T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { items: items.slice((p - 1) * size, p * size), page: p, pages };
}

/** A relative-time axis label or readout: 45s, 12m 5s, 3h 20m, and negative before the run started (a duration in a table is ../format.ts's). */
export function formatDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? '-' : '';
  if (s < 60) return `${sign}${s}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${sign}${h}h${m ? ` ${m}m` : ''}`;
}

/** A value for a readout: short, but a spike's digits are kept. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

/** Distinct colours for overlaid runs (Tableau 10), repeated past ten. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;
