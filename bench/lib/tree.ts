import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs git in `cwd` with no user or system configuration in the way. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'core.excludesFile=/dev/null', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A committed git tree of `files` files in 100 folders, sizes skewed like a real repo (mostly
 * small sources, a few large files, ~20 KB on average: ~200 MB for 10,000 files).
 */
export function makeTree(dir: string, files: number): { bytes: number } {
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let d = 0; d < 100; d++) mkdirSync(join(dir, `pkg${d}`, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const size = Math.floor(rand() ** 3 * 80_000);
    randomFillSync(buf, 0, size);
    writeFileSync(join(dir, `pkg${i % 100}`, i % 3 ? `f${i}.py` : `sub/f${i}.bin`), buf.subarray(0, size));
    bytes += size;
  }
  writeFileSync(join(dir, '.gitignore'), '*.pyc\n__pycache__/\n.venv/\n*.log\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'bench');
  return { bytes };
}
