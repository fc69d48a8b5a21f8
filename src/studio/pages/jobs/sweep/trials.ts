// A sweep's trials as its page shows them, apart from any DOM: sorting and filtering the table,
// the settings in words (search space, sampling, early termination) and the colour of a value.
import type { SweepTrialView, SweepView } from '../../../../protocol/sweep-spec.ts';
import { formatValue } from '../../../charts/series.ts';

/** A trial with its rank by the objective (1 = best; the server sends them ranked). */
export type TrialRow = SweepTrialView & { rank: number };

export const rankedRows = (v: SweepView): TrialRow[] => v.trials.map((t, i) => ({ ...t, rank: i + 1 }));

/** The search space's params in the order the sweep file names them. */
export const paramNames = (v: SweepView): string[] => Object.keys(v.search_space);

/** A column to sort by: rank, index, status, value, duration, or `param.<name>`. */
export interface TrialSort {
  key: string;
  desc: boolean;
}
export const FIXED_SORTS = ['rank', 'index', 'status', 'value', 'duration'] as const;

export function parseSort(key: string | null, dir: string | null, params: string[]): TrialSort {
  const known = (FIXED_SORTS as readonly string[]).includes(key ?? '') || (key?.startsWith('param.') && params.includes(key.slice(6)));
  return known ? { key: key!, desc: dir === 'desc' } : { key: 'rank', desc: false };
}

const collator = new Intl.Collator(undefined, { numeric: true });
type Cell = string | number | boolean | null | undefined;

function cellOf(r: TrialRow, key: string): Cell {
  if (key.startsWith('param.')) return r.params[key.slice(6)];
  if (key === 'rank') return r.rank;
  if (key === 'index') return r.index;
  if (key === 'status') return r.stopped_early ? 'Stopped early' : r.status;
  if (key === 'value') return r.value;
  if (key === 'duration') return r.duration_seconds;
  return undefined;
}

/** Missing values (no metric yet, not started) go last whichever way; ties keep the rank order. */
export function sortTrials(rows: TrialRow[], s: TrialSort): TrialRow[] {
  const sign = s.desc ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = cellOf(a, s.key);
    const y = cellOf(b, s.key);
    const xm = x === null || x === undefined;
    const ym = y === null || y === undefined;
    if (xm || ym) return xm === ym ? a.rank - b.rank : xm ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    return sign * c || a.rank - b.rank;
  });
}

export const STATUS_FILTERS: { value: string; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Not finished' },
  { value: 'Completed', label: 'Completed' },
  { value: 'stopped', label: 'Stopped early' },
  { value: 'Failed', label: 'Failed' },
  { value: 'Canceled', label: 'Canceled (not stopped early)' },
];

const TERMINAL = ['Completed', 'Failed', 'Canceled'];

/** `status` one of STATUS_FILTERS; `text` words that the name or some `param=value` must all hold. */
export function filterTrials(rows: TrialRow[], status: string, text: string): TrialRow[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (status === 'active' && TERMINAL.includes(r.status)) return false;
    if (status === 'stopped' && !r.stopped_early) return false;
    if (status === 'Canceled' && (r.status !== 'Canceled' || r.stopped_early)) return false;
    if (status && !['active', 'stopped', 'Canceled'].includes(status) && r.status !== status) return false;
    if (!words.length) return true;
    const hay = [r.name, ...Object.entries(r.params).map(([k, v]) => `${k}=${String(v)}`)].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** A param's value for a cell: numbers short, the rest as they are. */
export const showParam = (v: string | number | boolean | undefined): string => (v === undefined ? '-' : typeof v === 'number' ? formatValue(v) : String(v));

/** `uniform(0.01, 0.3)`, `choice(1, 2, 3)`: one distribution as the sweep file gives it. */
export function describeDistribution(d: SweepView['search_space'][string]): string {
  if (d.type === 'choice') {
    const shown = d.values.slice(0, 8).map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
    return `choice(${shown.join(', ')}${d.values.length > 8 ? `, … ${d.values.length} values` : ''})`;
  }
  const { type, ...rest } = d;
  return `${type}(${Object.entries(rest).map(([k, v]) => (k === 'q' ? `q=${v}` : String(v))).join(', ')})`;
}

const fields = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .filter(([k, v]) => k !== 'type' && v !== undefined && v !== null)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');

/** `random (seed 7)`, `bayesian (seed 3)`, `grid`: the sampler, with the seed the sweep draws with. */
export function describeSampling(s: unknown, seed: number): string {
  const o = typeof s === 'string' ? { type: s } : typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : { type: 'random' };
  const type = String(o.type ?? 'random');
  const rest = fields({ ...o, seed: undefined });
  const parts = [rest, type === 'grid' ? '' : `seed ${seed}`].filter(Boolean).join(', ');
  return parts ? `${type} (${parts})` : type;
}

/** `bandit (slack factor 0.1, evaluation interval 1)`, or none. */
export function describePolicy(p: unknown): string {
  if (!p || typeof p !== 'object') return 'none';
  const o = p as Record<string, unknown>;
  const rest = fields(o);
  return `${String(o.type ?? 'policy')}${rest ? ` (${rest})` : ''}`;
}

// Viridis at five stops: dark purple (worst) to yellow (best), readable for colour-blind eyes.
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of a place 0 (worst) to 1 (best) on the value scale. */
export function valueColor(f: number): string {
  const t = Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  const mix = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * (t - i));
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** Where each trial's value sits between the worst and the best, for colouring (null without a value). */
export function valueScale(trials: SweepTrialView[], goal: 'maximize' | 'minimize'): (t: SweepTrialView) => number | null {
  const values = trials.map((t) => t.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return (t) => {
    if (t.value === null || !Number.isFinite(t.value)) return null;
    const f = hi === lo ? 1 : (t.value - lo) / (hi - lo);
    return goal === 'maximize' ? f : 1 - f;
  };
}
