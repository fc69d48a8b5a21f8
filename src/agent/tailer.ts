import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { AgentLogLine } from '../protocol/agent.ts';

/** Longer lines are cut into pieces at fixed byte positions, so a re-read cuts them the same way. */
export const MAX_LINE_BYTES = 64 * 1024;
const READ_CHUNK = 1 << 20;

/** A line and the offset just past it: where a reader resumes once the line is acknowledged. */
export interface TailedLine {
  line: AgentLogLine;
  end: number;
}

/**
 * Reads one log file from a byte offset and yields whole lines, each identified by the offset of
 * its first byte. Offsets are what make delivery exactly-once: the server ignores an offset it has.
 */
export class FileTailer {
  readonly path: string;
  readonly stream: 'stdout' | 'stderr' | 'system';
  /** Everything before this offset has been turned into lines. */
  offset: number;
  private carry: Buffer = Buffer.alloc(0);

  constructor(path: string, stream: 'stdout' | 'stderr' | 'system', offset: number) {
    this.path = path;
    this.stream = stream;
    this.offset = offset;
  }

  /** New complete lines; with `final`, a last line without a newline too. */
  read(final: boolean, maxLines: number): TailedLine[] {
    const out: TailedLine[] = [];
    this.split(out, maxLines); // what an earlier read left over when it hit maxLines
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return out;
    }
    try {
      const size = fstatSync(fd).size;
      let pos = this.offset + this.carry.length;
      while (pos < size && out.length < maxLines) {
        const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - pos));
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        this.carry = this.carry.length ? Buffer.concat([this.carry, buf.subarray(0, n)]) : buf.subarray(0, n);
        this.split(out, maxLines);
      }
      if (final && out.length < maxLines) this.split(out, maxLines, true);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  private split(out: TailedLine[], maxLines: number, flushAll = false): void {
    const ts = new Date().toISOString();
    let start = 0;
    const buf = this.carry;
    while (out.length < maxLines) {
      const nl = buf.indexOf(10, start);
      const end = nl === -1 ? buf.length : nl;
      if (end - start >= MAX_LINE_BYTES) {
        out.push(this.line(buf, start, start + MAX_LINE_BYTES, start + MAX_LINE_BYTES, ts));
        start += MAX_LINE_BYTES;
        continue;
      }
      if (nl === -1) {
        if (flushAll && start < buf.length) {
          out.push(this.line(buf, start, buf.length, buf.length, ts));
          start = buf.length;
        }
        break;
      }
      out.push(this.line(buf, start, nl, nl + 1, ts));
      start = nl + 1;
    }
    this.offset += start;
    this.carry = buf.subarray(start);
  }

  private line(buf: Buffer, start: number, end: number, next: number, ts: string): TailedLine {
    let e = end;
    if (e > start && buf[e - 1] === 13) e--; // CRLF
    // NUL fits no database text column: a job printing binary shows U+FFFD there instead.
    const text = buf.toString('utf8', start, e);
    return { line: { stream: this.stream, offset: this.offset + start, ts, text: text.includes('\0') ? text.replace(/\0/g, '\uFFFD') : text }, end: this.offset + next };
  }
}
