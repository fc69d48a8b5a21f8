// A damaged disk: snapshot blobs, manifests and artifacts whose bytes no longer match their hash.
// Hash mismatches are permanent, named failures (never a job stuck in Preparing), a node's own
// damaged copy is fetched again, damaged artifacts are refused (never served), and a cancel always
// ends its job, even one whose agent never answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../../src/sdk/client.ts';
import type { CommandJobSpec } from '../../src/protocol/job-spec.ts';
import { runCli, TestServer, tempDir, waitFor } from '../helpers/cairn.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const blobPath = (root: string, s: string) => join(root, s.slice(0, 2), s.slice(2));
/** Overwrites the first bytes of a file in place, as a failing disk might. */
function scribble(path: string): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from('XXXX'), 0, 4, 0);
  closeSync(fd);
}

describe('a damaged disk', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '2'] });
  let client: CairnClient;
  const serverBlobs = () => join(server.dataDir, 'blobs');
  const nodeBlobs = () => join(server.dataDir, 'agents', 'local', 'blobs');

  /** A one-file snapshot uploaded by hand, so the test can damage it before any job reads it. */
  async function snapshotOf(code: string): Promise<{ id: string; blob: string }> {
    const data = Buffer.from(code);
    const blob = sha(data);
    await client.putBlob(blob, data);
    const snap = await client.createSnapshot([{ path: 'train.py', mode: 0o644, size: data.length, sha256: blob }]);
    return { id: snap.id, blob };
  }
  const run = async (snapshot_id: string, name: string) => {
    await client.createJob({ command: 'python3 train.py', name } as CommandJobSpec, { snapshotId: snapshot_id });
    return client.waitForCompletion(name);
  };

  before(async () => {
    await server.start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
  });
  after(() => server.stop());

  it('a damaged code file fails the job at once, naming the file; cancel is never needed', async () => {
    const s = await snapshotOf('print("never runs")\n');
    scribble(blobPath(serverBlobs(), s.blob));
    const job = await run(s.id, 'damaged-code');
    assert.equal(job.status, 'Failed');
    assert.match(job.status_reason!, /^the code file 'train\.py' is damaged on the server: content [0-9a-f]{64} is damaged on the server \(its bytes do not match its sha256\)/);
  });

  it('a damaged manifest fails the job, saying the snapshot is damaged', async () => {
    const s = await snapshotOf('print("manifest")\n');
    scribble(blobPath(serverBlobs(), s.id));
    const job = await run(s.id, 'damaged-manifest');
    assert.equal(job.status, 'Failed');
    assert.match(job.status_reason!, /^the job's code snapshot [0-9a-f]{12} is damaged on the server/);
  });

  it("a damaged copy on the node is fetched again, and the job runs with the true content", async () => {
    const s = await snapshotOf('print("whole again")\n');
    assert.equal((await run(s.id, 'cache-first')).status, 'Completed');
    scribble(blobPath(nodeBlobs(), s.blob));
    const second = await run(s.id, 'cache-second');
    assert.equal(second.status, 'Completed', second.status_reason ?? '');
    const lines = (await client.logs('cache-second')).map((l) => l.text);
    assert.deepEqual(lines, ['whole again']);
  });

  it('a damaged or truncated artifact is refused with 410 on both APIs, never served; download says so', async () => {
    await client.createJob({ command: 'mkdir -p outputs && echo weights > outputs/model.txt && echo notes > outputs/notes.txt', name: 'with-outputs' } as CommandJobSpec);
    assert.equal((await client.waitForCompletion('with-outputs')).status, 'Completed');
    const arts = await client.artifacts('with-outputs');
    const model = arts.find((a) => a.path === 'outputs/model.txt')!;
    const notes = arts.find((a) => a.path === 'outputs/notes.txt')!;
    scribble(blobPath(serverBlobs(), model.sha256));
    truncateSync(blobPath(serverBlobs(), notes.sha256), 2);
    const job = await client.getJob('with-outputs');
    for (const [a, why] of [[model, /its bytes do not match its sha256/], [notes, /it is 2 bytes, not 6/]] as const) {
      const r = await fetch(`${server.url}/api/v1/workspaces/default/jobs/with-outputs/artifacts/content?path=${a.path}`);
      assert.equal(r.status, 410);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'DamagedContent');
      assert.match(body.error.message, new RegExp(`artifact '${a.path}' of job 'with-outputs' is damaged on the server`));
      assert.match(body.error.message, why);
    }
    const run0 = (await (await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${job.id}`)).json()) as { run: { info: { experiment_id: string } } };
    const mlflow = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${run0.run.info.experiment_id}/${job.id}/artifacts/outputs/notes.txt`);
    assert.equal(mlflow.status, 410, 'a truncated file answers at once, it does not hang the download');
    assert.equal(((await mlflow.json()) as { error_code: string }).error_code, 'DATA_LOSS');
    const dl = await runCli(['job', 'download', '-n', 'with-outputs', '--outputs', '--download-path', tempDir('dl-damaged')], { env: server.cliEnv });
    assert.equal(dl.code, 1);
    assert.match(dl.stderr, /is damaged on the server/);
  });

  it('a cancel ends a job whose agent never answers, and frees its slot', async () => {
    const agent = server.agentPid()!;
    process.kill(agent, 'SIGSTOP');
    try {
      await client.createJob({ command: 'echo never', name: 'stuck' } as CommandJobSpec);
      await waitFor('the job to be placed', async () => (await client.getJob('stuck')).status !== 'Queued');
      await client.cancelJob('stuck');
      const done = await client.waitForCompletion('stuck');
      assert.equal(done.status, 'Canceled');
      assert.match(done.status_reason!, /no agent confirmed the cancel asked for at .* within \d+ s; what is left of it on node 'local' is stopped when its agent is back/);
    } finally {
      process.kill(agent, 'SIGCONT');
    }
    await client.createJob({ command: 'echo next', name: 'after-stuck' } as CommandJobSpec);
    assert.equal((await client.waitForCompletion('after-stuck')).status, 'Completed');
    assert.equal((await client.getJob('stuck')).status, 'Canceled', 'an agent that comes back does not revive it');
  });
});
