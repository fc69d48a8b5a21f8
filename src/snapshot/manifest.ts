import type { ManifestEntry } from '../protocol/snapshot.ts';
import { sha256Hex } from './hash.ts';

// UTF-16 order differs from UTF-8 byte order only between surrogates (U+D800..DFFF, which
// encode code points past U+FFFF) and U+E000..U+FFFF; this maps code units to byte order.
function fix(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/** Orders paths by their UTF-8 bytes, the order any other implementation (or `LC_ALL=C sort`) gets. */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? fix(x) - fix(y) : x - y;
  }
  return a.length - b.length;
}

const HIGH = /[\ud800-\uffff]/;

/** Sorts in place by byte order, with the engine's native comparison when no path can tell the two orders apart. */
export function sortByPath<T extends { path: string }>(items: T[]): T[] {
  if (items.some((e) => HIGH.test(e.path))) return items.sort((a, b) => comparePaths(a.path, b.path));
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Fixed key order, so that equal manifests serialise to equal bytes whoever built the objects. */
export function canonicalEntry(e: ManifestEntry): ManifestEntry {
  return e.link === undefined
    ? { path: e.path, mode: e.mode, size: e.size, sha256: e.sha256 }
    : { path: e.path, mode: e.mode, size: e.size, sha256: e.sha256, link: e.link };
}

/**
 * `JSON.stringify({entries})` with entries sorted by path and canonical keys: the bytes whose hash
 * is the snapshot id, and the body the client sends. A manifest from buildSnapshot is sorted
 * already, so the sort is skipped after one linear check.
 */
export function canonicalManifestJson(entries: ManifestEntry[]): string {
  const list = entries.map(canonicalEntry);
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) sorted = comparePaths(list[i - 1]!.path, list[i]!.path) < 0;
  return JSON.stringify({ entries: sorted ? list : sortByPath(list) });
}

/** The snapshot's identity: sha256 of canonicalManifestJson(entries). */
export function manifestId(entries: ManifestEntry[]): string {
  return sha256Hex(canonicalManifestJson(entries));
}
