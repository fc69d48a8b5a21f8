// The `cairn` Python package as a wheel (dist/python/cairn-<version>-py3-none-any.whl), written
// without Python: a wheel is a ZIP of the package plus `cairn-<v>.dist-info/` (METADATA, WHEEL, and
// RECORD with each file's urlsafe-base64 sha256), which `pip install` takes as it is.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { zip, type ZipEntry } from './zip-writer.ts';

export const WHEEL_SUMMARY =
  "Cairn's Python SDK: submit and follow jobs, computes, environments, data and models on a Cairn server; log metrics from jobs (standard library only)";

export const wheelName = (version: string) => `cairn-${version}-py3-none-any.whl`;

function pyFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) return n === '__pycache__' ? [] : pyFiles(p);
      return n.endsWith('.py') ? [p] : [];
    });
}

const digest = (data: Buffer) => `sha256=${createHash('sha256').update(data).digest('base64url')}`;

/** The wheel's bytes for the package in `pythonDir/cairn` at `version`. */
export function pythonWheel(pythonDir: string, version: string): Buffer {
  const info = `cairn-${version}.dist-info`;
  const entries: ZipEntry[] = pyFiles(join(pythonDir, 'cairn')).map((f) => ({ name: relative(pythonDir, f).split(sep).join('/'), data: readFileSync(f) }));
  const text = (s: string) => Buffer.from(s, 'utf8');
  entries.push(
    { name: `${info}/METADATA`, data: text(`Metadata-Version: 2.1\nName: cairn\nVersion: ${version}\nSummary: ${WHEEL_SUMMARY}\nLicense: Apache-2.0\nRequires-Python: >=3.8\n`) },
    { name: `${info}/WHEEL`, data: text('Wheel-Version: 1.0\nGenerator: cairn scripts/python-wheel.ts\nRoot-Is-Purelib: true\nTag: py3-none-any\n') },
    { name: `${info}/top_level.txt`, data: text('cairn\n') },
  );
  const record = entries.map((e) => `${e.name},${digest(e.data)},${e.data.length}`).concat(`${info}/RECORD,,`).join('\n') + '\n';
  entries.push({ name: `${info}/RECORD`, data: text(record) });
  return zip(entries);
}
