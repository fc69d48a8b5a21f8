import { spawn } from 'node:child_process';
import { ProviderError } from '../types.ts';

const TAIL_LINES = 4;
const TAIL_CHARS = 600;

/** The last lines a script printed, on one line: what a user reads as the reason. */
function tail(stderr: string, stdout: string): string {
  const last = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean).slice(-TAIL_LINES);
  const parts = [...last(stderr), ...last(stdout).map((l) => `stdout: ${l}`)];
  const text = parts.join(' | ');
  return text.length > TAIL_CHARS ? `...${text.slice(-TAIL_CHARS)}` : text;
}

/**
 * Runs a user's script with /bin/sh in its own process group, with the server's environment less
 * Cairn's own settings (tokens, keys) and with `env`. Resolves with its stdout; a non-zero exit, a
 * signal or the timeout (the whole group is killed) throws ProviderError with its last words.
 */
export function runScript(command: string, env: Record<string, string>, timeoutMs: number, what: string): Promise<string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('CAIRN_'))) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let done = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-1_000_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-100_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      done = true;
      reject(new ProviderError(`${what} could not be run: ${err.message}`));
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const said = tail(stderr, stdout);
      if (timedOut) return reject(new ProviderError(`${what} timed out after ${Math.round(timeoutMs / 1000)} s${said ? `: ${said}` : ''}`));
      if (code !== 0) return reject(new ProviderError(`${what} ${signal ? `was killed by ${signal}` : `exited with ${code}`}${said ? `: ${said}` : ' and printed nothing'}`));
      resolve(stdout);
    };
    child.on('close', finish);
    // A background process the script left may hold its output open: its exit is what counts.
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 2_000).unref());
  });
}

export { tail as scriptTail };
