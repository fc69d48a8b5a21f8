// A datastore that is a folder on the server's own disk. Every path is checked to stay inside the
// folder, through symbolic links too: the folder is reached by the server's own account, so a link
// planted inside it (by a job, by a user with shell access) must not open the rest of the disk.
import { constants, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatastoreSpec } from '../protocol/data.ts';
import { byPath, isTempName, oneLine, quote, relParts, sizeGuard, tempName, tooManyFiles } from './common.ts';
import { DatastoreError, type DatastoreBackend, type DatastoreFile } from './types.ts';

type Spec = Pick<Extract<DatastoreSpec, { type: 'local_folder' }>, 'path'>;

/** How many lstat calls one folder of the walk makes at once (a folder may hold 100k files). */
const STAT_BATCH = 64;

export class LocalFolderDatastore implements DatastoreBackend {
  readonly type = 'local_folder' as const;
  private readonly root: string;

  constructor(spec: Spec) {
    this.root = spec.path;
  }

  async probe(): Promise<void> {
    await this.realRoot();
  }

  async list(path: string, o: { maxFiles?: number } = {}): Promise<{ isFile: boolean; files: DatastoreFile[] }> {
    const abs = await this.resolve(path);
    const st = await lstat(abs).catch((err) => {
      throw fsError(err, path);
    });
    if (st.isSymbolicLink()) throw symlinkRefused(path);
    if (st.isFile()) return { isFile: true, files: [{ path: '', size: st.size, stamp: stampOf(st) }] };
    if (!st.isDirectory()) throw new DatastoreError('Invalid', `${quote(path)} in the datastore is neither a file nor a folder`);
    const files: DatastoreFile[] = [];
    await walk(abs, '', files, o.maxFiles ?? Infinity, path);
    return { isFile: false, files: files.sort(byPath) };
  }

  async read(path: string): Promise<Readable> {
    const abs = await this.resolve(path);
    // O_NOFOLLOW: a link swapped in after resolve() is refused by the kernel, not followed.
    const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err) => {
      throw (err as NodeJS.ErrnoException).code === 'ELOOP' ? symlinkRefused(path) : fsError(err, path);
    });
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new DatastoreError('Invalid', `${quote(path)} in the datastore is a folder, not a file`);
    }
    return fh.createReadStream();
  }

  async write(path: string, body: Readable, size: number): Promise<void> {
    let tmp: string | undefined;
    try {
      const parts = relParts(path);
      const name = parts.pop();
      if (!name) throw new DatastoreError('Invalid', 'a file to write needs a path inside the datastore, not its root');
      const dir = await this.makeFolders(parts, path);
      tmp = join(dir, tempName(name));
      // 'wx' creates a new file and never follows a link that sits at the temp name.
      await pipeline(body, sizeGuard(size, quote(path)), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
      // rename replaces a link at the target itself, never the file it points to.
      await rename(tmp, join(dir, name));
      tmp = undefined;
    } catch (err) {
      body.destroy();
      throw err instanceof DatastoreError ? err : fsError(err, path);
    } finally {
      if (tmp) await rm(tmp, { force: true }).catch(() => {});
    }
  }

  async close(): Promise<void> {}

  /** The folder's real path (links resolved), checked to be a folder. */
  private async realRoot(): Promise<string> {
    try {
      const real = await realpath(this.root);
      if (!(await stat(real)).isDirectory()) throw new DatastoreError('Invalid', `the datastore folder ${quote(this.root)} is not a folder`);
      return real;
    } catch (err) {
      if (err instanceof DatastoreError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new DatastoreError('NotFound', `the datastore folder ${quote(this.root)} does not exist on the server`);
      throw fsError(err, this.root);
    }
  }

  /** The absolute path of an existing entry: its parent's real path must lie inside the root. */
  private async resolve(path: string): Promise<string> {
    const parts = relParts(path);
    const root = await this.realRoot();
    if (parts.length === 0) return root;
    const parent = await realpath(join(root, ...parts.slice(0, -1))).catch((err) => {
      throw fsError(err, path);
    });
    if (!inside(parent, root)) throw escaped(path);
    return join(parent, parts.at(-1)!);
  }

  /** Makes the folders of a path one by one, checking each that exists (or is a link) stays inside. */
  private async makeFolders(parts: string[], path: string): Promise<string> {
    const root = await this.realRoot();
    let dir = root;
    for (const seg of parts) {
      const next = join(dir, seg);
      const st = await lstat(next).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
      if (st === null) {
        await mkdir(next, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? undefined : Promise.reject(err)));
      } else if (!st.isDirectory() && !st.isSymbolicLink()) {
        throw new DatastoreError('Invalid', `cannot write ${quote(path)}: ${quote(seg)} on the way is a file, not a folder`);
      }
      // realpath of what is there now, whoever made it, so a link raced in is still caught.
      const real = await realpath(next);
      if (!inside(real, root)) throw escaped(path);
      if (!(await stat(real)).isDirectory()) throw new DatastoreError('Invalid', `cannot write ${quote(path)}: ${quote(seg)} on the way is not a folder`);
      dir = real;
    }
    return dir;
  }
}

/** Regular files under `dir`, recursively; links (to files or folders) are neither listed nor followed. */
async function walk(dir: string, rel: string, out: DatastoreFile[], maxFiles: number, listed: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err) => {
    throw fsError(err, rel || listed);
  });
  const files = entries.filter((e) => e.isFile() && !isTempName(e.name));
  for (let i = 0; i < files.length; i += STAT_BATCH) {
    const batch = files.slice(i, i + STAT_BATCH);
    const stats = await Promise.all(batch.map((e) => lstat(join(dir, e.name)).catch(() => null))); // gone meanwhile: skipped
    batch.forEach((e, j) => {
      const st = stats[j];
      if (st?.isFile()) out.push({ path: rel ? `${rel}/${e.name}` : e.name, size: st.size, stamp: stampOf(st) });
    });
    if (out.length > maxFiles) throw tooManyFiles(`${quote(listed)} in the datastore`, maxFiles);
  }
  for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), rel ? `${rel}/${e.name}` : e.name, out, maxFiles, listed);
}

/** Size, mtime and inode: a write through temp file + rename always changes the inode. */
function stampOf(st: { size: number; mtimeMs: number; ino: number }): string {
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
}

function inside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

function escaped(path: string): DatastoreError {
  return new DatastoreError('Invalid', `${quote(path)} leads outside the datastore folder through a symbolic link`);
}

function symlinkRefused(path: string): DatastoreError {
  return new DatastoreError('Invalid', `${quote(path)} in the datastore is a symbolic link, which a datastore does not follow`);
}

function fsError(err: unknown, path: string): DatastoreError {
  if (err instanceof DatastoreError) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new DatastoreError('NotFound', `${quote(path)} does not exist in the datastore`);
    case 'EACCES':
    case 'EPERM':
      return new DatastoreError('Denied', `the server may not access ${quote(path)} in the datastore (${e.code})`);
    case 'EISDIR':
      return new DatastoreError('Invalid', `${quote(path)} in the datastore is a folder, not a file`);
    case 'ELOOP':
      return symlinkRefused(path);
    case 'ENOSPC':
    case 'EDQUOT':
      return new DatastoreError('TooLarge', `no space left for ${quote(path)} in the datastore (${e.code})`);
  }
  return new DatastoreError('Unreachable', `${quote(path)} in the datastore: ${oneLine(e.message ?? String(err))}`);
}
