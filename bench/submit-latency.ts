// Submit -> first line of output for a hello job on a warm `local`, against bare
// `python3 -c 'print(1)'` timed in the same run. Prints one JSON object.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { submitJob } from '../src/sdk/submit.ts';
import { CLI, TestServer, tempDir } from '../test/helpers/cairn.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

/** Milliseconds from spawn to the first byte on stdout. */
function firstOutput(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let t: number | null = null;
    child.stdout.once('data', () => (t = performance.now() - t0));
    child.on('error', reject);
    child.on('close', () => (t === null ? reject(new Error(`${cmd} printed nothing`)) : resolve(t)));
  });
}

async function sdkFirstLine(client: CairnClient, codeDir: string | null, i: number): Promise<number> {
  const t0 = performance.now();
  const job = await submitJob(client, { spec: { type: 'command', command: "python3 -c 'print(1)'", name: `bench-${codeDir ? 'code' : 'bare'}-${i}` }, codeDir });
  let first: number | null = null;
  const ctl = new AbortController();
  await client
    .stream(job.name, {
      signal: ctl.signal,
      onLine: () => {
        first ??= performance.now() - t0;
        ctl.abort();
      },
    })
    .catch((e) => {
      if ((e as Error).name !== 'AbortError') throw e;
    });
  if (first === null) throw new Error(`job ${job.name} printed nothing`);
  return first;
}

const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
await server.start();
await server.waitForAgent();
const client = new CairnClient({ url: server.url });
const code = tempDir('bench-code');
mkdirSync(code, { recursive: true });
writeFileSync(join(code, 'hello.py'), 'print(1)\n');
writeFileSync(join(code, 'hello.yml'), "command: python3 -c 'print(1)'\ncode: .\n");

const bare: number[] = [];
const sdk: number[] = [];
const sdkCode: number[] = [];
const cli: number[] = [];
await sdkFirstLine(client, null, -1); // warm the path once
for (let i = 0; i < RUNS; i++) {
  bare.push(await firstOutput('python3', ['-c', 'print(1)']));
  sdk.push(await sdkFirstLine(client, null, i));
  sdkCode.push(await sdkFirstLine(client, code, i));
  if (i < 5) cli.push(await firstOutput(process.execPath, [CLI, 'job', 'create', '-f', join(code, 'hello.yml'), '--stream', '-n', `bench-cli-${i}`], server.cliEnv, code));
  await new Promise((r) => setTimeout(r, 100)); // let the job finish and free its slot
}
await server.stop();
const r = (x: number) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'submit-to-first-line',
    runs: RUNS,
    baseline_bare_python_ms: r(median(bare)),
    sdk_no_code_ms: r(median(sdk)),
    sdk_with_code_ms: r(median(sdkCode)),
    sdk_with_code_p90_ms: r(p90(sdkCode)),
    overhead_vs_bare_ms: r(median(sdkCode) - median(bare)),
    budget_overhead_ms: 300,
    within_budget: median(sdkCode) - median(bare) <= 300,
    cli_end_to_end_ms: r(median(cli)),
    note: 'cli_end_to_end includes starting the CLI process (Node) and snapshotting the folder',
  }),
);
