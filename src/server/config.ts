import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORT } from '../protocol/routes.ts';

/** The server's whole configuration, parsed once at start and passed in. */
export const ServerConfig = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  dataDir: z.string(),
  db: z.string(),
  authTokens: z.array(z.string().min(16, 'auth tokens must be at least 16 characters')).default([]),
  workspace: z.string().default('default'),
  local: z.object({
    maxConcurrentJobs: z.number().int().positive(),
    heartbeatIntervalMs: z.number().int().positive().default(5_000),
    cancelGraceMs: z.number().int().nonnegative().default(10_000),
  }),
  snapshot: z.object({
    maxBytes: z.number().int().positive().default(2 * 1024 ** 3),
    maxFiles: z.number().int().positive().default(100_000),
  }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  /** Base64 of 32 bytes that seals stored credentials; without it, `<dataDir>/secret.key` is used (made on first start). */
  secretKey: z.string().optional(),
  /** Attached machines: how long an SSH connection may take, and where the agent lives on a host by default. */
  ssh: z
    .object({
      connectTimeoutMs: z.number().int().positive().default(10_000),
      defaultWorkDir: z.string().default('~/.cairn-agent'),
    })
    .default({ connectTimeoutMs: 10_000, defaultWorkDir: '~/.cairn-agent' }),
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
}

export function defaultHome(env: NodeJS.ProcessEnv): string {
  return resolve(env.CAIRN_HOME || join(homedir(), '.cairn'));
}

/** Flags win over the environment, which wins over defaults. The only place that reads CAIRN_* server variables. */
export function loadServerConfig(flags: ServerFlags, env: NodeJS.ProcessEnv): ServerConfig {
  const dataDir = resolve(flags.dataDir ?? defaultHome(env));
  const tokens = flags.authTokens?.length ? flags.authTokens : (env.CAIRN_AUTH_TOKENS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const parsed = ServerConfig.safeParse({
    host: flags.host ?? env.CAIRN_HOST,
    port: flags.port ?? (env.CAIRN_PORT ? Number(env.CAIRN_PORT) : undefined),
    dataDir,
    db: flags.db ?? env.CAIRN_DB ?? `sqlite:${join(dataDir, 'cairn.db')}`,
    authTokens: tokens,
    local: {
      maxConcurrentJobs: flags.maxConcurrentJobs ?? (env.CAIRN_LOCAL_MAX_JOBS ? Number(env.CAIRN_LOCAL_MAX_JOBS) : availableParallelism()),
      heartbeatIntervalMs: flags.heartbeatIntervalMs ?? (env.CAIRN_HEARTBEAT_MS ? Number(env.CAIRN_HEARTBEAT_MS) : undefined),
      cancelGraceMs: flags.cancelGraceMs ?? (env.CAIRN_CANCEL_GRACE_MS ? Number(env.CAIRN_CANCEL_GRACE_MS) : undefined),
    },
    snapshot: {
      maxBytes: env.CAIRN_SNAPSHOT_MAX_BYTES ? Number(env.CAIRN_SNAPSHOT_MAX_BYTES) : undefined,
      maxFiles: env.CAIRN_SNAPSHOT_MAX_FILES ? Number(env.CAIRN_SNAPSHOT_MAX_FILES) : undefined,
    },
    logLevel: flags.logLevel ?? env.CAIRN_LOG_LEVEL,
    secretKey: env.CAIRN_SECRET_KEY || undefined,
    ssh: {
      connectTimeoutMs: env.CAIRN_SSH_CONNECT_TIMEOUT_MS ? Number(env.CAIRN_SSH_CONNECT_TIMEOUT_MS) : undefined,
      defaultWorkDir: env.CAIRN_AGENT_WORK_DIR || undefined,
    },
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`server configuration: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
