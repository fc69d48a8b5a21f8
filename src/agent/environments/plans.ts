import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type CondaFile, pipEnv, type PipOptions, type ResolvedEnvironment } from '../../protocol/environment.ts';
import { splitCondaFile } from './conda-spec.ts';
import { buildArgs, engineEnv, qualifyImage, type EngineName } from './engines.ts';
import type { PythonFinder } from './python-finder.ts';
import { BuildError, capture, runLogged, type LineSink } from './run-logged.ts';

/** How a job runs in a prepared environment. */
export type Launch = { type: 'host'; path: string[]; env: Record<string, string> } | { type: 'container'; engine: EngineName; image: string };

/** What a build leaves behind, kept in the environment's `ready.json`. */
export interface Built {
  launch: Launch;
  python?: string;
  interpreter?: string;
  image?: string;
  image_id?: string;
  packages: string[];
  /** Bytes outside the environment's folder (an image in the engine's store), for the size cap. */
  external_bytes?: number;
}

export interface BuildContext {
  dir: string;
  sink: LineSink;
  env: NodeJS.ProcessEnv;
  onStart: (pgid: number) => void;
  /** Lays the build context snapshot out in a folder (build environments). */
  materialize: (snapshotId: string, into: string) => Promise<void>;
}

export interface Plan {
  key: string;
  builder: string;
  build(c: BuildContext): Promise<Built>;
}

export interface NodeFacts {
  os: string;
  arch: string;
  engines: EngineName[];
  conda?: { tool: 'conda' | 'mamba' | 'micromamba'; path: string };
  pythons: PythonFinder;
}

