import { isSystemTag, type JobTracking, type MetricBuckets } from '../protocol/tracking.ts';
import { CairnError } from '../protocol/errors.ts';
import { parseFormat, table } from './output.ts';

type Value = number | string;

export type MetricsFormat = 'table' | 'json' | 'yaml' | 'csv';

/** `job metrics` alone also takes `-o csv`; every other command keeps json, yaml and table. */
export function parseMetricsFormat(s: string | undefined): MetricsFormat {
  if (s?.toLowerCase() === 'csv') return 'csv';
  try {
    return parseFormat(s, 'table');
  } catch {
    throw new CairnError('ValidationError', `unknown output format '${s}': job metrics takes table, json, yaml or csv`);
  }
}

/** `job show -o table`: params, the last value of each metric, and the tags people set. */
export function trackingDetail(t: JobTracking): string {
  const sections: string[] = [];
  const params = Object.entries(t.params);
  if (params.length) sections.push(`params:\n${indent(table(params, [{ header: 'Key', get: (p) => p[0] }, { header: 'Value', get: (p) => p[1] }]))}`);
  const metrics = Object.entries(t.metrics);
  if (metrics.length) {
    sections.push(
      `metrics (last value):\n${indent(
        table(metrics, [
          { header: 'Key', get: (m) => m[0] },
          { header: 'Value', get: (m) => m[1].value },
          { header: 'Step', get: (m) => m[1].step },
        ]),
      )}`,
    );
  }
  // MLflow's own tags (source, user, run name) are facts shown elsewhere; json and yaml keep them.
  const tags = Object.entries(t.tags).filter(([k]) => !isSystemTag(k));
  if (tags.length) sections.push(`tags:\n${indent(table(tags, [{ header: 'Key', get: (p) => p[0] }, { header: 'Value', get: (p) => p[1] }]))}`);
  return sections.join('\n\n');
}

const indent = (s: string) => s.replace(/^/gm, '  ');

export const csvCell = (v: unknown): string => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function latestCsv(t: JobTracking): string {
  return ['key,value,step,timestamp', ...Object.entries(t.metrics).map(([k, m]) => [k, m.value, m.step, m.timestamp].map(csvCell).join(','))].join('\n');
}

export function latestTable(t: JobTracking): string {
  const rows = Object.entries(t.metrics);
  if (!rows.length) return '(no metrics)';
  return table(rows, [
    { header: 'Key', get: (m) => m[0] },
    { header: 'Value', get: (m) => m[1].value },
    { header: 'Step', get: (m) => m[1].step },
    { header: 'Time', get: (m) => new Date(m[1].timestamp).toISOString().replace('T', ' ').slice(0, 19) },
  ]);
}

export interface Series {
  key: string;
  steps: number[];
  timestamps: number[];
  values: Value[];
}

export function seriesCsv(series: Series[]): string {
  const rows = ['key,step,timestamp,value'];
  for (const s of series) for (let i = 0; i < s.steps.length; i++) rows.push([s.key, s.steps[i], s.timestamps[i], s.values[i]].map(csvCell).join(','));
  return rows.join('\n');
}

export function seriesJson(series: Series[]): Record<string, { step: number; timestamp: number; value: Value }[]> {
  return Object.fromEntries(series.map((s) => [s.key, s.steps.map((step, i) => ({ step, timestamp: s.timestamps[i], value: s.values[i] }))]));
}

/**
 * Every point as a table. Built column by column rather than through `table()`: a series can have
 * millions of points, too many to spread into `Math.max(...)` or to hold as cell objects.
 */
export function seriesTable(series: Series[]): string {
  const time = (ts: number) => new Date(ts).toISOString().replace('T', ' ').slice(0, 23);
  const headers = ['Key', 'Step', 'Value', 'Time'];
  const widths = headers.map((h) => h.length);
  widths[3] = Math.max(widths[3], 23);
  for (const s of series) {
    widths[0] = Math.max(widths[0], s.key.length);
    for (let i = 0; i < s.steps.length; i++) {
      widths[1] = Math.max(widths[1], String(s.steps[i]).length);
      widths[2] = Math.max(widths[2], String(s.values[i]).length);
    }
  }
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(widths[0])}  ${b.padEnd(widths[1])}  ${c.padEnd(widths[2])}  ${d}`.trimEnd();
  const rows = [line(headers[0], headers[1], headers[2], headers[3]), line(...(widths.map((w) => '-'.repeat(w)) as [string, string, string, string]))];
  for (const s of series) for (let i = 0; i < s.steps.length; i++) rows.push(line(s.key, String(s.steps[i]), String(s.values[i]), time(s.timestamps[i])));
  return rows.join('\n');
}

export function bucketsCsv(all: MetricBuckets[]): string {
  const rows = ['key,start_step,end_step,count,min,max,last,last_step'];
  for (const m of all) for (const b of m.buckets) rows.push([m.key, b.start_step, b.end_step, b.count, b.min, b.max, b.last, b.last_step].map(csvCell).join(','));
  return rows.join('\n');
}

export function bucketsTable(all: MetricBuckets[]): string {
  const rows = all.flatMap((m) => m.buckets.map((b) => ({ key: m.key, ...b })));
  return table(rows, [
    { header: 'Key', get: (r) => r.key },
    { header: 'Steps', get: (r) => `${r.start_step}-${r.end_step}` },
    { header: 'Count', get: (r) => r.count },
    { header: 'Min', get: (r) => r.min },
    { header: 'Max', get: (r) => r.max },
    { header: 'Last', get: (r) => r.last },
  ]);
}
