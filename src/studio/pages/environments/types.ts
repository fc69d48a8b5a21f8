// Environments as the API shows them (GET /environments, /environments/:name), and the YAML the
// spec is written in, for showing a conda file the way its author wrote it.

export interface CondaFile {
  name?: string;
  channels?: string[];
  dependencies?: (string | { pip: string[] })[];
  [k: string]: unknown;
}
export interface Environment {
  name: string;
  version: string;
  kind: 'user_managed' | 'conda' | 'image' | 'build';
  description?: string;
  tags?: Record<string, string>;
  image?: string;
  conda_file?: CondaFile;
  build?: { snapshot_id: string; dockerfile_path: string; path?: string };
  spec_hash: string;
  archived: boolean;
  creation_context: { created_at: string; created_by: string };
}

export const KIND_LABEL: Record<Environment['kind'], string> = {
  user_managed: 'user-managed (as is)',
  conda: 'conda / pip',
  image: 'container image',
  build: 'image built from a Dockerfile',
};

/** A JSON value as block YAML (what a conda file looks like on disk). */
export function toYaml(v: unknown, indent = ''): string {
  if (Array.isArray(v)) {
    if (!v.length) return `${indent}[]\n`;
    return v.map((x) => (isScalar(x) ? `${indent}- ${scalar(x)}\n` : `${indent}-\n${toYaml(x, `${indent}  `)}`.replace(/-\n\s+/, '- '))).join('');
  }
  if (v && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => (isScalar(x) ? `${indent}${k}: ${scalar(x)}\n` : `${indent}${k}:\n${toYaml(x, `${indent}  `)}`))
      .join('');
  }
  return `${indent}${scalar(v)}\n`;
}
const isScalar = (x: unknown) => x === null || typeof x !== 'object';
/** Quoted only where YAML would read the text as something else. */
const scalar = (x: unknown): string => {
  if (typeof x !== 'string') return JSON.stringify(x);
  return /^[\w./=<>!~*@+-][\w ./=<>!~*,@+:-]*$/.test(x) && !/: |^(true|false|null|yes|no|[\d.]+)$/i.test(x) ? x : JSON.stringify(x);
};
