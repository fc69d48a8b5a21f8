import type { Asset, Datastore } from '../protocol/data.ts';
import type { Column } from './output.ts';
import { humanSize } from '../protocol/sizes.ts';

const size = humanSize;

export const ASSET_COLUMNS: Column<Asset>[] = [
  { header: 'Name', get: (a) => a.name },
  { header: 'Version', get: (a) => a.version },
  { header: 'Type', get: (a) => a.type },
  { header: 'Files', get: (a) => String(a.file_count) },
  { header: 'Size', get: (a) => size(a.total_size) },
  { header: 'From', get: (a) => (a.path.length > 50 ? `...${a.path.slice(-47)}` : a.path) },
  { header: 'Archived', get: (a) => (a.archived ? 'yes' : '') },
  { header: 'Created', get: (a) => a.created_at.replace('T', ' ').slice(0, 19) },
];

/** `show -o table`: the facts, then lineage both ways. */
export function assetDetail(a: Asset): string {
  const facts: [string, unknown][] = [
    ['id', a.id],
    ['type', a.type],
    ['path', a.path],
    ['content', `${a.file_count} file${a.file_count === 1 ? '' : 's'}, ${size(a.total_size)}${a.file ? ` (file ${a.file})` : ''}`],
    ['description', a.description],
    ['tags', Object.entries(a.tags).map(([k, v]) => `${k}=${v}`).join(', ')],
    ['archived', a.archived ? 'yes' : 'no'],
    ['created', `${a.created_at} by ${a.created_by}`],
    ['produced by job', a.produced_by],
    ['from MLflow run', a.run_id],
    ['read by jobs', a.consumed_by?.length ? a.consumed_by.join(', ') : 'none yet'],
  ];
  return facts.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(17)} ${v}`).join('\n');
}

export const DATASTORE_COLUMNS: Column<Datastore>[] = [
  { header: 'Name', get: (d) => d.name },
  { header: 'Type', get: (d) => d.type },
  { header: 'Location', get: (d) => d.location },
  { header: 'Default', get: (d) => (d.is_default ? 'yes' : '') },
];
