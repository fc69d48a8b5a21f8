import { z } from 'zod';
import { Sha256 } from './snapshot.ts';

/**
 * Data and models as Azure ML v2 writes them: job inputs and outputs with a type, a path and a
 * mode; datastores; data and model assets. One module for the CLI, the server, the agent and the
 * studio, so every refusal is the same one line wherever it is found.
 */

export const DATA_TYPES = ['uri_file', 'uri_folder', 'mltable'] as const;
export const MODEL_TYPES = ['custom_model', 'mlflow_model'] as const;
export const ASSET_TYPES = [...DATA_TYPES, ...MODEL_TYPES] as const;
export const AssetType = z.enum(ASSET_TYPES, { error: `type must be one of ${ASSET_TYPES.join(', ')}` });
export type AssetType = z.infer<typeof AssetType>;
export type AssetKind = 'data' | 'model';
export const kindOfType = (t: AssetType): AssetKind => ((MODEL_TYPES as readonly string[]).includes(t) ? 'model' : 'data');

export const INPUT_MODES = ['ro_mount', 'download', 'rw_mount', 'direct', 'eval_mount', 'eval_download'] as const;
export const InputMode = z.enum(INPUT_MODES, { error: `mode must be one of ${INPUT_MODES.join(', ')}` });
export type InputMode = z.infer<typeof InputMode>;
export const OUTPUT_MODES = ['rw_mount', 'upload', 'direct'] as const;
export const OutputMode = z.enum(OUTPUT_MODES, { error: `an output's mode must be one of ${OUTPUT_MODES.join(', ')}` });

/** The type/mode pairs Azure ML accepts (mltable's eval_* modes read the table's own paths; Cairn treats them as their plain twins). */
export function inputModeProblem(type: AssetType, mode: InputMode): string | null {
  if ((mode === 'eval_mount' || mode === 'eval_download') && type !== 'mltable') return `mode ${mode} is for mltable inputs only (this input is ${type})`;
  if (type === 'uri_file' && mode === 'rw_mount') return 'a uri_file input cannot be rw_mount (use ro_mount or download)';
  return null;
}

/** Asset and datastore names: Azure's rules (letters, digits, -, _ and ., at most 255). */
export const AssetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'must be letters, digits, -, _ and . (starting with a letter or digit, at most 255)');
export const AssetVersion = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform(String)
  .pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be letters, digits, -, _ and . (at most 64), like 1 or 2024-05-01'));
export const DatastoreName = z.string().regex(/^[A-Za-z0-9_]{1,255}$/, 'must be letters, digits and _ (at most 255)');

const SafeText = z.string().refine((v) => !v.includes('\0'), { error: 'must not contain a NUL character' });
const Tags = z
  .record(SafeText.max(250), z.union([SafeText, z.number(), z.boolean()]).transform(String).pipe(z.string().max(5000)))
  .refine((t) => Object.keys(t).length <= 100, 'at most 100 tags');

// ---- where data comes from -------------------------------------------------------------------

/** A `path:` of an input, an asset or an output, read as one of the forms Azure ML writes. */
export type DataPath =
  | { kind: 'local'; path: string }
  | { kind: 'asset'; name: string; version?: string; label?: 'latest' }
  | { kind: 'datastore'; datastore: string; path: string }
  | { kind: 'job_output'; job: string; output: string }
  | { kind: 'http'; url: string }
  | { kind: 'run'; run: string; path: string };

/** Reads a path the way Azure ML does; a form it cannot be is a one-line error naming what was expected. */
export function parseDataPath(raw: string): DataPath | { error: string } {
  const s = raw.trim();
  if (/^https?:\/\//i.test(s)) {
    try {
      const u = new URL(s);
      if (u.username || u.password) return { error: `'${s}': put credentials in a datastore, not in the URL` };
      return { kind: 'http', url: u.toString() };
    } catch {
      return { error: `'${s}' is not a valid URL` };
    }
  }
  if (s.startsWith('azureml://')) {
    const ds = /^azureml:\/\/(?:subscriptions\/[^/]+\/resourcegroups\/[^/]+\/(?:providers\/[^/]+\/)?workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.*)$/i.exec(s);
    if (ds) return checkDatastorePath(ds[1], ds[2], s);
    const job = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)\/?(?:paths\/)?$/i.exec(s);
    if (job) return { kind: 'job_output', job: job[1], output: job[2] };
    return { error: `'${s}': expected azureml://datastores/NAME/paths/PATH or azureml://jobs/JOB/outputs/OUTPUT` };
  }
  if (s.startsWith('azureml:')) {
    const ref = s.slice('azureml:'.length);
    const at = /^([^:@/]+)@(latest)$/.exec(ref);
    if (at) return { kind: 'asset', name: at[1], label: 'latest' };
    const nv = /^([^:@/]+):([^:@/]+)$/.exec(ref);
    if (nv) return { kind: 'asset', name: nv[1], version: nv[2] };
    if (/^[^:@/]+$/.test(ref)) return { error: `'${s}': name a version (azureml:${ref}:1) or the latest (azureml:${ref}@latest)` };
    return { error: `'${s}': expected azureml:NAME:VERSION or azureml:NAME@latest` };
  }
  if (s.startsWith('runs:/')) {
    const m = /^runs:\/([A-Za-z0-9][\w-]{0,255})(?:\/(.*))?$/.exec(s);
    if (!m) return { error: `'${s}': expected runs:/RUN_ID/PATH` };
    return { kind: 'run', run: m[1], path: (m[2] ?? '').replace(/\/+$/, '') };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    return { error: `'${s}': Cairn reads local paths, http(s) URLs and azureml:// URIs; register the storage as a datastore (cairn datastore create) and use azureml://datastores/NAME/paths/PATH` };
  }
  if (s.startsWith('file:')) return { kind: 'local', path: s.replace(/^file:(\/\/)?/, '') };
  if (!s) return { error: 'path must not be empty' };
  return { kind: 'local', path: s };
}

