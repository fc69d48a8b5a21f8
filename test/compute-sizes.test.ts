// The size catalog as an operator configures it (CAIRN_SIZES_FILE) and as a user sees it
// (`cairn compute list-sizes`: with how many more of each the provider can make now), through a
// real server and the real CLI; a bad sizes file stops the server at start in one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, tempDir } from './helpers/cairn.ts';

describe("the server's size catalog", () => {
  const work = tempDir('sizes');
  const sizesFile = join(work, 'sizes.yml');
  writeFileSync(sizesFile, 'sizes:\n  - {name: Lab_Small, vcpus: 1, memory_gb: 1}\n  - {name: Standard_DS2_v2, vcpus: 2, memory_gb: 2}\n');
  const server = new TestServer({ env: { CAIRN_SIZES_FILE: sizesFile } });
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });

  before(async () => {
    await server.start();
  });
  after(async () => {
    await cli(['compute', 'delete', '-n', 'lab-pool', '--yes', '--force']);
    await server.stop();
  });

  it("lists Azure's sizes and the operator's, with how many more of each fit on this machine", async () => {
    const r = await cli(['compute', 'list-sizes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name\s+Family\s+vCPUs\s+Memory \(GB\)\s+GPUs\s+Fits now$/m);
    // Memory is not shared: what fits is the machine's memory less 1 GiB, over the size's.
    const freeGb = Math.floor(totalmem() / 2 ** 20 - 1024) / 1024;
    const fits = (gb: number) => Math.floor(freeGb / gb);
    assert.match(r.stdout, new RegExp(`^Lab_Small\\s+cpu\\s+1\\s+1\\s+0\\s+${fits(1)} \\(local\\)$`, 'm'));
    assert.match(r.stdout, new RegExp(`^Standard_DS2_v2\\s+cpu\\s+2\\s+2\\s+0\\s+${fits(2)} \\(local\\)$`, 'm'), 'an Azure name given another shape');
    assert.match(r.stdout, /^Standard_NC6s_v3\s+gpu\s+6\s+112\s+1 x V100\s+0 \(local\)$/m, 'no GPUs here');
    const json = JSON.parse((await cli(['compute', 'list-sizes', '--type', 'computeinstance', '-o', 'json'])).stdout) as { name: string }[];
    assert.ok(!json.some((s) => s.name === 'Lab_Small'), 'a computeinstance needs 2 vCPUs');
    const bad = await cli(['compute', 'list-sizes', '--provider', 'gcp']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "error: provider: 'gcp' does not exist; providers here: local, ssh, command\n");
  });

  it("a cluster of the operator's size runs a job on a node of that shape", async () => {
    const made = await cli(['compute', 'create', '--name', 'lab-pool', '--type', 'amlcompute', '--size', 'lab_small', '--max-instances', '1']);
    assert.equal(made.code, 0, made.stderr);
    const client = new CairnClient({ url: server.url });
    await client.createJob({ name: 'on-lab', compute: 'lab-pool', command: 'echo ok' } as never);
    const done = await client.waitForCompletion('on-lab');
    assert.equal(done.status, 'Completed', done.status_reason ?? '');
    const [node] = await client.computes.listNodes('lab-pool');
    assert.deepEqual([node!.size, node!.cpus, node!.memory_mb], ['Lab_Small', 1, 1024]);
    const unknown = await cli(['compute', 'create', '--name', 'nope-pool', '--type', 'amlcompute', '--size', 'Lab_Huge']);
    assert.equal(unknown.stderr, "error: size 'Lab_Huge' does not exist; `cairn compute list-sizes` lists the sizes\n");
  });

  it('a bad sizes file stops the server at start, in one line, creating nothing', async () => {
    const cases: [string, RegExp][] = [
      ['sizes:\n  - {name: X, vcpus: 0, memory_gb: 1}\n', /^error: server configuration: CAIRN_SIZES_FILE .*: sizes\.0\.vcpus: Too small: expected number to be >0\n$/],
      ['sizes:\n  - {name: A, vcpus: 1, memory_gb: 1}\n  - {name: a, vcpus: 2, memory_gb: 2}\n', /^error: server configuration: CAIRN_SIZES_FILE .*: size 'a' is defined twice\n$/],
      ['sizes: [{name: A, vcpus: 1, memory_gb: 1, disk: 5}]\n', /^error: server configuration: CAIRN_SIZES_FILE .*: sizes\.0: Unrecognized key: "disk"\n$/],
      ['sizes: [\n', /^error: server configuration: CAIRN_SIZES_FILE: cannot read .*\n$/],
    ];
    for (const [text, message] of cases) {
      const dir = tempDir('bad-sizes');
      writeFileSync(join(dir, 'sizes.yml'), text);
      const r = await runCli(['server', '--port', '0', '--data-dir', join(dir, 'data')], { env: { CAIRN_SIZES_FILE: join(dir, 'sizes.yml') }, cwd: dir });
      assert.equal(r.code, 1, text);
      assert.match(r.stderr, message, text);
      assert.deepEqual(readdirSync(dir), ['sizes.yml'], 'no data folder was made');
    }
  });
});
