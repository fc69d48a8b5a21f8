import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { shellQuote } from './environments/run-logged.ts';

/**
 * How jobs on this node are kept from what is not theirs: the agent's folder (other jobs' files,
 * the node token) and, on the server's own machine, the server's data folder (its secret key,
 * database and blobs). Each host job runs in private mount and PID namespaces where those folders
 * are covered by empty tmpfs mounts, with only its own paths bound back; it cannot see other
 * processes, and it cannot undo the mounts because it runs without privileges:
 * - root: as an unprivileged user (made if missing), so team servers never run jobs as root;
 * - user: in a nested user namespace, as the same user without capabilities (a laptop run by its owner);
 * - none: the kernel offers neither; a job can read whatever the agent's user can (said in every job's log).
 * Container jobs are isolated by their engine instead: they see only what is mounted into them.
 */
export type IsolationMode = 'root' | 'user' | 'none';

export interface JobUser {
  name: string;
  uid: number;
  gid: number;
}

export interface Isolation {
  mode: IsolationMode;
  /** Why there is none, or what was set up, in words. */
  note: string;
  /** Folders covered in every job's view (the covering roots: a folder the job user could not traverse anyway may stand for one inside it). */
  hidden: string[];
  /** root mode: whom jobs run as. */
  user?: JobUser;
}

export interface IsolationOptions {
  /** `none` turns isolation off (CAIRN_AGENT_ISOLATION=none). */
  wanted: 'auto' | 'none';
  /** Folders no job may see: the agent's own folder, and what the server adds (its data folder). */
  hide: string[];
  /** root mode: the user jobs run as; `root` keeps jobs as root (not advised). */
  jobUser: string;
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
const firstLine = (s: string | undefined) => (s ?? '').trim().split('\n')[0] ?? '';

/** What this node can do, tried for real once at agent start (a job would fail the same way). */
export function probeIsolation(o: IsolationOptions): Isolation {
  const hidden = coveringRoots(o.hide.map((p) => resolve(p)).filter((p) => existsSync(p)));
  if (o.wanted === 'none') return { mode: 'none', note: 'isolation is turned off on this node (CAIRN_AGENT_ISOLATION=none)', hidden: [] };
  const root = process.getuid?.() === 0;
  if (root && o.jobUser === 'root') return { mode: 'none', note: 'jobs run as root on this node (CAIRN_AGENT_JOB_USER=root)', hidden: [] };
  let user: JobUser | undefined;
  if (root) {
    try {
      user = ensureUser(o.jobUser);
    } catch (err) {
      return { mode: 'none', note: `cannot make the job user '${o.jobUser}': ${(err as Error).message}`, hidden: [] };
    }
  }
  const iso: Isolation = { mode: root ? 'root' : 'user', note: '', hidden: root ? hidden.map((h) => untraversableAncestor(h) ?? h) : hidden, user };
  // A dry run of the real thing: a job script that checks it cannot see a hidden folder.
  const dir = join(tmpdir(), `cairn-isolation-probe-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'wd'), { recursive: true });
  try {
    if (user) for (const p of [dir, join(dir, 'wd')]) lchownSync(p, user.uid, user.gid);
    const check = iso.hidden.map((h) => `[ -z "$(ls -A ${shellQuote(h)})" ] || { echo "${h} is still visible"; exit 3; }`).join('; ') || 'true';
    writeFileSync(join(dir, 'command'), check);
    writeFileSync(join(dir, 'launch'), launchScript(iso, { attemptDir: dir, wd: join(dir, 'wd'), binds: [] }));
    const r = run('bash', [join(dir, 'launch'), dir]);
    if (r.status !== 0) return { mode: 'none', note: `the kernel refused namespaces here: ${firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.status}`}`, hidden: [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  iso.note = root
    ? `jobs run as '${user!.name}' (uid ${user!.uid}) in private mount and PID namespaces; hidden from them: ${iso.hidden.join(', ')}`
    : `jobs run in private user, mount and PID namespaces without capabilities; hidden from them: ${iso.hidden.join(', ')}`;
  return iso;
}

/** The unprivileged user jobs of a root agent run as, made (a system user with no login and no home) when missing. */
function ensureUser(name: string): JobUser {
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    const r = run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
    if (r.status !== 0 && !/already exists/.test(r.stderr)) throw new Error(firstLine(r.stderr) || 'useradd failed');
    return { name, uid: id('-u'), gid: id('-g') };
  }
}

/** Folders to cover, without those inside another one of them. */
function coveringRoots(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(q.endsWith(sep) ? q : q + sep)));
}

