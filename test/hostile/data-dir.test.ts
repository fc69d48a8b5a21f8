// The data folder and the server's start: one server per data folder (a second one is refused,
// naming the first, and changes nothing of it), only the database forms that exist, uploads a
// killed server left half-written are swept at the next start.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runCli, TestServer, tempDir, pidAlive } from '../helpers/cairn.ts';

describe('the data folder', () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('refuses a second server on the same folder, naming the first, and leaves the first as it was', async () => {
    const first = new TestServer();
    servers.push(first);
    await first.start();
    await first.waitForAgent();
    const before = readFileSync(join(first.dataDir, 'server.json'), 'utf8');
    const agent = first.agentPid()!;
    const second = await runCli(['server', '--port', '0', '--data-dir', first.dataDir]);
    assert.equal(second.code, 1);
    assert.equal(second.stderr, `error: server configuration: another Cairn server already runs on ${first.dataDir}: pid ${first.proc!.pid}, listening on ${first.url}; stop it first (cairn server stop), or give this one its own --data-dir\n`.replace('server configuration: ', ''));
    assert.equal(readFileSync(join(first.dataDir, 'server.json'), 'utf8'), before, "the first server's server.json is untouched");
    assert.ok(pidAlive(agent), "the first server's agent still runs");
    assert.equal((await fetch(`${first.url}/api/v1/health`)).status, 200);
  });

  it('starts on a folder whose server was killed (the kernel released its lock), and sweeps the uploads it left half-written', async () => {
    const s = new TestServer();
    servers.push(s);
    await s.start();
    await s.kill('SIGKILL');
    const tmp = join(s.dataDir, 'blobs', 'tmp');
    writeFileSync(join(tmp, 'deadbeef00112233'), 'half of an upload');
    await s.start();
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('takes only sqlite:PATH and postgres:// databases, refusing anything else at start and creating nothing', async () => {
    const cwd = tempDir('db-forms');
    for (const db of ['mysql://u@h/db', 'garbage', '/some/bare/path.db', 'sqlite:', 'postgres:/x']) {
      const r = await runCli(['server', '--port', '0', '--data-dir', join(cwd, 'data'), '--db', db], { cwd });
      assert.equal(r.code, 1, db);
      assert.match(r.stderr, /^error: server configuration: --db: '.*' is not a database this server can open: use sqlite:PATH \(a file, made if missing\) or postgres:\/\/USER\[:PASSWORD\]@HOST\[:PORT\]\/DB\n$/, db);
    }
    assert.deepEqual(readdirSync(cwd), [], 'no database file (nor data folder) was made');
  });

  it('says in words that PostgreSQL cannot be reached', async () => {
    const port = await freePort();
    const r = await runCli(['server', '--port', '0', '--data-dir', tempDir('pg-down'), '--db', `postgres://cairn:secret@127.0.0.1:${port}/cairn`]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot open PostgreSQL at postgres://***@127.0.0.1:${port}/cairn: nothing listens there (is PostgreSQL running, on that port?)\n`);
    assert.ok(!r.stderr.includes('secret'), 'the password is never printed');
  });

  it('keeps a data folder it could not use as it was: no lock left behind', async () => {
    const dir = tempDir('pg-down-2');
    mkdirSync(dir, { recursive: true });
    await runCli(['server', '--port', '0', '--data-dir', dir, '--db', `postgres://127.0.0.1:${await freePort()}/x`]);
    const s = new TestServer({ dataDir: dir });
    servers.push(s);
    await s.start();
    assert.ok(existsSync(join(dir, 'server.json')));
  });
});