function checkDatastorePath(datastore: string, path: string, whole: string): DataPath | { error: string } {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return { error: `'${whole}': a datastore path may not leave its datastore ('..')` };
  if (path.includes('\0')) return { error: `'${whole}': a path may not contain a NUL character` };
  return { kind: 'datastore', datastore, path: parts.join('/') };
}

// ---- job inputs and outputs -------------------------------------------------------------------

export const JobDataInput = z.strictObject({
  type: AssetType,
  path: SafeText.min(1, 'path must not be empty').max(4096),
  mode: InputMode.optional(),
  description: z.string().max(4096).optional(),
  /** Azure's: a path made relative to a datastore. Cairn reads it from the path itself. */
  datastore: z.never({ error: 'write the datastore into the path: azureml://datastores/NAME/paths/PATH' }).optional(),
});
export type JobDataInput = z.infer<typeof JobDataInput>;

export const JobOutputSpec = z.strictObject({
  type: AssetType.optional(),
  mode: OutputMode.optional(),
  /** Where the output is also written: azureml://datastores/NAME/paths/PATH. */
  path: SafeText.max(4096).optional(),
  /** Register the output as this data or model asset when the job completes. */
  name: AssetName.optional(),
  version: AssetVersion.optional(),
  description: z.string().max(4096).optional(),
});
export type JobOutputSpec = z.infer<typeof JobOutputSpec>;

export const isDataInputShape = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' && (ASSET_TYPES as readonly string[]).includes((v as { type: string }).type);

/** An input as the node receives it: everything resolved to content (a snapshot), a URL, or a URI passed as it is. */
export const ResolvedInput = z.object({
  name: z.string(),
  type: AssetType,
  mode: InputMode,
  /** The content tree the node lays out (absent for http inputs, which the node fetches, and for direct). */
  snapshot_id: Sha256.optional(),
  /** uri_file: the file's path inside the tree. */
  file: z.string().optional(),
  /** http(s) inputs: fetched by the node once and cached by content. */
  url: z.string().optional(),
  /** What the job was given, as a URI (direct mode passes it unchanged). */
  uri: z.string(),
  /** The asset version it came from, for lineage. */
  asset: z.object({ kind: z.enum(['data', 'model']), name: z.string(), version: z.string() }).optional(),
});
export type ResolvedInput = z.infer<typeof ResolvedInput>;

export const ResolvedOutput = z.object({
  name: z.string(),
  type: AssetType,
  mode: OutputMode,
  /** azureml://datastores/NAME/paths/PATH to write the output to when the job ends. */
  path: z.string().optional(),
  asset: z.object({ name: z.string(), version: z.string().optional() }).optional(),
});
export type ResolvedOutput = z.infer<typeof ResolvedOutput>;

/** What a job row keeps of its data: resolved at submit, sent with every attempt. */
export const JobData = z.object({ inputs: z.array(ResolvedInput).default([]), outputs: z.array(ResolvedOutput).default([]) });
export type JobData = z.infer<typeof JobData>;

// ---- datastores ------------------------------------------------------------------------------

/**
 * Datastores in Azure's YAML shape, for the kinds that exist on your own machines: a folder on the
 * server, an SFTP location and an S3-compatible bucket. Credentials are sealed when stored and never
 * shown again. `workspaceblobstore` is built in: the server's own blob store.
 */
