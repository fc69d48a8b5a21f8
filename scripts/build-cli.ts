// The CLI as a package runs it: bundled by esbuild into dist/ as ES modules for Node 24, so an
// installed Cairn needs no TypeScript, no module resolution through node_modules and no esbuild at
// run time. Run by scripts/build.ts (npm ci, npm run build, npm pack) after the studio.
//
// dist/cli.js      the `cairn` command (src/cli/main.ts, the server included, in lazily loaded chunks)
// dist/sdk.js      the TypeScript SDK as JS (package.json "exports": "."), dist/protocol.js ("./protocol")
// dist/*-HASH.js   chunks those share; every chunk sits in dist/ itself, so code that finds files
//                  next to itself (src/package-layout.ts) sees the same folder from any chunk
// dist/agent.js    the agent in one file (the local agent runs it; SSH hosts get a copy)
// dist/python/     the stdlib-only `cairn` Python module jobs find on PYTHONPATH (the agent's ./python)
// dist/python/cairn-<version>-py3-none-any.whl  the same package as a wheel, for pip (scripts/python-wheel.ts)
// dist/cli-build.json  the files this build wrote (the next build removes chunks it no longer makes)
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { AGENT_BUILD_OPTIONS } from '../src/compute/virtualmachine/agent-bundle.ts';
import { pythonWheel, wheelName } from './python-wheel.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packages left out of the bundle, loaded from node_modules at run time: ssh2 (optional native
 * crypto bindings), pg-native and cpu-features (optional native modules that are not installed),
 * esbuild (a clone bundles the agent with it at run time; the package ships dist/agent.js). Each
 * that must load must be a dependency in package.json (checked below).
 */
const EXTERNAL = ['ssh2', 'esbuild', 'pg-native', 'cpu-features'];
const OPTIONAL_EXTERNAL = new Set(['esbuild', 'pg-native', 'cpu-features']);

/** A bundled CommonJS package calls require(): ES modules have none, so each chunk makes one. */
const REQUIRE_BANNER = "import { createRequire as __cairnCreateRequire } from 'node:module'; const require = __cairnCreateRequire(import.meta.url);";

/**
 * An ES module's `import fs from 'node:fs'` copies every export of the built-in, and some exports
 * are getters that load more of Node: node:http's WebSocket, CloseEvent and MessageEvent load undici
 * (about 10 ms), node:fs's `promises` loads fs/promises and readline, node:crypto's `webcrypto` the
 * Web Crypto classes. The bundle takes built-ins from process.getBuiltinModule instead, which loads
 * only the module itself: its default export is the module, and its named exports are the plain
 * values (a getter imported by name fails the build, so none is missed).
 */
const lazyBuiltins: Plugin = {
  name: 'cairn-lazy-builtins',
  setup(b) {
    const names = new Set(builtinModules.filter((m) => !m.startsWith('_')));
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !names.has(name)) return undefined;
      return { path: name, namespace: 'cairn-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'cairn-builtin' }, (args) => {
      const mod = process.getBuiltinModule(`node:${args.path}`) as Record<string, unknown>;
      const plain = Object.keys(mod).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && 'value' in Object.getOwnPropertyDescriptor(mod, k)!);
      return {
        loader: 'js',
        contents: `const m = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});\nexport default m;\n${plain.map((k) => `export const ${k} = m.${k};`).join('\n')}\n`,
      };
    });
  },
};

/**
 * `import { z } from 'zod'` is zod's namespace as one value, so a bundle keeps all of zod (every
 * locale, the JSON Schema tools...) and runs it at every start. `import * as z` means the same to
 * the code (only `z.x` is ever used) and lets esbuild keep only what is used.
 */
const shakeZod: Plugin = {
  name: 'cairn-shake-zod',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return { contents: text.replace(/^import \{ z \} from 'zod';$/gm, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

export interface CliBuild {
  files: number;
  bytes: number;
  ms: number;
}

export async function buildCli(o: { outDir?: string; minify?: boolean; metafile?: string } = {}): Promise<CliBuild> {
  const t0 = Date.now();
  const dist = o.outDir ?? join(root, 'dist');
  const minify = o.minify ?? true;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> };
  for (const e of EXTERNAL) {
    if (!OPTIONAL_EXTERNAL.has(e) && !pkg.dependencies?.[e]) throw new Error(`build-cli: '${e}' is left out of the bundle, so it must be a dependency in package.json`);
  }
  // Built into a folder of its own, then moved into dist/ file by file: a `cairn` running while this
  // builds sees the old files or the new ones, never a half-written one.
  const stage = join(dist, `.cli-build-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  try {
    const node = builtinModules.map((m) => `node:${m}`);
    const cli = await build({
      entryPoints: { cli: join(root, 'src/cli/main.ts'), sdk: join(root, 'src/sdk/index.ts'), protocol: join(root, 'src/protocol/index.ts') },
      outdir: stage,
      bundle: true,
      splitting: true,
      chunkNames: '[name]-[hash]',
      platform: 'node',
      format: 'esm',
      target: 'node24',
      // yaml and others ship ES modules beside CommonJS: the ES build bundles without interop.
      mainFields: ['module', 'main'],
      external: [...EXTERNAL, ...node],
      plugins: [lazyBuiltins, shakeZod],
      banner: { js: REQUIRE_BANNER },
      legalComments: 'none',
      logLevel: 'warning',
      // Less to read and hash at every start; names stay, so stack traces still say where.
      minifyWhitespace: minify,
      minifySyntax: minify,
      metafile: Boolean(o.metafile),
    });
    if (o.metafile) writeFileSync(o.metafile, JSON.stringify(cli.metafile));
    await build({
      ...AGENT_BUILD_OPTIONS,
      entryPoints: [join(root, 'src/agent/main.ts')],
      outfile: join(stage, 'agent.js'),
      plugins: [shakeZod],
      minifyWhitespace: minify,
      minifySyntax: minify,
      logLevel: 'warning',
    });
    cpSync(join(root, 'src/agent/python/cairn'), join(stage, 'python/cairn'), { recursive: true, filter: (f) => statSync(f).isDirectory() || f.endsWith('.py') });
    // The same package as a wheel, for `pip install` on machines that are not nodes (scripts/python-wheel.ts).
    writeFileSync(join(stage, 'python', wheelName(pkg.version)), pythonWheel(join(root, 'src/agent/python'), pkg.version));

    const made = walk(stage).map((f) => relative(stage, f));
    let previous: string[] = [];
    try {
      previous = (JSON.parse(readFileSync(join(dist, 'cli-build.json'), 'utf8')) as { files: string[] }).files;
    } catch {}
    for (const f of made) {
      mkdirSync(join(dist, f, '..'), { recursive: true });
      renameSync(join(stage, f), join(dist, f));
    }
    for (const f of previous) if (!made.includes(f) && !f.startsWith('studio/')) rmSync(join(dist, f), { force: true });
    writeFileSync(join(dist, 'cli-build.json'), `${JSON.stringify({ files: made }, null, 1)}\n`);
    const bytes = made.reduce((n, f) => n + statSync(join(dist, f)).size, 0);
    return { files: made.length, bytes, ms: Date.now() - t0 };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv.indexOf('--out-dir');
  const meta = process.argv.indexOf('--metafile');
  const s = await buildCli({ outDir: out > 0 ? process.argv[out + 1] : undefined, minify: !process.argv.includes('--no-minify'), metafile: meta > 0 ? process.argv[meta + 1] : undefined });
  console.error(`build: cli -> dist (${s.files} files, ${(s.bytes / 1024).toFixed(0)} KiB) in ${s.ms} ms`);
}
