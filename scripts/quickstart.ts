// `npm run quickstart`: runs the bundled example job on the embedded default (SQLite, local
// compute), starting a local server in the background if none answers, the way `cairn` does.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'cairn.js');
const job = join(root, 'examples', 'quickstart', 'job.yml');

process.stderr.write(`cairn quickstart: submitting ${job}\n`);
const run = spawnSync(process.execPath, [cli, 'job', 'create', '-f', job, '--stream'], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
process.stderr.write(run.stderr);
const name = /job (\S+) submitted/.exec(run.stderr ?? '')?.[1];
if (!name) process.exit(run.status ?? 1);
const show = spawnSync(process.execPath, [cli, 'job', 'show', '-n', name, '-o', 'json'], { encoding: 'utf8' });
const status = show.status === 0 ? JSON.parse(show.stdout).status : 'unknown';
process.stdout.write(`
job name:     ${name}
final status: ${status}

look at it:
  npx cairn job show -n ${name} -o table
  npx cairn job stream -n ${name}
  npx cairn job download -n ${name} --download-path ./downloads
  npx cairn job list
stop the background server with: npx cairn server stop
`);
process.exit(status === 'Completed' ? 0 : 1);
