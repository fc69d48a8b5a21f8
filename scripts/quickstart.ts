// `npm run quickstart`: runs the bundled example job on the embedded default (SQLite, local
// compute), starting a local server in the background if none answers, the way `cairn` does.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'cairn.js');
const job = join(root, 'examples', 'quickstart', 'job.yml');

process.stderr.write(`cairn quickstart: submitting ${job}\n`);
// stderr is shown as it comes and kept, to learn the job's name from it.
let stderr = '';
const code = await new Promise<number>((resolve) => {
  const run = spawn(process.execPath, [cli, 'job', 'create', '-f', job, '--stream'], { stdio: ['ignore', 'inherit', 'pipe'] });
  run.stderr.on('data', (d: Buffer) => {
    stderr += d;
    process.stderr.write(d);
  });
  run.on('close', (c) => resolve(c ?? 1));
});
const name = /job (\S+) submitted/.exec(stderr)?.[1];
if (!name) process.exit(code || 1);
const show = spawnSync(process.execPath, [cli, 'job', 'show', '-n', name, '-o', 'json'], { encoding: 'utf8' });
const shown = show.status === 0 ? (JSON.parse(show.stdout) as { status: string; tracking?: { run_id?: string } }) : null;
const status = shown?.status ?? 'unknown';
// The server the job went to, as the CLI found it: MLflow's client talks to the same address.
const where = spawnSync(process.execPath, [cli, 'server', 'status', '-o', 'json'], { encoding: 'utf8' });
const url = where.status === 0 ? (JSON.parse(where.stdout) as { url: string }).url : '<url from npx cairn server status>';
const runId = shown?.tracking?.run_id ?? name;
process.stdout.write(`
job name:     ${name}
final status: ${status}

tracking URI: ${url}

look at it:
  npx cairn job show -n ${name} -o table
  npx cairn job stream -n ${name}
  npx cairn job metrics -n ${name} --key loss -o csv
  MLFLOW_TRACKING_URI=${url} python3 -c 'import mlflow; print(mlflow.get_run("${runId}").data.metrics)'
  npx cairn job download -n ${name} --download-path ./downloads
  npx cairn job list
stop the background server with: npx cairn server stop
`);
process.exit(status === 'Completed' ? 0 : 1);
