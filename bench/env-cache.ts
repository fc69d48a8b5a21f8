// Environments: how long a job waits for a cached environment (agent asking -> command starting,
// as the agent measures it and reports as `ready_ms`), against a user-managed job with no
// environment in the same run; submit -> first line with and without a cached environment; and
// 8 jobs submitted at once needing the same new environment: how many builds ran.
// Prints one JSON object. Uses podman for the image case when scripts/podman-up.sh can bring it up.
import { TestServer, tempDir, waitFor } from '../test/helpers/cairn.ts';
import { startEngine } from '../test/helpers/engines.ts';
import { buildWheel } from '../test/helpers/wheels.ts';
import { CairnClient } from '../src/sdk/client.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';
import type { EnvironmentRecord } from '../src/protocol/environment.ts';
import { median, p90, round1 as r } from './lib/first-line.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const work = tempDir('bench-envs');
const wheels = buildWheel(work, { name: 'cairn-demo-pkg', module: 'cairn_demo_pkg', version: '1.2.3', value: 'x' });
const engine = startEngine('podman');
const server = new TestServer({
  args: ['--max-concurrent-jobs', '8'],
  env: { CAIRN_LOG_LEVEL: 'error', CAIRN_PIP_NO_INDEX: '1', CAIRN_PIP_FIND_LINKS: wheels, ...('skip' in engine ? { CAIRN_AGENT_CONTAINER_ENGINE: 'none' } : { CAIRN_AGENT_CONTAINER_ENGINE: 'podman' }) },
});
await server.start();
await server.waitForAgent();
const client = new CairnClient({ url: server.url });

const venv = { conda_file: { dependencies: ['python=3.11', { pip: ['cairn-demo-pkg'] }] } };
const image = { image: 'localhost/cairn-test-python:1' };

/** Submits, waits for the first line; then for the job's end and the node's environment record. */
async function run(environment: unknown, command = "python3 -c 'print(1)'"): Promise<{ firstLineMs: number; record: EnvironmentRecord }> {
  const t0 = performance.now();
  const job = await client.createJob({ command, ...(environment ? { environment } : {}) } as CommandJobSpec);
  let first: number | null = null;
  await client.stream(job.name, { onLine: (l) => (l.stream === 'stdout' ? (first ??= performance.now() - t0) : undefined) });
  const record = await waitFor('the environment record', async () => (await client.getJob(job.name)).environment_details?.record ?? null);
  return { firstLineMs: first ?? Number.NaN, record };
}

const warmVenv = await run(venv);
const warmImage = 'skip' in engine ? null : await run(image);
await run(undefined);
const samples = { none: [] as number[], venv: [] as number[], image: [] as number[], firstNone: [] as number[], firstVenv: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  const a = await run(undefined);
  samples.none.push(a.record.ready_ms!);
  samples.firstNone.push(a.firstLineMs);
  const b = await run(venv);
  if (b.record.built) throw new Error('the venv environment was built again');
  samples.venv.push(b.record.ready_ms!);
  samples.firstVenv.push(b.firstLineMs);
  if (warmImage) samples.image.push((await run(image)).record.ready_ms!);
}

// 8 at once, a spec no node has seen (its conda file carries a fresh name).
const fresh = { conda_file: { name: `bench-${Date.now()}`, dependencies: ['python=3.11', { pip: ['cairn-demo-pkg'] }] } };
const t8 = performance.now();
const eight = await Promise.all(Array.from({ length: 8 }, () => client.createJob({ command: "python3 -c 'import cairn_demo_pkg'", environment: fresh } as CommandJobSpec)));
const finals = await Promise.all(eight.map((j) => client.stream(j.name).then(() => client.getJob(j.name))));
const eightMs = performance.now() - t8;
const starters = finals.filter((j) => j.history!.some((h) => /^building environment [0-9a-f]{12}$/.test(h.reason ?? ''))).length;
const keys = new Set(finals.map((j) => j.environment_details?.record?.hash));
await server.stop();

console.log(
  JSON.stringify({
    bench: 'environment-cache',
    runs: RUNS,
    baseline_user_managed_ready_ms: r(median(samples.none)),
    venv_cache_hit_ready_ms: r(median(samples.venv)),
    venv_cache_hit_ready_p90_ms: r(p90(samples.venv)),
    image_cache_hit_ready_ms: warmImage ? r(median(samples.image)) : null,
    image_cache_hit_ready_p90_ms: warmImage ? r(p90(samples.image)) : null,
    budget_ready_ms: 50,
    within_budget: median(samples.venv) <= 50 && (!warmImage || median(samples.image) <= 50),
    first_line_user_managed_ms: r(median(samples.firstNone)),
    first_line_venv_cached_ms: r(median(samples.firstVenv)),
    first_build_venv_s: warmVenv.record.build_seconds,
    first_build_image_s: warmImage?.record.build_seconds ?? null,
    eight_jobs: { completed: finals.filter((j) => j.status === 'Completed').length, builds_started: starters, distinct_environments: keys.size, wall_s: r(eightMs / 1000) },
    image_note: 'skip' in engine ? engine.skip : 'podman; ready_ms ends when `podman run` is started, not when the container is up',
  }),
);
