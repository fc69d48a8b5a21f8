// One live SSH connection: commands, uploads and reverse tunnels over it, and its end.
import type { Client, SFTPWrapper } from 'ssh2';
import { dropped, where } from './errors.ts';
import { runCommand, type ExecContext } from './exec.ts';
import { RemoteForwards } from './forward.ts';
import type { ExecOptions, ExecResult, RemoteForward, SshSession, SshTarget } from './types.ts';
import { uploadFile } from './upload.ts';

export class Ssh2Session implements SshSession {
  readonly hostKey: string;
  readonly target: SshTarget;
  readonly #client: Client;
  readonly #forwards: RemoteForwards;
  readonly #closeCallbacks: ((err?: Error) => void)[] = [];
  #closed = false;
  #closing = false;
  #lastError: Error | undefined;
  #closeError: Error | undefined;
  #sftp: Promise<SFTPWrapper> | undefined;

  /** Takes over a Client that just emitted 'ready'. */
  constructor(client: Client, target: SshTarget, hostKey: string) {
    this.#client = client;
    this.target = target;
    this.hostKey = hostKey;
    this.#forwards = new RemoteForwards(client, target, () => this.#closed);
    client.on('error', (err: Error) => {
      this.#lastError = err;
    });
    client.on('close', () => this.#onClose());
    client.on('tcp connection', (details, accept, reject) => this.#forwards.dispatch(details, accept, reject));
  }

  get closed(): boolean {
    return this.#closed;
  }

  exec(command: string, o?: ExecOptions): Promise<ExecResult> {
    return runCommand(this.#execContext(), command, o);
  }

  execDetached(command: string, o?: { timeoutMs?: number }): Promise<ExecResult> {
    return runCommand(this.#execContext(), command, o, true);
  }

  upload(data: Buffer | { localPath: string }, remotePath: string, mode?: number): Promise<void> {
    return uploadFile({ target: this.target, sftp: () => this.#openSftp(), isClosed: () => this.#closed }, data, remotePath, mode);
  }

  forwardRemote(remotePort: number, toLocal: { host: string; port: number }): Promise<RemoteForward> {
    if (this.#closed) return Promise.reject(dropped(this.target, 'a reverse tunnel request'));
    return this.#forwards.add(remotePort, toLocal);
  }

  onClose(cb: (err?: Error) => void): void {
    if (this.#closed) queueMicrotask(() => cb(this.#closeError));
    else this.#closeCallbacks.push(cb);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closing = true;
    return new Promise<void>((resolve) => {
      this.#closeCallbacks.push(() => resolve());
      this.#client.end();
      // A peer that never answers the disconnect must not hold close() for long.
      setTimeout(() => this.#client.destroy(), 2000).unref();
    });
  }

  toString(): string {
    return `SshSession(${this.target.username}@${where(this.target)})`;
  }

  #execContext(): ExecContext {
    return { client: this.#client, target: this.target, isClosed: () => this.#closed };
  }

  /** One SFTP channel per session, opened on first use and reopened if it closes. */
  #openSftp(): Promise<SFTPWrapper> {
    if (this.#closed) return Promise.reject(dropped(this.target, 'an upload'));
    this.#sftp ??= new Promise<SFTPWrapper>((resolve, reject) => {
      const fail = (err: unknown) => {
        this.#sftp = undefined;
        reject(dropped(this.target, 'opening SFTP', err));
      };
      try {
        this.#client.sftp((err, sftp) => {
          if (err) return fail(err);
          sftp.on('close', () => {
            this.#sftp = undefined;
          });
          sftp.on('error', () => {
            this.#sftp = undefined;
          });
          resolve(sftp);
        });
      } catch (err) {
        fail(err);
      }
    });
    return this.#sftp;
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sftp = undefined;
    this.#forwards.clear();
    this.#closeError = this.#closing
      ? undefined
      : Object.assign(new Error(`ssh: the connection to ${where(this.target)} closed${this.#lastError ? `: ${this.#lastError.message}` : ''}`), {
          cause: this.#lastError,
        });
    const cbs = this.#closeCallbacks.splice(0);
    for (const cb of cbs) {
      try {
        cb(this.#closeError);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
