import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_PORT } from '../protocol/routes.ts';
import { EnvironmentSpec, PipOptions } from '../protocol/environment.ts';
import { localAgentEnv } from '../protocol/job-env.ts';
import { SizeDefinition, SizesFile } from '../protocol/compute-sizes.ts';
import { FakeCloudSettings } from '../providers/fake/fake-provider.ts';
import { defaultHome } from './server-file.ts';

/**
 * What a curated Azure ML environment name stands for here: `user_managed` (the node's own Python),
 * a registered environment (`name:version`, `name@latest`), or an environment written inline.
 */
export const AliasTarget = z.union([z.string().min(1), EnvironmentSpec]);
export type AliasTarget = z.infer<typeof AliasTarget>;

/** Azure's curated environments (v1 `AzureML-*` names and the `azureml` registry) run with the node's Python unless configured otherwise. */
export const DEFAULT_ENVIRONMENT_ALIASES: Record<string, AliasTarget> = {
  'AzureML-*': 'user_managed',
  'azureml://registries/azureml/environments/*': 'user_managed',
};

/** The server's whole configuration, parsed once at start and passed in. */
export const ServerConfig = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  dataDir: z.string(),
  db: z
    .string()
    .refine((v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/[^/]/.test(v), {
      error: (i) => `'${i.input}' is not a database this server can open: use sqlite:PATH (a file, made if missing) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB`,
    }),
  authTokens: z.array(z.string().min(16, 'auth tokens must be at least 16 characters')).default([]),
  workspace: z.string().default('default'),
  local: z.object({
    maxConcurrentJobs: z.number().int().positive(),
    heartbeatIntervalMs: z.number().int().positive().default(5_000),
    cancelGraceMs: z.number().int().nonnegative().default(10_000),
    /** The environment the local agent starts with (see localAgentEnv): never the server's own. */
    agentEnv: z.record(z.string(), z.string()).default({}),
  }),
  snapshot: z.object({
    maxBytes: z.number().int().positive().default(2 * 1024 ** 3),
    maxFiles: z.number().int().positive().default(100_000),
  }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  /** How long a job token keeps working after its job ended: the job's last metrics and uploads land. */
  jobTokenGraceMs: z.number().int().nonnegative().default(60_000),
  /** The largest blob one upload may bring (a snapshot file, an output, an MLflow artifact). */
  maxBlobBytes: z.number().int().positive().default(16 * 1024 ** 3),
  /** On a server running as root, local jobs run as this unprivileged user (made if missing). */
  jobUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name like cairn-job').default('cairn-job'),
  /** Work folders of local-provider nodes (where SSH logins land): outside the data folder, which stays closed. */
  nodeHomes: z.string(),
  /** Base64 of 32 bytes that seals stored credentials; without it, `<dataDir>/secret.key` is used (made on first start). */
  secretKey: z.string().optional(),
  /** Attached machines: how long an SSH connection may take, and where the agent lives on a host by default. */
  ssh: z
    .object({
      connectTimeoutMs: z.number().int().positive().default(10_000),
      defaultWorkDir: z.string().default('~/.cairn-agent'),
    })
    .default({ connectTimeoutMs: 10_000, defaultWorkDir: '~/.cairn-agent' }),
  /** The PATH Slurm's commands run with on this host (a Slurm compute without address). */
  hostPath: z.string().optional(),
  environments: z
    .object({
      /** Curated-name patterns (`*` matches anything) to what they run with; first match wins. */
      aliases: z.record(z.string(), AliasTarget).default(DEFAULT_ENVIRONMENT_ALIASES),
      /** pip settings every node uses unless its compute says otherwise (`pip:` in the compute's YAML). */
      pip: PipOptions.default({}),
    })
    .default({ aliases: DEFAULT_ENVIRONMENT_ALIASES, pip: {} }),
  /** Sizes the operator adds to Azure's catalog, or Azure names given another shape (CAIRN_SIZES_FILE). */
  sizes: z.array(SizeDefinition).default([]),
  /** The built studio the server serves at / (CAIRN_STUDIO_DIR; default: the package's dist/studio). */
  studioDir: z.string(),
  /** Tests only: a stand-in cloud (provider `fake`) with these settings. */
  fakeCloud: FakeCloudSettings.optional(),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

export interface ServerFlags {
  host?: string;
  port?: number;
  dataDir?: string;
  db?: string;
  authTokens?: string[];
  maxConcurrentJobs?: number;
  heartbeatIntervalMs?: number;
  cancelGraceMs?: number;
  logLevel?: string;
  jobUser?: string;
}

// Where data lives by default: in server-file.ts, which the CLI loads without this module's schemas.
export { defaultHome };

/** Flags win over the environment, which wins over defaults. The only place that reads CAIRN_* server variables. */
/** dist/studio of the package this file belongs to (src/server/ in a clone, dist/ in a built package). */
function defaultStudioDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..', 'dist', 'studio'), join(here, 'studio')];
  return candidates.find((c) => existsSync(join(c, 'index.html'))) ?? candidates[0]!;
}

function jsonSetting(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`server configuration: ${name} is not JSON`);
  }
}

