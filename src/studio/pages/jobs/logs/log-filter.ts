// Which lines of the buffer a view shows: by stream, rank, attempt and search text. Kept as an
// index list that grows with the log (only new lines are looked at), and filled in slices of a few
// milliseconds, so filtering a million lines never freezes the page.
import { plainText } from './ansi.tsx';
import { STREAMS, type LogBuffer, type StreamName } from './log-buffer.ts';

export interface LogFilter {
  stream: StreamName | '';
  rank: number | null;
  attempt: number | null;
  search: string;
}

const SLICE_MS = 12;

export class FilteredLines {
  private key = '';
  private scanned = 0;
  private indices = new Int32Array(0);
  private all = true;
  length = 0;

  /** Line number (index into the buffer) of the view's i-th row. */
  at(i: number): number {
    return this.all ? i : this.indices[i]!;
  }

  /** Brings the view up to the buffer; false when time ran out and it should be called again. */
  update(b: LogBuffer, f: LogFilter): boolean {
    const key = `${f.stream}|${f.rank}|${f.attempt}|${f.search.toLowerCase()}`;
    if (key !== this.key) {
      this.key = key;
      this.scanned = 0;
      this.length = 0;
    }
    this.all = !f.stream && f.rank === null && f.attempt === null && !f.search;
    if (this.all) {
      this.length = this.scanned = b.length;
      return true;
    }
    const stream = f.stream ? STREAMS.indexOf(f.stream) : -1;
    const needle = f.search.toLowerCase();
    const deadline = performance.now() + SLICE_MS;
    for (let i = this.scanned; i < b.length; i++) {
      if ((i & 1023) === 0 && i > this.scanned && performance.now() > deadline) {
        this.scanned = i;
        return false;
      }
      if (stream >= 0 && b.stream[i] !== stream) continue;
      if (f.rank !== null && b.rank[i] !== f.rank) continue;
      if (f.attempt !== null && b.attempt[i] !== f.attempt) continue;
      if (needle && !plainText(b.text[i]!).toLowerCase().includes(needle)) continue;
      if (this.length === this.indices.length) {
        const grown = new Int32Array(Math.max(1024, this.indices.length * 2));
        grown.set(this.indices);
        this.indices = grown;
      }
      this.indices[this.length++] = i;
    }
    this.scanned = b.length;
    return true;
  }
}