/**
 * The highest folder above `path` that others cannot traverse (like /root, mode 0700): a job user
 * could not reach anything below it anyway, so covering it instead hides nothing more, and the
 * paths bound back below it become reachable.
 */
function untraversableAncestor(path: string): string | undefined {
  const parts = path.split(sep).filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const p = sep + parts.slice(0, i).join(sep);
    try {
      if ((statSync(p).mode & 0o001) === 0) return p;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface Bind {
  path: string;
  ro?: boolean;
  /** Bound onto `path` instead of `path` itself (a shared input tree shown at a job's own path). */
  source?: string;
}

/**
 * The script the job supervisor runs instead of the bare command. Stage one enters the namespaces
 * (the job's processes share its process group, so a cancel still signals them all); stage two,
 * PID 1 there, covers the hidden folders, binds back the job's own paths and runs the command as a
 * child (so the command is never PID 1, which would ignore SIGTERM); when it exits, everything
 * else in the namespace goes with it.
 */
export function launchScript(iso: Isolation, o: { attemptDir: string; wd: string; binds: Bind[] }): string {
  // A bind with its own source is always made; one of a path onto itself only where a hidden folder covers it.
  const needed = [{ path: o.wd } as Bind, ...o.binds].filter((b) => b.source !== undefined || iso.hidden.some((h) => b.path === h || b.path.startsWith(h + sep)));
  const userns = iso.mode === 'user' ? '--user --map-root-user ' : '';
  const lines = [
    '# Written by the Cairn agent: runs the command in its sandbox (see src/agent/sandbox.ts).',
    'set -eu',
    'd=$1',
    `if [ "\${2:-}" != inner ]; then exec unshare ${userns}--mount --propagation private --pid --fork --kill-child --mount-proc -- bash "$d/launch" "$d" inner; fi`,
    'cmd=$(<"$d/command")',
    // Opened before the hidden folders are covered: what lies under them stays reachable through the fd.
    ...needed.map((b, i) => `exec ${i + 3}<${shellQuote(b.source ?? b.path)}`),
    ...iso.hidden.map((h) => `mount -t tmpfs -o mode=0755,size=64k,nosuid,nodev cairn-hidden ${shellQuote(h)}`),
    ...needed.flatMap((b, i) => [
      `mkdir -p ${shellQuote(b.path)}`,
      `mount -c --bind /proc/self/fd/${i + 3} ${shellQuote(b.path)}`,
      ...(b.ro ? [`mount -c -o remount,bind,ro,nosuid,nodev ${shellQuote(b.path)}`] : []),
      `exec ${i + 3}<&-`,
    ]),
    `cd ${shellQuote(o.wd)}`,
    iso.mode === 'root'
      ? `setpriv --reuid=${iso.user!.uid} --regid=${iso.user!.gid} --init-groups --inh-caps=-all --bounding-set=-all -- bash -c "$cmd" && rc=0 || rc=$?`
      : `unshare --user --map-user=${process.getuid?.() ?? 0} --map-group=${process.getgid?.() ?? 0} -- bash -c "$cmd" && rc=0 || rc=$?`,
    'exit $rc',
  ];
  return `${lines.join('\n')}\n`;
}

/** Hands a folder the job writes in (its code copy, home, temp) to the job user. */
export function giveTo(user: JobUser | undefined, path: string): void {
  if (!user) return;
  const walk = (p: string) => {
    lchownSync(p, user.uid, user.gid);
    if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(path);
}


/** Whether `user` (none: the agent's own user) can run the file at `path`, judging by the modes of it and every folder above it. */
export function canRun(user: JobUser | undefined, path: string): boolean {
  if (!user) return true;
  const parts = path.split(sep).filter(Boolean);
  try {
    for (let i = 0; i <= parts.length; i++) {
      const st = statSync(sep + parts.slice(0, i).join(sep));
      const bits = st.uid === user.uid ? (st.mode >> 6) & 7 : st.gid === user.gid ? (st.mode >> 3) & 7 : st.mode & 7;
      if ((bits & 1) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}
