// Sweeps, two benches (BENCH_ONLY=overhead|restart runs one):
// - overhead: a sweep of 200 trivial trials on `local` against the same 200 commands submitted as
//   plain jobs, in the same run (bar: under 50 ms of scheduling and bookkeeping per trial);
// - restart: 1,000 trials, max_concurrent_trials 20, on a local-provider cluster, the server killed
//   (SIGKILL) and started again mid-sweep: every trial made once and run once, none lost.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnClient } from '../src/sdk/client.ts';
import type { Job } from '../src/protocol/job.ts';
import type { SweepJobSpec } from '../src/protocol/sweep-spec.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';

const ONLY = process.env.BENCH_ONLY;
const TERMINAL = ['Completed', 'Failed', 'Canceled'];
const out: Record<string, unknown> = { bench: 'sweep' };

async function until(client: CairnClient, name: string, timeoutMs: number): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await client.getJob(name);
    if (TERMINAL.includes(j.status)) return j;
    if (Date.now() > deadline) throw new Error(`${name} still ${j.status} (${j.status_reason})`);
    await sleep(50);
  }
}

const sweepSpec = (name: string, total: number, concurrent: number, compute: string, command: string): SweepJobSpec => ({
  type: 'sweep',
  name,
  compute,
  trial: { command },
  search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
  sampling_algorithm: { type: 'random', seed: 1 },
  objective: { primary_metric: 'v', goal: 'maximize' },
  limits: { max_total_trials: total, max_concurrent_trials: concurrent },
});

if (!ONLY || ONLY === 'overhead') {
  const N = Number(process.env.BENCH_TRIALS ?? 200);
  const SLOTS = 8;
  const server = new TestServer({ args: ['--max-concurrent-jobs', String(SLOTS)], env: { CAIRN_LOG_LEVEL: 'error' } });
  try {
    await server.start();
    await server.waitForAgent();
    const client = new CairnClient({ url: server.url });
    // Warm: the first job pays for the agent's first start and caches.
    await until(client, (await client.createJob({ type: 'command', command: 'true', name: 'warm' })).name, 60_000);
    const rounds: { plain_ms: number; sweep_ms: number }[] = [];
    for (let round = 0; round < 3; round++) {
      let t = performance.now();
      const names: string[] = [];
      for (let i = 0; i < N; i++) names.push((await client.createJob({ type: 'command', command: `true # ${i / N}`, name: `plain-${round}-${i}` })).name);
      for (const n of names) await until(client, n, 300_000);
      const plainMs = performance.now() - t;
      t = performance.now();
      // As many at once as the plain jobs had: the compute's slots gate both the same way.
      await client.createJob(sweepSpec(`sweep-${round}`, N, N, 'local', 'true # ${{search_space.x}}'));
      const s = await until(client, `sweep-${round}`, 300_000);
      const sweepMs = performance.now() - t;
      if (s.status !== 'Completed' || s.sweep!.progress.completed !== N) throw new Error(`sweep ${s.name}: ${s.status} ${s.status_reason}`);
      rounds.push({ plain_ms: Math.round(plainMs), sweep_ms: Math.round(sweepMs) });
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const plain = med(rounds.map((r) => r.plain_ms));
    const sweep = med(rounds.map((r) => r.sweep_ms));
    // Each round pairs a sweep with the plain jobs just before it: the median of those differences is the overhead.
    const perTrial = rounds.map((r) => (r.sweep_ms - r.plain_ms) / N);
    out.overhead = {
      trials: N,
      local_slots: SLOTS,
      rounds: rounds.map((r, i) => ({ ...r, overhead_per_trial_ms: Math.round(perTrial[i]! * 100) / 100 })),
      plain_jobs_ms_median: plain,
      sweep_ms_median: sweep,
      overhead_per_trial_ms_median: Math.round(med(perTrial) * 100) / 100,
      bar_ms: 50,
    };
  } finally {
    await server.stop();
  }
}

if (!ONLY || ONLY === 'restart') {
  const N = Number(process.env.BENCH_RESTART_TRIALS ?? 1000);
  const dataDir = tempDir('bench-sweep-restart');
  let server = new TestServer({ dataDir, env: { CAIRN_LOG_LEVEL: 'error' } });
  const ledgerDir = tempDir('bench-sweep-ledger');
  chmodSync(ledgerDir, 0o777);
  const ledger = join(ledgerDir, 'ledger.txt');
  writeFileSync(ledger, '');
  chmodSync(ledger, 0o666);
  try {
    await server.start();
    let client = new CairnClient({ url: server.url });
    await client.computes.create({ name: 'pool', type: 'amlcompute', size: 'Standard_DS1_v2', min_instances: 4, max_instances: 4 } as never);
    const t0 = performance.now();
    await client.createJob(sweepSpec('big', N, 20, 'pool', `echo \${CAIRN_SWEEP_TRIAL} >> ${ledger} # \${{search_space.x}}`));
    while ((await client.getJob('big')).sweep!.progress.created < N / 2) await sleep(200);
    const killedAt = (await client.getJob('big')).sweep!.progress;
    server.proc!.kill('SIGKILL');
    await new Promise((r) => server.proc!.once('exit', r));
    const port = server.port;
    server = new TestServer({ dataDir, env: { CAIRN_LOG_LEVEL: 'error' } });
    server.port = port;
    await server.start();
    client = new CairnClient({ url: server.url });
    const s = await until(client, 'big', 900_000);
    const totalMs = performance.now() - t0;
    const trials = s.sweep!.trials;
    const indices = new Set(trials.map((t) => t.index));
    const lines = readFileSync(ledger, 'utf8').trim().split('\n');
    const ran = new Map<string, number>();
    for (const l of lines) ran.set(l, (ran.get(l) ?? 0) + 1);
    const twice = [...ran].filter(([, n]) => n > 1).map(([i]) => i);
    // A trial whose job was retried (its node's agent lost with the server) ran again as a job
    // attempt of that one trial: told apart from a trial made twice.
    const retried: string[] = [];
    for (const i of twice) if ((await client.getJob(`big_${i}`)).attempt > 1) retried.push(i);
    out.restart = {
      trials: N,
      max_concurrent_trials: 20,
      compute: 'local-provider cluster of 4 nodes',
      killed_at: killedAt,
      status: s.status,
      total_s: Math.round(totalMs / 100) / 10,
      trials_made: trials.length,
      distinct_indices: indices.size,
      completed: s.sweep!.progress.completed,
      lost: N - ran.size,
      run_twice_same_attempt: twice.length - retried.length,
      rerun_as_job_retry: retried.length,
    };
  } finally {
    await server.stop();
  }
}

console.log(JSON.stringify(out, null, 2));
