import { z } from 'zod';
import { Sha256 } from './snapshot.ts';

/**
 * Environments in Azure ML v2 YAML shape: how a job's interpreter and packages are prepared.
 * Files a spec names (`conda_file` as a path, `build.path`) are read by the client; on the wire
 * a conda file is its parsed YAML and a build folder is an uploaded snapshot.
 */

const Tags = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
export const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const EnvName = z.string().regex(ENV_NAME, { error: 'must be letters, digits, -, _ and . (start with a letter or digit, at most 255)' });
const EnvVersion = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be letters, digits, -, _ and . (at most 64), like 1 or 2.0' }));
/** A file inside the build folder: relative, and never out of it. */
const DockerfilePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), { error: 'must be a path inside the build folder (relative, without ..)' })
  .default('Dockerfile');
/** docker's reference grammar: [registry[:port]/]name[/name...][:tag][@digest]; never something an engine would read as a flag. */
const IMAGE_REFERENCE = (() => {
  const domainPart = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
  const domain = `(?:${domainPart}(?:\\.${domainPart})*(?::[0-9]+)?/)?`;
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const tag = '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?';
  const digest = '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?';
  return new RegExp(`^${domain}${component}(?:/${component})*${tag}${digest}$`);
})();
const Image = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(512)
  .regex(IMAGE_REFERENCE, { error: (i) => `'${String(i.input).slice(0, 80)}' is not an image reference; write it like python:3.11-slim, docker.io/library/python:3.11 or registry.example.com:5000/team/image@sha256:...` });
/** A conda environment file: its parsed YAML, whose shape conda itself checks (we check what we read). */
export const CondaFile = z.looseObject({
  name: z.string().optional(),
  channels: z.array(z.string(), { error: 'channels must be a list of channel names' }).optional(),
  dependencies: z
    .array(z.union([z.string(), z.number().transform(String), z.looseObject({ pip: z.array(z.string(), { error: 'the pip: entry must be a list of requirements' }) })]), {
      error: 'dependencies must be a list of packages (and at most one "- pip: [...]" entry)',
    })
    .optional(),
});
export type CondaFile = z.infer<typeof CondaFile>;

const fileFields = {
  $schema: z.string().optional(),
  name: EnvName.optional(),
  version: EnvVersion.optional(),
  description: z.string().max(4096).optional(),
  tags: Tags.optional(),
  image: Image.optional(),
  os_type: z.enum(['linux', 'Linux'], { error: 'only linux environments run on Cairn nodes' }).optional(),
  inference_config: z.never({ error: 'inference environments are not supported: Cairn runs training jobs; remove inference_config' }).optional(),
};

/** An environment as a user writes it (files named by path, relative to the YAML). */
export const EnvironmentFileSpec = z.strictObject({
  ...fileFields,
  conda_file: z.union([z.string().min(1), CondaFile]).optional(),
  build: z.strictObject({ path: z.string().min(1, { error: 'must name the folder holding the Dockerfile' }), dockerfile_path: DockerfilePath }).optional(),
});
export type EnvironmentFileSpec = z.infer<typeof EnvironmentFileSpec>;

/** The same environment on the wire: the conda file inlined, the build folder uploaded as a snapshot. */
export const EnvironmentSpec = z
  .strictObject({
    ...fileFields,
    conda_file: CondaFile.optional(),
    build: z.strictObject({ snapshot_id: Sha256, dockerfile_path: DockerfilePath, path: z.string().optional() }).optional(),
  })
  .refine((s) => !(s.image && s.build), { error: 'give image or build, not both: build.path makes the image' })
  .refine((s) => !(s.build && s.conda_file), { error: 'with build, install packages in the Dockerfile; conda_file goes with image or alone' });
export type EnvironmentSpec = z.infer<typeof EnvironmentSpec>;

export type EnvironmentKind = 'user_managed' | 'conda' | 'image' | 'build';
export const kindOf = (s: Pick<EnvironmentSpec, 'image' | 'build' | 'conda_file'>): EnvironmentKind =>
  s.build ? 'build' : s.image ? 'image' : s.conda_file ? 'conda' : 'user_managed';
export const needsContainerEngine = (k: EnvironmentKind): boolean => k === 'image' || k === 'build';

/** A registered environment version as the API shows it. */
export const Environment = EnvironmentSpec.and(
  z.object({
    name: z.string(),
    version: z.string(),
    kind: z.enum(['user_managed', 'conda', 'image', 'build']),
    spec_hash: Sha256,
    archived: z.boolean(),
    creation_context: z.object({ created_at: z.string(), created_by: z.string() }),
  }),
);
export type Environment = z.infer<typeof Environment>;

export const ListEnvironmentsQuery = z.object({
  name: z.string().optional(),
  include_archived: z.stringbool().optional(),
});

