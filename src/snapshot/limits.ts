import { CairnError } from '../protocol/errors.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import { humanSize } from '../protocol/sizes.ts';

export const DEFAULT_WARN_BYTES = 300_000_000;
export const DEFAULT_WARN_FILES = 2000;


export function count(n: number): string {
  return n.toLocaleString('en-US');
}

interface Sized {
  path: string;
  size: number;
}

function largest(items: Sized[], k = 5): Sized[] {
  return [...items].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1)).slice(0, k);
}

function limitText(bytes: number, files: number): string {
  const parts: string[] = [];
  if (Number.isFinite(bytes)) parts.push(humanSize(bytes, true));
  if (Number.isFinite(files)) parts.push(`${count(files)} files`);
  return parts.join(' or ');
}

function detail(totalBytes: number, fileCount: number, note: string, items: Sized[]): string {
  const top = largest(items).map((e) => `${e.path} ${humanSize(e.size)}`).join(', ');
  return `snapshot is ${humanSize(totalBytes)} in ${count(fileCount)} files (${note}); largest: ${top}; list what the job does not need in .amlignore`;
}

export interface Totals {
  totalBytes: number;
  fileCount: number;
}

/**
 * Refuses before any file is hashed, so that pointing at a home folder fails in a moment rather
 * than after reading gigabytes. Symlinks count as files but carry no content, so no bytes.
 */
export function checkHardLimit(t: Totals, list: () => Sized[], maxBytes: number, maxFiles: number): void {
  if (t.totalBytes <= maxBytes && t.fileCount <= maxFiles) return;
  const items = list();
  const message = detail(t.totalBytes, t.fileCount, `refused: over the limit of ${limitText(maxBytes, maxFiles)}`, items);
  throw new CairnError('PayloadTooLarge', message, {
    total_bytes: t.totalBytes,
    file_count: t.fileCount,
    ...(Number.isFinite(maxBytes) ? { max_bytes: maxBytes } : {}),
    ...(Number.isFinite(maxFiles) ? { max_files: maxFiles } : {}),
    largest: largest(items).map((e) => ({ path: e.path, size: e.size })),
  });
}

export function sizeWarning(t: Totals, entries: ManifestEntry[], warnBytes: number, warnFiles: number): string | null {
  if (t.totalBytes <= warnBytes && t.fileCount <= warnFiles) return null;
  return detail(t.totalBytes, t.fileCount, `warning past ${limitText(warnBytes, warnFiles)}`, entries);
}
