// Slurm computes against a real Slurm 22.05 (test/helpers/slurm.ts: controller and three nodes on
// this host). Two measurements, each with its same-run baseline, printed as one JSON object:
//  1. submit -> first line of output: Cairn (SDK submit of `python3 -c 'print(1)'` on a Slurm
//     compute, to its first log line) against a raw `sbatch --wrap` of the same command (to its
//     first line in the output file). Budget: Cairn's overhead under 0.5 s.
//  2. a burst of BENCH_SLURM_BURST (500) jobs: Cairn's submit throughput (submit of the first to the
//     last one reaching Slurm) against `sbatch` in a loop, then every Cairn job must complete, each
//     submitted to Slurm exactly once. Cairn hands like jobs over as job arrays (one sbatch per
//     array). Budget: Cairn's throughput not below sbatch's.
// Needs root (it starts Slurm's daemons).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CairnClient } from '../src/sdk/client.ts';
import { median, p90, round1 as r, submitFirstLine } from './lib/first-line.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';
import { startSlurm } from '../test/helpers/slurm.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const BURST = Number(process.env.BENCH_SLURM_BURST ?? 500);
/** `first` or `burst`: one of the two measurements only. */
const ONLY = process.env.BENCH_ONLY;
const cluster = await startSlurm({ cloudNodes: 0 });
if ('skip' in cluster) {
  console.log(JSON.stringify({ bench: 'slurm', skipped: cluster.skip }));
  process.exit(0);
}
const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const out: Record<string, unknown> = { bench: 'slurm', slurm: '22.05', nodes: cluster.staticNodes.length, runs: RUNS };
try {
  await server.start();
  const client = new CairnClient({ url: server.url });
  const shared = tempDir('bench-slurm-shared');
  await client.computes.create({ name: 'hpc', type: 'slurm', partition: 'debug', work_dir: shared, slurm_env: cluster.env }, { attach: true });
  const attached = await client.computes.wait('hpc', { until: 'settled' });
  if (attached?.provisioning_state !== 'Succeeded') throw new Error(`attach: ${JSON.stringify(attached?.provisioning_errors)}`);
  const code = tempDir('bench-slurm-code');
  writeFileSync(join(code, 'hello.py'), 'print(1)\n');

  if (ONLY !== 'burst') await firstLine(client, code);
  if (ONLY !== 'first') await burst(client);
} finally {
  console.log(JSON.stringify(out));
  await server.stop().catch(() => {});
  await cluster.stop({ remove: true });
}

async function firstLine(client: CairnClient, code: string): Promise<void> {
  const c = cluster as Exclude<typeof cluster, { skip: string }>;
  const rawFirstLine = async (i: number): Promise<number> => {
    const file = join(c.outDir, `bench-${process.pid}-${i}.out`);
    rmSync(file, { force: true });
    const t0 = performance.now();
    const s = spawnSync('sbatch', ['--parsable', '-p', 'debug', '-o', file, '--wrap', "python3 -c 'print(1)'"], { env: { ...process.env, ...c.env }, encoding: 'utf8' });
    if (s.status !== 0) throw new Error(`sbatch: ${s.stderr}`);
    for (;;) {
      if (existsSync(file) && readFileSync(file, 'utf8').length > 0) return performance.now() - t0;
      if (performance.now() - t0 > 60_000) throw new Error('raw sbatch job printed nothing in 60 s');
      await sleep(5);
    }
  };
  await submitFirstLine(client, { compute: 'hpc', codeDir: code, name: 'warm' }); // the first job brings the snapshot and the environment
  // slurmctld starts jobs on its scheduler's ticks (here every second), so a job waits up to a
  // second depending on when in that second it arrives. Each run submits the raw job and the
  // Cairn job at the same offset within a second (random per run), and the overhead is the median
  // of the paired differences: the tick's phase cancels out.
  const atOffset = async (ms: number) => sleep(((ms - (Date.now() % 1000)) + 1000) % 1000);
  const raw: number[] = [];
  const cairn: number[] = [];
  const diffs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const offset = Math.floor(Math.random() * 1000);
    await atOffset(offset);
    raw.push(await rawFirstLine(i));
    await sleep(1_200);
    await atOffset(offset);
    cairn.push(await submitFirstLine(client, { compute: 'hpc', codeDir: code, name: `first-${i}` }));
    diffs.push(cairn.at(-1)! - raw.at(-1)!);
    await sleep(1_200);
  }
  out.first_line = {
    baseline_raw_sbatch_ms: r(median(raw)),
    baseline_p90_ms: r(p90(raw)),
    cairn_submit_to_first_line_ms: r(median(cairn)),
    cairn_p90_ms: r(p90(cairn)),
    overhead_ms: r(median(diffs)),
    overhead_p90_ms: r(p90(diffs)),
    within_budget_500ms: median(diffs) < 500,
  };
}

