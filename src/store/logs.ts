import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewLogLine {
  stream: string;
  offset: number;
  ts: string;
  text: string;
}
export interface StoredLogLine extends NewLogLine {
  seq: number;
  attempt: number;
  rank: number;
}

/** Chunked so one statement never exceeds SQLite's or PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/** PostgreSQL text cannot hold NUL (a program may print one); both dialects store U+FFFD instead. */
const storable = (text: string) => (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text);

export class LogsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Stores lines exactly once: a line is identified by (job, attempt, rank, stream, byte offset),
   * so an agent that re-sends after a lost acknowledgement or a restart adds nothing. Returns only
   * the lines that were new, with their sequence numbers.
   */
  async append(jobId: string, attempt: number, lines: NewLogLine[], rank = 0): Promise<StoredLogLine[]> {
    const out: StoredLogLine[] = [];
    for (let i = 0; i < lines.length; i += CHUNK) {
      const rows = lines.slice(i, i + CHUNK).map((l) => ({ job_id: jobId, attempt, rank, stream: l.stream, offset: l.offset, ts: l.ts, text: storable(l.text) }));
      const inserted = await this.db
        .insertInto('log_lines')
        .values(rows)
        .onConflict((oc) => oc.columns(['job_id', 'attempt', 'rank', 'stream', 'offset']).doNothing())
        .returning(['seq', 'attempt', 'rank', 'stream', 'offset', 'ts', 'text'])
        .execute();
      out.push(...inserted.map((r) => ({ ...r, seq: Number(r.seq), offset: Number(r.offset) })));
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  async read(jobId: string, afterSeq: number, limit: number): Promise<StoredLogLine[]> {
    const rows = await this.db
      .selectFrom('log_lines')
      .select(['seq', 'attempt', 'rank', 'stream', 'offset', 'ts', 'text'])
      .where('job_id', '=', jobId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq), offset: Number(r.offset) }));
  }
}
