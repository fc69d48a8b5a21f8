// A job with a long log streams whole: the stream waits for the socket instead of buffering
// (Node drops a response that piled up some tens of MB: a 300,000-line job once arrived empty,
// and a live follow stalled then broke with ECONNRESET).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, TestServer, tempDir } from './helpers/cairn.ts';

describe('a long log through the stream', () => {
  const server = new TestServer();
  const work = tempDir('long-log');
  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server.stop());

  it('follows 300,000 lines live to the last one, and replays them all after the job ended', async () => {
    const r = await runCli(['run', '-n', 'long-log', '--', '/usr/bin/python3', '-c', 'for i in range(300000): print("line", i)'], { env: server.cliEnv, cwd: work, timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n');
    assert.equal(out.filter((l) => l.startsWith('line ')).length, 300_000);
    assert.equal(out.findLast((l) => l.startsWith('line ')), 'line 299999');

    const res = await fetch(`${server.url}/api/v1/workspaces/default/jobs/long-log/stream`);
    let lines = 0;
    let ended = false;
    let rest = '';
    for await (const chunk of res.body!) {
      const events = (rest + Buffer.from(chunk).toString()).split('\n\n');
      rest = events.pop()!;
      for (const e of events) {
        if (!e.startsWith('data: ')) continue;
        const ev = JSON.parse(e.slice(6)) as { type: string };
        if (ev.type === 'log') lines++;
        if (ev.type === 'end') ended = true;
      }
    }
    assert.equal(lines, 300_000);
    assert.ok(ended, 'the stream ends with the job');
  });
});
