// Running a command over an SSH session channel: collects its output and exit status; a dropped
// connection rejects, a non-zero exit does not.
import type { Client, ClientChannel } from 'ssh2';
import { dropped, timedOut } from './errors.ts';
import type { ExecOptions, ExecResult, SshTarget } from './types.ts';

export interface ExecContext {
  client: Client;
  target: SshTarget;
  /** The connection is gone (set before ssh2 closes the channels it carried). */
  isClosed(): boolean;
}

/**
 * Runs `command`. `detached`: resolve as soon as the exit status arrives and close the channel,
 * instead of waiting for the command's output streams to reach EOF.
 */
export function runCommand(ctx: ExecContext, command: string, o: ExecOptions = {}, detached = false): Promise<ExecResult> {
  const what = detached ? 'a detached command' : 'a command';
  return new Promise<ExecResult>((resolve, reject) => {
    if (ctx.isClosed()) return reject(dropped(ctx.target, what));
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      fn();
    };
    const onChannel = (err: Error | undefined, ch: ClientChannel) => {
      if (err) return settle(() => reject(dropped(ctx.target, `opening a channel for ${what}`, err)));
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let code: number | null | undefined;
      let signal: string | null = null;
      const result = (): ExecResult => ({
        code: code ?? null,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errOut).toString('utf8'),
      });
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => errOut.push(d));
      ch.on('error', () => {}); // surfaced through 'close' without an exit status
      ch.stderr.on('error', () => {});
      ch.on('exit', (c: number | null, sig?: string) => {
        code = c;
        signal = sig ?? null;
        if (detached) {
          // Let the data that came with the exit status land, then let go of the channel.
          setImmediate(() => {
            settle(() => resolve(result()));
            ch.close();
          });
        }
      });
      ch.on('close', () => {
        if (code === undefined) settle(() => reject(dropped(ctx.target, what)));
        else settle(() => resolve(result()));
      });
      if (o.timeoutMs !== undefined && o.timeoutMs > 0) {
        timer = setTimeout(() => {
          settle(() => reject(timedOut(ctx.target, what, o.timeoutMs!)));
          ch.signal('KILL');
          ch.close();
        }, o.timeoutMs);
      }
      if (o.stdin !== undefined) ch.end(o.stdin);
      else ch.end();
    };
    try {
      ctx.client.exec(command, onChannel);
    } catch (err) {
      settle(() => reject(dropped(ctx.target, what, err)));
    }
  });
}
