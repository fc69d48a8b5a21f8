// Small helpers every datastore kind shares: reading a datastore path (never absolute, never '..'),
// quoting paths into one-line messages, and running work a few at a time.
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { DatastoreError } from './types.ts';

/** A path as written in a message: quoted, and on one line even if it holds a newline. */
export function quote(path: string): string {
  return /[\x00-\x1f\x7f']/.test(path) ? JSON.stringify(path) : `'${path}'`;
}

/** Any text (a library's error message, a server's answer) squeezed onto one line. */
export function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * The segments of a path relative to a datastore's root ('' and '.' are the root itself). Refuses
 * what could leave the datastore before any backend touches storage: an absolute path, a '..'
 * segment, a backslash (a Windows separator smuggling '..\\'), or a NUL.
 */
export function relParts(path: string): string[] {
  if (path.includes('\0')) throw new DatastoreError('Invalid', `datastore path ${quote(path)} contains a NUL character`);
  if (path.startsWith('/')) throw new DatastoreError('Invalid', `datastore path ${quote(path)} is absolute; paths are relative to the datastore`);
  if (path.includes('\\')) throw new DatastoreError('Invalid', `datastore path ${quote(path)} contains a backslash; use '/' between folders`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new DatastoreError('Invalid', `datastore path ${quote(path)} may not leave its datastore ('..')`);
  return parts;
}

/** Compares paths by code unit, the same on every machine (localeCompare depends on the locale). */
export function byPath<T extends { path: string }>(a: T, b: T): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Runs `fn` over `items`, at most `limit` at once. After the first failure no new item starts; the
 * ones under way are waited for (so no stream is left half-read), then the first error is thrown.
 */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failed) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.err;
}

/**
 * The name a write uses beside its target until the content is whole; listings leave such names
 * out, so an import running during an export never takes a half-written file.
 */
export function tempName(name: string): string {
  return `.${name}.${randomBytes(6).toString('hex')}.cairn-tmp`;
}
export const isTempName = (name: string): boolean => /^\..*\.[0-9a-f]{12}\.cairn-tmp$/s.test(name);

/** The error when a listing passes its bound. */
export function tooManyFiles(where: string, maxFiles: number): DatastoreError {
  return new DatastoreError('TooLarge', `${where} holds more than ${maxFiles} files, the most one import may take`);
}

/**
 * Passes a body through while checking it is exactly the `size` bytes announced: a short or long
 * body is refused before the file is put in place, so a datastore never holds a half-written file.
 */
export function sizeGuard(size: number, what: string): Transform {
  let seen = 0;
  const wrong = () => new DatastoreError('Invalid', `the content for ${what} was ${seen} bytes, not the ${size} announced`);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > size) return cb(wrong());
      cb(null, chunk);
    },
    flush(cb) {
      cb(seen === size ? null : wrong());
    },
  });
}
