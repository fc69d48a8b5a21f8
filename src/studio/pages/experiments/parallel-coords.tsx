// Runs compared on a canvas of parallel axes (SVG): one vertical axis per chosen param or metric,
// one line per run. Selected runs are drawn on top in colour; clicking a line selects its run.
import { useEffect, useMemo, useRef, useState } from 'react';
import { colorOf } from '../../charts/series.ts';
import { columnId, type Column } from './columns.ts';
import type { Run } from './mlflow.ts';
import { layoutParallel, pathOf } from './parallel-layout.ts';

const HEIGHT = 320;
const TOP = 44;
const BOTTOM = 24;
const SIDE = 70;
/** Axes spread over the width there is, but never closer than this (the view scrolls sideways then). */
const MIN_GAP = 110;

/** `stroke`, when given, colours the lines that are not selected (a sweep colours them by value). */
export function ParallelCoords({ runs, columns, selected, onToggle, stroke }: { runs: Run[]; columns: Column[]; selected: string[]; onToggle: (runId: string) => void; stroke?: (runId: string) => string | undefined }) {
  const { axes, lines } = useMemo(() => layoutParallel(runs, columns), [runs, columns]);
  const wrap = useRef<HTMLDivElement>(null);
  const [room, setRoom] = useState(0);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const watch = new ResizeObserver(() => setRoom(el.clientWidth));
    watch.observe(el);
    return () => watch.disconnect();
  }, [columns.length >= 2]);
  if (columns.length < 2) return <p className="muted">Choose at least two columns (params or metrics) to compare runs on parallel axes.</p>;
  const gap = Math.max(MIN_GAP, (room - 2 * SIDE) / (axes.length - 1));
  const width = Math.floor(SIDE * 2 + gap * (axes.length - 1));
  const xOf = (i: number) => SIDE + i * gap;
  const yOf = (f: number) => TOP + (1 - f) * (HEIGHT - TOP - BOTTOM);
  const order = new Map(selected.map((id, i) => [id, i]));
  const drawn = lines.filter((l) => l.ys.some((y) => y !== null));
  // Unselected first, so the selected lines stay on top.
  const sorted = [...drawn].sort((a, b) => (order.has(a.runId) ? 1 : 0) - (order.has(b.runId) ? 1 : 0));
  return (
    <div className="parallel-wrap" ref={wrap}>
      <svg className="parallel" data-lines={drawn.length} data-axes={axes.length} width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={`${drawn.length} runs on ${axes.length} axes: ${columns.map((c) => c.key).join(', ')}`}>
        {sorted.map((l) => {
          const at = order.get(l.runId);
          const own = at === undefined ? stroke?.(l.runId) : undefined;
          return (
            <path
              key={l.runId}
              d={pathOf(l.ys, xOf, yOf)}
              className={at !== undefined ? 'line picked' : own ? 'line colored' : 'line'}
              style={at !== undefined ? { stroke: colorOf(at) } : own ? { stroke: own } : undefined}
              data-run={l.runId}
              onClick={() => onToggle(l.runId)}
            >
              <title>{l.name}</title>
            </path>
          );
        })}
        {axes.map((a, i) => (
          <g key={columnId(a.column)} className="axis" transform={`translate(${xOf(i)},0)`}>
            <line y1={yOf(0)} y2={yOf(1)} />
            <text className="axis-name" y={TOP - 26} textAnchor="middle">
              {a.column.key.length > 22 ? `${a.column.key.slice(0, 21)}…` : a.column.key}
            </text>
            <text className="axis-kind" y={TOP - 12} textAnchor="middle">
              {a.column.kind === 'params' ? 'param' : 'metric'}
            </text>
            {a.ticks.map((t) => (
              <text key={`${t.at}`} className="tick" x={-5} y={yOf(t.at) + 4} textAnchor="end">
                {t.label}
              </text>
            ))}
          </g>
        ))}
      </svg>
    </div>
  );
}
