// A datastore on an SFTP server (ssh2). One connection, opened on first use and reused until close()
// or until it drops (the next call opens a new one). The host key is checked against the pinned
// SHA256 fingerprint before any credential is sent. Paths are under the spec's `path`, which SFTP
// reads relative to the login's home when it is relative. The account's own permissions bound what
// the datastore reaches, so unlike local_folder no link is resolved here; the walk never follows one.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type ConnectConfig, type SFTPWrapper, type Stats } from 'ssh2';
import type { DatastoreSpec } from '../protocol/data.ts';
import { byPath, isTempName, oneLine, quote, relParts, sizeGuard, tempName, tooManyFiles } from './common.ts';
import { DatastoreError, type DatastoreBackend, type DatastoreFile } from './types.ts';
import { call, rename } from '../transports/ssh/sftp-calls.ts';
import { SOCKET_CAUSES } from '../transports/socket-causes.ts';

type Spec = Extract<DatastoreSpec, { type: 'sftp' }>;

const READY_TIMEOUT_MS = 10_000;
/** Bytes per SFTP WRITE and how many may be in flight: one at a time is a round trip per 32 KB. */
const CHUNK = 32 * 1024;
const IN_FLIGHT = 64;
/** SFTP status codes (draft-ietf-secsh-filexfer-02), which ssh2 puts on err.code. */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;


export class SftpDatastore implements DatastoreBackend {
  readonly type = 'sftp' as const;
  /** The host key the server presented (SHA256:...), once connected: a datastore made without host_key pins it. */
  seenHostKey: string | undefined;
  private readonly spec: Spec;
  private conn: Promise<{ client: Client; sftp: SFTPWrapper }> | undefined;

  constructor(spec: Spec) {
    this.spec = spec;
  }

  /** host:port as people write it, IPv6 in brackets. */
  private get at(): string {
    const { host, port } = this.spec;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  async probe(): Promise<void> {
    const sftp = await this.session();
    const st = await call<Stats>((cb) => sftp.stat(this.spec.path, cb)).catch((err) => {
      throw (err as { code?: unknown }).code === NO_SUCH_FILE ? new DatastoreError('NotFound', `the datastore folder ${quote(this.spec.path)} does not exist on ${this.at}`) : this.sftpError(err, this.spec.path);
    });
    if (!st.isDirectory()) throw new DatastoreError('Invalid', `the datastore path ${quote(this.spec.path)} on ${this.at} is not a folder`);
  }

  async list(path: string, o: { maxFiles?: number } = {}): Promise<{ isFile: boolean; files: DatastoreFile[] }> {
    const abs = this.remote(path);
    const sftp = await this.session();
    const st = await call<Stats>((cb) => sftp.stat(abs, cb)).catch((err) => {
      throw this.sftpError(err, path);
    });
    if (st.isFile()) return { isFile: true, files: [{ path: '', size: st.size, stamp: stampOf(st) }] };
    if (!st.isDirectory()) throw new DatastoreError('Invalid', `${quote(path)} on ${this.at} is neither a file nor a folder`);
    const files: DatastoreFile[] = [];
    const maxFiles = o.maxFiles ?? Infinity;
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await call<{ filename: string; attrs: Stats }[]>((cb) => sftp.readdir(dir, cb)).catch((err) => {
        throw this.sftpError(err, rel || path);
      });
      const sub: string[] = [];
      // OpenSSH's readdir reports lstat attributes: a link is neither a file nor a folder here.
      for (const e of entries) {
        const p = rel ? `${rel}/${e.filename}` : e.filename;
        if (e.attrs.isFile() && !isTempName(e.filename)) files.push({ path: p, size: e.attrs.size, stamp: stampOf(e.attrs) });
        else if (e.attrs.isDirectory()) sub.push(e.filename);
      }
      if (files.length > maxFiles) throw tooManyFiles(`${quote(path)} on ${this.at}`, maxFiles);
      for (const name of sub) await walk(posix.join(dir, name), rel ? `${rel}/${name}` : name);
    };
    await walk(abs, '');
    return { isFile: false, files: files.sort(byPath) };
  }

  async read(path: string): Promise<Readable> {
    const abs = this.remote(path);
    const sftp = await this.session();
    // Opened here, not inside the stream, so a missing file is a NotFound from read() itself.
    const handle = await call<Buffer>((cb) => sftp.open(abs, 'r', cb)).catch((err) => {
      throw this.sftpError(err, path);
    });
    const st = await call<Stats>((cb) => sftp.fstat(handle, cb)).catch((err) => {
      sftp.close(handle, () => {});
      throw this.sftpError(err, path);
    });
    if (!st.isFile()) {
      sftp.close(handle, () => {});
      throw new DatastoreError('Invalid', `${quote(path)} on ${this.at} is a folder, not a file`);
    }
    return Readable.from(readAll(sftp, handle, st.size, () => this.sftpError(new Error('the file changed while it was being read'), path)), { objectMode: false });
  }

