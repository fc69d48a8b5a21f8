import type { RawSql, RawSqlRunner } from './raw-sql.ts';
import { ChunkCache, concatChunks, isLater, packChunk, unpackChunk, type MetricPoint, type PackedChunk } from './metric-chunks.ts';

export type { MetricPoint } from './metric-chunks.ts';

export interface KeyValue {
  key: string;
  value: string;
}

export interface RunBatch {
  runId: string;
  metrics: MetricPoint[];
  params: KeyValue[];
  tags: KeyValue[];
  /** Identifies the request's content: the same batch sent again (a retry) stores nothing. */
  digest?: string;
  /** Checked against the run inside the transaction (throw to refuse), so no write lands on a run deleted meanwhile. */
  guard?: (run: RunGuardRow) => void;
  /** The job attempt whose token logged these points: recorded with them when the run is that job's, so each attempt's points stay apart. */
  attempt?: { jobId: string; number: number };
}

export interface RunGuardRow {
  run_id: string;
  lifecycle_stage: string;
  job_id: string | null;
  created_by_job: string | null;
}

export type BatchResult =
  | { ok: true; duplicate: boolean }
  | { ok: false; paramConflict: { key: string; old: string; new: string } }
  | { ok: false; noSuchRun: true };

export interface LatestMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface Bucket {
  start_step: number;
  end_step: number;
  count: number;
  min: number;
  max: number;
  last: number;
  last_step: number;
}

/**
 * Chunks smaller than this count against a series until the compactor merges them: what single
 * log-metric calls leave. A batch's few points per key are left alone; merging them would cost
 * writers more than it saves readers.
 */
const SMALL_CHUNK = 8;
/** Merged chunks grow up to this many points. */
const MERGED_CHUNK = 8192;
/** A series with this many small chunks is worth a compaction. */
const FRAGMENTED = 64;
/** Chunks merged in one transaction at most. */
const MERGE_AT_ONCE = 512;

/** Params, tags and metric points of runs: the one write path MLflow's log calls all end in. */
export class MetricsRepo {
  private readonly raw: RawSqlRunner;
  private readonly cache: ChunkCache;
  constructor(raw: RawSqlRunner, cacheBytes = 256 * 2 ** 20) {
    this.raw = raw;
    this.cache = new ChunkCache(cacheBytes);
  }

  /** The chunks of a series that `where` selects, decoded, in point order; only uncached ones are read. */
  private async chunks(q: RawSql, seriesId: number, where: string, params: unknown[]): Promise<{ start: number; points: Float64Array }[]> {
    const heads = await q.all<{ start_index: number; count: number }>(
      `SELECT start_index, count FROM metric_chunks WHERE series_id = ? AND ${where} ORDER BY start_index`,
      [seriesId, ...params],
    );
    const out: { start: number; points: Float64Array }[] = [];
    const missing: number[] = [];
    for (const h of heads) {
      const start = Number(h.start_index);
      const hit = this.cache.get(ChunkCache.key(seriesId, start, h.count));
      if (!hit) missing.push(start);
      out.push({ start, points: hit ?? new Float64Array(0) });
    }
    for (let i = 0; i < missing.length; i += 500) {
      const ids = missing.slice(i, i + 500);
      const rows = await q.all<{ start_index: number; count: number; data: Uint8Array }>(
        `SELECT start_index, count, data FROM metric_chunks WHERE series_id = ? AND start_index IN (${ids.map(() => '?').join(',')})`,
        [seriesId, ...ids],
      );
      const byStart = new Map(out.map((c) => [c.start, c]));
      for (const r of rows) {
        const start = Number(r.start_index);
        const c = byStart.get(start);
        if (!c) continue;
        c.points = unpackChunk(r.data);
        this.cache.set(ChunkCache.key(seriesId, start, r.count), c.points);
      }
    }
    return out;
  }

