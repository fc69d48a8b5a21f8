/**
 * Re-snapshot after a one-file change of a 10k-file, ~200 MB tree, against `git status` on the
 * same tree (the design's bar: at most 2x). Prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildSnapshot } from '../src/snapshot/index.ts';
import { RACY_MS } from '../src/snapshot/stat-cache.ts';

const FILES = 10_000;
const FOLDERS = 100;
const RUNS = 5;

const base = mkdtempSync(join(tmpdir(), 'cairn-bench-snapshot-'));
const tree = join(base, 'tree');
const cacheDir = join(base, 'cache');

function git(...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'core.excludesFile=/dev/null', ...args], { cwd: tree, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

try {
  // Sizes skewed like a real repo: mostly small sources, a few larger files, ~20 KB on average.
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let d = 0; d < FOLDERS; d++) mkdirSync(join(tree, `pkg${d}`, 'sub'), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const size = Math.floor(rand() ** 3 * 80_000);
    randomFillSync(buf, 0, size);
    const d = i % FOLDERS;
    writeFileSync(join(tree, `pkg${d}`, i % 3 ? `f${i}.py` : `sub/f${i}.bin`), buf.subarray(0, size));
    bytes += size;
  }
  writeFileSync(join(tree, '.gitignore'), '*.pyc\n__pycache__/\n.venv/\n*.log\n');
  const created = Date.now();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  // Flush the ~400 MB just written (tree and git objects) so writeback does not skew either side.
  spawnSync('sync');
  // Files younger than the racy window are deliberately not cached; wait them out.
  await sleep(Math.max(0, created + RACY_MS + 100 - Date.now()));

  const changed = join(tree, 'pkg7', 'f7.py');
  const opts = { cacheDir, warnFiles: Infinity, warnBytes: Infinity };
  await buildSnapshot(tree, opts);
  await buildSnapshot(tree, opts);
  git('status', '--porcelain');

  const gitMs: number[] = [];
  const snapMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    randomFillSync(buf, 0, 1000);
    writeFileSync(changed, buf.subarray(0, 1000 + i));
    let t = performance.now();
    const st = spawnSync('git', ['status', '--porcelain'], { cwd: tree });
    gitMs.push(performance.now() - t);
    if (st.status !== 0) throw new Error('git status failed');
    t = performance.now();
    const snap = await buildSnapshot(tree, opts);
    snapMs.push(performance.now() - t);
    if (snap.fileCount !== FILES + 1) throw new Error(`expected ${FILES + 1} entries, got ${snap.fileCount}`);
  }
  const git_status_ms = +median(gitMs).toFixed(1);
  const snapshot_ms = +median(snapMs).toFixed(1);
  console.log(JSON.stringify({ files: FILES, bytes, git_status_ms, snapshot_ms, ratio: +(snapshot_ms / git_status_ms).toFixed(2) }));
} finally {
  rmSync(base, { recursive: true, force: true });
}
