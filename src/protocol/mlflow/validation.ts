import { invalidParam } from './errors.ts';
import { optInt64, optList, reqDouble, reqInt64, reqString, reqValueString, runIdOf, type Fields } from './fields.ts';

/** MLflow's limits (mlflow/utils/validation.py), the same in 2.12, 3.5 and head. */
export const LIMITS = {
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  keyLength: 250,
  paramValue: 6000,
  tagValue: 8000,
  experimentTagValue: 5000,
  experimentName: 500,
  historyPage: 25000,
  searchMaxResults: 50000,
} as const;

const NAME_CHARS = /^[/\w.\- :]*$/;

/** Python's posixpath.normpath, which MLflow uses to refuse names that would act like other paths. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const lead = p.startsWith('//') && !p.startsWith('///') ? 2 : p.startsWith('/') ? 1 : 0;
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (!lead && !out.length) || out[out.length - 1] === '..') out.push(c);
    else if (out.length) out.pop();
  }
  return '/'.repeat(lead) + out.join('/') || '.';
}

export type EntityKind = 'metric' | 'param' | 'tag';
const TITLE: Record<EntityKind, string> = { metric: 'Metric', param: 'Param', tag: 'Tag' };

/** Keys seen valid already: a training loop logs the same few keys thousands of times. */
const goodKeys: Record<EntityKind, Set<string>> = { metric: new Set(), param: new Set(), tag: new Set() };

export function checkKey(kind: EntityKind, key: string): string {
  const good = goodKeys[kind];
  if (good.has(key)) return key;
  checkKeyRules(kind, key);
  if (good.size > 10_000) good.clear();
  good.add(key);
  return key;
}

function checkKeyRules(kind: EntityKind, key: string): void {
  if (!NAME_CHARS.test(key)) {
    throw invalidParam(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  const norm = normpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalidParam(
      `Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
  }
  if (key.length > LIMITS.keyLength) throw invalidParam(`'${TITLE[kind]} key' exceeds the maximum length of ${LIMITS.keyLength} characters`);
}

export interface MetricIn {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface KeyValueIn {
  key: string;
  value: string;
}

export function readMetric(f: Fields): MetricIn {
  const key = checkKey('metric', reqString(f, 'key'));
  const value = reqDouble(f, 'value');
  const timestamp = reqInt64(f, 'timestamp');
  if (timestamp < 0) throw invalidParam(`Metric '${key}' has invalid timestamp ${timestamp}: timestamps must be non-negative milliseconds`);
  return { key, value, timestamp, step: optInt64(f, 'step') ?? 0 };
}

/** Long param and tag values are cut, as MLflow does by default (MLFLOW_TRUNCATE_LONG_VALUES). */
export function readParam(f: Fields): KeyValueIn {
  const key = checkKey('param', reqString(f, 'key'));
  return { key, value: reqValueString(f, 'value').slice(0, LIMITS.paramValue) };
}

export function readTag(f: Fields): KeyValueIn {
  const key = checkKey('tag', reqString(f, 'key'));
  return { key, value: reqValueString(f, 'value').slice(0, LIMITS.tagValue) };
}

/** MLflow's bound on how many entities of one kind a logging request carries, with its message. */
export function checkBatchCount(n: number, max: number, what: string): void {
  if (n > max) throw invalidParam(`A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`);
}

export interface LogBatchIn {
  runId: string;
  metrics: MetricIn[];
  params: KeyValueIn[];
  tags: KeyValueIn[];
}

export function readLogBatch(f: Fields): LogBatchIn {
  const runId = runIdOf(f);
  const rawMetrics = optList(f, 'metrics');
  const rawParams = optList(f, 'params');
  const rawTags = optList(f, 'tags');
  checkBatchCount(rawMetrics.length, LIMITS.batchMetrics, 'metrics');
  checkBatchCount(rawParams.length, LIMITS.batchParams, 'params');
  checkBatchCount(rawTags.length, LIMITS.batchTags, 'tags');
  const total = rawMetrics.length + rawParams.length + rawTags.length;
  if (total > LIMITS.batchTotal) {
    throw invalidParam(
      `A batch logging request can contain at most ${LIMITS.batchTotal} metrics, params, and tags in total. Got ${total} total. Please split up metrics, params, and tags across multiple requests and try again.`,
    );
  }
  const metrics = rawMetrics.map(readMetric);
  const params = rawParams.map(readParam);
  const seen = new Map<string, string>();
  const clashing = new Set<string>();
  for (const p of params) {
    const prev = seen.get(p.key);
    if (prev !== undefined && prev !== p.value) clashing.add(p.key);
    seen.set(p.key, p.value);
  }
  if (clashing.size) {
    throw invalidParam(`Duplicate parameter keys have been submitted: [${[...clashing].map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`);
  }
  return { runId, metrics, params: [...new Map(params.map((p) => [p.key, p])).values()], tags: rawTags.map(readTag) };
}

export function checkMaxResults(n: number | undefined, limit: number, def: number): number {
  if (n === undefined) return def;
  if (!Number.isInteger(n) || n <= 0 || n > limit) throw invalidParam(`Invalid value ${n} for parameter 'max_results' supplied. It must be a positive integer and at most ${limit}`);
  return n;
}
