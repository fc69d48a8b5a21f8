// Re-submitting a 10,000-file / ~200 MB tree after changing one file, against `git status` on the
// same tree timed in the same run (bar: at most 2x). The re-submit is the whole client path:
// snapshot with the stat cache, ask the server what it lacks, upload it, create the job.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnClient } from '../src/sdk/client.ts';
import { submitJob } from '../src/sdk/submit.ts';
import { RACY_MS } from '../src/snapshot/stat-cache.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';
import { makeTree, median } from './lib/tree.ts';

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const RUNS = 7;
const base = tempDir('bench-resubmit');
const tree = join(base, 'tree');
mkdirSync(tree);
const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error', CAIRN_LOCAL_MAX_JOBS: '1' } });
try {
  const { bytes } = makeTree(tree, FILES);
  const created = Date.now();
  await server.start();
  const client = new CairnClient({ url: server.url });
  // Count what crosses the wire: blob uploads go through this wrapper.
  let uploaded = { blobs: 0, bytes: 0 };
  const putBlob = client.putBlob.bind(client);
  client.putBlob = async (sha, data) => {
    uploaded.blobs++;
    uploaded.bytes += data.length;
    return putBlob(sha, data);
  };
  const snapshot = { cacheDir: join(base, 'cache'), warnFiles: Infinity, warnBytes: Infinity };
  const spec = (i: number) => ({ type: 'command' as const, command: 'true', name: `resubmit-${i}` });
  // The local compute runs one job at a time and this one holds it: the submits below queue
  // behind it, so what is timed is the submit path alone, not jobs copying 200 MB meanwhile.
  await client.createJob({ type: 'command', command: 'sleep 600', name: 'holder' });
  await sleep(Math.max(0, created + RACY_MS + 100 - Date.now())); // files younger than this are re-hashed on purpose
  const t0 = performance.now();
  await submitJob(client, { spec: spec(-1), codeDir: tree, snapshot });
  const firstMs = performance.now() - t0;
  const firstUpload = uploaded;
  const changed = join(tree, 'pkg7', 'f7.py');
  const buf = Buffer.allocUnsafe(2000);
  const gitMs: number[] = [];
  const submitMs: number[] = [];
  const perRun: { blobs: number; bytes: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    randomFillSync(buf);
    writeFileSync(changed, buf.subarray(0, 1000 + i));
    let t = performance.now();
    if (spawnSync('git', ['status', '--porcelain'], { cwd: tree }).status !== 0) throw new Error('git status failed');
    gitMs.push(performance.now() - t);
    uploaded = { blobs: 0, bytes: 0 };
    t = performance.now();
    await submitJob(client, { spec: spec(i), codeDir: tree, snapshot });
    submitMs.push(performance.now() - t);
    perRun.push(uploaded);
    await sleep(300);
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      bench: 'resubmit-after-one-file-change',
      files: FILES + 1,
      bytes,
      first_submit_ms: r(firstMs),
      first_submit_uploaded_blobs: firstUpload.blobs,
      baseline_git_status_ms: r(median(gitMs)),
      resubmit_ms: r(median(submitMs)),
      ratio: r(median(submitMs) / median(gitMs)),
      best_git_status_ms: r(Math.min(...gitMs)),
      best_resubmit_ms: r(Math.min(...submitMs)),
      bar_ratio: 2,
      uploaded_per_resubmit: perRun,
    }),
  );
} finally {
  const client = new CairnClient({ url: server.url });
  for (const j of await client.listJobs({ all: true })) if (!['Completed', 'Failed', 'Canceled'].includes(j.status)) await client.cancelJob(j.name).catch(() => {});
  await server.stop();
  rmSync(base, { recursive: true, force: true });
}
