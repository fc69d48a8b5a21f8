// Real OpenSSH servers for tests: the private sshd of scripts/sshd-up.sh on a loopback port, and
// (with netns) the hosts h1/h2 of scripts/netns-up.sh, each a network namespace with sshd on port 22.
// Outside CI a machine that cannot run them (not root, no apt, no network namespaces) skips with the
// reason; with CI=true that is a failure, since nothing may be skipped in CI.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestHost {
  name: string;
  address: string;
  port: number;
  /** The sshd log of this host (shared filesystem: readable from here). */
  log: string;
}

export interface Testbed {
  dir: string;
  host: '127.0.0.1';
  port: number;
  /** root, with the key at rootKeyPath (key auth only: root may not use a password). */
  user: 'root';
  rootKeyPath: string;
  rootKey: string;
  /** A valid private key that no sshd of the testbed accepts. */
  wrongKey: string;
  wrongKeyPath: string;
  /** An unprivileged user that logs in with a password. */
  passwordUser: 'cairntest';
  password: string;
  /** The `SHA256:...` fingerprint of the host key every sshd of the testbed presents. */
  hostKey: string;
  /** The loopback sshd's log. */
  log: string;
  /** The network-namespace hosts (empty without netns, or when they could not be started: see netnsSkip). */
  hosts: TestHost[];
  /** Why netns was asked for but there are no hosts (never set under CI=true: that throws). */
  netnsSkip?: string;
  /**
   * Drops live SSH connections while every sshd keeps listening: kills the per-connection sshd
   * processes of the testbed's sshd listeners. With clientPort, only the connection from that
   * client port (what `$SSH_CONNECTION` says on the remote side), so tests running beside it keep
   * theirs. Returns how many connections were cut.
   */
  cutConnections(o?: { clientPort?: number }): number;
}

const cache = new Map<boolean, Promise<Testbed | { skip: string }>>();

/** The testbed, started once per process (the scripts reuse a running sshd across processes). */
export function sshTestbed(o: { netns?: boolean } = {}): Promise<Testbed | { skip: string }> {
  const netns = o.netns === true;
  let p = cache.get(netns);
  if (!p) {
    p = Promise.resolve().then(() => start(netns));
    cache.set(netns, p);
  }
  return p;
}

function start(netns: boolean): Testbed | { skip: string } {
  const ci = process.env.CI === 'true';
  const skipOrThrow = (reason: string): { skip: string } => {
    if (ci) throw new Error(`${reason} (CI=true: SSH tests may not be skipped)`);
    return { skip: reason };
  };
  if (process.getuid?.() !== 0) return skipOrThrow(`sshd for tests needs root (running as uid ${process.getuid?.()})`);
  let facts: SshdFacts;
  try {
    facts = JSON.parse(runScript('sshd-up.sh')) as SshdFacts;
  } catch (err) {
    return skipOrThrow(`sshd could not be started: ${(err as Error).message}`);
  }
  let hosts: TestHost[] = [];
  let netnsSkip: string | undefined;
  if (netns) {
    try {
      const up = JSON.parse(runScript('netns-up.sh')) as { hosts: { name: string; address: string; port: number }[] };
      hosts = up.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, log: `${facts.dir}/sshd-${h.name}.log` }));
    } catch (err) {
      const reason = `network-namespace hosts could not be started: ${(err as Error).message}`;
      if (ci) throw new Error(`${reason} (CI=true: SSH tests may not be skipped)`, { cause: err });
      netnsSkip = reason;
    }
  }
  const dir = facts.dir;
  const pidFiles = [`${dir}/sshd.pid`, ...hosts.map((h) => `${dir}/sshd-${h.name}.pid`)];
  return {
    dir,
    host: '127.0.0.1',
    port: facts.port,
    user: 'root',
    rootKeyPath: facts.key,
    rootKey: readFileSync(facts.key, 'utf8'),
    wrongKeyPath: facts.wrong_key,
    wrongKey: readFileSync(facts.wrong_key, 'utf8'),
    passwordUser: 'cairntest',
    password: readFileSync(facts.password_file, 'utf8').trim(),
    hostKey: facts.host_key_fingerprint,
    log: facts.log,
    hosts,
    ...(netnsSkip ? { netnsSkip } : {}),
    cutConnections: (o = {}) => cutConnections(pidFiles, o.clientPort),
  };
}

interface SshdFacts {
  port: number;
  dir: string;
  host_key_fingerprint: string;
  key: string;
  wrong_key: string;
  password_file: string;
  log: string;
}

/** Runs scripts/<name>; its stdout's last line (the JSON summary), or an error with its `error:` line. */
function runScript(name: string): string {
  const r = spawnSync('bash', [`scripts/${name}`], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const lines = (r.stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
    const said = lines.find((l) => /\berror\b/i.test(l)) ?? lines.at(-1) ?? `exit ${r.status ?? r.signal}`;
    throw new Error(`scripts/${name}: ${said}`);
  }
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) throw new Error(`scripts/${name} printed no JSON summary (got ${JSON.stringify(last)})`);
  return last;
}

// --- cutting connections -------------------------------------------------------------------------

/** pid -> [ppid, comm] for every process now (also used by the Slurm helper). */
export function processTable(): Map<number, { ppid: number; comm: string }> {
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      table.set(Number(entry), { ppid, comm });
    } catch {
      // the process ended meanwhile
    }
  }
  return table;
}

function cutConnections(pidFiles: string[], clientPort: number | undefined): number {
  const table = processTable();
  let cut = 0;
  for (const f of pidFiles) {
    let master: number;
    try {
      master = Number(readFileSync(f, 'utf8').trim());
    } catch {
      continue;
    }
    if (!master) continue;
    // One child of the listener per connection (privileged monitor); its sshd descendants carry the session.
    const perConnection = [...table].filter(([, p]) => p.ppid === master && p.comm === 'sshd').map(([pid]) => pid);
    for (const child of perConnection) {
      if (clientPort !== undefined && !servesClientPort(child, clientPort)) continue;
      const doomed = [child, ...descendants(table, child).filter((pid) => table.get(pid)?.comm === 'sshd')];
      for (const pid of doomed) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      cut++;
    }
  }
  return cut;
}

function descendants(table: Map<number, { ppid: number }>, root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [pid, info] of table) {
      if (info.ppid === p) {
        out.push(pid);
        queue.push(pid);
      }
    }
  }
  return out;
}

/** Whether process `pid` holds a TCP socket whose peer port is `port` (read in its own network namespace). */
function servesClientPort(pid: number, port: number): boolean {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return false;
  }
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = parseInt(cols[2]!.split(':')[1] ?? '', 16);
      if (remotePort === port && inodes.has(cols[9]!)) return true;
    }
  }
  return false;
}