const DatastoreCommon = {
  $schema: z.string().optional(),
  name: DatastoreName,
  description: z.string().max(4096).optional(),
  tags: Tags.optional(),
};
const AZURE_KINDS = ['azure_blob', 'azure_file', 'azure_data_lake_gen1', 'azure_data_lake_gen2', 'one_lake'];
export const DatastoreSpec = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ ...DatastoreCommon, type: z.literal('local_folder'), path: z.string().regex(/^\//, 'must be an absolute folder path on the server') }),
    z.strictObject({
      ...DatastoreCommon,
      type: z.literal('sftp'),
      host: z.string().min(1).max(255),
      port: z.number().int().min(1).max(65535).default(22),
      path: z.string().min(1).max(4096).default('.'),
      host_key: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "expected the host key's SHA256 fingerprint (ssh-keygen -lf)").optional(),
      credentials: z.strictObject({
        username: z.string().min(1).max(255),
        password: z.string().max(1024).optional(),
        private_key: z.string().max(16384).optional(),
      }),
    }),
    z.strictObject({
      ...DatastoreCommon,
      type: z.literal('s3'),
      endpoint: z.url({ error: 'expected the S3 endpoint URL, like http://127.0.0.1:9000' }),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, 'expected an S3 bucket name (3 to 63 lowercase letters, digits, . and -)'),
      region: z.string().min(1).max(64).default('us-east-1'),
      prefix: z.string().max(1024).optional(),
      credentials: z.strictObject({ access_key_id: z.string().min(1).max(256), secret_access_key: z.string().min(1).max(1024) }),
    }),
  ],
  {
    error: (i) => {
      const t = (i.input as { type?: unknown } | undefined)?.type;
      if (typeof t === 'string' && AZURE_KINDS.includes(t)) return `datastore type ${t} is an Azure storage account, which your machines cannot reach; use s3 (any S3-compatible store), sftp or local_folder`;
      return 'datastore type must be local_folder, sftp or s3';
    },
  },
);
export type DatastoreSpec = z.infer<typeof DatastoreSpec>;

export const WORKSPACE_BLOBSTORE = 'workspaceblobstore';

/** A datastore as shown: its spec without credentials (their kinds only). */
export const Datastore = z.object({
  name: z.string(),
  type: z.string(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  is_default: z.boolean(),
  /** Where it points, in words: the folder, sftp://user@host:port/path or the endpoint and bucket. */
  location: z.string(),
  credentials: z.array(z.string()).optional(),
  spec: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
export type Datastore = z.infer<typeof Datastore>;

// ---- data and model assets -------------------------------------------------------------------

/** `cairn data create -f data.yml` / `cairn model create -f model.yml`. */
export const AssetFileSpec = z.strictObject({
  $schema: z.string().optional(),
  name: AssetName,
  version: AssetVersion.optional(),
  type: AssetType.optional(),
  path: SafeText.min(1, 'path must not be empty').max(4096),
  description: z.string().max(4096).optional(),
  tags: Tags.optional(),
  /** Azure's model fields Cairn keeps as they are. */
  stage: z.string().max(64).optional(),
  properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
});
export type AssetFileSpec = z.infer<typeof AssetFileSpec>;

/** What a client sends: the spec with a local path already uploaded as a snapshot. */
export const CreateAssetRequest = z.strictObject({
  spec: AssetFileSpec,
  snapshot_id: Sha256.optional(),
  /** uri_file from a local path: the file's path in the snapshot. */
  file: z.string().max(4096).optional(),
});
export type CreateAssetRequest = z.infer<typeof CreateAssetRequest>;

export const AssetRef = z.object({ kind: z.enum(['data', 'model']), name: z.string(), version: z.string() });
export type AssetRef = z.infer<typeof AssetRef>;

export const Asset = z.object({
  kind: z.enum(['data', 'model']),
  name: z.string(),
  version: z.string(),
  type: AssetType,
  /** The path as given when it was made (a local path is shown as where it was uploaded from). */
  path: z.string(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  properties: z.record(z.string(), z.string()).optional(),
  stage: z.string().optional(),
  archived: z.boolean(),
  created_at: z.string(),
  created_by: z.string(),
  snapshot_id: Sha256,
  file: z.string().optional(),
  file_count: z.number().int(),
  total_size: z.number().int(),
  /** The job whose output it is, if a job made it. */
  job: z.string().optional(),
  /** The MLflow run it came from (models registered through MLflow). */
  run_id: z.string().optional(),
  /** Both ways of lineage: the job that produced it and the jobs that read it. */
  produced_by: z.string().optional(),
  consumed_by: z.array(z.string()).optional(),
  /** azureml:NAME:VERSION */
  id: z.string(),
});
export type Asset = z.infer<typeof Asset>;

export const ListAssetsQuery = z.strictObject({
  name: z.string().optional(),
  archived: z.enum(['true', 'false', 'all']).optional(),
  max_results: z.coerce.number().int().min(1).max(10_000).optional(),
});
