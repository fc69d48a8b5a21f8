// Submit -> first line of output for a hello job on a warm `local`, against bare
// `python3 -c 'print(1)'` timed in the same run. Prints one JSON object.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { firstOutput, median, p90, round1 as r, submitFirstLine } from './lib/first-line.ts';
import { CLI, TestServer, tempDir } from '../test/helpers/cairn.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
await server.start();
await server.waitForAgent();
const client = new CairnClient({ url: server.url });
const code = tempDir('bench-code');
mkdirSync(code, { recursive: true });
writeFileSync(join(code, 'hello.py'), 'print(1)\n');
writeFileSync(join(code, 'hello.yml'), "command: python3 -c 'print(1)'\ncode: .\n");

// Jobs on a root server run as an unprivileged user, who finds Debian's python3 rather than a
// pyenv shim in /root: time that interpreter too, so the overhead is measured against what the job runs.
const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : null;
const bare: number[] = [];
const system: number[] = [];
const sdk: number[] = [];
const sdkCode: number[] = [];
const cli: number[] = [];
await submitFirstLine(client, { name: 'bench-warm', codeDir: null }); // warm the path once
for (let i = 0; i < RUNS; i++) {
  bare.push(await firstOutput('python3', ['-c', 'print(1)']));
  if (SYSTEM_PYTHON) system.push(await firstOutput(SYSTEM_PYTHON, ['-c', 'print(1)']));
  sdk.push(await submitFirstLine(client, { name: `bench-bare-${i}`, codeDir: null }));
  sdkCode.push(await submitFirstLine(client, { name: `bench-code-${i}`, codeDir: code }));
  if (i < 5) cli.push(await firstOutput(process.execPath, [CLI, 'job', 'create', '-f', join(code, 'hello.yml'), '--stream', '-n', `bench-cli-${i}`], server.cliEnv, code));
  await new Promise((r) => setTimeout(r, 100)); // let the job finish and free its slot
}
await server.stop();
console.log(
  JSON.stringify({
    bench: 'submit-to-first-line',
    runs: RUNS,
    baseline_bare_python_ms: r(median(bare)),
    sdk_no_code_ms: r(median(sdk)),
    sdk_with_code_ms: r(median(sdkCode)),
    sdk_with_code_p90_ms: r(p90(sdkCode)),
    overhead_vs_bare_ms: r(median(sdkCode) - median(bare)),
    ...(SYSTEM_PYTHON ? { baseline_system_python_ms: r(median(system)), overhead_vs_system_python_ms: r(median(sdkCode) - median(system)) } : {}),
    budget_overhead_ms: 300,
    within_budget: median(sdkCode) - median(bare) <= 300,
    cli_end_to_end_ms: r(median(cli)),
    note: 'cli_end_to_end includes starting the CLI process (Node) and snapshotting the folder',
  }),
);
