import { execFile, execFileSync } from 'node:child_process';

export type EngineName = 'podman' | 'docker';
export const ENGINES: readonly EngineName[] = ['podman', 'docker'];

/** Engines that answer on this node: podman needs no daemon; docker's daemon must reply. */
export function detectEngines(env: NodeJS.ProcessEnv, only?: string): EngineName[] {
  if (only === 'none') return [];
  const order = only && (ENGINES as readonly string[]).includes(only) ? [only as EngineName] : [...ENGINES];
  return order.filter((e) => {
    try {
      execFileSync(e, ['version', '--format', e === 'docker' ? '{{.Server.Version}}' : '{{.Client.Version}}'], { env, timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] });
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Environment for the engine's CLI: the classic docker builder needs no buildx plugin and can
 * use the host network (this machine kind has no bridge networking for containers).
 */
export const engineEnv = (engine: EngineName, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv => (engine === 'docker' ? { ...base, DOCKER_BUILDKIT: '0' } : base);

export const buildArgs = (tag: string, dockerfile: string, context: string, buildArgs: Record<string, string> = {}): string[] => [
  'build',
  '--network',
  'host',
  ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
  '-t',
  tag,
  '-f',
  dockerfile,
  context,
];

export interface ContainerRun {
  engine: EngineName;
  image: string;
  name: string;
  workdir: string;
  /** Host folders mounted at the same path (read-only when `ro`). */
  mounts: { path: string; ro?: boolean }[];
  /** Variables passed by name: their values come from the environment the engine CLI runs with. */
  envNames: string[];
  /** The GPUs a job may use: all of the machine's, those indices, or none. */
  gpus: 'all' | number[];
  command: string;
}

/** The `podman run`/`docker run` argv a job runs with: same paths inside, host network, GPUs passed through. */
export function runArgs(r: ContainerRun): string[] {
  const gpu =
    r.gpus === 'all'
      ? r.engine === 'docker' ? ['--gpus', 'all'] : ['--device', 'nvidia.com/gpu=all']
      : r.engine === 'docker'
        ? r.gpus.length ? ['--gpus', `"device=${r.gpus.join(',')}"`] : []
        : r.gpus.flatMap((g) => ['--device', `nvidia.com/gpu=${g}`]);
  const uid = process.getuid?.() ?? 0;
  const user = uid === 0 ? [] : ['--user', `${uid}:${process.getgid?.() ?? 0}`];
  return [
    'run',
    '--rm',
    '--name',
    r.name,
    '--network',
    'host',
    ...user,
    ...r.mounts.flatMap((m) => ['-v', `${m.path}:${m.path}${m.ro ? ':ro' : ''}`]),
    '-w',
    r.workdir,
    ...r.envNames.flatMap((n) => ['-e', n]),
    ...gpu,
    r.image,
    'sh',
    '-c',
    r.command,
  ];
}

/**
 * Removes a job's container and waits until the engine no longer lists it: `rm -f` can answer
 * while a --rm removal is still under way (docker: "removal already in progress").
 */
export async function removeContainer(engine: EngineName, name: string, env: NodeJS.ProcessEnv): Promise<void> {
  const run = (args: string[]) => new Promise<boolean>((r) => execFile(engine, args, { env, timeout: 30_000 }, (err) => r(!err)));
  for (let i = 0; i < 40; i++) {
    await run(['rm', '-f', name]);
    if (!(await run(['container', 'inspect', name]))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * An image reference as docker reads it, written out in full: `python:3.11` is
 * `docker.io/library/python:3.11`, `pytorch/pytorch` is `docker.io/pytorch/pytorch`. Podman refuses
 * short names it cannot resolve without asking (no terminal on a node), so it gets them qualified;
 * a name whose first part is a registry (has a dot or a port, or is localhost) stays as it is.
 */
export function qualifyImage(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return ref;
  return slash < 0 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
}
