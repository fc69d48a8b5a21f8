import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';

// One buffer for every file: hashing thousands of small files then allocates nothing per file.
const BUF = Buffer.allocUnsafe(1 << 20);
// A file swapped after the walk's lstat must not pull in what a symlink points to (O_NOFOLLOW),
// nor hang the submit waiting for a writer on a fifo (O_NONBLOCK; no effect on regular files).
const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export interface Hashed {
  sha256: string;
  /** Bytes actually read, which differs from the walk's size when the file changed meanwhile. */
  size: number;
}

export function hashFile(abs: string): Hashed {
  const fd = openSync(abs, FLAGS);
  try {
    const h = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fd, BUF, 0, BUF.length, null);
      if (n <= 0) break;
      h.update(n === BUF.length ? BUF : BUF.subarray(0, n));
      size += n;
    }
    return { sha256: h.digest('hex'), size };
  } finally {
    closeSync(fd);
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