  async write(path: string, body: Readable, size: number): Promise<void> {
    let tmp: string | undefined;
    let sftp: SFTPWrapper | undefined;
    try {
      const parts = relParts(path);
      const name = parts.pop();
      if (!name) throw new DatastoreError('Invalid', 'a file to write needs a path inside the datastore, not its root');
      sftp = await this.session();
      const dir = this.remote(parts.join('/'));
      await this.mkdirs(sftp, dir, path);
      tmp = posix.join(dir, tempName(name));
      const handle = await call<Buffer>((cb) => sftp!.open(tmp!, 'wx', { mode: 0o644 }, cb));
      try {
        await pipeline(body, sizeGuard(size, quote(path)), (src: AsyncIterable<Buffer>) => writeAll(sftp!, handle, src));
      } finally {
        await call<void>((cb) => sftp!.close(handle, cb)).catch(() => {});
      }
      await rename(sftp, tmp, posix.join(dir, name));
      tmp = undefined;
    } catch (err) {
      body.destroy();
      throw err instanceof DatastoreError ? err : this.sftpError(err, path);
    } finally {
      if (tmp && sftp) await call<void>((cb) => sftp!.unlink(tmp!, cb)).catch(() => {});
    }
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    const c = await conn.catch(() => null);
    c?.client.end();
  }

  /** Where a datastore path is on the server. */
  private remote(path: string): string {
    return posix.join(this.spec.path, ...relParts(path));
  }

  /** mkdir -p over SFTP: climbs until a folder exists, then makes the rest on the way down. */
  private async mkdirs(sftp: SFTPWrapper, dir: string, path: string): Promise<void> {
    const st = await call<Stats>((cb) => sftp.stat(dir, cb)).catch((err: { code?: unknown }) => (err.code === NO_SUCH_FILE ? null : Promise.reject(err)));
    if (st?.isDirectory()) return;
    if (st) throw new DatastoreError('Invalid', `cannot write ${quote(path)} on ${this.at}: ${quote(dir)} is a file, not a folder`);
    const parent = posix.dirname(dir);
    if (parent !== dir) await this.mkdirs(sftp, parent, path);
    await call<void>((cb) => sftp.mkdir(dir, { mode: 0o755 }, cb)).catch(async (err) => {
      // Made meanwhile by a parallel write: fine when it is a folder now.
      const now = await call<Stats>((cb) => sftp.stat(dir, cb)).catch(() => null);
      if (!now?.isDirectory()) throw err;
    });
  }

  private session(): Promise<SFTPWrapper> {
    if (!this.conn) {
      const conn = this.connect();
      this.conn = conn;
      // A failed connect is not kept: the next call tries again.
      conn.catch(() => {
        if (this.conn === conn) this.conn = undefined;
      });
    }
    return this.conn.then((c) => c.sftp);
  }

