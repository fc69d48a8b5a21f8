// One metric of one or more runs, drawn by uPlot from min/max/last buckets the server computes for
// the range in view (about one bucket per pixel). Selecting a range asks again for that range, so
// zooming in ends at the raw points; a double-click (or Reset) goes back to the whole series.
// What is drawn is also written on the element (data-*), for tests and benches to read.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, ApiError, WS } from '../api.ts';
import { ErrorBox } from '../ui.tsx';
import { plotData, plotOptions, readout, type ChartRun } from './plot-options.ts';
import { align, bucketQuery, bucketsForWidth, formatValue, serverRange, zoomIn, type Aligned, type Axis, type WireMetricBuckets } from './series.ts';

export interface ChartView {
  axis: Axis;
  smoothing: number;
  log: boolean;
}

const HEIGHT = 220;
/** The y axis' labels take this much of the width; the rest is plot, one bucket per pixel. */
const Y_AXIS_PX = 70;
const HINT = 'Drag across the chart to zoom in; double-click to see everything.';

/** Remount (a React key) when the metric, the runs or the axis change: the zoom belongs to them. */
export function MetricChart({ metric, runs, view, stamp }: { metric: string; runs: ChartRun[]; view: ChartView; stamp?: string }) {
  const card = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const info = useRef<HTMLParagraphElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [want, setWant] = useState<[number, number] | null>(null);
  const [shown, setShown] = useState<{ aligned: Aligned; range: [number, number] | null; zoomed: boolean } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const { axis, log, smoothing } = view;
  const smoothed = smoothing > 0;

  // Ask for the range in view, about one bucket per pixel.
  useEffect(() => {
    let stop = false;
    const ids = runs.map((r) => r.id);
    setLoading(true);
    const q = bucketQuery({ key: metric, runs: ids, axis, buckets: bucketsForWidth((box.current?.clientWidth ?? 600) - Y_AXIS_PX), range: want });
    api<WireMetricBuckets>('GET', `${WS}/metric-buckets?${q}`).then(
      (m) => {
        if (stop) return;
        setShown({ aligned: align(m, ids), range: want ?? (m.range ? [m.range.start, m.range.end] : null), zoomed: want !== null });
        setError(null);
        setLoading(false);
      },
      (e: ApiError) => {
        if (stop) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      stop = true;
    };
    // runs, metric and axis are fixed for this chart's life (see the key above); a new point
    // (the stamp of the latest one changes while a job runs) is fetched when the whole series shows.
  }, [want, want ? '' : stamp]);

  // (Re)build the plot when what it draws changes shape: new data, the scale, smoothing on or off.
  useEffect(() => {
    const el = box.current;
    if (!el || !shown) return;
    const a = shown.aligned;
    const { data, hidden } = plotData(a, smoothing, log);
    if (!a.x.length) {
      plot.current?.destroy();
      plot.current = null;
      return;
    }
    const say = (idx: number | null) => {
      if (info.current) info.current.textContent = idx === null ? (hidden ? `${hidden} values of zero or less are not drawn on a log scale. ${HINT}` : HINT) : readout(a, runs, axis, idx);
    };
    let draws = 0;
    const u = new uPlot(
      plotOptions({
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        runs,
        axis,
        log,
        smoothed,
        markPoints: a.x.length <= 60,
        onZoom: (from, to) => setWant(serverRange(from, to, axis)),
        onReset: () => setWant(null),
        onCursor: say,
        onDraw: () => card.current?.setAttribute('data-draws', String(++draws)),
      }),
      data,
      el,
    );
    if (shown.range && shown.zoomed) {
      const scale = axis === 'step' ? 1 : 1000;
      u.setScale('x', { min: shown.range[0] / scale, max: shown.range[1] / scale });
    }
    plot.current = u;
    say(null);
    // Redrawn only when the width really changes (the observer also reports the first size).
    let width = u.width;
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== width) u.setSize({ width: (width = w), height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      if (plot.current === u) plot.current = null;
    };
    // Smoothing changes only the data: the effect below redraws it without a new plot.
  }, [shown, log, smoothed]);

  useEffect(() => {
    if (plot.current && shown?.aligned.x.length) plot.current.setData(plotData(shown.aligned, smoothing, log).data, false);
  }, [smoothing]);

  const a = shown?.aligned;
  const state = error && !a ? 'error' : loading && !a ? 'loading' : a && !a.x.length ? 'empty' : loading ? 'loading' : 'ready';
  const runErrors = a?.runs.filter((r) => r.error) ?? [];
  const points = a?.runs.reduce((n, r) => n + r.points, 0) ?? 0;
  return (
    <div
      ref={card}
      className="metric-chart card"
      data-metric={metric}
      data-runs={runs.length}
      data-state={state}
      data-buckets={a?.x.length ?? 0}
      data-points={points}
      data-max={a?.max ?? ''}
      data-min={a?.min ?? ''}
      data-range={shown?.range ? shown.range.join(':') : ''}
      data-bucket-width={a?.bucketWidth ?? ''}
      data-axis={axis}
      data-scale={log ? 'log' : 'linear'}
    >
      <header className="metric-head">
        <h3 className="mono" title={metric}>
          {metric}
        </h3>
        <span className="muted chart-note">
          {a ? `${points.toLocaleString()} point${points === 1 ? '' : 's'}${a.binned ? ` in ${a.x.length.toLocaleString()} buckets` : ''} · max ${formatValue(a.max)}` : ''}
          {loading && a ? ' · loading…' : ''}
        </span>
        <span className="actions">
          <button className="small" disabled={!shown?.range} onClick={() => shown?.range && setWant(zoomIn(shown.range))} aria-label={`Zoom in on ${metric}`}>
            Zoom in
          </button>
          <button className="small" disabled={!want} onClick={() => setWant(null)} aria-label={`Reset zoom of ${metric}`}>
            Reset
          </button>
        </span>
      </header>
      {error ? <ErrorBox error={error} /> : null}
      {state === 'loading' ? <p className="muted chart-placeholder">loading {metric}…</p> : null}
      {state === 'empty' ? <p className="muted chart-placeholder">No points{want ? ' in this range' : ''}.</p> : null}
      <div ref={box} className="plot" role="img" aria-label={a ? `${metric}: ${points} points, from ${formatValue(a.min)} to ${formatValue(a.max)}` : metric} />
      {a && a.x.length ? <p ref={info} className="muted readout" aria-live="off" /> : null}
      {runErrors.map((r) => (
        <p key={r.runId} className="error chart-note">
          {runs.find((x) => x.id === r.runId)?.label ?? r.runId}: {r.error}
        </p>
      ))}
    </div>
  );
}
