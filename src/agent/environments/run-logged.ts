import { spawn, execFile } from 'node:child_process';

/** Where a build's output goes: every line, as it comes, to each job waiting on the build. */
export type LineSink = (line: string) => void;

import { shellQuote } from '../../protocol/shell.ts';

/** A word as bash reads it back unchanged: bare when safe, else in single quotes. */
export { shellQuote };

export class BuildError extends Error {
  /** The builder's own last words, for the job's one-line reason. */
  readonly tail: string;
  constructor(message: string, tail = '') {
    super(message);
    this.name = 'BuildError';
    this.tail = tail;
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with the process group id once started, so a later agent can end a build it orphaned. */
  onStart?: (pgid: number) => void;
  /** What the step is called in the failure's one line (`pip install`); default: the command. */
  label?: string;
}

/**
 * Runs a builder (pip, conda, podman build) in a process group of its own, streams its output line
 * by line, and fails with its last error line. The command line is echoed first, as CI logs do.
 */
export function runLogged(cmd: string, args: string[], sink: LineSink, o: RunOptions = {}): Promise<void> {
  sink(`$ ${[cmd, ...args].map(shellQuote).join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) o.onStart?.(child.pid);
    let last = '';
    let lastErr = '';
    const lines = (isErr: boolean) => {
      let rest = '';
      return (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split(/\r?\n|\r/);
        rest = parts.pop() ?? '';
        for (const l of parts) emit(l, isErr);
      };
    };
    const emit = (l: string, isErr: boolean) => {
      sink(l);
      if (l.trim()) {
        last = l.trim();
        if (isErr || /error/i.test(l)) lastErr = l.trim();
      }
    };
    child.stdout.on('data', lines(false));
    child.stderr.on('data', lines(true));
    const label = o.label ?? cmd;
    child.once('error', (err) => reject(new BuildError(`${label} could not be started: ${err.message}`, err.message)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = lastErr || last;
      reject(new BuildError(`${label} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail ? `: ${tail}` : ''}`, tail));
    });
  });
}

/** A short command's stdout (for versions, ids and listings); null when it fails. */
export function capture(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: o.env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 64 * 2 ** 20 }, (err, stdout) => resolve(err ? null : stdout));
  });
}
