/**
 * The variables a job inherits from the machine it runs on: an allow-list, never the whole
 * environment of the server or the agent (which hold tokens and keys). Everything else a job sees
 * is set for it (its own environment_variables, CAIRN_*, MLFLOW_*, PATH additions of its environment).
 */
const NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'TMPDIR',
  'LD_LIBRARY_PATH',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'PYENV_ROOT',
  'PYENV_VERSION',
]);
/** Locale, GPU and pip settings of the machine. */
const PREFIXES = ['LC_', 'CUDA_', 'NVIDIA_', 'PIP_'];

/**
 * A node operator's additions (CAIRN_AGENT_JOB_ENV: names, or prefixes ending in `*`). Cairn's own
 * variables are never passed on this way: the ones a job needs are set for it.
 */
export function parseJobEnvExtra(spec: string | undefined): string[] {
  return (spec ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .filter((n) => !n.startsWith('CAIRN_'));
}

function allowed(name: string, extra: string[]): boolean {
  if (NAMES.has(name) || PREFIXES.some((p) => name.startsWith(p))) return true;
  if (name.startsWith('CAIRN_')) return false;
  return extra.some((e) => (e.endsWith('*') ? name.startsWith(e.slice(0, -1)) : name === e));
}

/** The part of `env` a job may inherit. */
export function inheritedEnv(env: Record<string, string | undefined>, extra: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && allowed(k, extra)) out[k] = v;
  return out;
}

/** What a container engine's client needs to reach its engine: the agent's, and a container job's launcher's. */
const ENGINE_NAMES = ['DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY', 'DOCKER_CONTEXT', 'CONTAINER_HOST', 'CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF', 'XDG_RUNTIME_DIR'];

export function engineClientEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ENGINE_NAMES) if (env[k] !== undefined) out[k] = env[k]!;
  return out;
}

/**
 * What the server gives the agent it starts on its own machine: what jobs may inherit, what the
 * container engines need, and the agent's own settings (CAIRN_AGENT_*); never the server's tokens or keys.
 */
export function localAgentEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out = { ...inheritedEnv(env, parseJobEnvExtra(env.CAIRN_AGENT_JOB_ENV)), ...engineClientEnv(env) };
  for (const [k, v] of Object.entries(env)) if (k.startsWith('CAIRN_AGENT_') && v !== undefined) out[k] = v;
  return out;
}
