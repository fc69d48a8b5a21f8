import { readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import { AGENT_API } from '../protocol/routes.ts';
import type { AgentConfig } from './config.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A request that neither answers nor sends anything for this long is given up (undici's default, which fetch had). */
const IDLE_MS = 300_000;

/**
 * The agent's only way to the server: JSON over HTTP with the node's token, on kept-alive
 * connections. node:http rather than fetch(): a job's input may be ten thousand blobs, and fetch
 * spent twice the CPU per request here (its web streams, then a copy of each body).
 */
export class ServerClient {
  private base: string;
  private readonly cfg: AgentConfig;
  private readonly pools = new Map<string, HttpAgent>();
  constructor(cfg: AgentConfig) {
    this.cfg = cfg;
    this.base = cfg.serverUrl.replace(/\/$/, '');
  }

  get serverUrl(): string {
    return this.base;
  }

  /** A restarted local server may listen elsewhere; its URL file says where. */
  refreshServerUrl(): void {
    if (!this.cfg.serverFile) return;
    try {
      const url = JSON.parse(readFileSync(this.cfg.serverFile, 'utf8')).url;
      if (typeof url === 'string' && url) this.base = url.replace(/\/$/, '');
    } catch {
      // no file yet: keep the last known URL
    }
  }

  /** `file`: sent as the raw body, streamed from disk (an output of gigabytes never sits in memory). */
  async request(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; raw?: Buffer; file?: string } = {}): Promise<any> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.cfg.token}` };
    let payload: Buffer | undefined;
    if (opts.file) {
      headers['content-type'] = 'application/octet-stream';
      // Announced, so the server refuses an upload over its limit before reading it.
      headers['content-length'] = String(statSync(opts.file).size);
    } else if (opts.raw) {
      headers['content-type'] = 'application/octet-stream';
      payload = opts.raw;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = Buffer.from(JSON.stringify(body));
    }
    if (payload) headers['content-length'] = String(payload.length);
    const res = await this.send(method, path, headers, opts.file ?? payload, opts.signal);
    const status = res.statusCode ?? 0;
    const answer = await readBody(res);
    if (status < 200 || status >= 300) throw httpError(method, path, status, answer.toString('utf8'));
    if (status === 204) return undefined;
    return String(res.headers['content-type'] ?? '').includes('json') ? JSON.parse(answer.toString('utf8')) : answer;
  }

  /**
   * A JSON request whose answer is read as it arrives (a batch of blobs may be gigabytes): the
   * response stream on success, an HttpError (its body read) otherwise.
   */
  async requestStream(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const payload = Buffer.from(JSON.stringify(body));
    const headers = { authorization: `Bearer ${this.cfg.token}`, 'content-type': 'application/json', 'content-length': String(payload.length) };
    const res = await this.send(method, path, headers, payload, signal);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw httpError(method, path, status, (await readBody(res)).toString('utf8'));
  }

  /** Sends a request on a kept-alive connection; resolves with the answer's head, its body left to the caller. */
  private async send(method: string, path: string, headers: Record<string, string>, body: Buffer | string | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(`${this.base}${AGENT_API}${path}`);
    // node:https only when the server is https: the agent on a local server never loads TLS.
    const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    let pool = this.pools.get(url.protocol);
    if (!pool) {
      pool = new mod.Agent({ keepAlive: true, maxSockets: 32 });
      this.pools.set(url.protocol, pool);
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: pool, signal }, resolve);
      req.on('error', reject);
      req.setTimeout(IDLE_MS, () => req.destroy(new Error(`${method} ${url.pathname}: no answer for ${IDLE_MS / 1000} s`)));
      if (typeof body === 'string') {
        // A refusal may come before the whole body went: the answer settles it, not the writing.
        writeFileTo(req, body).catch((err) => req.destroy(err));
      } else req.end(body);
    });
  }
}

/** A whole answer, into one buffer of the announced size as the pieces come: a large blob is held once, not twice (pieces, then their concatenation). */
function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const announced = Number(res.headers['content-length']);
    const whole = Number.isSafeInteger(announced) && announced > 0 ? Buffer.allocUnsafe(announced) : null;
    const chunks: Buffer[] = [];
    let filled = 0;
    res.on('data', (c: Buffer) => {
      if (whole && !chunks.length && filled + c.length <= whole.length) filled += c.copy(whole, filled);
      else chunks.push(c);
    });
    res.on('end', () => resolve(whole && filled === whole.length && !chunks.length ? whole : Buffer.concat(whole ? [whole.subarray(0, filled), ...chunks] : chunks)));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the answer ended'));
    });
  });
}

/**
 * Writes a file into a request through two reused 1 MiB buffers, each read into again once the
 * socket has taken it: a stream's fresh chunks would be garbage that V8 frees only every 64 MB or
 * so of external memory, and the agent's memory would follow the upload's size up to that.
 */
async function writeFileTo(req: ClientRequest, file: string): Promise<void> {
  const fh = await open(file, 'r');
  const free: Buffer[] = [];
  try {
    for (;;) {
      const buf = free.pop() ?? Buffer.allocUnsafeSlow(1 << 20);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      if (!req.write(buf.subarray(0, bytesRead), () => free.push(buf))) {
        await new Promise<void>((r) => {
          const go = () => {
            req.off('drain', go);
            req.off('close', go);
            r();
          };
          req.on('drain', go);
          req.on('close', go);
        });
      }
      if (req.destroyed) return;
    }
    req.end();
  } finally {
    await fh.close();
  }
}

/** The server's one error body read back as a typed error. */
function httpError(method: string, path: string, status: number, text: string): HttpError {
  let code = 'HttpError';
  let message = text;
  try {
    const e = JSON.parse(text).error;
    code = e.code;
    message = e.message;
  } catch {}
  return new HttpError(status, code, `${method} ${path}: ${status} ${message}`);
}

/** A failure that trying again cannot fix (content that arrived damaged, a file that cannot be written). */
export class PermanentError extends Error {}

/** Server down or restarting, as opposed to the server refusing the request or a permanent failure. */
export function isTransient(err: unknown): boolean {
  if (err instanceof HttpError) return err.status >= 500 || err.status === 429;
  return !(err instanceof PermanentError);
}
