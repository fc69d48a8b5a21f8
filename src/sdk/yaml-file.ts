import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, parse as parseYaml, type Document } from 'yaml';
import { CairnError } from '../protocol/errors.ts';

/** Reads an Azure ML v2 YAML file (job or compute) with line numbers; a YAML error names file, line and column. */
export function readYamlFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CairnError('ValidationError', `cannot read ${what} file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

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
  doc.setIn(path, value);
}
