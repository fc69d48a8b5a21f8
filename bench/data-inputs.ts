// Job data on a warm `local` node, against baselines timed in the same run:
// - a 1 GB, 10,000-file uri_folder input (ro_mount): submit -> running for the first job on the
//   node (it fetches the blobs and lays the shared tree out) against `cp -r` of the same folder on
//   the same disk (bar: within 2x); then a second job using it against a job without it (bar:
//   within 0.3 s: the tree is reused, nothing is done per file);
// - a job with a 1 GB output: Finalizing -> Completed with the output registered as a data asset
//   (`name:`) against the same job without (bar: at most 10% more).
// The input is uploaded once before the timings (what `cairn job create` does the first time), so
// submit -> running is the server and the node, not the client's walk of the folder.
// Prints one JSON object.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { uploadInputs } from '../src/sdk/upload.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';
import type { Job } from '../src/protocol/job.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';
import { median, round1 as r } from './lib/first-line.ts';

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const BYTES = Number(process.env.BENCH_BYTES ?? 1e9);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const OUTPUT_RUNS = Number(process.env.BENCH_OUTPUT_RUNS ?? 3);
const OUTPUT_BYTES = Number(process.env.BENCH_OUTPUT_BYTES ?? 1e9);
/** `inputs` or `outputs`: only that half. */
const ONLY = process.env.BENCH_ONLY;

const work = tempDir('bench-data');
const data = join(work, 'data');
/** 100 folders of equal files, random bytes (nothing compresses or deduplicates). */
function makeData(): void {
  const size = Math.floor(BYTES / FILES);
  const buf = Buffer.allocUnsafe(size);
  for (let d = 0; d < 100; d++) mkdirSync(join(data, `part${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(data, `part${i % 100}`, `f${i}.bin`), randomFillSync(buf));
}

function cpBaseline(): number {
  const dest = join(work, 'copy');
  rmSync(dest, { recursive: true, force: true });
  const t0 = performance.now();
  const c = spawnSync('cp', ['-r', data, dest]);
  const ms = performance.now() - t0;
  if (c.status !== 0) throw new Error(`cp -r failed: ${c.stderr}`);
  rmSync(dest, { recursive: true, force: true });
  return ms;
}

const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
let client: CairnClient;
let n = 0;

/** Milliseconds from creating the job to its first line of output (the command's first act), and the job when it ended. */
async function submitToRunning(spec: Partial<CommandJobSpec>, uploads?: Record<string, { snapshot_id: string; file?: string }>): Promise<{ ms: number; job: Job }> {
  const t0 = performance.now();
  const created = await client.createJob({ type: 'command', name: `bench-data-${++n}`, ...spec } as CommandJobSpec, { inputUploads: uploads });
  let first: number | null = null;
  await client.stream(created.name, { onLine: (l) => void (l.stream === 'stdout' && (first ??= performance.now() - t0)) });
  const job = await client.getJob(created.name);
  if (job.status !== 'Completed' || first === null) throw new Error(`job ${job.name} ${job.status}: ${job.status_reason}`);
  return { ms: first, job };
}

/** From one status to the next, from the job's own history. */
function phaseMs(job: Job, from: string, to: string): number {
  const at = (s: string) => Date.parse(job.history?.find((e) => e.status === s)?.at ?? '');
  const ms = at(to) - at(from);
  if (!Number.isFinite(ms)) throw new Error(`job ${job.name} has no ${from} -> ${to} in its history`);
  return ms;
}
const finalizingMs = (job: Job) => phaseMs(job, 'Finalizing', 'Completed');

async function inputsHalf(): Promise<Record<string, unknown>> {
  makeData();
  const cp = [cpBaseline(), cpBaseline(), cpBaseline()];
  const up0 = performance.now();
  const uploads = await uploadInputs(client, { data });
  const uploadMs = performance.now() - up0;
  const withInput: Partial<CommandJobSpec> = {
    command: 'test -f ${{inputs.data}}/part0/f0.bin && echo started',
    inputs: { data: { type: 'uri_folder', path: './data', mode: 'ro_mount' } },
  };
  const without: Partial<CommandJobSpec> = { command: 'echo started' };
  await submitToRunning(without); // warm the path once
  const first = await submitToRunning(withInput, uploads);
  const again: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    again.push((await submitToRunning(withInput, uploads)).ms);
    bare.push((await submitToRunning(without)).ms);
  }
  const cpMs = median(cp);
  const secondOverhead = median(again) - median(bare);
  return {
    files: FILES,
    bytes: BYTES,
    runs: RUNS,
    upload_once_ms: r(uploadMs),
    baseline_cp_r_ms: r(cpMs),
    first_job_submit_to_running_ms: r(first.ms),
    first_job_preparing_ms: phaseMs(first.job, 'Preparing', 'Running'),
    first_job_vs_cp_r: Math.round((first.ms / cpMs) * 100) / 100,
    first_job_bar: 2,
    first_job_within_bar: first.ms <= 2 * cpMs,
    second_job_submit_to_running_ms: r(median(again)),
    baseline_job_without_input_ms: r(median(bare)),
    second_job_overhead_ms: r(secondOverhead),
    second_job_bar_ms: 300,
    second_job_within_bar: secondOverhead <= 300,
  };
}

async function outputsHalf(): Promise<Record<string, unknown>> {
  // A fresh output per job (its name first, then zeros): the server never holds it already.
  const write = `mkdir -p \${{outputs.model}} && { echo "$CAIRN_JOB_NAME"; head -c ${OUTPUT_BYTES} /dev/zero; } > \${{outputs.model}}/weights.bin && echo started`;
  const named: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < OUTPUT_RUNS; i++) {
    plain.push(finalizingMs((await submitToRunning({ command: write, outputs: { model: { type: 'uri_folder' } } })).job));
    named.push(finalizingMs((await submitToRunning({ command: write, outputs: { model: { type: 'uri_folder', name: 'bench-model' } } })).job));
  }
  const ratio = median(named) / median(plain);
  return {
    output_runs: OUTPUT_RUNS,
    output_bytes: OUTPUT_BYTES,
    output_finalizing_plain_ms: r(median(plain)),
    output_finalizing_registered_ms: r(median(named)),
    output_finalizing_plain_all_ms: plain,
    output_finalizing_registered_all_ms: named,
    output_registered_vs_plain: Math.round(ratio * 100) / 100,
    output_bar: 1.1,
    output_within_bar: ratio <= 1.1,
  };
}

try {
  await server.start();
  await server.waitForAgent();
  client = new CairnClient({ url: server.url });
  const inputs = ONLY === 'outputs' ? {} : await inputsHalf();
  const outputs = ONLY === 'inputs' ? {} : await outputsHalf();
  console.log(
    JSON.stringify({
      bench: 'data-inputs',
      ...inputs,
      ...outputs,
      note: 'submit -> running is timed to the first line of stdout (the input uploaded once before); finalizing from the job history (hashing and uploading the output, then registering it)',
    }),
  );
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