export function loadServerConfig(flags: ServerFlags, env: NodeJS.ProcessEnv): ServerConfig {
  const dataDir = resolve(flags.dataDir ?? defaultHome(env));
  const tokens = flags.authTokens?.length ? flags.authTokens : (env.CAIRN_AUTH_TOKENS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const parsed = ServerConfig.safeParse({
    host: flags.host ?? env.CAIRN_HOST,
    port: flags.port ?? (env.CAIRN_PORT ? Number(env.CAIRN_PORT) : undefined),
    dataDir,
    db: flags.db ?? (env.CAIRN_DB || `sqlite:${join(dataDir, 'cairn.db')}`),
    authTokens: tokens,
    local: {
      maxConcurrentJobs: flags.maxConcurrentJobs ?? (env.CAIRN_LOCAL_MAX_JOBS ? Number(env.CAIRN_LOCAL_MAX_JOBS) : availableParallelism()),
      heartbeatIntervalMs: flags.heartbeatIntervalMs ?? (env.CAIRN_HEARTBEAT_MS ? Number(env.CAIRN_HEARTBEAT_MS) : undefined),
      cancelGraceMs: flags.cancelGraceMs ?? (env.CAIRN_CANCEL_GRACE_MS ? Number(env.CAIRN_CANCEL_GRACE_MS) : undefined),
      agentEnv: localAgentEnv(env),
    },
    snapshot: {
      maxBytes: env.CAIRN_SNAPSHOT_MAX_BYTES ? Number(env.CAIRN_SNAPSHOT_MAX_BYTES) : undefined,
      maxFiles: env.CAIRN_SNAPSHOT_MAX_FILES ? Number(env.CAIRN_SNAPSHOT_MAX_FILES) : undefined,
    },
    logLevel: flags.logLevel ?? env.CAIRN_LOG_LEVEL,
    jobTokenGraceMs: env.CAIRN_JOB_TOKEN_GRACE_S ? Number(env.CAIRN_JOB_TOKEN_GRACE_S) * 1000 : undefined,
    maxBlobBytes: env.CAIRN_MAX_BLOB_BYTES ? Number(env.CAIRN_MAX_BLOB_BYTES) : undefined,
    jobUser: flags.jobUser ?? (env.CAIRN_JOB_USER || undefined),
    nodeHomes: env.CAIRN_NODE_HOMES || defaultNodeHomes(dataDir),
    secretKey: env.CAIRN_SECRET_KEY || undefined,
    ssh: {
      connectTimeoutMs: env.CAIRN_SSH_CONNECT_TIMEOUT_MS ? Number(env.CAIRN_SSH_CONNECT_TIMEOUT_MS) : undefined,
      defaultWorkDir: env.CAIRN_AGENT_WORK_DIR || undefined,
    },
    hostPath: env.PATH,
    environments: {
      aliases: env.CAIRN_ENVIRONMENT_ALIASES ? readAliases(env.CAIRN_ENVIRONMENT_ALIASES) : undefined,
      pip: pipFromEnv(env),
    },
    studioDir: resolve(env.CAIRN_STUDIO_DIR || defaultStudioDir()),
    sizes: env.CAIRN_SIZES_FILE ? readSizes(env.CAIRN_SIZES_FILE) : undefined,
    fakeCloud: env.CAIRN_FAKE_PROVIDER ? jsonSetting('CAIRN_FAKE_PROVIDER', env.CAIRN_FAKE_PROVIDER) : undefined,
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const name = i.path[0] === 'db' ? '--db' : i.path[0] === 'fakeCloud' ? ['CAIRN_FAKE_PROVIDER', ...i.path.slice(1)].join('.') : i.path.join('.');
    throw new Error(`server configuration: ${name}: ${i.message}`);
  }
  return parsed.data;
}

/** A YAML file of `pattern: target` lines; it replaces the default table. */
/** `sizes: [{name, vcpus, memory_gb, gpus, gpu_type, low_priority_capable}]`, checked here so a bad file stops the start in one line. */
function readSizes(file: string): unknown {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`server configuration: CAIRN_SIZES_FILE: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = SizesFile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`server configuration: CAIRN_SIZES_FILE ${file}: ${i.path.join('.') || 'the file'}: ${i.message}`);
  }
  const seen = new Set<string>();
  for (const s of r.data.sizes) {
    if (seen.has(s.name.toLowerCase())) throw new Error(`server configuration: CAIRN_SIZES_FILE ${file}: size '${s.name}' is defined twice`);
    seen.add(s.name.toLowerCase());
  }
  return r.data.sizes;
}

function readAliases(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new Error(`server configuration: CAIRN_ENVIRONMENT_ALIASES: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
}

const list = (v: string | undefined) => (v ? v.split(/[\s,]+/).filter(Boolean) : undefined);
/** pip's settings for air-gapped sites, from CAIRN_PIP_* (the names follow pip's own PIP_* variables). */
function pipFromEnv(env: NodeJS.ProcessEnv): PipOptions {
  return {
    index_url: env.CAIRN_PIP_INDEX_URL || undefined,
    extra_index_urls: list(env.CAIRN_PIP_EXTRA_INDEX_URL),
    find_links: list(env.CAIRN_PIP_FIND_LINKS),
    no_index: env.CAIRN_PIP_NO_INDEX ? ['1', 'true', 'yes'].includes(env.CAIRN_PIP_NO_INDEX.toLowerCase()) : undefined,
    trusted_hosts: list(env.CAIRN_PIP_TRUSTED_HOST),
  };
}

/** A root server keeps node homes under /var/lib (reachable by their login users); others beside the data folder. */
function defaultNodeHomes(dataDir: string): string {
  if (process.getuid?.() === 0) return join('/var/lib/cairn-nodes', createHash('sha256').update(dataDir).digest('hex').slice(0, 12));
  return `${dataDir}-nodes`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
