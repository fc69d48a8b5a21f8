// Submit -> first line of output for a hello job on a warm `local`, against bare
// `python3 -c 'print(1)'` timed in the same run; and the `cairn` command itself: `cairn job create
// -f hello.yml --stream` to the job's first line and `cairn --help`, as a package runs them (the
// launcher and the bundle in dist/, built here from the current sources) and as a clone runs them
// (the TypeScript sources). Prints one JSON object.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { firstOutput, median, p90, round1 as r, submitFirstLine } from './lib/first-line.ts';
import { CLI, TestServer, tempDir } from '../test/helpers/cairn.ts';
import { buildCli } from '../scripts/build-cli.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** The bars: the CLI's first line within 150 ms of bare python, `cairn --help` within 100 ms. */
const CLI_BAR_MS = 150;
const HELP_BAR_MS = 100;
await buildCli();

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
const built: number[] = [];
const help: number[] = [];
const helpSources: number[] = [];
const builtEnv = { ...server.cliEnv, CAIRN_BUILT: '1' };
const settle = () => new Promise((r) => setTimeout(r, 100)); // let the job finish and free its slot
await submitFirstLine(client, { name: 'bench-warm', codeDir: null }); // warm the path once
// Once each first: Node's compile cache is written on a first run, as after an install.
await firstOutput(process.execPath, [CLI, 'job', 'create', '-f', join(code, 'hello.yml'), '--stream', '-n', 'bench-cli-warm'], builtEnv, code);
await firstOutput(process.execPath, [CLI, '--help'], builtEnv, code);
for (let i = 0; i < RUNS; i++) {
  bare.push(await firstOutput('python3', ['-c', 'print(1)']));
  if (SYSTEM_PYTHON) system.push(await firstOutput(SYSTEM_PYTHON, ['-c', 'print(1)']));
  sdk.push(await submitFirstLine(client, { name: `bench-bare-${i}`, codeDir: null }));
  sdkCode.push(await submitFirstLine(client, { name: `bench-code-${i}`, codeDir: code }));
  await settle();
  built.push(await firstOutput(process.execPath, [CLI, 'job', 'create', '-f', join(code, 'hello.yml'), '--stream', '-n', `bench-built-${i}`], builtEnv, code));
  help.push(await firstOutput(process.execPath, [CLI, '--help'], builtEnv, code));
  if (i < 5) {
    await settle();
    cli.push(await firstOutput(process.execPath, [CLI, 'job', 'create', '-f', join(code, 'hello.yml'), '--stream', '-n', `bench-cli-${i}`], server.cliEnv, code));
    helpSources.push(await firstOutput(process.execPath, [CLI, '--help'], server.cliEnv, code));
  }
  await settle();
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
    cli_end_to_end_ms: r(median(built)),
    cli_end_to_end_p90_ms: r(p90(built)),
    cli_overhead_vs_bare_ms: r(median(built) - median(bare)),
    ...(SYSTEM_PYTHON ? { cli_overhead_vs_system_python_ms: r(median(built) - median(system)) } : {}),
    cli_bar_overhead_ms: CLI_BAR_MS,
    // Like within_budget, against bare python3; against Debian's (what a job on a root server runs) too.
    cli_within_bar: median(built) - median(bare) <= CLI_BAR_MS,
    ...(SYSTEM_PYTHON ? { cli_within_bar_vs_system_python: median(built) - median(system) <= CLI_BAR_MS } : {}),
    cli_help_ms: r(median(help)),
    cli_help_bar_ms: HELP_BAR_MS,
    cli_help_within_bar: median(help) <= HELP_BAR_MS,
    clone_cli_end_to_end_ms: r(median(cli)),
    clone_cli_help_ms: r(median(helpSources)),
    note:
      'cli_* run `node bin/cairn.js` on the bundle in dist/ (what an installed package runs; the installed command execs its own Node 24 the same way), ' +
      'clone_cli_* on the TypeScript sources (a clone); both include starting Node and, for job create, snapshotting the folder',
  }),
);
