/**
 * A chunk is the points one batch appended to one series, packed as float64 triples
 * [step, timestamp, value] in the machine's (little-endian) byte order. Packed chunks make a
 * million-point series a thousand rows: cheap to append, cheap to read back.
 */
export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface PackedChunk {
  count: number;
  minStep: number;
  maxStep: number;
  data: Uint8Array;
  /** The point with the greatest (step, timestamp, value): MLflow's "latest". */
  last: { step: number; ts: number; value: number };
}

/**
 * MLflow's order for "the latest value of a key": the greatest step, then timestamp, then value
 * (both its stores take the maximum of the three); NaN counts below every number.
 */
export function isLater(step: number, ts: number, value: number, lastStep: number, lastTs: number, lastValue: number): boolean {
  if (step !== lastStep) return step > lastStep;
  if (ts !== lastTs) return ts > lastTs;
  if (Number.isNaN(value)) return false;
  return Number.isNaN(lastValue) || value > lastValue;
}

export function packChunk(points: MetricPoint[]): PackedChunk {
  const arr = new Float64Array(points.length * 3);
  let minStep = Infinity;
  let maxStep = -Infinity;
  let last = points[0];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    arr[i * 3] = p.step;
    arr[i * 3 + 1] = p.timestamp;
    arr[i * 3 + 2] = p.value;
    if (p.step < minStep) minStep = p.step;
    if (p.step > maxStep) maxStep = p.step;
    if (isLater(p.step, p.timestamp, p.value, last.step, last.timestamp, last.value)) last = p;
  }
  return { count: points.length, minStep, maxStep, data: new Uint8Array(arr.buffer), last: { step: last.step, ts: last.timestamp, value: last.value } };
}

/** A view of the packed triples; copies only when the driver handed back an unaligned buffer. */
export function unpackChunk(data: Uint8Array): Float64Array {
  if (data.byteOffset % 8 === 0) return new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8);
  return new Float64Array(data.slice().buffer);
}

/** Concatenates chunks in order into one (for compaction). */
export function concatChunks(datas: Uint8Array[]): PackedChunk {
  const total = datas.reduce((n, d) => n + d.byteLength, 0);
  const out = new Float64Array(total / 8);
  let at = 0;
  for (const d of datas) {
    const f = unpackChunk(d);
    out.set(f, at);
    at += f.length;
  }
  let minStep = Infinity;
  let maxStep = -Infinity;
  let li = 0;
  for (let i = 0; i < out.length; i += 3) {
    const s = out[i];
    if (s < minStep) minStep = s;
    if (s > maxStep) maxStep = s;
    if (isLater(s, out[i + 1], out[i + 2], out[li], out[li + 1], out[li + 2])) li = i;
  }
  return { count: out.length / 3, minStep, maxStep, data: new Uint8Array(out.buffer), last: { step: out[li], ts: out[li + 1], value: out[li + 2] } };
}

/**
 * Decoded chunks by (series, start index, count). A chunk never changes once written (compaction
 * writes a new one under a new key), so cached chunks are never stale, on any number of servers.
 */
export class ChunkCache {
  private readonly map = new Map<string, Float64Array>();
  private bytes = 0;
  private readonly maxBytes: number;
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  static key(seriesId: number, startIndex: number, count: number): string {
    return `${seriesId}:${startIndex}:${count}`;
  }

  get(key: string): Float64Array | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: Float64Array): void {
    if (v.byteLength > this.maxBytes / 4 || this.map.has(key)) return;
    this.map.set(key, v);
    this.bytes += v.byteLength;
    for (const [k, old] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= old.byteLength;
    }
  }
}
