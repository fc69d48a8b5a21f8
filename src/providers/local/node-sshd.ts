import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { shellQuote } from '../../transports/ssh/index.ts';
import { stopProcess } from './agent-process.ts';

/**
 * A node's own SSH endpoint: OpenSSH's sshd on a loopback port, taking only the user's public key,
 * landing in the node's work folder (outside the server's data folder, which stays closed; the
 * node's jobs find the same folder as $CAIRN_NODE_WORK_DIR). On a root server the login user is
 * the cluster's admin_username (made if missing); a server run by an ordinary user can only let
 * that user in.
 */
export interface NodeSsh {
  port: number;
  user: string;
  /** The node's work folder: where a login lands, shared with its jobs. */
  workDir: string;
  pid: number | null;
}

const SSHD = '/usr/sbin/sshd';

export function sshdMissing(): string | null {
  return existsSync(SSHD) ? null : `SSH to nodes needs OpenSSH's server (${SSHD}) on the server's machine: install openssh-server`;
}

export async function startNodeSshd(sshDir: string, workDir: string, o: { user: string; publicKey: string; previous?: NodeSsh | null }): Promise<NodeSsh> {
  const missing = sshdMissing();
  if (missing) throw new Error(missing);
  const root = process.getuid?.() === 0;
  const user = root ? o.user : execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  if (root) ensureLoginUser(user);
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
  mkdirSync(sshDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  if (root) chownSync(workDir, uid, gid);
  // Shared by the login user and the node's jobs (which run as the job user on a root server).
  chmodSync(workDir, 0o777);
  const hostKey = join(sshDir, 'host_ed25519');
  if (!existsSync(hostKey)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { stdio: 'ignore' });
  writeFileSync(join(sshDir, 'authorized_keys'), `${o.publicKey.trim()}\n`, { mode: 0o644 });
  // The login lands in the work folder, with the command the user asked for, or a login shell.
  writeFileSync(join(sshDir, 'login.sh'), `cd ${shellQuote(workDir)} || exit 1\nif [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/bash -c "$SSH_ORIGINAL_COMMAND"; fi\nexec /bin/bash -l\n`, { mode: 0o755 });
  for (const d of [sshDir]) chmodSync(d, 0o755);
  const port = o.previous?.port ?? (await freePort());
  writeFileSync(
    join(sshDir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(sshDir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(sshDir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin no',
      `AllowUsers ${user}`,
      'StrictModes no',
      'UsePAM no',
      'X11Forwarding no',
      `ForceCommand /bin/bash ${join(sshDir, 'login.sh')}`,
      '',
    ].join('\n'),
  );
  if (root) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const log = openSync(join(sshDir, 'sshd.log'), 'a');
  const child = spawn(SSHD, ['-D', '-f', join(sshDir, 'sshd_config'), '-E', join(sshDir, 'sshd.log')], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  await listening(port, child.pid ?? 0);
  return { port, user, workDir, pid: child.pid ?? null };
}

export async function stopNodeSshd(sshDir: string, ssh: NodeSsh | null): Promise<void> {
  let pid = ssh?.pid ?? null;
  try {
    pid = Number.parseInt(readFileSync(join(sshDir, 'sshd.pid'), 'utf8'), 10) || pid;
  } catch {}
  await stopProcess(pid, 2_000);
}

export function removeNodeWorkDir(workDir: string): void {
  rmSync(workDir, { recursive: true, force: true });
}

function ensureLoginUser(user: string): void {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', user], { stdio: 'ignore' });
  }
  // Key-only: a locked password, yet a usable account (sshd refuses accounts marked '!' without a password only under PAM).
  try {
    execFileSync('usermod', ['-p', '*', user], { stdio: 'ignore' });
  } catch {}
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function listening(port: number, pid: number): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.once('error', () => r(false));
    });
    if (up) return;
    try {
      process.kill(pid, 0);
    } catch {
      throw new Error(`sshd for the node exited at start; see its log`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd for the node did not listen on port ${port}`);
}
