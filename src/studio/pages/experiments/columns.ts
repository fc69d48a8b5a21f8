// Columns of the runs table: a run's params and final metrics, named as MLflow's search grammar
// names them (`params.lr`, `metrics.loss`), so a column is also what a sort sends as order_by.
import { num } from '../../charts/series.ts';
import type { Run } from './mlflow.ts';

export type ColumnKind = 'params' | 'metrics';
export interface Column {
  kind: ColumnKind;
  key: string;
}

export const columnId = (c: Column): string => `${c.kind}.${c.key}`;

/** `metrics.train.loss` is the metric `train.loss`: the kind ends at the first dot. */
export function parseColumn(id: string): Column | null {
  const dot = id.indexOf('.');
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  return dot > 0 && key && (kind === 'params' || kind === 'metrics') ? { kind, key } : null;
}

/** The columns in the URL (`cols`, comma-separated; `-` for none), else the first few of each kind. */
export function chosenColumns(param: string | null, available: { params: string[]; metrics: string[] }): Column[] {
  if (param === null) {
    return [...available.params.slice(0, 4).map((key) => ({ kind: 'params' as const, key })), ...available.metrics.slice(0, 4).map((key) => ({ kind: 'metrics' as const, key }))];
  }
  return param
    .split(',')
    .map(parseColumn)
    .filter((c): c is Column => c !== null);
}

export const columnsParam = (cols: Column[]): string => (cols.length ? cols.map(columnId).join(',') : '-');

/** Every param and metric name some run has, sorted as people read them. */
export function availableColumns(runs: Run[]): { params: string[]; metrics: string[] } {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const r of runs) {
    for (const p of r.data.params ?? []) params.add(p.key);
    for (const m of r.data.metrics ?? []) metrics.add(m.key);
  }
  const byName = new Intl.Collator(undefined, { numeric: true }).compare;
  return { params: [...params].sort(byName), metrics: [...metrics].sort(byName) };
}

/** A run's value in a column: a param's string, a metric's last value; undefined when it has none. */
export function valueOf(r: Run, c: Column): string | number | undefined {
  const i = indexOf(r);
  return c.kind === 'params' ? i.params.get(c.key) : i.metrics.get(c.key);
}

// Runs may carry thousands of metrics: each is indexed once, not searched for every cell.
const indexes = new WeakMap<Run, { params: Map<string, string>; metrics: Map<string, number> }>();
function indexOf(r: Run) {
  let i = indexes.get(r);
  if (!i) {
    i = { params: new Map((r.data.params ?? []).map((p) => [p.key, p.value])), metrics: new Map((r.data.metrics ?? []).map((m) => [m.key, num(m.value)])) };
    indexes.set(r, i);
  }
  return i;
}

/** Sorting a column is MLflow's order_by on the server (so paging stays right); keys are quoted. */
export const orderByOf = (id: string, descending: boolean): string => {
  const c = parseColumn(id);
  const field = c ? `${c.kind}.\`${c.key.replace(/`/g, '``')}\`` : `attributes.${id}`;
  return `${field} ${descending ? 'DESC' : 'ASC'}`;
};

/** The column and direction of an order_by the studio wrote (see orderByOf). */
export function parseOrderBy(order: string | null): { id: string; descending: boolean } | null {
  const m = order?.match(/^(params|metrics|attributes)\.(?:`((?:``|[^`])*)`|(\S+)) (ASC|DESC)$/);
  if (!m) return null;
  const key = m[2] !== undefined ? m[2].replace(/``/g, '`') : m[3]!;
  return { id: m[1] === 'attributes' ? key : `${m[1]}.${key}`, descending: m[4] === 'DESC' };
}
