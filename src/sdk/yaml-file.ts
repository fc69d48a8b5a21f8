import { diskFiles, type LocalFiles } from './local-files.ts';
import { isCollection, LineCounter, parseDocument, parse as parseYaml, type Document } from 'yaml';
import { CairnError } from '../protocol/errors.ts';

/** A YAML file's text, read through `fs` (in the server's parse route: the files the client described, never the server's disk). */
export function readYamlFile(file: string, what: string, fs: Pick<LocalFiles, 'readText'> = diskFiles): string {
  try {
    return fs.readText(file);
  } catch (err) {
    throw new CairnError('ValidationError', `cannot read ${what} file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Parses an Azure ML v2 YAML file (job or compute) with line numbers; a YAML error names file, line and column. */
export function parseYamlDocument(text: string, file: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const { line, col } = lines.linePos(e.pos[0]);
    throw new CairnError('ValidationError', `${file}:${line}:${col}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  return { doc, lines };
}

/** `--set a.b=v` as `az ml` reads it: the value is YAML (numbers, booleans, lists), else the plain text. */
export function parseSet(s: string): [string[], unknown] {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new CairnError('ValidationError', `--set '${s}': expected key=value`);
  let value: unknown;
  try {
    value = parseYaml(s.slice(eq + 1));
  } catch {
    value = s.slice(eq + 1);
  }
  const path = s.slice(0, eq).split('.');
  if (path.some((k) => !k || k === '__proto__' || k === 'constructor' || k === 'prototype')) throw new CairnError('ValidationError', `--set '${s}': '${s.slice(0, eq)}' is not a field name`);
  return [path, value ?? ''];
}

export function applySet(doc: Document, s: string): void {
  const [path, value] = parseSet(s);
  try {
    doc.setIn(path, value);
  } catch {
    // The yaml library refuses to go into a scalar: say which field is in the way.
    const at = path.findIndex((_, i) => i < path.length - 1 && doc.hasIn(path.slice(0, i + 1)) && !isCollection(doc.getIn(path.slice(0, i + 1), true)));
    throw new CairnError('ValidationError', `--set '${s}': '${path.slice(0, at + 1).join('.')}' is not a mapping, so it has no field '${path[at + 1]}'`);
  }
}

/** The line of a field (its key where it has one), or of the nearest parent that is in the file; 1 when none is. */
export function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number {
  for (let p = path; p.length; p = p.slice(0, -1)) {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    const parent = doc.getIn(p.slice(0, -1), true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
    const pair = Array.isArray(parent?.items) ? parent.items.find((i) => i?.key?.value === p[p.length - 1]) : undefined;
    const at = pair?.key?.range?.[0] ?? node?.range?.[0];
    if (at !== undefined) return lines.linePos(at).line;
  }
  return 1;
}
