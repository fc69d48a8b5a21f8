// A POSIX ustar archive of a few small files, for `tar -x` on hosts that fetch their own copy of
// Cairn's Python module. Deterministic (fixed owner and time), so its sha256 names its content.

export interface TarEntry {
  /** Relative, '/'-separated; at most 100 bytes (the module's paths are far shorter). */
  path: string;
  data: Buffer;
  mode: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(path: string, size: number, mode: number, type: '0' | '5'): Buffer {
  const name = Buffer.from(path, 'utf8');
  if (name.length > 100) throw new Error(`tar: path too long for ustar: ${path}`);
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0);
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum, counted as spaces
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** The archive: each file's folders first (once), then the file, then two zero blocks. */
export function ustar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const e of entries) {
    const segments = e.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = `${segments.slice(0, i).join('/')}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      parts.push(header(dir, 0, 0o755, '5'));
    }
    parts.push(header(e.path, e.data.length, e.mode, '0'), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
