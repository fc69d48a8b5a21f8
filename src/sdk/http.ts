import http from 'node:http';
import type https from 'node:https';

/** What the client needs of an HTTP answer. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  bytes(): Promise<Buffer>;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  /** A stream is sent as it is read (a big file never sits in memory); give its length in `length`. */
  body?: string | Uint8Array | NodeJS.ReadableStream;
  length?: number;
  signal?: AbortSignal;
}

// node:http rather than fetch: a CLI command makes a handful of requests and exits, and fetch's
// first call alone costs it 40-60 ms of start-up (loading undici and its parser).
// node:https (and TLS with it) is loaded on the first https request only: most commands never make one.
let secure: { mod: typeof https; agent: https.Agent } | undefined;
const httpAgent = new http.Agent({ keepAlive: true });
function transport(u: URL): { mod: typeof http | typeof https; agent: http.Agent } {
  if (u.protocol !== 'https:') return { mod: http, agent: httpAgent };
  if (!secure) {
    const mod = process.getBuiltinModule('node:https');
    secure = { mod, agent: new mod.Agent({ keepAlive: true }) };
  }
  return secure;
}

export function request(url: string, init: HttpRequest = {}): Promise<HttpResponse> {
  const u = new URL(url);
  const { mod, agent } = transport(u);
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: init.method ?? 'GET',
        headers: { ...init.headers, ...(init.length !== undefined ? { 'content-length': String(init.length) } : typeof init.body === 'string' || init.body instanceof Uint8Array ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
        agent,
        signal: init.signal,
      },
      (res) => {
        // An abort after the answer began must end a reader that is waiting on the body too.
        const abort = () => res.destroy(Object.assign(new Error('the request was aborted'), { name: 'AbortError' }));
        if (init.signal?.aborted) abort();
        init.signal?.addEventListener('abort', abort, { once: true });
        res.once('close', () => init.signal?.removeEventListener('abort', abort));
        let consumed: Promise<Buffer> | null = null;
        const bytes = () =>
          (consumed ??= (async () => {
            const chunks: Buffer[] = [];
            for await (const c of res) chunks.push(c as Buffer);
            return Buffer.concat(chunks);
          })());
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: res,
          bytes,
          text: async () => (await bytes()).toString('utf8'),
          json: async () => JSON.parse((await bytes()).toString('utf8')),
        });
      },
    );
    req.on('error', reject);
    if (init.body !== undefined && typeof init.body !== 'string' && !(init.body instanceof Uint8Array)) {
      const src = init.body;
      src.on('error', (err) => req.destroy(err));
      src.pipe(req);
    } else req.end(init.body);
  });
}
