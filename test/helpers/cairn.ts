import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'bin', 'cairn.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cairn-${prefix}-`));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a subprocess. */
export function runCli(args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd ?? ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A real `cairn server` process with its own data folder, on an ephemeral (or given) port. */
export class TestServer {
  readonly dataDir: string;
  url = '';
  port = 0;
  proc: ChildProcess | null = null;
  log = '';
  private readonly extraArgs: string[];
  private readonly env: NodeJS.ProcessEnv;
  /** An admin token the server is started with (--auth-token), used by the helpers and the CLI env. */
  readonly token?: string;

  /** A user to run the server as (the laptop case: a server that is not root); the test itself is root. */
  private readonly runAs?: string;
  /** Where the checkout is bound for a server run as another user (an empty folder outside its namespace). */
  private readonly checkoutMount = join(tmpdir(), `cairn-checkout-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);

  constructor(o: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; token?: string; runAs?: string } = {}) {
    this.dataDir = o.dataDir ?? tempDir('data');
    this.token = o.token;
    this.runAs = o.runAs;
    this.extraArgs = [...(o.args ?? []), ...(o.token ? ['--auth-token', o.token] : [])];
    this.env = { CAIRN_HEARTBEAT_MS: '500', CAIRN_CANCEL_GRACE_MS: '2000', CAIRN_LOG_LEVEL: 'warn', ...o.env };
  }

  /** Env for CLI calls against this server. */
  get cliEnv(): NodeJS.ProcessEnv {
    return { CAIRN_SERVER: this.url, CAIRN_HOME: this.dataDir, ...(this.token ? { CAIRN_TOKEN: this.token } : {}) };
  }

  async start(): Promise<this> {
    const serverFile = join(this.dataDir, 'server.json');
    rmSync(serverFile, { force: true });
    const args = [CLI, 'server', '--port', String(this.port), '--data-dir', this.dataDir, ...this.extraArgs];
    this.proc = this.runAs ? spawnAs(this.runAs, args, { ...process.env, ...this.env }, this.checkoutMount) : spawn(process.execPath, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    let exited = false;
    this.proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`server exited at start:\n${this.log}`);
      const f = readJson(serverFile);
      if (f?.pid === this.proc.pid) {
        this.url = f.url;
        this.port = Number(new URL(f.url).port);
        return this;
      }
      await sleep(50);
    }
    // A server that never came up must not outlive the test file: it would keep the runner waiting.
    await this.kill();
    throw new Error(`server did not start:\n${this.log}`);
  }

  /** Waits until the local agent has registered, so timings and tests start warm. */
  async waitForAgent(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
      const r = await fetch(`${this.url}/api/v1/workspaces/default/computes/local`, { headers }).then((x) => x.json()).catch(() => null);
      if (r?.nodes?.some((n: { state: string }) => n.state === 'ready')) return;
      await sleep(50);
    }
    throw new Error('the local agent did not register');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  agentPid(): number | null {
    try {
      return Number(readFileSync(join(this.dataDir, 'agents', 'local', 'agent.pid'), 'utf8'));
    } catch {
      return null;
    }
  }

  /** Orderly stop (the server stops its agent too), then the data folder goes. */
  async stop(o: { keepData?: boolean } = {}): Promise<void> {
    await this.kill('SIGTERM');
    const agent = this.agentPid();
    if (agent) {
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(agent, 0);
        } catch {
          break;
        }
        await sleep(100);
      }
    }
    if (!o.keepData) rmSync(this.dataDir, { recursive: true, force: true });
    if (this.runAs) rmSync(this.checkoutMount, { recursive: true, force: true });
  }
}

/**
 * The server as another user. The checkout may sit where that user cannot read (under /root), so
 * it is bound at a readable path in a mount namespace of the server's own; the pid is the server's
 * (unshare and setpriv exec into it).
 */
function spawnAs(user: string, args: string[], env: NodeJS.ProcessEnv, mnt: string): ChildProcess {
  mkdirSync(mnt, { recursive: true, mode: 0o755 });
  const inCheckout = (p: string) => (p.startsWith(ROOT) ? join(mnt, p.slice(ROOT.length)) : p);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `mount --bind ${q(ROOT)} ${q(mnt)} && exec setpriv --reuid=${user} --regid=$(id -g ${user}) --clear-groups -- ${[process.execPath, ...args].map(inCheckout).map(q).join(' ')}`;
  const path = (env.PATH ?? '').split(':').map(inCheckout).join(':');
  return spawn('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', script], { env: { ...env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null; // absent, or caught mid-write by an older server
  }
}

export async function json<T = any>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether a process lives (signal 0 reaches it). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