  private connect(): Promise<{ client: Client; sftp: SFTPWrapper }> {
    const { host, port, credentials: cred } = this.spec;
    const pinned = this.spec.host_key?.replace(/=+$/, '');
    let conn!: Promise<{ client: Client; sftp: SFTPWrapper }>;
    // A dropped connection is forgotten, so the next call opens a new one.
    const forget = () => {
      if (this.conn === conn) this.conn = undefined;
    };
    conn = new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      let connected = false;
      let mismatch: string | undefined;
      const fail = (err: DatastoreError) => {
        forget();
        if (settled) return;
        settled = true;
        client.destroy();
        reject(err);
      };
      client.on('connect', () => {
        connected = true;
        // Without it every SFTP round trip waits on Nagle + delayed ACK: about 40 ms each on Linux.
        client.setNoDelay(true);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => fail(this.connectError(err, connected, mismatch)));
      client.on('close', () => fail(new DatastoreError('Unreachable', `sftp: ${this.at} closed the connection before login`)));
      client.once('ready', () => {
        client.sftp((err, sftp) => {
          if (err) return fail(new DatastoreError('Denied', `sftp: ${this.at} refused the SFTP subsystem to user '${cred.username}': ${oneLine(err.message)}`));
          settled = true;
          sftp.on('close', forget);
          resolve({ client, sftp });
        });
      });
      const config: ConnectConfig = {
        host,
        port,
        username: cred.username,
        password: cred.password,
        privateKey: cred.private_key,
        readyTimeout: READY_TIMEOUT_MS,
        keepaliveInterval: 5000,
        keepaliveCountMax: 3,
        tryKeyboard: false,
        // Called during key exchange, before any credential is sent.
        hostVerifier: (key: Buffer): boolean => {
          const seen = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          this.seenHostKey = seen;
          if (pinned && seen !== pinned) mismatch = seen;
          return !mismatch;
        },
      };
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 parses the private key synchronously: a malformed key lands here.
        fail(new DatastoreError('Denied', `sftp: the private key for user '${cred.username}' cannot be used: ${oneLine((err as Error).message)}`));
      }
    });
    return conn;
  }

  private connectError(err: Error & { level?: string; code?: string }, connected: boolean, mismatch: string | undefined): DatastoreError {
    const user = this.spec.credentials.username;
    if (mismatch) return new DatastoreError('Denied', `sftp: the host key of ${this.at} is ${mismatch}, not the datastore's host_key ${this.spec.host_key}; if the host was reinstalled, update host_key`);
    if (err.level === 'client-authentication') {
      const c = this.spec.credentials;
      const what = c.private_key && c.password ? 'the key and the password' : c.private_key ? 'the key' : c.password ? 'the password' : 'every method (no key or password given)';
      return new DatastoreError('Denied', `sftp: user '${user}' at ${this.at} refused ${what}`);
    }
    if (err.level === 'client-timeout') return new DatastoreError('Unreachable', `sftp: cannot reach ${this.at}: ${connected ? 'no SSH handshake' : 'no connection'} within ${READY_TIMEOUT_MS / 1000} s`);
    if (err.level === 'client-dns') return new DatastoreError('Unreachable', `sftp: cannot reach ${this.at}: host name not found`);
    const cause = (err.code && SOCKET_CAUSES[err.code]) || oneLine(err.message);
    return new DatastoreError('Unreachable', `sftp: cannot reach ${this.at}: ${cause}`);
  }

  private sftpError(err: unknown, path: string): DatastoreError {
    if (err instanceof DatastoreError) return err;
    const e = err as { code?: unknown; message?: string };
    if (e.code === NO_SUCH_FILE) return new DatastoreError('NotFound', `${quote(path)} does not exist in the datastore at ${this.at}`);
    if (e.code === PERMISSION_DENIED) return new DatastoreError('Denied', `user '${this.spec.credentials.username}' may not access ${quote(path)} at ${this.at}`);
    const msg = oneLine(e.message ?? String(err));
    if (!this.conn) return new DatastoreError('Unreachable', `sftp: the connection to ${this.at} dropped during ${quote(path)}: ${msg}`);
    return new DatastoreError('Invalid', `sftp: ${quote(path)} at ${this.at}: ${msg}`);
  }
}

/** Size and mtime: SFTP v3 has no inode and mtime in whole seconds, so this is the best it offers. */
function stampOf(st: { size: number; mtime: number }): string {
  return `${st.size}:${st.mtime}`;
}

/** Writes a stream at increasing offsets with up to IN_FLIGHT requests outstanding (bounded memory). */
async function writeAll(sftp: SFTPWrapper, handle: Buffer, src: AsyncIterable<Buffer>): Promise<void> {
  let offset = 0;
  let failed: { err: unknown } | undefined;
  const pending = new Set<Promise<void>>();
  for await (const chunk of src) {
    for (let i = 0; i < chunk.length; i += CHUNK) {
      const part = chunk.subarray(i, i + CHUNK);
      const at = offset;
      offset += part.length;
      const p: Promise<void> = call<void>((cb) => sftp.write(handle, part, 0, part.length, at, (err) => cb(err ?? undefined)))
        .catch((err) => void (failed ??= { err }))
        .finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      if (failed) throw failed.err;
    }
  }
  await Promise.all(pending);
  if (failed) throw failed.err;
}

/**
 * A file's `size` bytes (its size when opened), READ_AHEAD requests of CHUNK bytes in flight (ssh2's
 * own ReadStream waits for each answer). The handle is closed before the stream ends, so closing
 * the datastore right after reading cannot cut a close still under way.
 */
async function* readAll(sftp: SFTPWrapper, handle: Buffer, size: number, changed: () => Error): AsyncGenerator<Buffer> {
  let next = 0;
  const queue: Promise<Buffer>[] = [];
  const fill = () => {
    while (queue.length < IN_FLIGHT && next < size) {
      const at = next;
      const len = Math.min(CHUNK, size - at);
      next += len;
      const p = readFully(sftp, handle, at, len, changed);
      p.catch(() => {}); // observed when its turn comes; a consumer that stops early never awaits it
      queue.push(p);
    }
  };
  try {
    fill();
    while (queue.length) {
      const buf = await queue.shift()!;
      fill();
      yield buf;
    }
  } finally {
    await call<void>((cb) => sftp.close(handle, cb)).catch(() => {});
  }
}

/** `len` bytes at `at`: SFTP may answer a READ with fewer bytes than asked, so it asks again for the rest. */
async function readFully(sftp: SFTPWrapper, handle: Buffer, at: number, len: number, changed: () => Error): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = await call<number>((cb) => sftp.read(handle, buf, got, len - got, at + got, (err, bytes) => cb(err, bytes)));
    if (!n) throw changed(); // end of file before the size it had when opened: it shrank meanwhile
    got += n;
  }
  return buf;
}

