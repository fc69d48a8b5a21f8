// Submit -> first line of output on a warm attached machine (virtualmachine over real SSH), against
// bare `ssh host python3 -c 'print(1)'` timed in the same run; and a re-submit after a one-file
// change of a large tree, counting the blobs that reach the host. Prints one JSON object.
// Needs root (it starts the project's sshd and, when it can, a network-namespace host).
import { readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { firstOutput, median, p90, round1 as r, submitFirstLine } from './lib/first-line.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';
import { sshTestbed } from '../test/helpers/ssh.ts';
import { makeTree } from './lib/tree.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TREE_FILES = Number(process.env.BENCH_TREE_FILES ?? 5_000);
const bed = await sshTestbed({ netns: true });
if ('skip' in bed) {
  console.log(JSON.stringify({ bench: 'ssh-submit', skipped: bed.skip }));
  process.exit(0);
}
const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
await server.start();
const client = new CairnClient({ url: server.url });
const targets = [{ name: 'bench-lo', address: '127.0.0.1', port: bed.port, label: 'loopback sshd' }, ...bed.hosts.slice(0, 1).map((h) => ({ name: `bench-${h.name}`, address: h.address, port: h.port, label: `netns host ${h.name} (reverse tunnel)` }))];
const code = tempDir('bench-ssh-code');
writeFileSync(join(code, 'hello.py'), 'print(1)\n');
const results: Record<string, unknown>[] = [];
try {
  for (const t of targets) {
    const spec = { name: t.name, type: 'virtualmachine', address: t.address, ssh_settings: { admin_username: 'root', ssh_port: t.port, ssh_key_value: bed.rootKey } };
    const attachStart = performance.now();
    await client.computes.create(spec, { attach: true });
    const attached = await client.computes.wait(t.name, { until: 'settled' });
    if (attached?.provisioning_state !== 'Succeeded') throw new Error(`attach ${t.name}: ${JSON.stringify(attached?.provisioning_errors)}`);
    const attachMs = performance.now() - attachStart;
    const sshArgs = ['-F', join(bed.dir, 'ssh_config'), '-o', `HostName=${t.address}`, '-o', `Port=${t.port}`, 'testhost', "python3 -c 'print(1)'"];
    await submitFirstLine(client, { compute: t.name, codeDir: code, name: `${t.name}-warm` }); // the first job fetches the snapshot
    const bare: number[] = [];
    const cairn: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await firstOutput('ssh', sshArgs));
      cairn.push(await submitFirstLine(client, { compute: t.name, codeDir: code, name: `${t.name}-${i}` }));
      await new Promise((res) => setTimeout(res, 100));
    }
    results.push({
      target: t.label,
      attach_ms: Math.round(attachMs),
      baseline_bare_ssh_ms: r(median(bare)),
      cairn_submit_to_first_line_ms: r(median(cairn)),
      cairn_p90_ms: r(p90(cairn)),
      overhead_vs_bare_ssh_ms: r(median(cairn) - median(bare)),
      within_budget_1s: median(cairn) - median(bare) <= 1_000,
    });
  }

  // Re-submit after a one-file change: the agent fetches only the blobs it lacks.
  const t = targets[targets.length - 1];
  const tree = tempDir('bench-ssh-tree');
  makeTree(tree, TREE_FILES);
  const blobDir = join(homedir(), '.cairn-agent', t.name, 'agent', 'blobs');
  const countBlobs = () => readdirSync(blobDir, { recursive: true }).length;
  const firstStart = performance.now();
  await submitFirstLine(client, { compute: t.name, codeDir: tree, name: 'tree-first' });
  const firstMs = performance.now() - firstStart;
  const before = countBlobs();
  writeFileSync(join(tree, 'changed.py'), `print(${Date.now()})\n`);
  const again = await submitFirstLine(client, { compute: t.name, codeDir: tree, name: 'tree-again' });
  results.push({
    resubmit_tree_files: TREE_FILES,
    first_submit_to_first_line_ms: Math.round(firstMs),
    resubmit_to_first_line_ms: r(again),
    blobs_fetched_by_host_on_resubmit: countBlobs() - before,
  });
} finally {
  for (const t of targets) await client.computes.delete(t.name, { detach: true, force: true }).catch(() => {});
  for (const t of targets) await client.computes.wait(t.name, { until: 'gone', timeoutMs: 60_000 }).catch(() => {});
  await server.stop();
}
console.log(JSON.stringify({ bench: 'ssh-submit-to-first-line', runs: RUNS, budget_overhead_ms: 1_000, results }));
