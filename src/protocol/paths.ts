import { CairnError } from './errors.ts';

/**
 * A relative POSIX path that stays inside its root: no absolute paths, no `..`,
 * no empty or `.` segments, no NUL, no backslashes. Used for manifests, artifacts, tar entries.
 */
export function checkRelativePath(p: string, what = 'path'): string {
  if (isPlainRelativePath(p)) return p;
  const bad = (why: string) => new CairnError('PathEscapesRoot', `${what} '${p}' ${why}`);
  if (typeof p !== 'string' || p.length === 0) throw bad('is empty');
  if (p.length > 4096) throw bad('is longer than 4096 characters');
  if (p.includes('\0')) throw bad('contains a NUL byte');
  if (p.includes('\\')) throw bad('contains a backslash');
  if (p.startsWith('/')) throw bad('is absolute');
  for (const seg of p.split('/')) {
    if (seg === '..') throw bad('escapes its root with ..');
    if (seg === '' || seg === '.') throw bad('has an empty or . segment');
  }
  return p;
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
    p.length <= 4096 &&
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
