// What one chart hands uPlot: per run a min-max band (so no spike in a bucket is hidden), the
// last-value line, and its smoothed line; the zoom and reset gestures come back as callbacks.
import type uPlot from 'uplot';
import { ema, forLog, formatDuration, formatValue, type Aligned, type Axis } from './series.ts';

export interface ChartRun {
  id: string;
  label: string;
  color: string;
}

/** Series per run, in this order after the x series: band max, band min, last values, smoothed. */
const PER_RUN = 4;

export function plotData(a: Aligned, smoothing: number, log: boolean): { data: uPlot.AlignedData; hidden: number } {
  const cols: (number | null)[][] = [];
  let hidden = 0;
  for (const r of a.runs) {
    const smooth = smoothing > 0 ? ema(r.last, smoothing) : r.last;
    [r.hi, r.lo, r.last, smooth].forEach((c, i) => {
      if (!log) return cols.push(c);
      const f = forLog(c);
      if (i === 2) hidden += f.hidden; // counted once, on the values line
      cols.push(f.values);
    });
  }
  return { data: [a.x, ...cols] as uPlot.AlignedData, hidden };
}

const AXIS_LABEL: Record<Axis, string> = { step: 'step', time: 'time', relative: 'time since start' };

export function plotOptions(o: {
  width: number;
  height: number;
  runs: ChartRun[];
  axis: Axis;
  log: boolean;
  smoothed: boolean;
  /** Few points: each is marked, so a lone point (a final metric) still shows. */
  markPoints: boolean;
  onZoom: (from: number, to: number) => void;
  onReset: () => void;
  onCursor: (idx: number | null) => void;
  onDraw: () => void;
}): uPlot.Options {
  const series: uPlot.Series[] = [{ label: AXIS_LABEL[o.axis] }];
  const bands: uPlot.Band[] = [];
  o.runs.forEach((r, i) => {
    const base = 1 + i * PER_RUN;
    const line = { points: { show: false }, spanGaps: true };
    series.push({ ...line, label: `${r.label} max`, stroke: `${r.color}55`, width: 1 });
    series.push({ ...line, label: `${r.label} min`, stroke: `${r.color}55`, width: 1 });
    series.push({ ...line, label: r.label, stroke: o.smoothed ? `${r.color}66` : r.color, width: 1.25, points: { show: o.markPoints, size: 6, fill: r.color } });
    series.push({ ...line, label: `${r.label} smoothed`, stroke: r.color, width: 2, show: o.smoothed });
    bands.push({ series: [base, base + 1], fill: `${r.color}26` });
  });
  return {
    width: o.width,
    height: o.height,
    series,
    bands,
    legend: { show: false },
    scales: { x: { time: o.axis === 'time' }, y: o.log ? { distr: 3, log: 10 } : {} },
    axes: [
      o.axis === 'relative' ? { space: 80, values: (_u, splits) => splits.map(formatDuration) } : o.axis === 'step' ? { incrs: STEP_INCREMENTS } : {},
      // On a log scale only powers of ten get a label and a grid line: the rest would crowd the axis.
      o.log
        ? { size: 64, filter: (_u, splits) => splits.map((v) => (isPowerOfTen(v) ? v : null)), values: (_u, splits) => splits.map((v) => (isPowerOfTen(v) ? formatValue(v) : '')) }
        : { size: 64, values: (_u, splits) => splits.map((v) => formatValue(v)) },
    ],
    cursor: {
      // The selection is ours: the chart asks the server for finer buckets, then shows the range.
      drag: { x: true, y: false, setScale: false },
      bind: { dblclick: () => () => (o.onReset(), null) },
    },
    hooks: {
      setSelect: [
        (u) => {
          if (u.select.width < 3) return;
          const from = u.posToVal(u.select.left, 'x');
          const to = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          o.onZoom(from, to);
        },
      ],
      setCursor: [(u) => o.onCursor(u.cursor.idx ?? null)],
      draw: [() => o.onDraw()],
    },
  };
}

/** Steps are whole numbers: ticks 1, 2, 5, 10, 20, 50, ... apart, never 0.2. */
const STEP_INCREMENTS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

const isPowerOfTen = (v: number) => v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;

/** The readout under a chart for the slot under the cursor: x, then each run's last value and its bucket's min and max. */
export function readout(a: Aligned, runs: ChartRun[], axis: Axis, idx: number): string {
  const x = a.x[idx];
  if (x === undefined) return '';
  const at = axis === 'step' ? `step ${x}` : axis === 'time' ? new Date(x * 1000).toLocaleString() : formatDuration(x);
  const parts = a.runs.map((r, i) => {
    if (r.last[idx] === null) return null;
    const band = r.lo[idx] !== r.hi[idx] ? ` (${formatValue(r.lo[idx])} … ${formatValue(r.hi[idx])})` : '';
    return `${runs[i]?.label ?? r.runId}: ${formatValue(r.last[idx])}${band}`;
  });
  return [at, ...parts.filter(Boolean)].join(' · ');
}
