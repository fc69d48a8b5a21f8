// GPU sizes on the local provider: the machine's GPUs are split among GPU nodes, each node's jobs
// see only their own (CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES), CPU nodes see none, and a size
// with more GPUs than are free is refused. No NVIDIA GPU can be had here, so the one fake is at the
// hardware boundary: an `nvidia-smi` on the server's PATH that reports four GPUs. Everything above
// it (the provider's bookkeeping, the agent, the job's environment) is the real thing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';

describe('GPU sizes on the local provider (four GPUs reported by a stand-in nvidia-smi)', () => {
  const work = tempDir('gpus');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'nvidia-smi'),
    '#!/bin/sh\ncase "$*" in\n  *--query-gpu=index*) printf "0\\n1\\n2\\n3\\n" ;;\n  *--query-gpu=name*) printf "Tesla T4\\nTesla T4\\nTesla T4\\nTesla T4\\n" ;;\n  *) echo "stand-in nvidia-smi: $*" ;;\nesac\n',
  );
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const sizes = join(work, 'sizes.yml');
  writeFileSync(sizes, 'sizes:\n  - {name: Lab_T4, vcpus: 1, memory_gb: 1, gpus: 1, gpu_type: T4}\n  - {name: Lab_T4x2, vcpus: 1, memory_gb: 1, gpus: 2, gpu_type: T4}\n  - {name: Lab_T4x8, vcpus: 1, memory_gb: 1, gpus: 8, gpu_type: T4}\n  - {name: Lab_Cpu, vcpus: 1, memory_gb: 1}\n');
  const server = new TestServer({ env: { PATH: `${bin}:${process.env.PATH}`, CAIRN_SIZES_FILE: sizes } });
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  let client: CairnClient;
  const devices = async (job: string) => {
    const done = await client.waitForCompletion(job);
    assert.equal(done.status, 'Completed', done.status_reason ?? '');
    return (await client.logs(job)).map((l) => l.text).join('\n');
  };

  before(async () => {
    await server.start();
    client = new CairnClient({ url: server.url });
  });
  after(async () => {
    for (const c of ['gpu-pool', 'gpu-pair', 'cpu-pool']) await cli(['compute', 'delete', '-n', c, '--yes', '--force']);
    await server.stop();
  });

  it("splits the machine's GPUs among GPU nodes: each node's jobs see only their own", async () => {
    assert.equal((await cli(['compute', 'create', '--name', 'gpu-pool', '--type', 'amlcompute', '--size', 'Lab_T4', '--min-instances', '2', '--max-instances', '2'])).code, 0);
    assert.equal((await cli(['compute', 'create', '--name', 'gpu-pair', '--type', 'amlcompute', '--size', 'Lab_T4x2', '--min-instances', '1', '--max-instances', '1'])).code, 0);
    await waitFor('three GPU nodes ready', async () => (await Promise.all(['gpu-pool', 'gpu-pair'].map((c) => client.computes.listNodes(c)))).flat().filter((n) => n.state === 'ready').length === 3, 60_000);
    const cmd = 'echo "cuda=$CUDA_VISIBLE_DEVICES nvidia=$NVIDIA_VISIBLE_DEVICES"; sleep 2';
    for (const [name, compute] of [['g-a', 'gpu-pool'], ['g-b', 'gpu-pool'], ['g-c', 'gpu-pair']]) await client.createJob({ name, compute, command: cmd } as never);
    const seen = await Promise.all(['g-a', 'g-b', 'g-c'].map(devices));
    const ids = seen.map((s) => /^cuda=([0-9,]+) nvidia=\1$/.exec(s)?.[1]);
    assert.ok(ids.every(Boolean), seen.join(' | '));
    assert.equal(ids[2]!.split(',').length, 2, 'the two-GPU node has two');
    const all = ids.flatMap((i) => i!.split(','));
    assert.equal(new Set(all).size, 4, `no GPU is given to two nodes: ${seen.join(' | ')}`);
    const nodes = await client.computes.listNodes('gpu-pool');
    assert.deepEqual(nodes.map((n) => n.gpus), [1, 1]);
  });

  it('a CPU node hides every GPU, and a size with more GPUs than are free is refused in one line', async () => {
    assert.equal((await cli(['compute', 'create', '--name', 'cpu-pool', '--type', 'amlcompute', '--size', 'Lab_Cpu', '--max-instances', '1'])).code, 0);
    await client.createJob({ name: 'c-a', compute: 'cpu-pool', command: 'echo "cuda=[$CUDA_VISIBLE_DEVICES] nvidia=$NVIDIA_VISIBLE_DEVICES"' } as never);
    assert.equal(await devices('c-a'), 'cuda=[] nvidia=void');
    const big = await cli(['compute', 'create', '--name', 'gpu-big', '--type', 'amlcompute', '--size', 'Lab_T4x8', '--max-instances', '1']);
    assert.equal(big.code, 1);
    assert.equal(big.stderr, "error: size 'Lab_T4x8' has 8 GPUs and this machine has 4: the local provider cannot make such a node; use a CPU size (`cairn compute list-sizes`)\n");
    const full = await cli(['compute', 'create', '--name', 'gpu-more', '--type', 'amlcompute', '--size', 'Lab_T4', '--min-instances', '1', '--max-instances', '1']);
    assert.equal(full.code, 1);
    assert.match(full.stderr, /^error: min_instances 1 of size 'Lab_T4' is more than the local provider can keep up \(room for 0 more: \d+ GB of memory free, 0 GPUs free\)\n$/);
    const listed = (await cli(['compute', 'list-sizes'])).stdout;
    assert.match(listed, /^Lab_T4\s+gpu\s+1\s+1\s+1 x T4\s+0 \(local\)$/m, 'all four GPUs are held');
  });
});
