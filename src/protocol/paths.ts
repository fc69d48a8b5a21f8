import { CairnError } from './errors.ts';

/** Longest relative path (UTF-8 bytes): laid out under a node's work folder it must stay within PATH_MAX (4096). */
export const MAX_RELATIVE_PATH_BYTES = 1024;
/** Longest name of one file or folder (NAME_MAX on Linux file systems). */
export const MAX_SEGMENT_BYTES = 255;

/**
 * A relative POSIX path that stays inside its root and can be laid out on a node: no absolute
 * paths, no `..`, no empty or `.` segments, no NUL, no backslashes, no name longer than a file
 * system takes. Used for manifests, artifacts, tar entries.
 */
export function checkRelativePath(p: string, what = 'path'): string {
  if (isPlainRelativePath(p) && fitsFileSystem(p)) return p;
  const shown = typeof p === 'string' && p.length > 120 ? `${p.slice(0, 100)}...` : p;
  const bad = (why: string) => new CairnError('PathEscapesRoot', `${what} '${shown}' ${why}`);
  if (typeof p !== 'string' || p.length === 0) throw bad('is empty');
  if (Buffer.byteLength(p) > MAX_RELATIVE_PATH_BYTES) throw bad(`is longer than ${MAX_RELATIVE_PATH_BYTES} bytes`);
  if (p.includes('\0')) throw bad('contains a NUL byte');
  if (p.includes('\\')) throw bad('contains a backslash');
  if (p.startsWith('/')) throw bad('is absolute');
  for (const seg of p.split('/')) {
    if (seg === '..') throw bad('escapes its root with ..');
    if (seg === '' || seg === '.') throw bad('has an empty or . segment');
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) throw bad(`has a name longer than ${MAX_SEGMENT_BYTES} bytes ('${seg.slice(0, 40)}...')`);
  }
  return p;
}

/** Lengths a file system takes; bytes are counted only when the characters alone could be too many. */
function fitsFileSystem(p: string): boolean {
  if (p.length * 3 > MAX_RELATIVE_PATH_BYTES && Buffer.byteLength(p) > MAX_RELATIVE_PATH_BYTES) return false;
  let start = 0;
  for (;;) {
    const slash = p.indexOf('/', start);
    const end = slash === -1 ? p.length : slash;
    if (end - start > MAX_SEGMENT_BYTES / 3 && Buffer.byteLength(p.slice(start, end)) > MAX_SEGMENT_BYTES) return false;
    if (slash === -1) return true;
    start = slash + 1;
  }
}

/** True when a symlink target, resolved from the link's folder, stays inside the root. */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const parts = linkPath.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return false;
      parts.pop();
    } else parts.push(seg);
  }
  return true;
}

/** The common case, checked with native substring searches; anything else gets the detailed check. */
function isPlainRelativePath(p: string): boolean {
  return (
    typeof p === 'string' &&
    p.length > 0 &&
    p[0] !== '/' &&
    p[p.length - 1] !== '/' &&
    !p.includes('//') &&
    !p.includes('\\') &&
    !p.includes('\0') &&
    !p.includes('/./') &&
    !p.includes('/../') &&
    p !== '.' &&
    p !== '..' &&
    !p.startsWith('./') &&
    !p.startsWith('../') &&
    !p.endsWith('/.') &&
    !p.endsWith('/..')
  );
}
