// A job's log held for the browser: a million lines must cost little, so the lines are columns
// (one array of strings, typed arrays for the rest) instead of a million objects.
import type { LogLine } from '../../../../protocol/job.ts';

export const STREAMS = ['stdout', 'stderr', 'system'] as const;
export type StreamName = (typeof STREAMS)[number];

export class LogBuffer {
  length = 0;
  /** The highest sequence number held: the next read or stream starts after it. */
  lastSeq = 0;
  readonly text: string[] = [];
  private capacity = 0;
  seq = new Float64Array(0);
  ts = new Float64Array(0);
  stream = new Uint8Array(0);
  rank = new Uint16Array(0);
  attempt = new Uint16Array(0);
  /** Ranks and attempts seen, for the pickers. */
  readonly ranks = new Set<number>();
  readonly attempts = new Set<number>();

  /** Adds lines in sequence order; one already held (a reconnect may send it again) is skipped. */
  push(lines: readonly LogLine[]): number {
    let added = 0;
    for (const l of lines) {
      if (l.seq <= this.lastSeq) continue;
      if (this.length === this.capacity) this.grow();
      const i = this.length++;
      this.text.push(l.text);
      this.seq[i] = l.seq;
      this.ts[i] = Date.parse(l.ts);
      this.stream[i] = Math.max(0, STREAMS.indexOf(l.stream as StreamName));
      this.rank[i] = l.rank ?? 0;
      this.attempt[i] = l.attempt;
      this.ranks.add(l.rank ?? 0);
      this.attempts.add(l.attempt);
      this.lastSeq = l.seq;
      added++;
    }
    return added;
  }

  private grow(): void {
    this.capacity = Math.max(1024, this.capacity * 2);
    const grown = <T extends Float64Array | Uint8Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(this.capacity);
      b.set(a);
      return b;
    };
    this.seq = grown(this.seq, (n) => new Float64Array(n));
    this.ts = grown(this.ts, (n) => new Float64Array(n));
    this.stream = grown(this.stream, (n) => new Uint8Array(n));
    this.rank = grown(this.rank, (n) => new Uint16Array(n));
    this.attempt = grown(this.attempt, (n) => new Uint16Array(n));
  }
}