/** A burst: sbatch in a loop (Slurm's own throughput), then the same number of Cairn jobs. */
async function burst(client: CairnClient): Promise<void> {
  const cluster_ = cluster as Exclude<typeof cluster, { skip: string }>;
  // Both bursts go into a partition that is DOWN (Slurm queues, runs nothing): this machine's two
  // cores would otherwise run the first jobs (Cairn's agents) while the rest are being submitted,
  // which a real cluster's compute nodes do elsewhere. Submission is what is measured here.
  const partition = (state: 'DOWN' | 'UP') => cluster_.cmd(['scontrol', 'update', 'PartitionName=debug', `State=${state}`]);
  partition('DOWN');
  const loopStart = performance.now();
  const loop = spawnSync('sh', ['-c', `for i in $(seq 1 ${BURST}); do sbatch --parsable -p debug -J raw-burst -o /dev/null --wrap true >/dev/null || exit 1; done`], { env: { ...process.env, ...cluster_.env }, encoding: 'utf8' });
  if (loop.status !== 0) throw new Error(`sbatch loop: ${loop.stderr}`);
  const loopMs = performance.now() - loopStart;
  cluster_.cmd(['scancel', '--name=raw-burst']);
  const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
  const burstStart = performance.now();
  // Eight submitters at once, as a script or a notebook in a loop with a few threads would.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < names.length) {
        const name = names[next++]!;
        await client.createJob({ type: 'command', command: 'true', compute: 'hpc', name });
      }
    }),
  );
  const acceptedMs = performance.now() - burstStart;
  // Reaching Slurm: every job has its Slurm job id.
  let reachedMs = 0;
  for (;;) {
    const jobs = (await client.listJobs({ compute: 'hpc', search: 'burst-', max_results: BURST })).filter((j) => j.name.startsWith('burst-'));
    if (jobs.length === BURST && jobs.every((j) => j.slurm_job_id)) {
      reachedMs = performance.now() - burstStart;
      break;
    }
    if (performance.now() - burstStart > 600_000) throw new Error('the burst did not reach Slurm in 10 minutes');
    await sleep(100);
  }
  // Dispatcher alone: from the first job handed to Slurm to the last one submitted.
  const subs = [];
  for (const n of names) subs.push(await client.getJob(n));
  const handed = subs.flatMap((j) => (j.history ?? []).filter((h) => /^submitted to Slurm/.test(h.reason ?? '')).map((h) => Date.parse(h.at)));
  const firstHanded = subs.flatMap((j) => (j.history ?? []).filter((h) => /^handing over/.test(h.reason ?? '')).map((h) => Date.parse(h.at)));
  const dispatcherMs = handed.length && firstHanded.length ? Math.max(...handed) - Math.min(...firstHanded) : null;
  partition('UP');
  // Then all complete, each once.
  for (;;) {
    const burst = (await client.listJobs({ compute: 'hpc', search: 'burst-', max_results: BURST })).filter((j) => j.name.startsWith('burst-'));
    const ended = burst.filter((j) => ['Completed', 'Failed', 'Canceled'].includes(j.status));
    if (ended.length === BURST) {
      const failed = burst.filter((j) => j.status !== 'Completed');
      if (failed.length) throw new Error(`${failed.length} burst jobs did not complete: ${failed.slice(0, 3).map((j) => `${j.name} ${j.status}`).join(', ')}`);
      break;
    }
    if (performance.now() - burstStart > 1_800_000) throw new Error(`only ${ended.length} of ${BURST} burst jobs ended in 30 minutes`);
    await sleep(1_000);
  }
  const completedMs = performance.now() - burstStart;
  // Each Cairn job once in Slurm: the completion log's ids (a job array's tasks as array_task) of
  // Cairn's submissions (its arrays and single jobs) against the ids the jobs carry.
  const lines = readFileSync(cluster_.jobCompLog, 'utf8').split('\n').filter((l) => / Name=cairn-(array-)?[0-9a-f-]{36}(-\d+)? /.test(l));
  const slurmIds = lines.map((l) => {
    const a = / ArrayJobId=(\d+) ArrayTaskId=(\d+) /.exec(l);
    return a ? `${a[1]}_${a[2]}` : /^JobId=(\d+)/.exec(l)![1]!;
  });
  const perJob = new Map<string, number>();
  for (const id of slurmIds) perJob.set(id, (perJob.get(id) ?? 0) + 1);
  const twice = [...perJob.values()].filter((n) => n > 1).length;
  const cairnIds = new Set(subs.map((j) => j.slurm_job_id));
  const sbatchCalls = new Set(lines.map((l) => / Name=(\S+) /.exec(l)![1])).size;
  const allMatch = cairnIds.size === BURST && [...cairnIds].every((id) => perJob.has(id!));
  out.burst = {
    jobs: BURST,
    baseline_sbatch_loop_ms: Math.round(loopMs),
    baseline_sbatch_jobs_per_s: r((BURST / loopMs) * 1000),
    cairn_accepted_ms: Math.round(acceptedMs),
    cairn_reached_slurm_ms: Math.round(reachedMs),
    cairn_jobs_per_s_to_slurm: r((BURST / reachedMs) * 1000),
    cairn_dispatcher_ms: dispatcherMs,
    cairn_dispatcher_jobs_per_s: dispatcherMs ? r((BURST / dispatcherMs) * 1000) : null,
    cairn_all_completed_ms: Math.round(completedMs),
    slurm_jobs_for_cairn: perJob.size,
    cairn_sbatch_calls: sbatchCalls,
    every_job_id_in_slurm_log: allMatch,
    submitted_twice: twice,
    throughput_not_below_sbatch: BURST / reachedMs >= BURST / loopMs,
  };
}
