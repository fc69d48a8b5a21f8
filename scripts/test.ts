// `npm test`: every test file under test/, on Node's own test runner. System services the tests
// need (PostgreSQL) are started by the tests themselves through scripts/*.sh; with CI=true a
// missing service fails the run instead of being skipped.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
// test/ and its sub-folders (test/hostile/: attacks and crashes, a suite of its own).
const files = readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts') && !f.startsWith('helpers'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => join('test', f));
// A watchdog over the whole run: a test file that never settles (a child process left alive) must
// fail the suite well inside CI's time, not hang it.
const WHOLE_RUN_MS = 45 * 60_000;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], {
  cwd: root,
  stdio: 'inherit',
  timeout: WHOLE_RUN_MS,
  killSignal: 'SIGKILL',
});
if (r.error || r.signal) console.error(`npm test: the run was stopped after ${WHOLE_RUN_MS / 60_000} minutes (${r.error?.message ?? r.signal})`);
process.exit(r.status ?? 1);
