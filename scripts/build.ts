// The build `npm ci` runs (package.json "prepare"): the studio, bundled by Vite into dist/studio,
// which the server serves at /, then the CLI, agent and SDK bundled into dist/ (scripts/build-cli.ts).
// Says what it made and its compressed size on stderr (stdout stays `npm pack`'s: the tarball's name).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { buildCli } from './build-cli.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'studio');

export async function buildStudio(): Promise<{ files: number; bytes: number; gzipBytes: number }> {
  await build({
    root: join(root, 'src', 'studio'),
    base: '/',
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  });
  let bytes = 0;
  let gzipBytes = 0;
  const files = walk(outDir);
  for (const f of files) {
    const b = readFileSync(f);
    bytes += b.length;
    gzipBytes += gzipSync(b, { level: 9 }).length;
  }
  return { files: files.length, bytes, gzipBytes };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const s = await buildStudio();
  console.error(`build: studio -> ${relative(root, outDir)} (${s.files} files, ${(s.bytes / 1024).toFixed(0)} KiB, ${(s.gzipBytes / 1024).toFixed(0)} KiB gzipped) in ${Date.now() - t0} ms`);
  const c = await buildCli();
  console.error(`build: cli, agent and sdk -> dist (${c.files} files, ${(c.bytes / 1024).toFixed(0)} KiB) in ${c.ms} ms`);
}
