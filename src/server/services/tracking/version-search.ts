import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import type { AssetRow } from '../../../store/assets.ts';
import {
  checkComparator, compareValues, matchNumber, matchString, numberValue, own, parseComparisons, stringValue, NUMERIC_COMPARATORS, STRING_COMPARATORS,
  type RawComparison,
} from '../../../tracking/search/filter.ts';
import { splitIdentifier } from '../../../tracking/search/lexer.ts';
import { parseOrderByClause } from '../../../tracking/search/order-by.ts';
import { paginate, parsePageToken } from '../../../tracking/search/page-token.ts';
import { MODEL_ID_PROPERTY, compareVersions, readRecord } from './registry-views.ts';

/** MLflow's bound on search_model_versions' max_results. */
const MAX_VERSIONS = 200_000;

type Match = (r: AssetRow) => boolean;
const STRING_KEYS: Record<string, (r: AssetRow) => string | undefined> = {
  name: (r) => r.name,
  run_id: (r) => r.run_id ?? undefined,
  source_path: (r) => r.path,
  current_stage: (r) => r.stage ?? 'None',
  model_id: (r) => readRecord(r.properties)[MODEL_ID_PROPERTY],
};

function clause(c: RawComparison): Match {
  const { entity, key } = splitIdentifier(c.identifier);
  if (entity === 'tags' || entity === 'tag') {
    const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
    const value = stringValue(c.value, "tag (e.g. 'my-value')");
    return (r) => {
      const v = own(readRecord(r.tags), key);
      return v !== undefined && matchString(comparator, v, value);
    };
  }
  if (entity !== undefined && entity !== 'attribute' && entity !== 'attributes') throw invalidParam(`Invalid entity type '${entity}' in filter`);
  if (key === 'version_number' || key === 'version') {
    const comparator = checkComparator(c.comparator, NUMERIC_COMPARATORS);
    const value = numberValue(c.value, `numeric attribute: ${key}`);
    return (r) => r.version_num !== null && matchNumber(comparator, Number(r.version_num), value);
  }
  const get = STRING_KEYS[key];
  if (!get) throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are ${Object.keys(STRING_KEYS).join(', ')}, version_number, tags.<key>`);
  if (c.comparator === 'IN' || c.comparator === 'NOT IN') {
    if (key !== 'run_id' && key !== 'model_id') throw invalidParam(`Invalid comparator '${c.comparator}' for ${key}: IN is for run_id`);
    if (c.value.type !== 'list') throw invalidParam(`Expected a list of quoted strings after ${c.comparator}`);
    const values = new Set(c.value.values);
    const negate = c.comparator === 'NOT IN';
    return (r) => {
      const v = get(r);
      return v !== undefined && values.has(v) !== negate;
    };
  }
  const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
  const value = stringValue(c.value, 'attributes');
  return (r) => {
    const v = get(r);
    return v !== undefined && matchString(comparator, v, value);
  };
}

function order(spec: string): (a: AssetRow, b: AssetRow) => number {
  const { identifier, ascending } = parseOrderByClause(spec);
  const key = splitIdentifier(identifier).key;
  const sign = ascending ? 1 : -1;
  if (key === 'version_number' || key === 'version') return (a, b) => sign * compareVersions(a, b);
  const get: ((r: AssetRow) => string | number) | undefined =
    key === 'name' ? (r) => r.name : key === 'creation_timestamp' ? (r) => Number(r.created_ms) : key === 'last_updated_timestamp' || key === 'timestamp' ? (r) => Number(r.updated_ms) : undefined;
  if (!get) throw invalidParam(`Invalid order by key '${key}' specified. Valid keys are 'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'`);
  return (a, b) => sign * compareValues(get(a), get(b));
}

/**
 * search_model_versions over Cairn's model versions: name, run_id (also IN), source_path,
 * current_stage, model_id, version_number and tags; newest registrations first unless ordered.
 */
export function searchVersions(rows: AssetRow[], o: { filter?: string; maxResults?: number; orderBy?: string[]; pageToken?: string }): { rows: AssetRow[]; nextPageToken?: string } {
  const max = o.maxResults ?? 10_000;
  if (!Number.isInteger(max) || max < 1 || max > MAX_VERSIONS) {
    throw invalidParam(`Invalid value for request parameter max_results. It must be at most ${MAX_VERSIONS}, but got value ${max}`);
  }
  const matches = o.filter?.trim() ? parseComparisons(o.filter).map(clause) : [];
  const orders = [...(o.orderBy ?? []).map(order), order('last_updated_timestamp DESC'), order('name ASC'), order('version_number DESC')];
  const hits = rows.filter((r) => matches.every((m) => m(r))).sort((a, b) => {
    for (const ord of orders) {
      const d = ord(a, b);
      if (d) return d;
    }
    return 0;
  });
  const { page, nextPageToken } = paginate(hits, parsePageToken(o.pageToken), max);
  return { rows: page, nextPageToken };
}
