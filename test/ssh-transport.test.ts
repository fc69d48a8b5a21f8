// The SSH transport against real OpenSSH servers: the loopback sshd of scripts/sshd-up.sh and the
// network-namespace host h1 of scripts/netns-up.sh (which has no route to this machine's loopback,
// so the reverse-tunnel test there proves the tunnel carries the traffic). One conformance suite,
// run against every target; one shared session per target where the test does not need its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CairnError } from '../src/protocol/errors.ts';
import { connectSsh, fingerprintOf, shellQuote, SshPool, type SshSession, type SshTarget } from '../src/transports/ssh/index.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';

const bed = await sshTestbed({ netns: true });
const skip = 'skip' in bed ? bed.skip : undefined;
const tb = 'skip' in bed ? undefined : (bed as Testbed);

interface Target {
  name: string;
  host: string;
  port: number;
  log: string;
  skip?: string;
}
const targets: Target[] = [
  { name: 'loopback sshd', host: '127.0.0.1', port: tb?.port ?? 0, log: tb?.log ?? '', skip },
  (() => {
    const h1 = tb?.hosts.find((h) => h.name === 'h1');
    const why = skip ?? (h1 ? undefined : (tb?.netnsSkip ?? 'no netns host h1'));
    return { name: 'netns host h1', host: h1?.address ?? '10.231.0.11', port: h1?.port ?? 22, log: h1?.log ?? '', skip: why };
  })(),
];

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<CairnError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CairnError, `expected a CairnError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

/** Resolves when `s` reports its close (or fails the test after `ms`). */
function closedWithin(s: SshSession, ms: number): Promise<Error | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`onClose did not fire within ${ms} ms`)), ms);
    s.onClose((err) => {
      clearTimeout(t);
      resolve(err);
    });
  });
}

/** A TCP relay in this process: the sshd sees the relay's own source port, which names our connection in its log. */
async function relay(host: string, port: number): Promise<{ port: number; upstreamPorts: number[]; close(): Promise<void> }> {
  const upstreamPorts: number[] = [];
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((down) => {
    const up = tcpConnect(port, host, () => upstreamPorts.push(up.localPort!));
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => {}).on('close', () => (down.destroy(), up.destroy(), sockets.delete(s)));
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    upstreamPorts,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** The sshd log lines about the connection from `port`, once the server has written its last one for it. */
/** The log's size now: lines before it belong to earlier connections that may have used the same client port. */
const logSize = (logPath: string): number => readFileSync(logPath).length;

async function logLinesFor(logPath: string, port: number, from: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = readFileSync(logPath).subarray(from).toString('utf8').split('\n').filter((l) => l.includes(` port ${port}`));
    if (lines.some((l) => /Connection closed|Disconnected|disconnect/i.test(l)) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ssh helpers', { skip }, () => {
  it('fingerprintOf prints what ssh-keygen -lf prints', () => {
    const pub = readFileSync(`${tb!.wrongKeyPath}.pub`, 'utf8').split(' ');
    const want = spawnSync('ssh-keygen', ['-lf', `${tb!.wrongKeyPath}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1];
    assert.equal(fingerprintOf(Buffer.from(pub[1]!, 'base64')), want);
    assert.notEqual(want, tb!.hostKey);
  });

  it('shellQuote makes any string one shell word', () => {
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

// The targets run side by side (each command costs the remote shell's start-up, ~150 ms here); the
// tests of one target run one at a time.
describe('ssh transport conformance', { concurrency: targets.length }, () => {
  for (const target of targets) {
    describe(`ssh transport: ${target.name}`, { skip: target.skip ?? false, concurrency: 1 }, () => {
      const base = (): SshTarget => ({ host: target.host, port: target.port, username: 'root', privateKey: tb!.rootKey });
      const remoteDir = `/tmp/cairn-ssh-test-${target.name.replace(/\W+/g, '-')}-${process.pid}-${randomBytes(3).toString('hex')}`;
      let s: SshSession;

      before(async () => {
        s = await connectSsh(base());
        const mk = await s.exec(`mkdir -p ${shellQuote(remoteDir)}`);
        assert.equal(mk.code, 0, mk.stderr);
      });
      after(async () => {
        if (s && !s.closed) {
          await s.exec(`rm -rf ${shellQuote(remoteDir)}`);
          await s.close();
        }
      });

      it('connects with the key and reports the host key it saw', async () => {
        assert.equal(s.hostKey, tb!.hostKey);
        assert.equal(s.closed, false);
        const who = await s.exec('id -un; hostname');
        const [user, hostname] = who.stdout.trim().split('\n');
        assert.equal(user, 'root');
        if (target.name.includes('h1')) assert.equal(hostname, 'h1');
      });

      it('exec: exit code, stdout, stderr, stdin, signals, timeouts', async () => {
        const r = await s.exec('echo out; echo err >&2; exit 3');
        assert.deepEqual(r, { code: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
        assert.equal((await s.exec('false')).code, 1);
        assert.equal((await s.exec('true')).code, 0);
        const up = await s.exec('tr a-z A-Z', { stdin: 'hello\nworld\n' });
        assert.deepEqual([up.code, up.stdout], [0, 'HELLO\nWORLD\n']);
        const big = randomBytes(300_000);
        const echoed = await s.exec('sha256sum', { stdin: big });
        assert.equal(echoed.stdout.split(' ')[0], sha256(big));
        assert.equal((await s.exec('cat')).stdout, '', 'without stdin the command reads EOF');
        const weird = `it's a "test" $HOME \`x\` \\ ; | & *`;
        assert.equal((await s.exec(`printf %s ${shellQuote(weird)}`)).stdout, weird);
        const killed = await s.exec('kill -TERM $$');
        assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
        const t0 = Date.now();
        await rejectsWith(s.exec('sleep 5', { timeoutMs: 300 }), 'Timeout', /did not finish within 0\.3 s/);
        assert.ok(Date.now() - t0 < 2000);
        assert.equal((await s.exec('echo still-usable')).stdout, 'still-usable\n');
      });

      it('execDetached resolves on the shell exit while a daemon holds nothing open', async () => {
        const t0 = Date.now();
        const r = await s.execDetached(`cd ${shellQuote(remoteDir)} && (setsid nohup sleep 30 >/dev/null 2>&1 </dev/null & echo $! > daemon.pid); echo started`);
        assert.deepEqual([r.code, r.stdout], [0, 'started\n']);
        assert.ok(Date.now() - t0 < 3000);
        const alive = await s.exec(`kill -0 $(cat ${shellQuote(remoteDir)}/daemon.pid) && echo alive; kill $(cat ${shellQuote(remoteDir)}/daemon.pid)`);
        assert.equal(alive.stdout, 'alive\n');
      });

      it('upload: a 1 MB buffer and a local file, atomically, with their mode', async () => {
        const data = randomBytes(1 << 20);
        await s.upload(data, `${remoteDir}/buf.bin`, 0o640);
        const local = mkdtempSync(join(tmpdir(), 'cairn-ssh-up-'));
        try {
          const file = Buffer.concat([randomBytes(200_000), Buffer.from('tail\n')]);
          writeFileSync(join(local, 'f.bin'), file);
          await s.upload({ localPath: join(local, 'f.bin') }, `${remoteDir}/file.bin`, 0o755);
          const r = await s.exec(`cd ${shellQuote(remoteDir)} && sha256sum buf.bin file.bin && stat -c '%n %a %s' buf.bin file.bin && ls -A`);
          assert.equal(r.code, 0, r.stderr);
          const lines = r.stdout.trim().split('\n');
          assert.deepEqual(lines.slice(0, 2), [`${sha256(data)}  buf.bin`, `${sha256(file)}  file.bin`]);
          assert.deepEqual(lines.slice(2, 4), [`buf.bin 640 ${data.length}`, `file.bin 755 ${file.length}`]);
          assert.ok(!lines.slice(4).some((l) => l.includes('.tmp-')), `no temp file left: ${lines.slice(4).join(' ')}`);
        } finally {
          rmSync(local, { recursive: true, force: true });
        }
        // Replacing an existing file works (posix-rename), and without a mode the file gets 644.
        await s.upload(Buffer.from('v2\n'), `${remoteDir}/buf.bin`);
        assert.equal((await s.exec(`cat ${shellQuote(remoteDir)}/buf.bin; stat -c %a ${shellQuote(remoteDir)}/buf.bin`)).stdout, 'v2\n644\n');
        // A missing directory is an error, not a created directory.
        await assert.rejects(s.upload(Buffer.from('x'), `${remoteDir}/no/such/dir/f`), CairnError);
        assert.equal((await s.exec(`test -e ${shellQuote(remoteDir)}/no`)).code, 1);
      });

      it('forwardRemote: the remote 127.0.0.1:<port> reaches an HTTP server on this machine', async () => {
        const http: HttpServer = createHttpServer((req, res) => res.end(`hello from ${req.url} via ${target.name}`));
        await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
        const localPort = (http.address() as AddressInfo).port;
        try {
          const fwd = await s.forwardRemote(0, { host: '127.0.0.1', port: localPort });
          assert.ok(fwd.remotePort > 0);
          const fetch = (port: number) =>
            s.exec(`python3 -c "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:${port}/x', timeout=5).read().decode())"`);
          if (target.name.includes('h1')) {
            // h1 has its own loopback: the server's port is not there, only the tunnel is.
            assert.notEqual((await fetch(localPort)).code, 0);
          }
          const [a, b] = await Promise.all([fetch(fwd.remotePort), fetch(fwd.remotePort)]);
          assert.equal(a.stdout.trim(), `hello from /x via ${target.name}`, a.stderr);
          assert.equal(b.stdout.trim(), `hello from /x via ${target.name}`, b.stderr);
          await fwd.close();
          assert.notEqual((await fetch(fwd.remotePort)).code, 0, 'the port is released on close');
          // A tunnel to a local port nobody listens on: the remote client sees a failed connection.
          const dead = await s.forwardRemote(0, { host: '127.0.0.1', port: await freePort() });
          assert.notEqual((await fetch(dead.remotePort)).code, 0);
          await dead.close();
        } finally {
          http.closeAllConnections();
          await new Promise((r) => http.close(r));
        }
      });

      it('a pinned host key that matches connects; the fingerprint may omit the SHA256: prefix', async () => {
        for (const hostKey of [tb!.hostKey, tb!.hostKey.slice('SHA256:'.length)]) {
          const p = await connectSsh({ ...base(), hostKey });
          assert.equal(p.hostKey, tb!.hostKey);
          await p.close();
          assert.equal(p.closed, true);
        }
      });

      it('a pinned host key that does not match is refused before any credential is sent', async () => {
        const wrong = fingerprintOf(Buffer.from(readFileSync(`${tb!.wrongKeyPath}.pub`, 'utf8').split(' ')[1]!, 'base64'));
        const mark = logSize(target.log);
        const r = await relay(target.host, target.port);
        try {
          await rejectsWith(
            connectSsh({ ...base(), port: r.port, host: '127.0.0.1', hostKey: wrong }),
            'HostKeyMismatch',
            new RegExp(`^the host key of 127\\.0\\.0\\.1:${r.port} changed: expected ${escape(wrong)}, got ${escape(tb!.hostKey)}; if this is expected, update the compute's host_key$`),
          );
          const lines = await logLinesFor(target.log, r.upstreamPorts[0]!, mark);
          assert.ok(lines.length > 0, 'sshd logged the connection');
          assert.ok(!lines.some((l) => /authenticating user|Accepted|Failed|Invalid user|root/.test(l)), `no auth attempt in the sshd log:\n${lines.join('\n')}`);
        } finally {
          await r.close();
        }
      });

      it('a key the server does not accept is SshAuthFailed (and sshd saw the attempt)', async () => {
        const mark = logSize(target.log);
        const r = await relay(target.host, target.port);
        try {
          await rejectsWith(
            connectSsh({ ...base(), host: '127.0.0.1', port: r.port, privateKey: tb!.wrongKey }),
            'SshAuthFailed',
            new RegExp(`^ssh: user 'root' at 127\\.0\\.0\\.1:${r.port} refused the key$`),
          );
          const lines = await logLinesFor(target.log, r.upstreamPorts[0]!, mark);
          assert.ok(lines.some((l) => /authenticating user root/.test(l)), `sshd logged the attempt:\n${lines.join('\n')}`);
        } finally {
          await r.close();
        }
      });

      it('password auth for an unprivileged user; a wrong password is SshAuthFailed', async () => {
        const pw = await connectSsh({ host: target.host, port: target.port, username: tb!.passwordUser, password: tb!.password });
        try {
          assert.equal((await pw.exec('id -un')).stdout, `${tb!.passwordUser}\n`);
        } finally {
          await pw.close();
        }
        await rejectsWith(
          connectSsh({ host: target.host, port: target.port, username: tb!.passwordUser, password: `${tb!.password}x` }),
          'SshAuthFailed',
          new RegExp(`^ssh: user 'cairntest' at ${escape(target.host)}:${target.port} refused the password$`),
        );
        // root may not log in with a password at all (PermitRootLogin prohibit-password).
        await rejectsWith(connectSsh({ host: target.host, port: target.port, username: 'root', password: 'x' }), 'SshAuthFailed', /refused the password/);
      });

      it('a dropped connection fires onClose, fails the command in flight and every later one', async () => {
        const c = await connectSsh(base());
        const clientPort = Number((await c.exec('echo $SSH_CONNECTION')).stdout.trim().split(' ')[1]);
        assert.ok(clientPort > 0);
        const closed = closedWithin(c, 5000);
        const inFlight = c.exec('sleep 30');
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(tb!.cutConnections({ clientPort }), 1);
        const err = await closed;
        assert.ok(err instanceof Error, 'onClose says why');
        assert.equal(c.closed, true);
        await rejectsWith(inFlight, 'SshUnreachable', /dropped/);
        await rejectsWith(c.exec('true'), 'SshUnreachable', /dropped/);
        await rejectsWith(c.upload(Buffer.from('x'), `${remoteDir}/after-cut`), 'SshUnreachable', /dropped/);
        // The shared session was not touched: the cut picked our connection by its client port.
        assert.equal((await s.exec('echo ok')).stdout, 'ok\n');
        const late = await new Promise<Error | undefined>((r) => c.onClose(r));
        assert.ok(late instanceof Error, 'an onClose registered after the close fires too');
      });

      it('the pool reuses a live session, shares one opening, and reopens after a cut', async () => {
        const pool = new SshPool();
        try {
          const [a, b, c] = await Promise.all([pool.get('k', base()), pool.get('k', base()), pool.get('k', base())]);
          assert.ok(a === b && b === c, 'concurrent gets share one connection');
          assert.equal(await pool.get('k', base()), a);
          const clientPort = Number((await a.exec('echo $SSH_CONNECTION')).stdout.trim().split(' ')[1]);
          const closed = closedWithin(a, 5000);
          assert.equal(tb!.cutConnections({ clientPort }), 1);
          await closed;
          const fresh = await pool.get('k', base());
          assert.notEqual(fresh, a);
          assert.equal((await fresh.exec('echo again')).stdout, 'again\n');
          await pool.drop('k');
          assert.equal(fresh.closed, true);
          assert.equal(pool.size, 0);
          await assert.rejects(pool.get('bad', { ...base(), privateKey: tb!.wrongKey }), (e: CairnError) => e.code === 'SshAuthFailed');
          assert.equal(pool.size, 0, 'a failed open is not pooled');
        } finally {
          await pool.closeAll();
        }
      });
    });
  }
});

describe('ssh transport: unreachable targets', { skip }, () => {
  it('a port nobody listens on is SshUnreachable: connection refused', async () => {
    const port = await freePort();
    await rejectsWith(
      connectSsh({ host: '127.0.0.1', port, username: 'root', privateKey: tb!.rootKey }),
      'SshUnreachable',
      new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}: connection refused$`),
    );
  });

  it('an unknown host name is SshUnreachable', async () => {
    await rejectsWith(connectSsh({ host: 'no-such-host.invalid', port: 22, username: 'root', readyTimeoutMs: 3000 }), 'SshUnreachable', /^cannot reach no-such-host\.invalid:22: /);
  });

  it('a TCP server that is not sshd is SshUnreachable, within readyTimeoutMs', async () => {
    const mute = createTcpServer((c) => c.on('error', () => {}).resume()); // reads (so it sees the client leave), never answers
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as AddressInfo).port;
    try {
      const t0 = Date.now();
      await rejectsWith(connectSsh({ host: '127.0.0.1', port, username: 'root', readyTimeoutMs: 500 }), 'SshUnreachable', /no SSH handshake within 0\.5 s/);
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      await new Promise((r) => mute.close(r));
    }
  });

  it('an address on the test network where no host answers times out after readyTimeoutMs', { skip: targets[1]!.skip ?? false }, async () => {
    const t0 = Date.now();
    await rejectsWith(
      connectSsh({ host: '10.231.0.99', port: 22, username: 'root', privateKey: tb!.rootKey, readyTimeoutMs: 1500 }),
      'SshUnreachable',
      /^cannot reach 10\.231\.0\.99:22: (connection timed out after 1\.5 s|no route to host)$/,
    );
    assert.ok(Date.now() - t0 < 4000, `gave up after ${Date.now() - t0} ms`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