const sha = (...parts: unknown[]) => createHash('sha256').update(canonicalJson(parts)).digest('hex');
const lines = (s: string | null) => (s ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** Decides how this node makes an environment, and its cache key: the spec's hash, files and this platform. */
export async function planEnvironment(env: ResolvedEnvironment, pip: PipOptions | undefined, f: NodeFacts): Promise<Plan> {
  const platform = `${f.os}/${f.arch}`;
  const pipKey = canonicalJson(pip ?? {});
  if (env.kind === 'conda') {
    const conda = env.conda_file!;
    if (f.conda) return condaPlan(sha(env.spec_hash, platform, f.conda.tool, pipKey), f.conda, conda, pip);
    const parts = splitCondaFile(conda);
    if (parts.condaOnly.length) {
      throw new BuildError(
        `this node has no conda, mamba or micromamba, and the conda file needs conda packages: ${parts.condaOnly.join(', ')}; install micromamba on the node, or move them to the file's pip: section`,
      );
    }
    const { match, seen } = await f.pythons.find(parts.python);
    if (!match) {
      const found = seen.map((p) => `${p.path} ${p.version}`).join(', ') || 'no python at all';
      throw new BuildError(`the conda file asks for python ${parts.python}, and this node has no conda, mamba or micromamba to install it and no matching interpreter on PATH (found: ${found})`);
    }
    return venvPlan(sha(env.spec_hash, platform, 'venv', match.path, match.version, pipKey), match.path, parts.pip, pip);
  }
  const engine = f.engines[0];
  if (!engine) throw new BuildError(`this environment needs docker or podman, and this node has neither`);
  if (env.kind === 'build') return buildPlan(sha(env.spec_hash, platform, engine), engine, env.build!);
  return imagePlan(sha(env.spec_hash, platform, engine, env.conda_file ? pipKey : ''), engine, env.image!, env.conda_file, pip);
}

function venvPlan(key: string, python: string, requirements: string[], pip: PipOptions | undefined): Plan {
  return {
    key,
    builder: 'venv+pip',
    async build(c) {
      const env = { ...c.env, ...pipEnv(pip), PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
      await runLogged(python, ['-m', 'venv', c.dir], c.sink, { env, onStart: c.onStart, label: `${python} -m venv` });
      const py = join(c.dir, 'bin', 'python');
      if (requirements.length) {
        const req = join(c.dir, 'cairn-requirements.txt');
        writeFileSync(req, `${requirements.join('\n')}\n`);
        await runLogged(py, ['-m', 'pip', 'install', '-r', req], c.sink, { env, onStart: c.onStart, label: 'pip install' });
      }
      const version = (await capture(py, ['-c', 'import sys;print("%d.%d.%d"%sys.version_info[:3])']))?.trim();
      return {
        launch: { type: 'host', path: [join(c.dir, 'bin')], env: { VIRTUAL_ENV: c.dir } },
        python: version,
        interpreter: py,
        packages: lines(await capture(py, ['-m', 'pip', 'freeze'], { env })),
      };
    },
  };
}

function condaPlan(key: string, conda: NonNullable<NodeFacts['conda']>, file: object, pip: PipOptions | undefined): Plan {
  return {
    key,
    builder: conda.tool,
    async build(c) {
      const prefix = join(c.dir, 'env');
      const yml = join(c.dir, 'conda.yml');
      writeFileSync(yml, JSON.stringify(file, null, 1)); // JSON is YAML, and conda reads it as such
      const env = { ...c.env, ...pipEnv(pip) };
      const args = conda.tool === 'micromamba' ? ['create', '-y', '-p', prefix, '-f', yml] : ['env', 'create', '-p', prefix, '-f', yml];
      await runLogged(conda.path, args, c.sink, { env, onStart: c.onStart, label: `${conda.tool} ${args[0] === 'env' ? 'env create' : 'create'}` });
      const py = join(prefix, 'bin', 'python');
      return {
        launch: { type: 'host', path: [join(prefix, 'bin')], env: { CONDA_PREFIX: prefix, CONDA_DEFAULT_ENV: prefix } },
        python: (await capture(py, ['-c', 'import sys;print("%d.%d.%d"%sys.version_info[:3])']))?.trim(),
        interpreter: py,
        packages: lines(await capture(conda.path, ['list', '-p', prefix, '--export'], { env })),
      };
    },
  };
}

/** The image's Python version on the first line (when it has one), then its `pip freeze`. */
const FREEZE =
  'py=$(command -v python3 || command -v python) || exit 0; $py -c "import sys;print(\\"python=%d.%d.%d\\"%sys.version_info[:3])"; $py -m pip freeze 2>/dev/null || true';

async function imageFacts(engine: EngineName, image: string, env: NodeJS.ProcessEnv, owned: boolean): Promise<Omit<Built, 'launch'>> {
  const [id, bytes] = ((await capture(engine, ['image', 'inspect', '--format', '{{.Id}} {{.Size}}', image], { env })) ?? '').trim().split(' ');
  const size = owned ? Number(bytes) : 0;
  const out = lines(await capture(engine, ['run', '--rm', '--network', 'host', '--entrypoint', 'sh', image, '-c', FREEZE], { env, timeoutMs: 120_000 }));
  const python = out[0]?.startsWith('python=') ? out.shift()!.slice('python='.length) : undefined;
  return { image, ...(id ? { image_id: id } : {}), ...(python ? { python } : {}), packages: out, external_bytes: Number.isFinite(size) ? size : 0 };
}

/** `image:` as is, pulled once; with a conda_file, an image of our own with the packages on top. */
function imagePlan(key: string, engine: EngineName, given: string, conda: CondaFile | undefined, pip: PipOptions | undefined): Plan {
  // Docker qualifies Docker Hub short names itself; podman is given them in full.
  const image = engine === 'podman' ? qualifyImage(given) : given;
  return {
    key,
    builder: engine,
    async build(c) {
      const env = engineEnv(engine, c.env);
      const have = await capture(engine, ['image', 'inspect', '--format', '{{.Id}}', image], { env });
      if (!have) await runLogged(engine, ['pull', image], c.sink, { env, onStart: c.onStart, label: `${engine} pull ${image}` });
      if (!conda) return { launch: { type: 'container', engine, image }, ...(await imageFacts(engine, image, env, false)) };
      const ctx = join(c.dir, 'context');
      mkdirSync(ctx, { recursive: true });
      const parts = splitCondaFile(conda);
      writeFileSync(join(ctx, 'conda.yml'), JSON.stringify(conda, null, 1));
      writeFileSync(join(ctx, 'requirements.txt'), `${parts.pip.join('\n')}\n`);
      const args = Object.keys(pipEnv(pip));
      writeFileSync(
        join(ctx, 'Dockerfile'),
        [
          `FROM ${image}`,
          ...args.map((a) => `ARG ${a}`),
          'COPY conda.yml requirements.txt /tmp/cairn-env/',
          // conda when the image has it; else pip, which is all a conda file's pip: section needs
          'RUN set -e; f=/tmp/cairn-env; if command -v micromamba >/dev/null; then micromamba install -y -n base -f $f/conda.yml; ' +
            'elif command -v mamba >/dev/null; then mamba env update -n base -f $f/conda.yml; elif command -v conda >/dev/null; then conda env update -n base -f $f/conda.yml; ' +
            // a distribution's own Python marks itself externally managed (PEP 668); this image is ours to change
            'elif [ -s $f/requirements.txt ]; then PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir -r $f/requirements.txt; fi; rm -rf $f',
          '',
        ].join('\n'),
      );
      const tag = `localhost/cairn-env:${key.slice(0, 32)}`;
      await runLogged(engine, buildArgs(tag, join(ctx, 'Dockerfile'), ctx, pipEnv(pip)), c.sink, { env, onStart: c.onStart, label: `${engine} build` });
      return { launch: { type: 'container', engine, image: tag }, ...(await imageFacts(engine, tag, env, true)) };
    },
  };
}

/** `build.path`: the folder's snapshot laid out as the build context, built once per content hash. */
function buildPlan(key: string, engine: EngineName, build: NonNullable<ResolvedEnvironment['build']>): Plan {
  return {
    key,
    builder: engine,
    async build(c) {
      const env = engineEnv(engine, c.env);
      const ctx = join(c.dir, 'context');
      await c.materialize(build.snapshot_id, ctx);
      const tag = `localhost/cairn-env:${key.slice(0, 32)}`;
      await runLogged(engine, buildArgs(tag, join(ctx, build.dockerfile_path), ctx), c.sink, { env, onStart: c.onStart, label: `${engine} build` });
      return { launch: { type: 'container', engine, image: tag }, ...(await imageFacts(engine, tag, env, true)) };
    },
  };
}
