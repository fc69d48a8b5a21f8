// A hostile job on `local`: it looks for the server's secrets in its environment, walks up from
// its working folder into the data folder, looks for other jobs, and tries to forge a token. On a
// root server it runs as an unprivileged user; on a server run by an ordinary user it runs in
// namespaces of its own. Either way it finds nothing that is not its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor } from '../helpers/cairn.ts';
import { ADMIN, auth } from '../helpers/hostile.ts';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

/** What the job prints: each probe on a line of its own, `name=result`. */
const PROBE = String.raw`
import os, json, glob, pwd
out = {}
out['env'] = sorted(k for k in os.environ if 'AUTH' in k or 'SECRET' in k or k.startswith('CAIRN_AGENT'))
out['user'] = pwd.getpwuid(os.getuid()).pw_name
data = os.environ['DATA']
def readable(p):
    try:
        with open(p, 'rb') as f: f.read(1)
        return True
    except OSError:
        return False
out['walk_up_secret'] = readable('../../../../../secret')
out['secret'] = readable(os.path.join(data, 'secret'))
out['secret_key'] = readable(os.path.join(data, 'secret.key'))
out['db'] = readable(os.path.join(data, 'cairn.db'))
out['blobs'] = glob.glob(os.path.join(data, 'blobs', '*'))
out['other_jobs'] = [p for p in glob.glob(os.path.join(data, 'agents', 'local', 'attempts', '*')) if os.path.basename(p) != os.environ['ATTEMPT']]
out['agent_state'] = glob.glob(os.path.join(data, 'agents', 'local', 'attempts', '*', 'state.json'))
out['processes'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
out['own_outputs_writable'] = os.access(os.environ['CAIRN_OUTPUTS_DIR'], os.W_OK)
print('PROBE ' + json.dumps(out))
`;

async function probe(server: TestServer, work: string, name: string) {
  const attemptOf = `$(basename "$(dirname "$PWD")")`;
  const args = ['run', '-n', name, '--no-stream', '-e', `DATA=${server.dataDir}`, '--', 'bash', '-c', `ATTEMPT=${attemptOf} python3 probe.py`];
  const r = await runCli(args, { env: { ...server.cliEnv, CAIRN_HOME: tempDir('probe-cli') }, cwd: work });
  assert.equal(r.code, 0, r.stderr);
  const line = await waitFor(`${name}'s probe`, async () => {
    const res = await fetch(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs`, { headers: auth(server.token) });
    const lines = ((await res.json()) as { lines: { text: string }[] }).lines.map((l) => l.text);
    return lines.find((l) => l.startsWith('PROBE ')) ?? null;
  });
  return JSON.parse(line.slice('PROBE '.length));
}

function assertNothingFound(p: Record<string, unknown>) {
  assert.deepEqual(p.env, [], "the server's and the agent's variables");
  assert.equal(p.walk_up_secret, false, 'the job secret, walking up from the working folder');
  assert.equal(p.secret, false, 'the job secret');
  assert.equal(p.secret_key, false, 'the key that seals credentials');
  assert.equal(p.db, false, 'the database');
  assert.deepEqual(p.blobs, [], 'the blob store');
  assert.deepEqual(p.other_jobs, [], "other jobs' folders");
  assert.deepEqual(p.agent_state, [], "the agent's state files (they hold job tokens)");
  assert.ok((p.processes as number[]).length < 10, `it sees only its own processes, not the server's: ${p.processes}`);
  assert.equal(p.own_outputs_writable, true, 'its own outputs folder');
}

describe('a hostile job on a root server', () => {
  const server = new TestServer({ token: ADMIN, env: { CAIRN_AUTH_TOKENS: 'another-admin-token-0123456789', CAIRN_SECRET_KEY: SECRET_KEY } });
  const work = tempDir('sandbox-root');
  before(async () => {
    writeFileSync(join(work, 'probe.py'), PROBE);
    await server.start();
    await server.waitForAgent();
    // Another job that runs meanwhile, whose folder the probe must not see.
    await runCli(['run', '-n', 'neighbour', '--no-stream', '--', 'sleep', '60'], { env: server.cliEnv, cwd: work });
  });
  after(async () => {
    await fetch(`${server.url}/api/v1/workspaces/default/jobs/neighbour/cancel`, { method: 'POST', headers: auth(ADMIN) });
    await server.stop();
  });

  it("runs as an unprivileged user and finds none of the server's secrets, files or processes", async () => {
    const p = await probe(server, work, 'probe-root');
    assert.equal(p.user, 'cairn-job');
    assertNothingFound(p);
  });

  it('cannot forge another job\'s token: the secret it is made from is out of reach', async () => {
    const r = await runCli(['run', '-n', 'forger', '--', 'bash', '-c', `cat ${server.dataDir}/secret || echo unreadable`], { env: server.cliEnv, cwd: work });
    assert.match(r.stdout, /unreadable/);
  });
});

describe('a hostile job on a server run by an ordinary user', () => {
  // The laptop case: the server's user owns everything, so permissions protect nothing; namespaces do.
  const home = tempDir('sandbox-user');
  chmodSync(home, 0o755);
  const user = 'nobody';
  let server: TestServer;
  before(async () => {
    const work = join(home, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'probe.py'), PROBE);
    chownSync(home, 65534, 65534);
    chownSync(work, 65534, 65534);
    const data = join(home, 'data');
    mkdirSync(data, { mode: 0o700 });
    chownSync(data, 65534, 65534);
    server = new TestServer({ dataDir: data, token: ADMIN, runAs: user, env: { CAIRN_SECRET_KEY: SECRET_KEY, HOME: home } });
    await server.start();
    await server.waitForAgent();
  });
  after(() => server?.stop());

  it('runs as that user, in namespaces of its own, and finds nothing of the server either', async () => {
    const p = await probe(server, join(home, 'work'), 'probe-user');
    assert.equal(p.user, user);
    assertNothingFound(p);
  });
});
