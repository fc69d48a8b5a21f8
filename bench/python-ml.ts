// Submit -> first line of the job's output through cairn.ml (a Python process: import, MLClient,
// command(code=...), jobs.create_or_update, jobs.stream) against the CLI's `cairn job create -f
// hello.yml --stream` on the same job (same code folder, same command, the warm `local` compute),
// in the same run, alternating, median over BENCH_RUNS. Both are timed from spawning the process to
// the job's line on its stdout. The CLI runs as a package runs it (the bundle in dist/, built here)
// and as a clone runs it (the TypeScript sources). Prints one JSON object.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, p90, round1 as r } from './lib/first-line.ts';
import { CLI, ROOT, TestServer, tempDir } from '../test/helpers/cairn.ts';
import { buildCli } from '../scripts/build-cli.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** The bar: through cairn.ml within 100 ms of the CLI's on the same job. */
const BAR_MS = 100;
const PYTHON = '/usr/bin/python3';
const MARKER = 'cairn-bench-first-line';
await buildCli();

const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
await server.start();
await server.waitForAgent();
const code = tempDir('bench-py-ml');
const command = `python3 -c 'print("${MARKER}")'`;
writeFileSync(join(code, 'hello.py'), 'print(1)\n');
writeFileSync(join(code, 'hello.yml'), `command: ${JSON.stringify(command)}\ncode: .\ncompute: local\n`);
// What an azure-ai-ml user writes; it prints how long the Python side took by itself on stderr.
writeFileSync(
  join(code, 'submit.py'),
  `import sys, time
t0 = time.perf_counter()
from cairn.ml import MLClient, command
t_import = time.perf_counter()
ml_client = MLClient()
job = ml_client.jobs.create_or_update(command(code=".", command=${JSON.stringify(command)}, compute="local", name=sys.argv[1]))
class Out(object):
    first = None
    def write(self, s):
        if self.first is None and "${MARKER}" in s:
            self.first = time.perf_counter()
        sys.stdout.write(s)
    def flush(self):
        sys.stdout.flush()
out = Out()
ml_client.jobs.stream(job.name, out=out)
sys.stderr.write("TIMES %.2f %.2f\\n" % ((t_import - t0) * 1000, (out.first - t_import) * 1000))
`,
);

/** Milliseconds from spawn to the marker line on stdout; also the child's stderr. */
function toMarker(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: code, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ms: number | null = null;
    child.stdout.on('data', (d) => {
      out += d;
      if (ms === null && out.includes(MARKER)) ms = performance.now() - t0;
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (c) => (ms === null ? reject(new Error(`${cmd} exited ${c} without the job's line:\n${out}\n${err}`)) : resolve({ ms, stderr: err })));
  });
}

const pyEnv = { ...server.cliEnv, PYTHONPATH: join(ROOT, 'src', 'agent', 'python'), PYTHONDONTWRITEBYTECODE: '1' };
const builtEnv = { ...server.cliEnv, CAIRN_BUILT: '1' };
const python = (name: string) => toMarker(PYTHON, [join(code, 'submit.py'), name], pyEnv);
const cli = (name: string, env: NodeJS.ProcessEnv) => toMarker(process.execPath, [CLI, 'job', 'create', '-f', join(code, 'hello.yml'), '--stream', '-n', name], env);

// Once each first: the snapshot's blobs reach the server, Node's compile cache is written.
await python('bench-py-warm');
await cli('bench-cli-warm', builtEnv);
await cli('bench-src-warm', server.cliEnv);
const py: number[] = [];
const pyImport: number[] = [];
const pyInProcess: number[] = [];
const built: number[] = [];
const sources: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // Alternating which goes first, so neither always finds the node just freed.
  const order = i % 2 ? ['cli', 'py'] : ['py', 'cli'];
  for (const which of order) {
    if (which === 'py') {
      const p = await python(`bench-py-${i}`);
      py.push(p.ms);
      const t = /TIMES ([\d.]+) ([\d.]+)/.exec(p.stderr);
      if (t) {
        pyImport.push(Number(t[1]));
        pyInProcess.push(Number(t[2]));
      }
    } else built.push((await cli(`bench-cli-${i}`, builtEnv)).ms);
  }
  if (i < 5) sources.push((await cli(`bench-src-${i}`, server.cliEnv)).ms);
}
await server.stop();
const gap = median(py) - median(built);
console.log(
  JSON.stringify({
    bench: 'python-ml-submit-to-first-line',
    runs: RUNS,
    cairn_ml_ms: r(median(py)),
    cairn_ml_p90_ms: r(p90(py)),
    cli_ms: r(median(built)),
    cli_p90_ms: r(p90(built)),
    cairn_ml_minus_cli_ms: r(gap),
    bar_ms: BAR_MS,
    within_bar: gap <= BAR_MS,
    clone_cli_ms: r(median(sources)),
    cairn_ml_import_ms: r(median(pyImport)),
    cairn_ml_in_process_ms: r(median(pyInProcess)),
    note:
      'end to end from spawning the process to the job line on its stdout: cairn_ml = python3 running MLClient + command(code=".") + ' +
      'jobs.create_or_update + jobs.stream (interpreter start and imports included); cli = `node bin/cairn.js job create -f hello.yml --stream` ' +
      'on the dist/ bundle (a package), clone_cli on the TypeScript sources; cairn_ml_in_process = from MLClient() to the line, inside Python',
  }),
);
