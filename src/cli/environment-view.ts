import { stringify } from 'yaml';
import type { CondaFile, Environment } from '../protocol/environment.ts';
import type { Column } from './output.ts';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** `python=3.11, numpy, pip: mlflow, torch`: what a conda file installs, on one line. */
export function condaSummary(c: CondaFile | undefined): string {
  if (!c) return '';
  const parts: string[] = [];
  for (const d of c.dependencies ?? []) {
    if (typeof d === 'string') parts.push(d);
    else if (d && typeof d === 'object' && Array.isArray((d as { pip?: unknown }).pip)) parts.push(`pip: ${(d as { pip: string[] }).pip.join(', ')}`);
  }
  return parts.join(', ') || '(no dependencies)';
}

/** What the environment is made from: the image, the Dockerfile it is built from, and/or the conda file's packages. */
export function environmentSource(e: Pick<Environment, 'image' | 'build' | 'conda_file'>, width = 60): string {
  const parts: string[] = [];
  if (e.image) parts.push(e.image);
  if (e.build) parts.push(`build: ${e.build.path ?? e.build.snapshot_id.slice(0, 12)}${e.build.dockerfile_path !== 'Dockerfile' ? `/${e.build.dockerfile_path}` : ''}`);
  if (e.conda_file) parts.push(`conda: ${condaSummary(e.conda_file)}`);
  return clip(parts.join(' + ') || "the node's own Python", width);
}

export const ENVIRONMENT_COLUMNS: Column<Environment>[] = [
  { header: 'Name', get: (e) => e.name },
  { header: 'Version', get: (e) => e.version },
  { header: 'Kind', get: (e) => e.kind },
  { header: 'Image / conda', get: (e) => environmentSource(e) },
  { header: 'Spec hash', get: (e) => e.spec_hash.slice(0, 12) },
  { header: 'Archived', get: (e) => (e.archived ? 'yes' : '') },
  { header: 'Created', get: (e) => e.creation_context.created_at.replace('T', ' ').slice(0, 19) },
];

/** `cairn environment show -o table`: the facts, then the conda file as YAML. */
export function environmentDetail(e: Environment): string {
  const facts: [string, unknown][] = [
    ['name', e.name],
    ['version', e.version],
    ['kind', e.kind],
    ['description', e.description],
    ['tags', e.tags && Object.keys(e.tags).length ? Object.entries(e.tags).map(([k, v]) => `${k}=${v}`).join(', ') : ''],
    ['image', e.image],
    ['build', e.build ? `snapshot ${e.build.snapshot_id.slice(0, 12)}, ${e.build.dockerfile_path}${e.build.path ? ` (from ${e.build.path})` : ''}` : ''],
    ['spec_hash', e.spec_hash],
    ['archived', e.archived ? 'yes (still usable by exact version)' : 'no'],
    ['created', `${e.creation_context.created_at} by ${e.creation_context.created_by}`],
  ];
  const shown = facts.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const w = Math.max(...shown.map(([k]) => k.length));
  let out = shown.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
  if (e.conda_file) out += `\n\nconda_file:\n${stringify(e.conda_file).trimEnd().replace(/^/gm, '  ')}`;
  return out;
}
