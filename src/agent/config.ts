import { execFileSync } from 'node:child_process';
import { cpus, totalmem, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { NodeShape } from '../protocol/agent.ts';
import { parseJobEnvExtra } from '../protocol/job-env.ts';

/** Everything the agent needs, read once from its environment at start and passed in. */
export const AgentConfig = z.object({
  serverUrl: z.string().url(),
  /** When set, the agent re-reads the server's URL from this file after losing it (local servers restart on new ports). */
  serverFile: z.string().optional(),
  token: z.string().min(1),
  node: z.string().min(1),
  dir: z.string().min(1),
  /** With no server and no job for this long, the agent exits. */
  idleExitMs: z.number().int().positive().default(15 * 60_000),
  /** Where the stdlib-only `cairn` Python module lives; it travels with the agent. */
  pythonDir: z.string().default(fileURLToPath(new URL('./python', import.meta.url))),
  /** Environments past this size are removed, least recently used first. */
  envCacheMaxMb: z.number().int().positive().default(20 * 1024),
  /** Read-only input trees shared by this node's jobs past this size are removed, least recently used first (never one a running job holds). */
  inputTreesMaxBytes: z.number().int().nonnegative().default(20 * 2 ** 30),
  /** The most one http(s) input may bring. */
  maxUrlBytes: z.number().int().positive().default(64 * 2 ** 30),
  /** `podman`, `docker` or `none`; unset: whichever answers, podman first. */
  containerEngine: z.enum(['podman', 'docker', 'none']).optional(),
  /** A conda, mamba or micromamba binary, or `none`; unset: the first of them on PATH. */
  conda: z.string().optional(),
  /** `auto`: jobs run sandboxed where the kernel allows it (see sandbox.ts); `none`: not at all. */
  isolation: z.enum(['auto', 'none']).default('auto'),
  /** Folders jobs must not see besides the agent's own (the local agent: the server's data folder). */
  hide: z.array(z.string()).default([]),
  /** Whom jobs of a root agent run as (made if missing); `root` keeps them root. */
  jobUser: z.string().default('cairn-job'),
  /** Variables of the agent's environment that jobs inherit beyond the built-in allow-list (names, or prefixes ending in *). */
  jobEnv: z.array(z.string()).default([]),
  /** A node that is a slice of a machine declares its shape (cpus, memory_mb, gpus) instead of the machine's. */
  shape: z.object({ cpus: z.number().int().positive(), memory_mb: z.number().int().positive(), gpus: z.number().int().nonnegative() }).optional(),
  /** The node's shared work folder (where SSH logins land), given to jobs as CAIRN_NODE_WORK_DIR. */
  nodeWorkDir: z.string().optional(),
  /** The machine's GPUs that are this node's (indices); unset: all of them. */
  gpus: z.array(z.number().int().nonnegative()).optional(),
  /**
   * One-shot (a batch system's job step, e.g. Slurm's): run the attempts handed to this node, then
   * exit; a SIGTERM (scancel, time limit, preemption) ends the job's processes and leaves its end
   * for the server to learn from the batch system.
   */
  once: z.boolean().default(false),
  /** One-shot: how long to wait for an assignment before leaving (the attempt was canceled meanwhile). */
  onceWaitMs: z.number().int().positive().default(120_000),
  /** Blob, environment and input caches somewhere else than `dir`: a shared file system all nodes of a cluster see. */
  cacheDir: z.string().optional(),
  /** The addresses of a distributed job's nodes as the batch system placed them (instead of the server's guess). */
  rankHosts: z.array(z.string().min(1)).optional(),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

export function agentConfigFromEnv(env: NodeJS.ProcessEnv): AgentConfig {
  const parsed = AgentConfig.safeParse({
    serverUrl: env.CAIRN_AGENT_SERVER_URL,
    serverFile: env.CAIRN_AGENT_SERVER_FILE || undefined,
    token: env.CAIRN_AGENT_TOKEN,
    node: env.CAIRN_AGENT_NODE,
    dir: env.CAIRN_AGENT_DIR,
    idleExitMs: env.CAIRN_AGENT_IDLE_EXIT_MS ? Number(env.CAIRN_AGENT_IDLE_EXIT_MS) : undefined,
    pythonDir: env.CAIRN_AGENT_PYTHON_DIR || undefined,
    envCacheMaxMb: env.CAIRN_AGENT_ENV_CACHE_MB ? Number(env.CAIRN_AGENT_ENV_CACHE_MB) : undefined,
    inputTreesMaxBytes: env.CAIRN_AGENT_INPUT_TREES_MAX_BYTES ? Number(env.CAIRN_AGENT_INPUT_TREES_MAX_BYTES) : undefined,
    maxUrlBytes: env.CAIRN_AGENT_MAX_URL_BYTES ? Number(env.CAIRN_AGENT_MAX_URL_BYTES) : undefined,
    containerEngine: env.CAIRN_AGENT_CONTAINER_ENGINE || undefined,
    conda: env.CAIRN_AGENT_CONDA || undefined,
    isolation: env.CAIRN_AGENT_ISOLATION || undefined,
    hide: env.CAIRN_AGENT_HIDE ? env.CAIRN_AGENT_HIDE.split(':').filter(Boolean) : undefined,
    jobUser: env.CAIRN_AGENT_JOB_USER || undefined,
    jobEnv: parseJobEnvExtra(env.CAIRN_AGENT_JOB_ENV),
    shape: env.CAIRN_AGENT_SHAPE ? JSON.parse(env.CAIRN_AGENT_SHAPE) : undefined,
    nodeWorkDir: env.CAIRN_AGENT_NODE_WORK_DIR || undefined,
    gpus: env.CAIRN_AGENT_GPUS === undefined ? undefined : env.CAIRN_AGENT_GPUS.split(',').filter(Boolean).map(Number),
    once: env.CAIRN_AGENT_ONCE === '1',
    onceWaitMs: env.CAIRN_AGENT_ONCE_WAIT_MS ? Number(env.CAIRN_AGENT_ONCE_WAIT_MS) : undefined,
    cacheDir: env.CAIRN_AGENT_CACHE_DIR || undefined,
    rankHosts: env.CAIRN_AGENT_RANK_HOSTS ? env.CAIRN_AGENT_RANK_HOSTS.split(',').filter(Boolean) : undefined,
  });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`agent configuration: ${first.path.join('.')} ${first.message} (set CAIRN_AGENT_SERVER_URL, CAIRN_AGENT_TOKEN, CAIRN_AGENT_NODE, CAIRN_AGENT_DIR)`);
  }
  return parsed.data;
}

/** The node's size as jobs see it; GPUs come from `nvidia-smi` when the host has one. */
export function detectShape(extra: Pick<NodeShape, 'container_engines' | 'conda' | 'isolation'> = {}, declared?: AgentConfig['shape'], gpus?: number[]): NodeShape {
  const all = probe('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader']);
  const gpuNames = gpus ? gpus.map((i) => all[i]).filter((n): n is string => n !== undefined) : all;
  const python = probe('python3', ['-c', 'import sys;print("%d.%d.%d" % sys.version_info[:3])'])[0];
  return {
    cpus: declared?.cpus ?? cpus().length,
    memory_mb: declared?.memory_mb ?? Math.floor(totalmem() / 2 ** 20),
    gpus: gpus ? gpus.length : gpuNames.length,
    ...(gpuNames.length ? { gpu_names: gpuNames } : {}),
    os: platform(),
    arch: arch(),
    ...(python ? { python } : {}),
    ...extra,
  };
}

function probe(cmd: string, args: string[]): string[] {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}
