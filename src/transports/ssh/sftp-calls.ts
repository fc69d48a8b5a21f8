import type { SFTPWrapper } from 'ssh2';

/** An ssh2 callback call as a promise (a throw inside the call rejects it too). */
export function call<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err);
    }
  });
}

/** Replaces `to` atomically where the server has OpenSSH's posix-rename extension (SFTP's own RENAME refuses an existing target). */
export async function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (err) {
    if (!/does not support/i.test((err as Error).message ?? '')) throw err;
  }
  await call<void>((cb) => sftp.unlink(to, () => cb(undefined))); // not atomic, for servers without the extension
  await call<void>((cb) => sftp.rename(from, to, cb));
}