  async writeBatch(b: RunBatch): Promise<BatchResult> {
    const written: [string, Float64Array][] = [];
    const result = await this.raw.transaction(async (q): Promise<BatchResult> => {
      let attempt: number | null = null;
      if (b.guard || b.attempt) {
        const [run] = await q.all<RunGuardRow>('SELECT run_id, lifecycle_stage, job_id, created_by_job FROM runs WHERE run_id = ?', [b.runId]);
        if (!run) return { ok: false, noSuchRun: true };
        b.guard?.(run);
        if (b.attempt && run.job_id === b.attempt.jobId) attempt = b.attempt.number;
      }
      // Params never change: refuse the whole batch before writing any of it, as MLflow does.
      for (const p of b.params) {
        const [old] = await q.all<{ value: string }>('SELECT value FROM run_params WHERE run_id = ? AND key = ?', [b.runId, p.key]);
        if (old && old.value !== p.value && !sameNumber(old.value, p.value)) return { ok: false, paramConflict: { key: p.key, old: old.value, new: p.value } };
      }
      if (b.digest) {
        const fresh = await q.run('INSERT INTO metric_batches (run_id, digest, created_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [b.runId, b.digest, Date.now()]);
        if (fresh === 0) return { ok: true, duplicate: true };
      }
      for (const p of b.params) await q.run('INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [b.runId, p.key, p.value]);
      for (const t of b.tags) {
        await q.run('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value', [b.runId, t.key, t.value]);
      }
      if (b.metrics.length) await appendMetrics(q, b.runId, b.metrics, written, attempt);
      return { ok: true, duplicate: false };
    });
    // Charts read what was just written: keep it decoded, once it is committed.
    for (const [key, points] of written) this.cache.set(key, points);
    return result;
  }

  async latest(runId: string): Promise<LatestMetric[]> {
    return (await this.latestOfRuns([runId])).get(runId) ?? [];
  }

  /** The latest value of each key, for many runs in one query per 500. */
  latestOfRuns(runIds: string[]): Promise<Map<string, LatestMetric[]>> {
    return this.raw.read(async (q) => {
      const out = new Map<string, LatestMetric[]>();
      for (let i = 0; i < runIds.length; i += 500) {
        const ids = runIds.slice(i, i + 500);
        const rows = await q.all<{ run_id: string; key: string; last_value: number | null; last_ts: number; last_step: number }>(
          `SELECT run_id, key, last_value, last_ts, last_step FROM metric_series WHERE run_id IN (${ids.map(() => '?').join(',')}) ORDER BY key`,
          ids,
        );
        for (const r of rows) {
          let m = out.get(r.run_id);
          if (!m) out.set(r.run_id, (m = []));
          m.push({ key: r.key, value: r.last_value ?? NaN, timestamp: Number(r.last_ts), step: Number(r.last_step) });
        }
      }
      return out;
    });
  }

  /** One key's series of many runs: how many points each has and its last value (a sweep ranks its trials by these). */
  seriesOfRuns(runIds: string[], key: string): Promise<Map<string, { count: number; last: number }>> {
    return this.raw.read(async (q) => {
      const out = new Map<string, { count: number; last: number }>();
      for (let i = 0; i < runIds.length; i += 500) {
        const ids = runIds.slice(i, i + 500);
        const rows = await q.all<{ run_id: string; count: number; last_value: number | null }>(
          `SELECT run_id, count, last_value FROM metric_series WHERE key = ? AND run_id IN (${ids.map(() => '?').join(',')})`,
          [key, ...ids],
        );
        for (const r of rows) out.set(r.run_id, { count: Number(r.count), last: r.last_value ?? NaN });
      }
      return out;
    });
  }

  /** The values of one series in logging order (no steps or times): what early termination compares. */
  async values(runId: string, key: string, limit = 100_000): Promise<number[]> {
    const { points } = await this.history(runId, key, 0, limit);
    const out: number[] = [];
    for (let i = 2; i < points.length; i += 3) out.push(points[i]!);
    return out;
  }

  /** Which points of a series each attempt logged: index ranges in logging order (adjacent chunks of one attempt joined). */
  attemptRanges(runId: string, key: string): Promise<{ attempt: number | null; start: number; count: number }[]> {
    return this.raw.read(async (q) => {
      const [s] = await q.all<{ id: number }>('SELECT id FROM metric_series WHERE run_id = ? AND key = ?', [runId, key]);
      if (!s) return [];
      const rows = await q.all<{ start_index: number; count: number; attempt: number | null }>('SELECT start_index, count, attempt FROM metric_chunks WHERE series_id = ? ORDER BY start_index', [s.id]);
      const out: { attempt: number | null; start: number; count: number }[] = [];
      for (const r of rows) {
        const last = out[out.length - 1];
        if (last && last.attempt === r.attempt && last.start + last.count === Number(r.start_index)) last.count += r.count;
        else out.push({ attempt: r.attempt, start: Number(r.start_index), count: r.count });
      }
      return out;
    });
  }

  /** Points of one series in the order they were logged, from `offset`, at most `limit`. */
  history(runId: string, key: string, offset: number, limit: number): Promise<{ points: Float64Array; total: number }> {
    return this.raw.read(async (q) => {
      const [s] = await q.all<{ id: number; count: number }>('SELECT id, count FROM metric_series WHERE run_id = ? AND key = ?', [runId, key]);
      if (!s) return { points: new Float64Array(0), total: 0 };
      const chunks = await this.chunks(q, Number(s.id), 'start_index + count > ? AND start_index < ?', [offset, offset + limit]);
      const out = new Float64Array(Math.max(0, Math.min(limit, Number(s.count) - offset)) * 3);
      let at = 0;
      for (const c of chunks) {
        const f = c.points;
        const from = Math.max(0, offset - c.start) * 3;
        const to = Math.min(f.length, from + (out.length - at));
        out.set(f.subarray(from, to), at);
        at += to - from;
      }
      return { points: out.subarray(0, at), total: Number(s.count) };
    });
  }

  /**
   * Bucketed min/max/last over a step range: `buckets` equal slices of [startStep, endStep]
   * (the series' whole range when not given). Empty buckets are left out.
   */
  downsample(runId: string, key: string, o: { buckets: number; startStep?: number; endStep?: number }): Promise<Bucket[]> {
    return this.raw.read(async (q) => {
      const [s] = await q.all<{ id: number }>('SELECT id FROM metric_series WHERE run_id = ? AND key = ?', [runId, key]);
      if (!s) return [];
      const [range] = await q.all<{ lo: number | null; hi: number | null }>('SELECT min(min_step) AS lo, max(max_step) AS hi FROM metric_chunks WHERE series_id = ?', [s.id]);
      const lo = o.startStep ?? Number(range.lo ?? 0);
      const hi = o.endStep ?? Number(range.hi ?? 0);
      if (hi < lo) return [];
      const chunks = await this.chunks(q, Number(s.id), 'max_step >= ? AND min_step <= ?', [lo, hi]);
      const n = o.buckets;
      const width = (hi - lo + 1) / n;
      const count = new Float64Array(n);
      const min = new Float64Array(n).fill(Infinity);
      const max = new Float64Array(n).fill(-Infinity);
      const last = new Float64Array(n);
      const lastStep = new Float64Array(n).fill(-Infinity);
      const lastTs = new Float64Array(n);
      const perStep = n / (hi - lo + 1);
      for (const c of chunks) {
        const f = c.points;
        for (let i = 0; i < f.length; i += 3) {
          const step = f[i];
          if (step < lo || step > hi) continue;
          let b = ((step - lo) * perStep) | 0;
          if (b >= n) b = n - 1;
          const v = f[i + 2];
          count[b]++;
          if (v < min[b]) min[b] = v;
          if (v > max[b]) max[b] = v;
          if (step > lastStep[b] || (step === lastStep[b] && f[i + 1] >= lastTs[b])) {
            lastStep[b] = step;
            lastTs[b] = f[i + 1];
            last[b] = v;
          }
        }
      }
      const out: Bucket[] = [];
      for (let b = 0; b < n; b++) {
        if (!count[b]) continue;
        out.push({
          start_step: Math.ceil(lo + b * width),
          end_step: b === n - 1 ? hi : Math.ceil(lo + (b + 1) * width) - 1,
          count: count[b],
          min: min[b] === Infinity ? NaN : min[b],
          max: max[b] === -Infinity ? NaN : max[b],
          last: last[b],
          last_step: lastStep[b],
        });
      }
      return out;
    });
  }

  /** Series that many small appends (single log-metric calls) have split into tiny chunks. */
  async fragmentedSeries(limit: number): Promise<number[]> {
    return this.raw.read(async (q) => {
      const rows = await q.all<{ id: number }>('SELECT id FROM metric_series WHERE small_chunks >= ? LIMIT ?', [FRAGMENTED, limit]);
      return rows.map((r) => Number(r.id));
    });
  }

  /**
   * Merges the first run of adjacent small chunks (at most MERGED_CHUNK points, MERGE_AT_ONCE
   * chunks) into one; point order and indexes are unchanged. One short transaction per call, so
   * writers are never held up for long; the compactor calls again while work is left.
   */
  compact(seriesId: number): Promise<number> {
    return this.raw.transaction(async (q) => {
      const heads = await q.all<{ start_index: number; count: number; attempt: number | null }>(
        'SELECT start_index, count, attempt FROM metric_chunks WHERE series_id = ? AND count < ? ORDER BY start_index LIMIT ?',
        [seriesId, SMALL_CHUNK * 4, MERGE_AT_ONCE],
      );
      // Points of different attempts never share a chunk: each chunk says which attempt logged it.
      let group: { start: number; count: number; attempt: number | null }[] = [];
      let points = 0;
      for (const h of heads) {
        const start = Number(h.start_index);
        const prev = group[group.length - 1];
        const adjacent = prev && prev.start + prev.count === start && prev.attempt === h.attempt;
        if (!adjacent || points + h.count > MERGED_CHUNK) {
          if (group.length > 1) break;
          group = [];
          points = 0;
        }
        group.push({ start, count: h.count, attempt: h.attempt });
        points += h.count;
      }
      if (group.length < 2) {
        await q.run('UPDATE metric_series SET small_chunks = 0 WHERE id = ?', [seriesId]);
        return 0;
      }
      const first = group[0].start;
      const last = group[group.length - 1].start;
      const rows = await q.all<{ data: Uint8Array }>('SELECT data FROM metric_chunks WHERE series_id = ? AND start_index >= ? AND start_index <= ? ORDER BY start_index', [seriesId, first, last]);
      if (rows.length !== group.length) throw new Error(`series ${seriesId} changed while it was compacted`);
      await q.run('DELETE FROM metric_chunks WHERE series_id = ? AND start_index >= ? AND start_index <= ?', [seriesId, first, last]);
      await insertChunk(q, seriesId, first, concatChunks(rows.map((r) => r.data)), group[0].attempt);
      await q.run('UPDATE metric_series SET small_chunks = CASE WHEN small_chunks > ? THEN small_chunks - ? ELSE 0 END WHERE id = ?', [group.length, group.length, seriesId]);
      return group.length;
    });
  }

  async pruneBatchDigests(olderThanMs: number): Promise<number> {
    return this.raw.transaction((q) => q.run('DELETE FROM metric_batches WHERE created_ms < ?', [olderThanMs]));
  }
}

/**
 * "3" and "3.0" are one value: a sweep logs a trial's values as params, and the trial's script
 * logging the same value after its own float() must not be refused as a change.
 */
const sameNumber = (a: string, b: string) => a.trim() !== '' && b.trim() !== '' && Number.isFinite(Number(a)) && Number(a) === Number(b);

async function insertChunk(q: RawSql, seriesId: number, startIndex: number, c: PackedChunk, attempt: number | null): Promise<void> {
  await q.run('INSERT INTO metric_chunks (series_id, start_index, count, min_step, max_step, data, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    seriesId,
    startIndex,
    c.count,
    c.minStep,
    c.maxStep,
    c.data,
    attempt,
  ]);
}

/** One chunk per key of the batch, appended after the series' last point; the series keeps MLflow's "latest". */
async function appendMetrics(q: RawSql, runId: string, metrics: MetricPoint[], written: [string, Float64Array][], attempt: number | null): Promise<void> {
  const byKey = new Map<string, MetricPoint[]>();
  for (const m of metrics) {
    const list = byKey.get(m.key);
    if (list) list.push(m);
    else byKey.set(m.key, [m]);
  }
  for (const [key, all] of byKey) {
    const points = distinct(all);
    const c = packChunk(points);
    let [s] = await q.all<{ id: number; count: number; last_step: number; last_ts: number; last_value: number | null }>(
      'SELECT id, count, last_step, last_ts, last_value FROM metric_series WHERE run_id = ? AND key = ? FOR_UPDATE',
      [runId, key],
    );
    if (!s) {
      await q.run('INSERT INTO metric_series (run_id, key, count, small_chunks, last_step, last_ts, last_value) VALUES (?, ?, 0, 0, ?, ?, ?) ON CONFLICT DO NOTHING', [
        runId,
        key,
        c.last.step,
        c.last.ts,
        nanToNull(c.last.value),
      ]);
      [s] = await q.all('SELECT id, count, last_step, last_ts, last_value FROM metric_series WHERE run_id = ? AND key = ? FOR_UPDATE', [runId, key]);
    }
    const count = Number(s.count);
    // The same point sent again by itself (a client that retried with another body) is not a new point.
    if (count > 0 && c.count === 1 && c.last.step === Number(s.last_step) && c.last.ts === Number(s.last_ts) && Object.is(nanToNull(c.last.value), s.last_value)) continue;
    await insertChunk(q, s.id, count, c, attempt);
    written.push([ChunkCache.key(Number(s.id), count, c.count), unpackChunk(c.data)]);
    const newer = count === 0 || isLater(c.last.step, c.last.ts, c.last.value, Number(s.last_step), Number(s.last_ts), s.last_value ?? NaN);
    const small = c.count < SMALL_CHUNK ? 1 : 0;
    if (newer) {
      await q.run('UPDATE metric_series SET count = ?, small_chunks = small_chunks + ?, last_step = ?, last_ts = ?, last_value = ? WHERE id = ?', [
        count + c.count,
        small,
        c.last.step,
        c.last.ts,
        nanToNull(c.last.value),
        s.id,
      ]);
    } else {
      await q.run('UPDATE metric_series SET count = ?, small_chunks = small_chunks + ? WHERE id = ?', [count + c.count, small, s.id]);
    }
  }
}

const nanToNull = (v: number) => (Number.isNaN(v) ? null : v);

/** MLflow's database store knows a point by (key, timestamp, step, value): the same point twice in a batch is stored once. */
function distinct(points: MetricPoint[]): MetricPoint[] {
  if (points.length < 2) return points;
  // Distinct steps, the usual case, settle it without building a key per point.
  const steps = new Set<number>();
  for (const p of points) steps.add(p.step);
  if (steps.size === points.length) return points;
  const seen = new Set<string>();
  const out: MetricPoint[] = [];
  for (const p of points) {
    const id = `${p.step}:${p.timestamp}:${Object.is(p.value, -0) ? 0 : p.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out.length === points.length ? points : out;
}
