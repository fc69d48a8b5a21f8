import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PermanentError } from './client.ts';

/** What the node remembers of a URL it fetched: its content in the blob cache, and how to ask whether it changed. */
interface Remembered {
  url: string;
  sha256: string;
  size: number;
  etag?: string;
  last_modified?: string;
}

export interface FetchedUrl {
  sha256: string;
  size: number;
  /** Whether the bytes came over the network this time (false: the server answered 304). */
  downloaded: boolean;
}

const TRIES = 3;
/** A download that sends nothing for this long is given up on, as a stalled connection. */
const STALL_MS = 60_000;

/** The name the server gives the file in the command when it sends none: the URL path's last segment, decoded, or `download`. */
export function urlFileName(url: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  return name || 'download';
}

/**
 * Fetches http(s) inputs once per node: the body is hashed while it streams to disk and kept in
 * the blob cache under its sha256; the URL is remembered with its ETag and Last-Modified, and
 * later jobs revalidate (a 304 reuses the cached bytes). A refusal or an unreachable host is a
 * permanent failure naming the input, after a few quick tries for the unreachable case.
 */
export class HttpInputs {
  private readonly dir: string;
  private readonly blobPath: (sha: string) => string;
  /** The most one URL may bring (a size from outside: bounded, or a wrong URL could fill the disk). */
  private readonly maxBytes: number;
  private readonly stallMs: number;
  constructor(dir: string, blobPath: (sha: string) => string, maxBytes = 64 * 2 ** 30, stallMs = STALL_MS) {
    this.dir = dir;
    this.blobPath = blobPath;
    this.maxBytes = maxBytes;
    this.stallMs = stallMs;
    mkdirSync(dir, { recursive: true });
    for (const n of readdirSync(dir)) if (n.startsWith('.download-')) rmSync(join(dir, n), { force: true }); // a crash's leftovers
  }

  async fetch(input: string, url: string, signal?: AbortSignal): Promise<FetchedUrl> {
    let last = '';
    for (let i = 0; i < TRIES; i++) {
      if (i) await new Promise((r) => setTimeout(r, 250 * 2 ** i));
      try {
        return await this.once(input, url, signal);
      } catch (err) {
        if (err instanceof PermanentError || signal?.aborted) throw err;
        last = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      }
    }
    throw new PermanentError(`input '${input}': GET ${url} failed: ${last}`);
  }

  private memoryFile(url: string): string {
    return join(this.dir, `${createHash('sha256').update(url).digest('hex')}.json`);
  }

  private remembered(url: string): Remembered | null {
    try {
      const r = JSON.parse(readFileSync(this.memoryFile(url), 'utf8')) as Remembered;
      // Only worth revalidating while the bytes are still in the cache, whole.
      return r.url === url && statSync(this.blobPath(r.sha256)).size === r.size ? r : null;
    } catch {
      return null;
    }
  }

  private async once(input: string, url: string, signal?: AbortSignal): Promise<FetchedUrl> {
    const known = this.remembered(url);
    const headers: Record<string, string> = {};
    if (known?.etag) headers['if-none-match'] = known.etag;
    if (known?.last_modified) headers['if-modified-since'] = known.last_modified;
    // One deadline, pushed back by whatever arrives: the answer's head, then each piece of its body.
    const stall = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(new Error(`nothing arrived for ${this.stallMs / 1000} s`)), this.stallMs);
    };
    arm();
    const hash = createHash('sha256');
    let size = 0;
    let res: Response;
    const tmp = join(this.dir, `.download-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      res = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, stall.signal]) : stall.signal });
      arm();
      if (res.status === 304 && known) {
        await res.body?.cancel();
        return { sha256: known.sha256, size: known.size, downloaded: false };
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        const answer = `input '${input}': GET ${url} answered ${res.status}`;
        if (res.status >= 500 || res.status === 429) throw new Error(answer);
        throw new PermanentError(answer);
      }
      const announced = Number(res.headers.get('content-length'));
      if (Number.isFinite(announced) && announced > this.maxBytes) {
        await res.body.cancel();
        throw new PermanentError(`input '${input}': ${url} is ${announced} bytes, over this node's limit of ${this.maxBytes} (CAIRN_AGENT_MAX_URL_BYTES)`);
      }
      const max = this.maxBytes;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          arm();
          hash.update(chunk);
          size += chunk.length;
          if (size > max) return done(new PermanentError(`input '${input}': ${url} sent more than this node's limit of ${max} bytes (CAIRN_AGENT_MAX_URL_BYTES)`));
          done(null, chunk);
        },
      });
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, createWriteStream(tmp));
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    } finally {
      clearTimeout(timer);
    }
    const sha256 = hash.digest('hex');
    const dest = this.blobPath(sha256);
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(tmp, dest);
    const etag = res.headers.get('etag') ?? undefined;
    const lastModified = res.headers.get('last-modified') ?? undefined;
    const memo: Remembered = { url, sha256, size, ...(etag ? { etag } : {}), ...(lastModified ? { last_modified: lastModified } : {}) };
    const file = this.memoryFile(url);
    writeFileSync(`${file}.tmp`, JSON.stringify(memo));
    renameSync(`${file}.tmp`, file);
    return { sha256, size, downloaded: true };
  }
}
