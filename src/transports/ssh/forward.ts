// Reverse tunnels (ssh -R): the remote host's 127.0.0.1:<port> carried back to a host:port here.
import { connect, type Socket } from 'node:net';
import type { AcceptConnection, Client, ClientChannel, RejectConnection, TcpConnectionDetails } from 'ssh2';
import { CairnError } from '../../protocol/errors.ts';
import { dropped, where } from './errors.ts';
import type { RemoteForward, SshTarget } from './types.ts';

const BIND = '127.0.0.1';

interface Entry {
  toLocal: { host: string; port: number };
  /** Both ends of every connection this forward carries, to end them on close(). */
  live: Set<{ ch: ClientChannel; sock: Socket }>;
}

/** The reverse tunnels of one connection. The session routes ssh2's 'tcp connection' events here. */
export class RemoteForwards {
  readonly #client: Client;
  readonly #target: SshTarget;
  readonly #isClosed: () => boolean;
  readonly #byPort = new Map<number, Entry>();

  constructor(client: Client, target: SshTarget, isClosed: () => boolean) {
    this.#client = client;
    this.#target = target;
    this.#isClosed = isClosed;
  }

  /** A connection arrived on a remote port we forward: connect to the local end first, then accept. */
  dispatch(details: TcpConnectionDetails, accept: AcceptConnection<ClientChannel>, reject: RejectConnection): void {
    const entry = this.#byPort.get(details.destPort);
    if (!entry) return reject();
    const sock = connect(entry.toLocal.port, entry.toLocal.host);
    sock.once('error', () => reject()); // the local end is not there: the remote client sees a refused connect
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      let ch: ClientChannel;
      try {
        ch = accept();
      } catch {
        sock.destroy();
        return;
      }
      const pair = { ch, sock };
      entry.live.add(pair);
      const end = () => {
        entry.live.delete(pair);
        sock.destroy();
        ch.destroy();
      };
      sock.on('error', end).on('close', end);
      ch.on('error', end).on('close', end);
      ch.pipe(sock).pipe(ch);
    });
  }

  add(remotePort: number, toLocal: { host: string; port: number }): Promise<RemoteForward> {
    return new Promise<RemoteForward>((resolve, reject) => {
      const onBound = (err: Error | undefined, bound: number) => {
        if (err) {
          if (this.#isClosed()) return reject(dropped(this.#target, 'a reverse tunnel request', err));
          return reject(
            new CairnError('Conflict', `ssh: ${where(this.#target)} refused to listen on ${BIND}:${remotePort} for a reverse tunnel: ${err.message}`, {
              host: this.#target.host,
              port: this.#target.port,
              remotePort,
            }),
          );
        }
        const entry: Entry = { toLocal, live: new Set() };
        this.#byPort.set(bound, entry);
        resolve({ remotePort: bound, close: () => this.#remove(bound, entry) });
      };
      try {
        this.#client.forwardIn(BIND, remotePort, onBound);
      } catch (err) {
        reject(dropped(this.#target, 'a reverse tunnel request', err));
      }
    });
  }

  async #remove(port: number, entry: Entry): Promise<void> {
    if (this.#byPort.get(port) !== entry) return;
    this.#byPort.delete(port);
    for (const { ch, sock } of entry.live) {
      sock.destroy();
      ch.destroy();
    }
    entry.live.clear();
    if (this.#isClosed()) return;
    await new Promise<void>((resolve) => {
      try {
        // Resolve either way: the server forgets a forward when the connection ends anyway.
        this.#client.unforwardIn(BIND, port, () => resolve());
      } catch {
        resolve();
      }
    });
  }

  /** The connection is gone: drop every forward's bookkeeping and live pairs. */
  clear(): void {
    for (const entry of this.#byPort.values()) for (const { ch, sock } of entry.live) (sock.destroy(), ch.destroy());
    this.#byPort.clear();
  }
}
