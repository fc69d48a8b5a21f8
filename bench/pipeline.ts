// Pipelines, two benches (BENCH_ONLY=chain|rerun runs one):
// - chain: a 50-step chain of trivial steps on `local` (each reads the previous step's output and
//   writes its own) against the same 50 commands as plain jobs one after another, each taking the
//   previous job's output as an azureml://jobs/<prev>/outputs/o input, in the same run
//   (bar: under 100 ms of orchestration per step); 3 rounds, medians;
// - rerun: a 10-step chain run once, then submitted again unchanged under new names: submit to
//   Completed with every step reused (bar: under 1 s); median of 5 reruns, and the first run.
// Both sides wait on the job's stream (the server's end event), so neither pays a polling interval.
import { CairnClient } from '../src/sdk/client.ts';
import { isTerminal, type Job } from '../src/protocol/job.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';
import type { PipelineJobSpec } from '../src/protocol/pipeline-spec.ts';
import { TestServer } from '../test/helpers/cairn.ts';

const ONLY = process.env.BENCH_ONLY;
const out: Record<string, unknown> = { bench: 'pipeline' };
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Waits for the job's end through its stream, with a deadline: the terminal status event ends the
 * wait at once (without waiting for the stream's own end), and the job is then read with getJob.
 */
async function ended(client: CairnClient, name: string, timeoutMs: number): Promise<Job> {
  const stop = new AbortController();
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([stop.signal, deadline]);
  try {
    return await client.stream(name, { signal, onStatus: (e) => void (isTerminal(e.status) && stop.abort()) });
  } catch (err) {
    if (stop.signal.aborted) return client.getJob(name);
    if (deadline.aborted) {
      const j = await client.getJob(name);
      throw new Error(`${name} still ${j.status} (${j.status_reason}) after ${timeoutMs} ms`);
    }
    throw err;
  }
}

// The same command for a step and for its plain job: reads what came before (if anything), writes its own.
const stepCommand = (tag: string, first: boolean) => `${first ? '' : 'cat ${{inputs.i}}/n.txt > /dev/null && '}mkdir -p \${{outputs.o}} && echo ${tag} > \${{outputs.o}}/n.txt`;

/** A chain of `n` steps s0 -> s1 -> ... each bound to the previous step's output; `tag` makes the contents distinct. */
function chainSpec(name: string, n: number, tag: string): PipelineJobSpec {
  const jobs: PipelineJobSpec['jobs'] = {};
  for (let i = 0; i < n; i++) {
    jobs[`s${i}`] = {
      command: stepCommand(`${tag}-${i}`, i === 0),
      ...(i ? { inputs: { i: `\${{parent.jobs.s${i - 1}.outputs.o}}` } } : {}),
      outputs: { o: { type: 'uri_folder' } },
    } as PipelineJobSpec['jobs'][string];
  }
  return { type: 'pipeline', name, settings: { default_compute: 'local' }, jobs };
}

/** Throws unless the pipeline completed with every step in it, each reused (or none reused). */
function checkSteps(p: Job, n: number, reused: boolean): void {
  if (p.status !== 'Completed') throw new Error(`pipeline ${p.name}: ${p.status} (${p.status_reason})`);
  const steps = p.pipeline?.steps ?? [];
  if (steps.length !== n) throw new Error(`pipeline ${p.name}: ${steps.length} steps, not ${n}`);
  const bad = steps.filter((s) => s.status !== 'Completed' || (s.reused_from !== null) !== reused);
  if (bad.length) throw new Error(`pipeline ${p.name}: steps not Completed${reused ? ' and reused' : ' and run'}: ${bad.map((s) => `${s.name} ${s.status} reused_from=${s.reused_from}`).join(', ')}`);
}

/** The seconds a job ran by the server's own clock (start_time to end_time), in ms. */
async function ranMs(client: CairnClient, names: string[]): Promise<number> {
  let sum = 0;
  for (const n of names) {
    const j = await client.getJob(n);
    if (j.start_time && j.end_time) sum += Date.parse(j.end_time) - Date.parse(j.start_time);
  }
  return sum;
}

async function startServer(): Promise<{ server: TestServer; client: CairnClient }> {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '8'], env: { CAIRN_LOG_LEVEL: 'error' } });
  await server.start();
  await server.waitForAgent();
  const client = new CairnClient({ url: server.url });
  // Warm: the first job pays for the agent's first start and caches; a warm output too.
  const w = await ended(client, (await client.createJob({ type: 'command', name: 'warm', command: stepCommand('warm', true), outputs: { o: { type: 'uri_folder' } } } as CommandJobSpec)).name, 60_000);
  if (w.status !== 'Completed') throw new Error(`warm job: ${w.status} (${w.status_reason})`);
  return { server, client };
}

