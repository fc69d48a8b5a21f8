import { spawn } from 'node:child_process';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import { CairnError } from '../../protocol/errors.ts';
import type { ExecOptions, ExecResult, SshSession } from '../../transports/ssh/index.ts';
import { shellQuote as q } from '../../transports/ssh/index.ts';
import type { AgentHost } from '../virtualmachine/remote-agent.ts';
import { newNonce, unwrapOutput, wrapCommand } from './markers.ts';

export interface ShellResult {
  out: string;
  err: string;
  code: number;
}

/**
 * Where a Slurm cluster's commands run: its login host over SSH, or the server's own host. Every
 * script's output is read between markers, so a login banner or a `.bashrc` that prints cannot
 * be mistaken for Slurm's answer.
 */
export interface ClusterShell {
  /** `user@host:port`, or `this host`: for messages. */
  readonly where: string;
  /** Runs a POSIX sh script with the compute's slurm_env. Throws when the host cannot be reached or the output is unreadable. */
  run(script: string, o?: { timeoutMs?: number }): Promise<ShellResult>;
  /** Writes a file whole (never half-written), with exactly `mode`. */
  write(path: string, data: Buffer, mode: number): Promise<void>;
  /** What installing the agent needs. */
  readonly host: AgentHost;
}

const DEFAULT_TIMEOUT_MS = 60_000;

function envPrefix(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${q(v)}\n`)
    .join('');
}

async function runWrapped(exec: (cmd: string, o: ExecOptions) => Promise<ExecResult>, where: string, env: Record<string, string>, script: string, timeoutMs: number): Promise<ShellResult> {
  const nonce = newNonce();
  const r = await exec(wrapCommand(envPrefix(env) + script, nonce), { timeoutMs });
  const got = unwrapOutput(r.stdout, nonce);
  if (!got) {
    const tail = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    throw new CairnError('HostCheckFailed', `the shell on ${where} did not run Cairn's command${r.code !== null ? ` (exit ${r.code})` : r.signal ? ` (${r.signal})` : ''}${tail ? `: ${tail.slice(0, 300)}` : ''}`);
  }
  return got;
}

export class SshShell implements ClusterShell {
  readonly where: string;
  readonly host: AgentHost;
  private readonly session: SshSession;
  private readonly env: Record<string, string>;

  constructor(session: SshSession, env: Record<string, string>) {
    this.session = session;
    this.host = session;
    this.env = env;
    this.where = `${session.target.username}@${session.target.host}:${session.target.port}`;
  }

  run(script: string, o: { timeoutMs?: number } = {}): Promise<ShellResult> {
    return runWrapped((c, x) => this.session.exec(c, x), this.where, this.env, script, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  write(path: string, data: Buffer, mode: number): Promise<void> {
    return this.session.upload(data, path, mode);
  }
}

/**
 * The server's own host. Slurm's commands get a clean environment (the server's would travel into
 * every batch job through sbatch's --export=ALL): PATH, HOME, the user, and slurm_env.
 */
export class LocalShell implements ClusterShell {
  readonly where = 'this host';
  readonly host: AgentHost;
  /** The shell's own environment; slurm_env is set by each script, as on a login host. */
  private readonly env: Record<string, string>;
  private readonly slurmEnv: Record<string, string>;

  constructor(slurmEnv: Record<string, string>, path: string | undefined) {
    const user = userInfo().username;
    this.slurmEnv = slurmEnv;
    this.env = {
      PATH: path ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      HOME: homedir(),
      USER: user,
      LOGNAME: user,
      LANG: 'C.UTF-8',
    };
    this.host = {
      target: { host: 'localhost', port: 0, username: user },
      exec: (command, o) => this.exec(command, o ?? {}),
      upload: async (data, path, mode) => {
        if (!Buffer.isBuffer(data)) {
          const { copyFileSync } = await import('node:fs');
          const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
          copyFileSync(data.localPath, tmp);
          chmodSync(tmp, mode ?? 0o644);
          renameSync(tmp, path);
          return;
        }
        await this.write(path, data, mode ?? 0o644);
      },
    };
  }

  run(script: string, o: { timeoutMs?: number } = {}): Promise<ShellResult> {
    return runWrapped((c, x) => this.exec(c, x), this.where, this.slurmEnv, script, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  async write(path: string, data: Buffer, mode: number): Promise<void> {
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  }

  private exec(command: string, o: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { env: this.env, stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (d: Buffer) => out.push(d));
      child.stderr!.on('data', (d: Buffer) => err.push(d));
      const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (signal === 'SIGKILL' && o.timeoutMs) return reject(new CairnError('Timeout', `a Slurm command on this host took longer than ${Math.round(o.timeoutMs / 1000)} s`));
        resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      if (child.stdin) {
        // A command that exits without reading its input must not take the server down with EPIPE.
        child.stdin.on('error', () => {});
        child.stdin.end(o.stdin);
      }
    });
  }
}
