// Where runs sit on parallel-coordinate axes, apart from drawing: one axis per chosen column,
// numeric when every value reads as a number (params arrive as strings), else categories.
import { formatValue } from '../../charts/series.ts';
import { valueOf, type Column } from './columns.ts';
import type { Run } from './mlflow.ts';

export interface ParallelAxis {
  column: Column;
  numeric: boolean;
  /** Labels along the axis, at heights from 0 (bottom) to 1 (top). */
  ticks: { at: number; label: string }[];
}
export interface ParallelLine {
  runId: string;
  name: string;
  /** Height on each axis, 0 (bottom) to 1 (top), or null where the run has no value. */
  ys: (number | null)[];
}

const asNumber = (v: string | number | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const t = v.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : undefined;
};

export function layoutParallel(runs: Run[], columns: Column[]): { axes: ParallelAxis[]; lines: ParallelLine[] } {
  const placers = columns.map((column) => {
    const values = runs.map((r) => valueOf(r, column));
    const present = values.filter((v) => v !== undefined);
    const numbers = present.map(asNumber);
    if (present.length && numbers.every((n) => n !== undefined && Number.isFinite(n))) {
      const lo = Math.min(...(numbers as number[]));
      const hi = Math.max(...(numbers as number[]));
      const at = (n: number) => (hi === lo ? 0.5 : (n - lo) / (hi - lo));
      const ticks = hi === lo ? [{ at: 0.5, label: formatValue(lo) }] : [0, 0.5, 1].map((f) => ({ at: f, label: formatValue(lo + f * (hi - lo)) }));
      return { axis: { column, numeric: true, ticks }, place: (v: string | number | undefined) => (asNumber(v) === undefined ? null : at(asNumber(v)!)) };
    }
    const categories = [...new Set(present.map(String))].sort(new Intl.Collator(undefined, { numeric: true }).compare);
    const index = new Map(categories.map((c, i) => [c, i]));
    const at = (i: number) => (categories.length < 2 ? 0.5 : i / (categories.length - 1));
    // Many categories: label some, so labels never overlap.
    const every = Math.max(1, Math.ceil(categories.length / 12));
    const ticks = categories.filter((_, i) => i % every === 0).map((c) => ({ at: at(index.get(c)!), label: c.length > 18 ? `${c.slice(0, 17)}…` : c }));
    return { axis: { column, numeric: false, ticks }, place: (v: string | number | undefined) => (v === undefined ? null : at(index.get(String(v))!)) };
  });
  return {
    axes: placers.map((p) => p.axis),
    lines: runs.map((r) => ({ runId: r.info.run_id, name: r.info.run_name, ys: placers.map((p, i) => p.place(valueOf(r, columns[i]!))) })),
  };
}

/** An SVG path through the axes; a missing value breaks the line there. */
export function pathOf(ys: (number | null)[], xOf: (i: number) => number, yOf: (f: number) => number): string {
  let d = '';
  let pen = false;
  ys.forEach((y, i) => {
    if (y === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${xOf(i).toFixed(1)} ${yOf(y).toFixed(1)}`;
    pen = true;
  });
  // A lone point (its neighbours missing) still shows, as a short tick.
  return d.replace(/M([\d.]+) ([\d.]+)(?=M|$)/g, (_m, x, y) => `M${Number(x) - 3} ${y}L${Number(x) + 3} ${y}`);
}
