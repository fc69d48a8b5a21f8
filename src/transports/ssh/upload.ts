// Writing a file on the remote host over SFTP, atomically: a temp file beside the target, written
// with pipelined requests, chmod-ed, then renamed over the target.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { CairnError } from '../../protocol/errors.ts';
import { dropped, where } from './errors.ts';
import type { SshTarget } from './types.ts';
import { call, rename } from './sftp-calls.ts';

/** Bytes per SFTP WRITE and how many may be in flight: enough to fill a fast link's window. */
const CHUNK = 32 * 1024;
const IN_FLIGHT = 64;

export interface UploadContext {
  target: SshTarget;
  sftp(): Promise<SFTPWrapper>;
  isClosed(): boolean;
}

export async function uploadFile(ctx: UploadContext, data: Buffer | { localPath: string }, remotePath: string, mode?: number): Promise<void> {
  const sftp = await ctx.sftp();
  const tmp = `${remotePath}.tmp-${randomBytes(6).toString('hex')}`;
  const fail = (err: unknown, step: string): never => {
    if (ctx.isClosed()) throw dropped(ctx.target, `the upload of ${remotePath}`, err);
    const e = err as { message?: string; code?: number | string };
    throw new CairnError('BadRequest', `ssh: cannot upload to ${where(ctx.target)}:${remotePath} (${step}): ${e.message ?? String(err)}`, {
      host: ctx.target.host,
      port: ctx.target.port,
      path: remotePath,
    });
  };
  let handle: Buffer;
  try {
    handle = await call<Buffer>((cb) => sftp.open(tmp, 'w', { mode: mode ?? 0o644 }, cb));
  } catch (err) {
    return fail(err, 'create');
  }
  let written = false;
  try {
    try {
      if (Buffer.isBuffer(data)) await writeAll(sftp, handle, (off, len) => Promise.resolve(data.subarray(off, off + len)), data.length);
      else await writeLocalFile(sftp, handle, data.localPath);
    } finally {
      await call<void>((cb) => sftp.close(handle, cb)).catch(() => {});
    }
    if (mode !== undefined) await call<void>((cb) => sftp.chmod(tmp, mode, cb)).catch((err) => fail(err, 'chmod'));
    await rename(sftp, tmp, remotePath).catch((err) => fail(err, 'rename'));
    written = true;
  } catch (err) {
    if (err instanceof CairnError) throw err;
    return fail(err, 'write');
  } finally {
    if (!written && !ctx.isClosed()) await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => {});
  }
}

async function writeLocalFile(sftp: SFTPWrapper, handle: Buffer, localPath: string): Promise<void> {
  const fh = await open(localPath, 'r');
  try {
    const { size } = await fh.stat();
    await writeAll(
      sftp,
      handle,
      async (off, len) => {
        const buf = Buffer.allocUnsafe(len);
        const { bytesRead } = await fh.read(buf, 0, len, off);
        if (bytesRead !== len) throw new Error(`${localPath} changed while it was being uploaded`);
        return buf;
      },
      size,
    );
  } finally {
    await fh.close();
  }
}

/** Writes `size` bytes, `IN_FLIGHT` requests at a time (one WRITE at a time is a round trip per 32 KB). */
async function writeAll(sftp: SFTPWrapper, handle: Buffer, chunk: (off: number, len: number) => Promise<Buffer>, size: number): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < size && failed === undefined) {
      const off = next;
      const len = Math.min(CHUNK, size - off);
      next += len;
      try {
        const buf = await chunk(off, len);
        await call<void>((cb) => sftp.write(handle, buf, 0, len, off, (err) => cb(err ?? undefined)));
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(size / CHUNK)) }, worker));
  if (failed !== undefined) throw failed;
}

