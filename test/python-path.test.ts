// A node whose PATH puts another Python first (what a pyenv in ~/.bashrc does to an attached host's
// login shell): python_path still wins, with its own pip first on PATH, and the job's record names
// the interpreter that really ran, never the shim it was reached through.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';
import { TestServer, tempDir, waitFor } from './helpers/cairn.ts';

const SYSTEM_PYTHON = '/usr/bin/python3';

describe('python_path on a node whose PATH puts a pyenv first', () => {
  const shims = join(tempDir('pyenv'), 'shims');
  const server = new TestServer({ env: { PATH: `${shims}:${process.env.PATH}` } });
  let client: CairnClient;

  before(async () => {
    mkdirSync(shims, { recursive: true });
    chmodSync(join(shims, '..'), 0o755);
    // pyenv's shims: python runs the real interpreter; pip is pyenv's own, which a python_path job must not get.
    for (const n of ['python', 'python3']) writeFileSync(join(shims, n), `#!/bin/sh\nexec ${SYSTEM_PYTHON} "$@"\n`, { mode: 0o755 });
    writeFileSync(join(shims, 'pip'), '#!/bin/sh\necho "pip from the pyenv shims"\n', { mode: 0o755 });
    await server.start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
  });
  after(() => server.stop());

  const run = async (spec: Partial<CommandJobSpec>) => {
    const job = await client.createJob(spec as CommandJobSpec);
    const done = await waitFor(`job ${job.name}`, async () => {
      const j = await client.getJob(job.name);
      return j.end_time && j.environment_details?.record ? j : undefined;
    }, 60_000);
    const lines: string[] = [];
    await client.stream(job.name, { onLine: (l) => l.stream === 'stdout' && lines.push(l.text) });
    return { job: done, out: lines.join('\n') };
  };

  it('without python_path the shim runs, and the record names the interpreter behind it', async () => {
    const { job, out } = await run({ command: 'command -v python3; pip' });
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    assert.match(out, new RegExp(`^${shims}/python3$`, 'm'), 'the PATH the node has is the one the job gets');
    assert.match(out, /pip from the pyenv shims/);
    assert.equal(job.environment_details!.record!.interpreter, SYSTEM_PYTHON, 'sys.executable, not the shim');
  });

  it('with python_path, python and pip are that interpreter\'s, first on PATH, and the record says so', async () => {
    const { job, out } = await run({ command: 'python -c "import os, sys; print(os.path.realpath(sys.executable))"; pip --version', python_path: SYSTEM_PYTHON });
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    assert.match(out, new RegExp(`^${realpathSync(SYSTEM_PYTHON)}$`, 'm'));
    assert.doesNotMatch(out, /pyenv shims/);
    const minor = /^(\d+\.\d+)/.exec(job.environment_details!.record!.python!)![1];
    assert.match(out, new RegExp(`^pip \\S+ from \\S+ \\(python ${minor.replace('.', '\\.')}\\)$`, 'm'), 'its own pip');
    assert.equal(job.environment_details!.record!.interpreter, SYSTEM_PYTHON);
  });
});
