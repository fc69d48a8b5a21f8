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
import { git, makeTree, median } from './lib/tree.ts';
import { RACY_MS } from '../src/snapshot/stat-cache.ts';

const FILES = 10_000;
const RUNS = 5;

const base = mkdtempSync(join(tmpdir(), 'cairn-bench-snapshot-'));
const tree = join(base, 'tree');
const cacheDir = join(base, 'cache');

try {
  mkdirSync(tree);
  const { bytes } = makeTree(tree, FILES);
  const buf = Buffer.allocUnsafe(1 << 20);
  const created = Date.now();
  // Flush the ~400 MB just written (tree and git objects) so writeback does not skew either side.
  spawnSync('sync');
  // Files younger than the racy window are deliberately not cached; wait them out.
  await sleep(Math.max(0, created + RACY_MS + 100 - Date.now()));

  const changed = join(tree, 'pkg7', 'f7.py');
  const opts = { cacheDir, warnFiles: Infinity, warnBytes: Infinity };
  await buildSnapshot(tree, opts);
  await buildSnapshot(tree, opts);
  git(tree, 'status', '--porcelain');

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
