import { readFileSync } from 'node:fs';
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

/** The agent's only way to the server: JSON over HTTP with the node's token. */
export class ServerClient {
  private base: string;
  private readonly cfg: AgentConfig;
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

  async request(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; raw?: Buffer } = {}): Promise<any> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.cfg.token}` };
    let payload: any;
    if (opts.raw) {
      headers['content-type'] = 'application/octet-stream';
      payload = opts.raw;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.base}${AGENT_API}${path}`, { method, headers, body: payload, signal: opts.signal });
    if (!res.ok) {
      const text = await res.text();
      let code = 'HttpError';
      let message = text;
      try {
        const e = JSON.parse(text).error;
        code = e.code;
        message = e.message;
      } catch {}
      throw new HttpError(res.status, code, `${method} ${path}: ${res.status} ${message}`);
    }
    if (res.status === 204) return undefined;
    const type = res.headers.get('content-type') ?? '';
    return type.includes('json') ? res.json() : Buffer.from(await res.arrayBuffer());
  }
}

/** A failure that trying again cannot fix (content that arrived damaged, a file that cannot be written). */
export class PermanentError extends Error {}

/** Server down or restarting, as opposed to the server refusing the request or a permanent failure. */
export function isTransient(err: unknown): boolean {
  if (err instanceof HttpError) return err.status >= 500 || err.status === 429;
  return !(err instanceof PermanentError);
}
