// Real container engines for tests, brought up by the project's scripts: podman (daemonless) and a
// private dockerd. Outside CI a machine that cannot run them (not root, no apt) skips with the
// reason; with CI=true that is a failure, since nothing may be skipped in CI.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Engine {
  name: 'podman' | 'docker';
  /** What the engine's CLI (and an agent using it) needs in its environment. */
  env: NodeJS.ProcessEnv;
  /** Runs the engine's CLI; stdout, or null when it failed. */
  cli(args: string[]): string | null;
  stop(): void;
}

export function startEngine(name: 'podman' | 'docker'): Engine | { skip: string } {
  const fail = (reason: string): { skip: string } => {
    if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: container tests may not be skipped)`);
    return { skip: reason };
  };
  if (process.getuid?.() !== 0) return fail(`${name} for tests needs root (running as uid ${process.getuid?.()})`);
  const up = spawnSync('bash', [`${ROOT}/scripts/${name}-up.sh`], { encoding: 'utf8', timeout: 300_000 });
  if (up.status !== 0) return fail(`scripts/${name}-up.sh failed: ${(up.stderr || up.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const env: NodeJS.ProcessEnv = {};
  const host = /^DOCKER_HOST=(\S+)$/m.exec(up.stdout);
  if (name === 'docker') {
    if (!host) return fail('scripts/docker-up.sh printed no DOCKER_HOST');
    env.DOCKER_HOST = host[1];
  }
  return {
    name,
    env,
    cli(args) {
      const r = spawnSync(name, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
      return r.status === 0 ? r.stdout : null;
    },
    stop() {
      if (name === 'docker') spawnSync('bash', [`${ROOT}/scripts/docker-down.sh`], { stdio: 'ignore', timeout: 60_000 });
    },
  };
}
