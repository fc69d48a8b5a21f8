// What the hostile suite needs beyond the usual helpers: real tokens of each kind, and requests
// that send what an attacker would (huge or endless bodies) without building them in memory.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import type { TestServer } from './cairn.ts';
import { waitFor } from './cairn.ts';

export const ADMIN = 'hostile-admin-token-0123456789';
export const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** The job's own token: the job prints $CAIRN_JOB_TOKEN as its first line. */
export async function jobTokenOf(server: TestServer, name: string, token = ADMIN): Promise<string> {
  return waitFor(`the token line of ${name}`, async () => {
    const r = await fetch(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs`, { headers: auth(token) });
    if (r.status !== 200) return null;
    const body = (await r.json()) as { lines: { text: string }[] };
    return body.lines.map((l) => l.text).find((t) => t.startsWith('cjt.')) ?? null;
  });
}

/** The local agent's node token, read where only root (the test) can: the agent's own environment. */
export function nodeTokenOf(server: TestServer): string {
  const pid = server.agentPid();
  if (!pid) throw new Error('no local agent');
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const t = env.find((e) => e.startsWith('CAIRN_AGENT_TOKEN='));
  if (!t) throw new Error('the agent has no CAIRN_AGENT_TOKEN');
  return t.slice('CAIRN_AGENT_TOKEN='.length);
}

export interface FloodResult {
  status: number;
  body: string;
  /** Bytes written before the server answered (or closed the connection). */
  sent: number;
}

/**
 * Announces `declared` bytes (or none, chunked) and writes filler until the server answers or the
 * whole amount is sent; what the server does before reading it all is what is under test. A raw
 * socket, so an answer the server sends before closing its side is read even when writing fails.
 */
export function flood(url: string, o: { method?: string; declared?: number; total: number; contentType: string; headers?: Record<string, string>; chunk?: Buffer }): Promise<FloodResult> {
  const u = new URL(url);
  const chunk = o.chunk ?? Buffer.alloc(256 * 1024, 0x5b); // '[' again and again: deep and long
  const chunked = o.declared === undefined;
  const head = [
    `${o.method ?? 'POST'} ${u.pathname}${u.search} HTTP/1.1`,
    `host: ${u.host}`,
    `content-type: ${o.contentType}`,
    chunked ? 'transfer-encoding: chunked' : `content-length: ${o.declared}`,
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = '';
    let done = false;
    const socket = net.connect(Number(u.port), u.hostname);
    const finish = () => {
      if (done) return;
      const m = /^HTTP\/1\.1 (\d+)/.exec(received);
      if (!m) return void (received ? undefined : reject(new Error(`no answer after ${sent} bytes`)));
      const body = received.slice(received.indexOf('\r\n\r\n') + 4);
      done = true;
      socket.destroy();
      // A chunked answer's body: the first chunk holds the whole JSON here.
      resolve({ status: Number(m[1]), body: /^[0-9a-f]+\r\n/.test(body) ? body.split('\r\n')[1]! : body, sent });
    };
    socket.on('data', (d) => {
      received += d;
      if (received.includes('\r\n\r\n') && /\}\s*(\r\n0\r\n\r\n)?$/.test(received)) finish();
    });
    socket.on('error', () => setTimeout(finish, 200));
    socket.on('close', () => setTimeout(finish, 50));
    socket.write(head);
    // One piece per turn of the event loop: an answer that has arrived is read before the next
    // write, which would fail (and drop the answer) once the server has closed the connection.
    const pump = () => {
      if (received || socket.destroyed) return;
      if (sent >= o.total) return void (chunked && socket.write('0\r\n\r\n'));
      const n = Math.min(chunk.length, o.total - sent);
      sent += n;
      const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
      const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
      if (ok) setImmediate(pump);
      else socket.once('drain', () => setImmediate(pump));
    };
    pump();
  });
}

/** Peak resident memory of a process (VmHWM), in MiB. */
export function peakRssMib(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
