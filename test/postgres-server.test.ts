import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { freshDatabase, postgresUrl, type FreshDatabase } from './helpers/pg.ts';

const pg = await postgresUrl();

/** The same server on PostgreSQL: a job end to end, and a SIGKILL of the server mid-job. */
describe('cairn server --db postgres://', { skip: pg.skip }, () => {
  let db: FreshDatabase;
  let server: TestServer;
  const work = tempDir('pgjobs');
  before(async () => {
    db = await freshDatabase(pg.url!, 'cairn_e2e');
    server = new TestServer({ args: ['--db', db.url] });
    await server.start();
    await server.waitForAgent();
  });
  after(async () => {
    await server.stop();
    await db.drop();
  });

  it('runs a job, survives a server crash, and keeps every line once', async () => {
    writeFileSync(join(work, 'job.yml'), 'name: pg-job\ncommand: for i in $(seq 0 29); do echo "line $i"; sleep 0.05; done\n');
    const created = await runCli(['job', 'create', '-f', join(work, 'job.yml')], { env: server.cliEnv });
    assert.equal(created.code, 0, created.stderr);
    const status = await runCli(['server', 'status', '-o', 'json'], { env: server.cliEnv });
    assert.match(JSON.parse(status.stdout).db, /^postgres:\/\/.*cairn_e2e/);
    await waitFor('output', async () => (await runCli(['job', 'show', '-n', 'pg-job', '-o', 'json'], { env: server.cliEnv })).stdout.includes('"Running"'));
    await server.kill('SIGKILL');
    await server.start();
    const stream = await runCli(['job', 'stream', '-n', 'pg-job'], { env: server.cliEnv });
    assert.equal(stream.code, 0, stream.stderr);
    assert.deepEqual(stream.stdout.trimEnd().split('\n'), Array.from({ length: 30 }, (_, i) => `line ${i}`));
  });
});
