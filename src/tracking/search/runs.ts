import { invalidParam } from '../../protocol/mlflow/errors.ts';
import {
  checkComparator, compareValues, inView, matchNumber, matchString, numberValue, own, parseComparisons, pySet, rank,
  stringValue, NUMERIC_COMPARATORS, STRING_COMPARATORS, type RawComparison,
} from './filter.ts';
import { splitIdentifier } from './lexer.ts';
import { parseOrderByClause } from './order-by.ts';
import { checkMaxResults, paginate, parsePageToken } from './page-token.ts';
import type { RunAttribute, RunClause, RunEntity, RunOrder, RunView, SearchOptions } from './types.ts';

const ENTITIES = new Map<string, RunEntity>([
  ['metric', 'metric'], ['metrics', 'metric'],
  ['parameter', 'parameter'], ['parameters', 'parameter'], ['param', 'parameter'], ['params', 'parameter'],
  ['tag', 'tag'], ['tags', 'tag'],
  ['attribute', 'attribute'], ['attributes', 'attribute'], ['attr', 'attribute'], ['run', 'attribute'],
]);

// RunInfo's searchable attributes, then SearchUtils' aliases for them.
const ATTRIBUTES: readonly RunAttribute[] = ['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'];
const ALIASES = new Map<string, RunAttribute>([
  ['created', 'start_time'], ['Created', 'start_time'], ['run name', 'run_name'], ['Run name', 'run_name'], ['Run Name', 'run_name'],
]);
const SEARCH_KEYS = [...ATTRIBUTES, ...ALIASES.keys()];
const ORDER_KEYS = [...ATTRIBUTES, 'created', 'Created'];
const NUMERIC = new Set<string>(['start_time', 'end_time']);
const RUN_NAME_TAG = 'mlflow.runName';

function resolveIdentifier(text: string, validKeys: readonly string[]): { entity: RunEntity; key: string } {
  const { entity: prefix, key } = splitIdentifier(text);
  const entity = prefix === undefined ? 'attribute' : ENTITIES.get(prefix);
  if (!entity) throw invalidParam(`Invalid entity type '${prefix}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`);
  if (entity === 'attribute') {
    if (!validKeys.includes(key)) throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(validKeys)}'`);
    return { entity, key: ALIASES.get(key) ?? key };
  }
  // MLflow keeps this tag equal to run_name; reading the attribute keeps runs that lack the tag findable.
  if (entity === 'tag' && key === RUN_NAME_TAG) return { entity: 'attribute', key: 'run_name' };
  return { entity, key };
}

