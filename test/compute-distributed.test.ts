// A real distributed PyTorch job on a compute cluster of the local provider: two nodes, one
// process each, joined by the variables Cairn sets (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE),
// all-reducing a tensor over gloo. Debian's python3-torch (CPU) is installed by install-test-deps.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, tempDir } from './helpers/cairn.ts';
import { allreduceScript } from './helpers/torch.ts';

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const skip = torch ? false : process.env.CI === 'true' ? false : "Debian's python3-torch is not installed (scripts/install-test-deps.sh installs it)";

describe('a two-node PyTorch job (gloo all-reduce)', { skip }, () => {
  const server = new TestServer();
  const work = tempDir('torch');
  before(async () => {
    assert.ok(torch, "python3-torch must be installed in CI (scripts/install-test-deps.sh)");
    await server.start();
    await server.waitForAgent();
  });
  after(() => server.stop());

  it('runs one rank per node; every rank prints the sum of all ranks', async () => {
    writeFileSync(
      join(work, 'allreduce.py'),
      allreduceScript('CAIRN_NODE'),
    );
    writeFileSync(join(work, 'job.yml'), 'command: /usr/bin/python3 allreduce.py\ncode: .\ncompute: gpu-less\nresources:\n  instance_count: 2\ndistribution:\n  type: pytorch\n  process_count_per_instance: 1\nlimits: {timeout: 300}\n');
    const c = await runCli(['compute', 'create', '--name', 'gpu-less', '--type', 'amlcompute', '--size', 'Standard_DS2_v2', '--max-instances', '2'], { env: server.cliEnv, cwd: work });
    assert.equal(c.code, 0, c.stderr);
    const r = await runCli(['job', 'create', '-f', 'job.yml', '-n', 'allreduce', '--stream'], { env: server.cliEnv, cwd: work, timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr);
    const job = await new CairnClient({ url: server.url }).getJob('allreduce');
    const nodes = [...new Set(job.attempts!.map((a) => a.node))];
    assert.equal(nodes.length, 2, 'two nodes');
    const lines = r.stdout.trim().split('\n').sort();
    assert.deepEqual(lines, [`[rank 0] rank 0 of 2 on ${job.attempts!.find((a) => a.rank === 0)!.node}: sum 3.0`, `[rank 1] rank 1 of 2 on ${job.attempts!.find((a) => a.rank === 1)!.node}: sum 3.0`]);
  });
});