if (!ONLY || ONLY === 'chain') {
  const N = Number(process.env.BENCH_STEPS ?? 50);
  const ROUNDS = 3;
  const { server, client } = await startServer();
  try {
    type Round = { plain_ms: number; pipeline_ms: number; overhead_per_step_ms: number; plain_ran_ms: number; pipeline_ran_ms: number; overhead_outside_run_per_step_ms: number };
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Plain: submit, wait for Completed, submit the next, each reading the previous one's output.
      let t = performance.now();
      let prev: string | null = null;
      const plainNames: string[] = [];
      for (let i = 0; i < N; i++) {
        const spec = {
          type: 'command',
          name: `plain-${round}-${i}`,
          compute: 'local',
          command: stepCommand(`plain-${round}-${i}`, prev === null),
          ...(prev ? { inputs: { i: { type: 'uri_folder', path: `azureml://jobs/${prev}/outputs/o` } } } : {}),
          outputs: { o: { type: 'uri_folder' } },
        } as CommandJobSpec;
        const j = await ended(client, (await client.createJob(spec)).name, 60_000);
        if (j.status !== 'Completed') throw new Error(`plain job ${j.name}: ${j.status} (${j.status_reason})`);
        prev = j.name;
        plainNames.push(j.name);
      }
      const plainMs = performance.now() - t;
      // The pipeline: the same chain, its contents distinct so nothing is reused.
      t = performance.now();
      await client.createPipeline({ spec: chainSpec(`chain-${round}`, N, `pipe-${round}`) });
      const p = await ended(client, `chain-${round}`, 600_000);
      const pipelineMs = performance.now() - t;
      checkSteps(p, N, false);
      // The commands' own run time (start to end as the server saw it) is the noisiest part on a
      // busy machine: the time outside it is what submitting, placing and passing data costs.
      const plainRan = await ranMs(client, plainNames);
      const pipelineRan = await ranMs(client, p.pipeline!.steps.map((s) => s.job_name!));
      rounds.push({
        plain_ms: Math.round(plainMs),
        pipeline_ms: Math.round(pipelineMs),
        overhead_per_step_ms: r2((pipelineMs - plainMs) / N),
        plain_ran_ms: plainRan,
        pipeline_ran_ms: pipelineRan,
        overhead_outside_run_per_step_ms: r2((pipelineMs - pipelineRan - (plainMs - plainRan)) / N),
      });
    }
    out.chain = {
      steps: N,
      rounds,
      plain_jobs_ms_median: med(rounds.map((r) => r.plain_ms)),
      pipeline_ms_median: med(rounds.map((r) => r.pipeline_ms)),
      // Each round pairs a pipeline with the plain chain just before it: the median of those differences.
      overhead_per_step_ms_median: med(rounds.map((r) => r.overhead_per_step_ms)),
      overhead_outside_run_per_step_ms_median: med(rounds.map((r) => r.overhead_outside_run_per_step_ms)),
      bar_ms_per_step: 100,
    };
  } finally {
    await server.stop();
  }
}

if (!ONLY || ONLY === 'rerun') {
  const N = 10;
  const RERUNS = 5;
  const { server, client } = await startServer();
  try {
    let t = performance.now();
    await client.createPipeline({ spec: chainSpec('rerun-0', N, 'rerun') });
    const first = await ended(client, 'rerun-0', 120_000);
    const firstMs = performance.now() - t;
    checkSteps(first, N, false);
    const reruns: number[] = [];
    for (let k = 1; k <= RERUNS; k++) {
      t = performance.now();
      await client.createPipeline({ spec: chainSpec(`rerun-${k}`, N, 'rerun') });
      const p = await ended(client, `rerun-${k}`, 60_000);
      reruns.push(performance.now() - t);
      checkSteps(p, N, true);
    }
    out.rerun = {
      steps: N,
      first_run_ms: Math.round(firstMs),
      reruns_ms: reruns.map(Math.round),
      rerun_ms_median: Math.round(med(reruns)),
      all_steps_reused: true,
      bar_ms: 1000,
    };
  } finally {
    await server.stop();
  }
}

console.log(JSON.stringify(out, null, 2));