function toClause(c: RawComparison): RunClause {
  const { entity, key } = resolveIdentifier(c.identifier, SEARCH_KEYS);
  if (entity === 'metric') {
    return { kind: 'number', entity, key, comparator: checkComparator(c.comparator, NUMERIC_COMPARATORS), value: numberValue(c.value, 'metric') };
  }
  if (entity !== 'attribute') {
    const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
    return { kind: 'string', entity, key, comparator, value: stringValue(c.value, `${entity} (e.g. 'my-value')`) };
  }
  if (key === 'start_time' || key === 'end_time') {
    const comparator = checkComparator(c.comparator, NUMERIC_COMPARATORS);
    return { kind: 'number', entity, key, comparator, value: numberValue(c.value, `numeric attribute: ${key}`) };
  }
  const attr = key as Exclude<RunAttribute, 'start_time' | 'end_time'>;
  const comparator = checkComparator(c.comparator, [...STRING_COMPARATORS, 'IN', 'NOT IN']);
  const isList = comparator === 'IN' || comparator === 'NOT IN';
  if (c.value.type === 'list' && attr !== 'run_id') {
    throw invalidParam("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
  }
  if (isList !== (c.value.type === 'list')) {
    throw invalidParam(`Invalid comparison '${c.comparator}' with value ${c.value.text}: IN and NOT IN take a parenthesized list of quoted strings`);
  }
  if (isList) return { kind: 'list', entity, key: 'run_id', comparator, value: (c.value as { values: string[] }).values };
  return { kind: 'string', entity, key: attr, comparator, value: stringValue(c.value, 'attributes') };
}

/** The AND-ed clauses of a search_runs filter; empty for no filter. Throws MlflowError on anything malformed. */
export function parseRunFilter(filter: string | undefined): RunClause[] {
  return filter?.trim() ? parseComparisons(filter).map(toClause) : [];
}

function clauseMatches(run: RunView, c: RunClause): boolean {
  switch (c.kind) {
    case 'number': {
      const lhs = c.entity === 'metric' ? own(run.metrics, c.key) : run[c.key];
      return lhs != null && matchNumber(c.comparator, lhs, c.value);
    }
    case 'string': {
      const lhs = c.entity === 'attribute' ? run[c.key] : own(c.entity === 'tag' ? run.tags : run.params, c.key);
      return lhs != null && matchString(c.comparator, lhs, c.value);
    }
    case 'list':
      return c.value.includes(run.run_id) === (c.comparator === 'IN');
  }
}

/** A run lacking a clause's metric, param or tag matches no clause on it, `!=` included (as in MLflow). */
export const runMatches = (run: RunView, clauses: readonly RunClause[]): boolean => clauses.every((c) => clauseMatches(run, c));

/**
 * The full ordering for search_runs: the given clauses, then MLflow's tie-breakers
 * (`start_time DESC` unless start_time is already ordered on, then `run_id ASC`).
 */
export function parseRunOrderBy(orderBy: string[] | undefined): RunOrder[] {
  const orders: RunOrder[] = [];
  for (const clause of orderBy ?? []) {
    const { identifier, ascending } = parseOrderByClause(clause);
    const { entity, key } = resolveIdentifier(identifier, ORDER_KEYS);
    if (orders.some((o) => o.entity === entity && o.key === key)) {
      throw invalidParam(`\`order_by\` contains duplicate fields: [${orderBy!.map((s) => `'${s}'`).join(', ')}]`);
    }
    orders.push({ entity, key, ascending });
  }
  const has = (key: string) => orders.some((o) => o.entity === 'attribute' && o.key === key);
  if (!has('start_time')) orders.push({ entity: 'attribute', key: 'start_time', ascending: false });
  if (!has('run_id')) orders.push({ entity: 'attribute', key: 'run_id', ascending: true });
  return orders;
}

function sortValue(run: RunView, o: RunOrder): string | number | null | undefined {
  switch (o.entity) {
    case 'metric': return own(run.metrics, o.key);
    case 'parameter': return own(run.params, o.key);
    case 'tag': return own(run.tags, o.key);
    case 'attribute': return run[o.key as RunAttribute];
  }
}

/** Missing keys sort last and NaN metrics just before them, in either direction, as MLflow's SQL store does. */
export function compareRuns(orders: readonly RunOrder[]): (a: RunView, b: RunView) => number {
  return (a, b) => {
    for (const o of orders) {
      const va = sortValue(a, o);
      const vb = sortValue(b, o);
      const ra = rank(va);
      const d = ra - rank(vb) || (ra ? 0 : compareValues(va!, vb!) * (o.ascending ? 1 : -1));
      if (d) return d;
    }
    return 0;
  };
}

/** MLflow's search_runs over an in-memory list: view type, filter, order, then one page. */
export function searchRuns(runs: readonly RunView[], o: SearchOptions): { runs: RunView[]; nextPageToken?: string } {
  checkMaxResults(o.maxResults);
  const clauses = parseRunFilter(o.filter);
  const order = compareRuns(parseRunOrderBy(o.orderBy));
  const offset = parsePageToken(o.pageToken);
  const hits = runs.filter((r) => inView(r.lifecycle_stage, o.viewType) && runMatches(r, clauses)).sort(order);
  const { page, nextPageToken } = paginate(hits, offset, o.maxResults);
  return nextPageToken === undefined ? { runs: page } : { runs: page, nextPageToken };
}
