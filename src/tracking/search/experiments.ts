import { invalidParam } from '../../protocol/mlflow/errors.ts';
import {
  checkComparator, compareValues, inView, matchNumber, matchString, numberValue, own, parseComparisons, pySet,
  stringValue, NUMERIC_COMPARATORS, STRING_COMPARATORS, type RawComparison,
} from './filter.ts';
import { splitIdentifier } from './lexer.ts';
import { parseOrderByClause } from './order-by.ts';
import { checkMaxResults, paginate, parsePageToken } from './page-token.ts';
import type { ExperimentClause, ExperimentOrder, ExperimentOrderKey, ExperimentView, SearchOptions } from './types.ts';

// SearchExperimentsUtils: a narrower grammar than runs, without the attr/attributes/run prefixes.
const ENTITIES = new Map<string, 'attribute' | 'tag'>([['attribute', 'attribute'], ['tag', 'tag'], ['tags', 'tag']]);
const SEARCH_KEYS = ['name', 'creation_time', 'last_update_time'];
const ORDER_KEYS: readonly ExperimentOrderKey[] = ['name', 'experiment_id', 'creation_time', 'last_update_time'];

function resolveIdentifier(text: string, validKeys: readonly string[]): { entity: 'attribute' | 'tag'; key: string } {
  const { entity: prefix, key } = splitIdentifier(text);
  const entity = prefix === undefined ? 'attribute' : ENTITIES.get(prefix);
  if (!entity) throw invalidParam(`Invalid entity type '${prefix}'. Valid entity types are ('attribute', 'tag', 'tags')`);
  if (entity === 'attribute' && !validKeys.includes(key)) {
    throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(validKeys)}'`);
  }
  return { entity, key };
}

function toClause(c: RawComparison): ExperimentClause {
  const { entity, key } = resolveIdentifier(c.identifier, SEARCH_KEYS);
  if (entity === 'tag') {
    const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
    return { kind: 'string', entity, key, comparator, value: stringValue(c.value, "tag (e.g. 'my-value')") };
  }
  if (key === 'name') {
    return { kind: 'string', entity, key, comparator: checkComparator(c.comparator, STRING_COMPARATORS), value: stringValue(c.value, 'attributes') };
  }
  const timeKey = key as 'creation_time' | 'last_update_time';
  const comparator = checkComparator(c.comparator, NUMERIC_COMPARATORS);
  return { kind: 'number', entity, key: timeKey, comparator, value: numberValue(c.value, `numeric attribute: ${key}`) };
}

/** The AND-ed clauses of a search_experiments filter; empty for no filter. */
export function parseExperimentFilter(filter: string | undefined): ExperimentClause[] {
  return filter?.trim() ? parseComparisons(filter).map(toClause) : [];
}

function clauseMatches(e: ExperimentView, c: ExperimentClause): boolean {
  if (c.kind === 'number') return matchNumber(c.comparator, e[c.key], c.value);
  const lhs = c.entity === 'tag' ? own(e.tags, c.key) : e.name;
  return lhs !== undefined && matchString(c.comparator, lhs, c.value);
}

export const experimentMatches = (e: ExperimentView, clauses: readonly ExperimentClause[]): boolean =>
  clauses.every((c) => clauseMatches(e, c));

/**
 * The full ordering for search_experiments, as MLflow's SQL store: the given clauses, else
 * `creation_time DESC, experiment_id ASC`, then `experiment_id DESC` unless experiment_id is ordered on.
 */
export function parseExperimentOrderBy(orderBy: string[] | undefined): ExperimentOrder[] {
  const clauses = orderBy?.length ? orderBy : ['creation_time DESC', 'experiment_id ASC'];
  const orders = clauses.map((clause): ExperimentOrder => {
    const { identifier, ascending } = parseOrderByClause(clause);
    const { entity, key } = resolveIdentifier(identifier, ORDER_KEYS);
    if (entity !== 'attribute') throw invalidParam(`Invalid order_by entity: ${entity}`);
    return { key: key as ExperimentOrderKey, ascending };
  });
  if (!orders.some((o) => o.key === 'experiment_id')) orders.push({ key: 'experiment_id', ascending: false });
  return orders;
}

// Experiment ids are integers in MLflow's SQL store, so they order numerically.
const compareIds = (a: string, b: string): number =>
  /^\d+$/.test(a) && /^\d+$/.test(b) ? a.length - b.length || compareValues(a, b) : compareValues(a, b);

export function compareExperiments(orders: readonly ExperimentOrder[]): (a: ExperimentView, b: ExperimentView) => number {
  return (a, b) => {
    for (const { key, ascending } of orders) {
      const d = key === 'experiment_id' ? compareIds(a[key], b[key]) : compareValues(a[key], b[key]);
      if (d) return ascending ? d : -d;
    }
    return 0;
  };
}

/** MLflow's search_experiments over an in-memory list: view type, filter, order, then one page. */
export function searchExperiments(
  experiments: readonly ExperimentView[],
  o: SearchOptions,
): { experiments: ExperimentView[]; nextPageToken?: string } {
  checkMaxResults(o.maxResults);
  const clauses = parseExperimentFilter(o.filter);
  const order = compareExperiments(parseExperimentOrderBy(o.orderBy));
  const offset = parsePageToken(o.pageToken);
  const hits = experiments.filter((e) => inView(e.lifecycle_stage, o.viewType) && experimentMatches(e, clauses)).sort(order);
  const { page, nextPageToken } = paginate(hits, offset, o.maxResults);
  return nextPageToken === undefined ? { experiments: page } : { experiments: page, nextPageToken };
}
