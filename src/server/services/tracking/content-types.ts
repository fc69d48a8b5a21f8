import { extname } from 'node:path';

const TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.yaml': 'text/yaml',
  '.yml': 'text/yaml',
  '.html': 'text/html',
  '.py': 'text/x-python',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
};

/** The media type shown for an artifact, from its extension (as MLflow's server guesses it). */
export const contentTypeOf = (path: string): string => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

/** How a viewer can show it: text and JSON inline, images as pictures, the rest as a download. */
export function previewKindOf(path: string): 'text' | 'json' | 'image' | null {
  const t = contentTypeOf(path);
  if (t === 'application/json') return 'json';
  if (t.startsWith('text/')) return 'text';
  if (t.startsWith('image/')) return 'image';
  return null;
}