/** pip settings for sites without PyPI: from the server's configuration, or a compute's `pip:`. */
export const PipOptions = z.strictObject({
  index_url: z.string().min(1).optional(),
  extra_index_urls: z.array(z.string().min(1)).optional(),
  find_links: z.array(z.string().min(1)).optional(),
  no_index: z.boolean().optional(),
  trusted_hosts: z.array(z.string().min(1)).optional(),
});
export type PipOptions = z.infer<typeof PipOptions>;

/** The same options as pip's own environment variables, which conda's pip step honours as well. */
export function pipEnv(o: PipOptions | undefined): Record<string, string> {
  if (!o) return {};
  const env: Record<string, string> = {};
  if (o.index_url) env.PIP_INDEX_URL = o.index_url;
  if (o.extra_index_urls?.length) env.PIP_EXTRA_INDEX_URL = o.extra_index_urls.join(' ');
  if (o.find_links?.length) env.PIP_FIND_LINKS = o.find_links.join(' ');
  if (o.no_index) env.PIP_NO_INDEX = '1';
  if (o.trusted_hosts?.length) env.PIP_TRUSTED_HOST = o.trusted_hosts.join(' ');
  return env;
}

/**
 * What a job runs with, frozen at submit: a registered environment is copied in, so archiving it
 * or adding versions never changes a job already made.
 */
export const ResolvedEnvironment = z.object({
  kind: z.enum(['user_managed', 'conda', 'image', 'build']),
  /** `name:version` of a registered environment, or the curated name an alias stood for. */
  ref: z.string().nullable(),
  spec_hash: Sha256.nullable(),
  image: z.string().optional(),
  conda_file: CondaFile.optional(),
  build: z.object({ snapshot_id: Sha256, dockerfile_path: z.string() }).optional(),
  /** A user-managed interpreter the job asked for; the job finds it first on PATH as `python` and `python3`. */
  python_path: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});
export type ResolvedEnvironment = z.infer<typeof ResolvedEnvironment>;

/** What a node prepared and ran a job with, as it reports it: enough to reproduce the run. */
export const EnvironmentRecord = z.object({
  /** The cache key: spec hash, files and the node's platform. */
  hash: Sha256,
  kind: z.enum(['user_managed', 'conda', 'image', 'build']),
  /** How it was made: venv+pip, conda, mamba, micromamba, podman, docker, or none. */
  builder: z.string(),
  /** True when this attempt built it; false on a cache hit. */
  built: z.boolean(),
  build_seconds: z.number().nonnegative().optional(),
  /** Milliseconds from the agent asking for the environment to the command starting (a build included). */
  ready_ms: z.number().nonnegative().optional(),
  python: z.string().optional(),
  interpreter: z.string().optional(),
  image: z.string().optional(),
  image_id: z.string().optional(),
  /** `pip freeze` or `conda list --export` lines. */
  packages: z.array(z.string()).max(20_000),
});
export type EnvironmentRecord = z.infer<typeof EnvironmentRecord>;

/** Stable JSON (sorted keys), so equal specs hash equally wherever they were written. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What is hashed for a spec: names, descriptions and tags do not change the result, so they are left out. */
export function specMaterial(s: Pick<EnvironmentSpec, 'image' | 'conda_file' | 'build'>): string {
  return canonicalJson({ image: s.image, conda_file: s.conda_file, build: s.build && { snapshot_id: s.build.snapshot_id, dockerfile_path: s.build.dockerfile_path } });
}

/** `azureml:name:version`, `name@latest`, `name` or an `azureml://registries/...` URI, taken apart. */
export interface ParsedEnvironmentRef {
  name: string;
  version?: string;
  label?: string;
  registry?: string;
}

export function parseEnvironmentRef(raw: string): ParsedEnvironmentRef | null {
  const s = raw.trim();
  const reg = /^azureml:\/\/registries\/([^/]+)\/environments\/([^/]+)(?:\/(versions|labels)\/([^/]+))?$/.exec(s);
  if (reg) return { registry: reg[1]!, name: reg[2]!, ...(reg[3] === 'versions' ? { version: reg[4]! } : { label: reg[4] ?? 'latest' }) };
  const bare = s.replace(/^azureml:/, '');
  const at = /^([^:@/\s]+)@([A-Za-z0-9_.-]+)$/.exec(bare);
  if (at) return { name: at[1]!, label: at[2]! };
  const colon = /^([^:@/\s]+):([A-Za-z0-9_.-]+)$/.exec(bare);
  if (colon) return { name: colon[1]!, version: colon[2]! };
  if (/^[^:@/\s]+$/.test(bare)) return { name: bare, label: 'latest' };
  return null;
}
