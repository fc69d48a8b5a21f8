// Real Slurm 22.05 clusters for tests, one per call, each fully private: its own folder under /tmp
// (slurm.conf, state, spool, logs, pid files), its own ports, its own ClusterName, and its own
// daemons (slurmctld, one slurmd per node, all on 127.0.0.1; slurmrestd when asked). Commands reach
// it through SLURM_CONF (cluster.env); /etc/slurm is never written. Only munged is shared (started
// once, under a lock, and never stopped). Static nodes n1..nN form the default partition `debug`;
// CLOUD nodes c1..cM form `cloud`, powered up on demand by a ResumeProgram that starts their slurmd,
// and powered down again SuspendTime seconds after they went idle (one of them is kept up).
//
// Outside CI a machine that cannot run it (not root, Slurm not installed) skips with the reason;
// with CI=true that is a failure, since nothing may be skipped in CI. scripts/install-test-deps.sh
// installs the packages.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { processTable } from './ssh.ts';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tempDir } from './cairn.ts';
import { shellQuote } from '../../src/transports/ssh/index.ts';
import { BIN, hostlist, slurmConf, writePowerScripts, type Plan } from './slurm-conf.ts';

export interface SlurmOptions {
  /** Static nodes n1..nN, partition `debug` (the default one). Default 3. */
  staticNodes?: number;
  /** CLOUD (power-saving) nodes c1..cM, partition `cloud`. Default 3; 0 for none. */
  cloudNodes?: number;
  /** Also run slurmrestd (openapi v0.0.38, JWT auth). Default false. */
  rest?: boolean;
  /** Seconds a finished job stays visible to squeue/scontrol. Default 300. */
  minJobAge?: number;
  /** Seconds a CLOUD node stays idle before it is powered down. Default 10. */
  suspendTime?: number;
  /**
   * Enforce jobs' memory requests (--mem) the way a cluster without cgroups can: jobacct_gather/linux
   * with OverMemoryKill, memory a consumable resource (CR_CPU_Memory, 500 MB per CPU by default).
   */
  enforceMemory?: boolean;
  /**
   * Folders each static node sees as its own empty tmpfs (its slurmd runs in a mount namespace of
   * its own): a cluster whose nodes do not share those folders with the login host or each other.
   */
  nodePrivate?: string[];
}

export interface SlurmCluster {
  root: string;
  conf: string;
  name: string;
  /** Everything a Slurm command needs to reach this cluster. */
  env: { SLURM_CONF: string };
  /** ['n1','n2','n3'] */
  staticNodes: string[];
  /** ['c1','c2','c3'] */
  cloudNodes: string[];
  partitions: { static: 'debug'; cloud: 'cloud' };
  /** A folder (mode 1777) any job user may write its output into. */
  outDir: string;
  /** The filetxt job completion log (one line per finished job: JobId=.. UserId=.. JobState=..). */
  jobCompLog: string;
  /** `HH:MM:SS.N RESUME c1` / `SUSPEND c1` lines, one per ResumeProgram / SuspendProgram call. */
  powerLog: string;
  /** slurmctld's log (and the slurmds' logs beside it: log/slurmd.<node>.log). */
  controllerLog: string;
  /** slurmrestd on a loopback port; token() is `scontrol token username=<user> lifespan=3600`. */
  rest?: { url: string; user: string; token(user?: string): string };
  /**
   * Runs a Slurm command (sbatch, squeue, scontrol, ...) against this cluster; returns stdout,
   * throws with stderr on a non-zero exit (default timeout 30 s). `user` runs it as that user
   * (setpriv); cwd defaults to this process's, or for another user to outDir (which any user can
   * enter: a job's working directory is where it was submitted from).
   */
  cmd(args: string[], o?: { timeoutMs?: number; user?: string; cwd?: string; input?: string }): string;
  /** Runs argv in a static node's mount namespace (what that node's jobs see: its nodePrivate folders); returns stdout. */
  onNode(node: string, argv: string[]): string;
  /** Stops slurmctld (by pid, waits until gone) and starts it again without -i, keeping its state: a controller restart. */
  restartController(o?: { downMs?: number }): Promise<void>;
  stopController(): Promise<void>;
  startController(): Promise<void>;
  /**
   * Cancels the cluster's jobs, then ends everything this cluster started, by pid (daemons, job
   * steps and their processes). Keeps the folder (logs, job outputs) unless `remove`.
   */
  stop(o?: { remove?: boolean }): Promise<void>;
}

const REST_USER = 'slurmrest';
const MUNGE_LOCK = '/tmp/.cairn-slurm-munge.lock';
const PORTS_DIR = '/tmp/.cairn-slurm-ports';
const PORT_BLOCK = 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurm(o: SlurmOptions = {}): Promise<SlurmCluster | { skip: string }> {
  const ci = process.env.CI === 'true';
  const skipOrThrow = (reason: string): { skip: string } => {
    if (ci) throw new Error(`${reason} (CI=true: Slurm tests may not be skipped)`);
    return { skip: reason };
  };
  if (process.getuid?.() !== 0) return skipOrThrow(`a Slurm cluster for tests needs root (running as uid ${process.getuid?.()})`);
  const needed = [BIN.slurmctld, BIN.slurmd, BIN.scontrol, BIN.sbatch, BIN.munged, BIN.unshare, BIN.perl, BIN.setpriv, BIN.flock, ...(o.rest ? [BIN.slurmrestd, BIN.jwt] : [])];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length) return skipOrThrow(`Slurm is not installed (missing ${missing.join(', ')}; scripts/install-test-deps.sh installs it)`);
  const nStatic = o.staticNodes ?? 3;
  const nCloud = o.cloudNodes ?? 3;
  if (!Number.isInteger(nStatic) || nStatic < 1 || !Number.isInteger(nCloud) || nCloud < 0 || nStatic + nCloud > PORT_BLOCK - 2) {
    throw new Error(`startSlurm: need 1 or more static nodes, 0 or more cloud nodes, at most ${PORT_BLOCK - 2} in all (got ${nStatic} + ${nCloud})`);
  }
  return start({ nStatic, nCloud, rest: o.rest === true, minJobAge: o.minJobAge ?? 300, suspendTime: o.suspendTime ?? 10, enforceMemory: o.enforceMemory === true, nodePrivate: o.nodePrivate ?? [] });
}

// --- one cluster ------------------------------------------------------------------------------


/** Clusters of this process not stopped yet: killed on process exit if a test forgot (or crashed). */
const live = new Set<{ killAll(): void }>();
let exitHookInstalled = false;

async function start(plan: Plan): Promise<SlurmCluster> {
  const root = tempDir('slurm');
  chmodSync(root, 0o755); // job users (cairntest, slurmrest) read slurm.conf and enter outDir
  const dirs = { state: join(root, 'state'), spool: join(root, 'spool'), log: join(root, 'log'), run: join(root, 'run'), bin: join(root, 'bin'), out: join(root, 'out') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(dirs.state, 0o700);
  chmodSync(dirs.out, 0o1777);
  const conf = join(root, 'slurm.conf');
  const env = { SLURM_CONF: conf };
  const name = `cairn${randomBytes(4).toString('hex')}`;
  const staticNodes = Array.from({ length: plan.nStatic }, (_, i) => `n${i + 1}`);
  const cloudNodes = Array.from({ length: plan.nCloud }, (_, i) => `c${i + 1}`);
  const files = {
    ctldLog: join(dirs.log, 'slurmctld.log'),
    ctldPid: join(dirs.run, 'slurmctld.pid'),
    ctldOut: join(dirs.log, 'slurmctld.out'),
    restLog: join(dirs.log, 'slurmrestd.log'),
    restPid: join(dirs.run, 'slurmrestd.pid'),
    jobComp: join(dirs.log, 'jobcomp.log'),
    power: join(dirs.log, 'power.log'),
    jwtKey: join(dirs.state, 'jwt_hs256.key'),
  };
  writeFileSync(files.power, '');
  let ports: PortBlock | undefined;
  let restUrl: string | undefined;
  let stopped = false;

  const runEnv = () => ({ ...process.env, ...env });
  const daemonPids = (): number[] => {
    const pids: number[] = [];
    for (const f of readdirSync(dirs.run)) {
      const pid = readPid(join(dirs.run, f));
      if (pid) pids.push(pid);
    }
    return pids;
  };
  const killAll = () => {
    const doomed = clusterProcesses(conf, daemonPids());
    for (const pid of doomed) signal(pid, 'SIGKILL');
    ports?.release();
  };
  const handle = { killAll };

  const cmd: SlurmCluster['cmd'] = (args, co = {}) => {
    if (!args.length) throw new Error('cluster.cmd: no command');
    const user = co.user && co.user !== 'root' ? co.user : undefined;
    const argv = user ? [BIN.setpriv, `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', ...args] : args;
    const r = spawnSync(argv[0]!, argv.slice(1), { env: runEnv(), cwd: co.cwd ?? (user ? dirs.out : undefined), encoding: 'utf8', timeout: co.timeoutMs ?? 30_000, input: co.input, killSignal: 'SIGKILL' });
    if (r.error) throw new Error(`${args.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };

  const diagnostics = (): string => {
    const parts: string[] = [`cluster folder ${root}`];
    const logs = [files.ctldOut, files.ctldLog, ...readdirSync(dirs.log).filter((f) => /^slurmd\./.test(f)).map((f) => join(dirs.log, f)), files.power, files.restLog];
    for (const f of logs) {
      const t = tail(f, 15);
      if (t) parts.push(`--- ${f} (last lines)\n${t}`);
    }
    return parts.join('\n');
  };

  const controllerPing = async (): Promise<boolean> => {
    const r = await run([BIN.scontrol, 'ping'], runEnv(), 5_000);
    return r.code === 0 && /is UP/.test(r.stdout);
  };

  const startController = async (first = false) => {
    const before = readPid(files.ctldPid);
    if (before && alive(before)) throw new Error(`slurmctld is running already (pid ${before})`);
    rmSync(files.ctldPid, { force: true });
    const r = await runDaemon(BIN.slurmctld, first ? ['-i'] : [], runEnv(), files.ctldOut, 20_000);
    if (r.code !== 0) throw new Error(`slurmctld exited ${r.code} at start\n${diagnostics()}`);
    await until('slurmctld to write its pid file', () => {
      const pid = readPid(files.ctldPid);
      return pid !== undefined && alive(pid);
    }, 20_000, diagnostics);
    await until('slurmctld to answer `scontrol ping`', controllerPing, 20_000, diagnostics);
  };

  const stopController = async () => {
    const pid = readPid(files.ctldPid);
    if (!pid || !alive(pid)) return;
    signal(pid, 'SIGTERM');
    const gone = await waitGone([pid], 20_000);
    if (!gone) {
      signal(pid, 'SIGKILL');
      await waitGone([pid], 5_000);
    }
  };

  const idleStatic = async (): Promise<boolean> => {
    const r = await run(['sinfo', '-h', '-p', 'debug', '-t', 'idle', '-o', '%D'], runEnv(), 5_000);
    if (r.code !== 0) return false;
    const n = r.stdout.split('\n').filter(Boolean).reduce((s, l) => s + Number(l.trim()), 0);
    return n === plan.nStatic;
  };

  const stop: SlurmCluster['stop'] = async (so = {}) => {
    if (!stopped) {
      stopped = true;
      // Jobs first, while the controller can still end them (their processes are not the daemons' children).
      const ctld = readPid(files.ctldPid);
      if (ctld && alive(ctld)) {
        const q = await run(['squeue', '-h', '-o', '%A'], runEnv(), 10_000);
        const ids = q.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
        if (q.code === 0 && ids.length) {
          await run(['scancel', ...ids], runEnv(), 10_000);
          const deadline = Date.now() + 10_000;
          while (Date.now() < deadline) {
            const left = await run(['squeue', '-h', '-t', 'PD,CF,R,S,CG,SO', '-o', '%A'], runEnv(), 5_000);
            if (left.code !== 0 || !left.stdout.trim()) break;
            await sleep(200);
          }
        }
      }
      // Daemons with SIGTERM (a moment to finish), then whatever is left of the cluster with SIGKILL.
      const daemons = daemonPids().filter(alive);
      const doomed = clusterProcesses(conf, daemons);
      for (const pid of daemons) signal(pid, 'SIGTERM');
      if (!(await waitGone(daemons, 5_000))) for (const pid of daemons) signal(pid, 'SIGKILL');
      for (const pid of doomed) signal(pid, 'SIGKILL');
      for (const pid of clusterProcesses(conf, [])) signal(pid, 'SIGKILL');
      await waitGone([...doomed], 5_000);
      live.delete(handle);
      ports?.release();
    }
    if (so.remove) rmSync(root, { recursive: true, force: true });
  };

  live.add(handle);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.killAll();
    });
  }

  try {
    await prepareHost(plan.rest);
    ports = await reservePorts(plan.nStatic + plan.nCloud + 2);
    const p = ports.base;
    const ctldPort = p;
    const restPort = p + 1;
    const staticPort = p + 2;
    const cloudPort = staticPort + plan.nStatic;
    if (plan.rest) {
      writeFileSync(files.jwtKey, randomBytes(32), { mode: 0o600 });
      restUrl = `http://127.0.0.1:${restPort}`;
    }
    const cloudList = hostlist('c', plan.nCloud);
    const staticList = hostlist('n', plan.nStatic);
    if (plan.nCloud > 0) writePowerScripts(dirs, conf, files.power);
    writeFileSync(
      conf,
      slurmConf({ ...plan, name, root, dirs, files, ctldPort, staticPort, cloudPort, staticList, cloudList }),
      { mode: 0o644 },
    );

    await startController(true);
    for (const n of staticNodes) {
      mkdirSync(join(dirs.spool, n), { recursive: true, mode: 0o755 });
      const [bin, args] = plan.nodePrivate.length ? privateMounts(plan.nodePrivate, [BIN.slurmd, '-N', n]) : [BIN.slurmd, ['-N', n]];
      const r = await runDaemon(bin, args, runEnv(), join(dirs.log, `slurmd.${n}.out`), 20_000);
      if (r.code !== 0) throw new Error(`slurmd -N ${n} exited ${r.code} at start\n${diagnostics()}`);
    }
    await until(`the ${plan.nStatic} static node(s) to be idle`, idleStatic, 30_000, diagnostics);
    if (plan.rest) {
      const fd = openSync(files.restLog, 'a');
      const child = spawn(BIN.setpriv, [`--reuid=${REST_USER}`, `--regid=${REST_USER}`, '--init-groups', '--', BIN.slurmrestd, '-s', 'openapi/v0.0.38', '-a', 'rest_auth/jwt', `127.0.0.1:${restPort}`], {
        env: { ...runEnv(), SLURM_JWT: 'daemon' },
        cwd: '/',
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      closeSync(fd);
      child.unref();
      if (child.pid) writeFileSync(files.restPid, `${child.pid}\n`);
      let exited: number | null = null;
      child.once('exit', (code) => (exited = code ?? -1));
      await until('slurmrestd to listen', async () => {
        if (exited !== null) throw new Error(`slurmrestd exited ${exited} at start\n${diagnostics()}`);
        return fetch(`${restUrl}/`).then(() => true, () => false);
      }, 20_000, diagnostics);
    }
  } catch (err) {
    await stop({ remove: true }).catch(() => {});
    throw new Error(`the Slurm test cluster did not start (its processes are ended and its folder removed): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const cluster: SlurmCluster = {
    root,
    conf,
    name,
    env,
    staticNodes,
    cloudNodes,
    partitions: { static: 'debug', cloud: 'cloud' },
    outDir: dirs.out,
    jobCompLog: files.jobComp,
    powerLog: files.power,
    controllerLog: files.ctldLog,
    ...(restUrl
      ? {
          rest: {
            url: restUrl,
            user: REST_USER,
            token: (user = REST_USER) => {
              const out = cmd([BIN.scontrol, 'token', `username=${user}`, 'lifespan=3600']);
              const m = /SLURM_JWT=(\S+)/.exec(out);
              if (!m) throw new Error(`scontrol token printed no token: ${out}`);
              return m[1]!;
            },
          },
        }
      : {}),
    cmd,
    onNode: (node, argv) => {
      const pid = readPid(join(dirs.run, `slurmd.${node}.pid`));
      if (!pid) throw new Error(`slurmd of ${node} has no pid file`);
      const r = spawnSync('nsenter', ['-t', String(pid), '-m', '--', ...argv], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} on ${node} exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    },
    stopController,
    startController: () => startController(false),
    restartController: async (ro = {}) => {
      await stopController();
      if (ro.downMs) await sleep(ro.downMs);
      await startController(false);
    },
    stop,
  };
  return cluster;
}

// --- host preparation (shared by every cluster) -----------------------------------------------

/**
 * munged (one for the machine, started if not running) and the REST user; under a lock, since test
 * files start clusters concurrently.
 */
async function prepareHost(rest: boolean): Promise<void> {
  const script = `set -eu
exec 9>>${MUNGE_LOCK}
flock -w 60 9 || { echo "timed out waiting for ${MUNGE_LOCK}" >&2; exit 1; }
if ${rest ? 'true' : 'false'} && ! id ${REST_USER} >/dev/null 2>&1; then
  useradd -M -s /usr/sbin/nologin ${REST_USER}
fi
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then exit 0; fi
if [ ! -s /etc/munge/munge.key ]; then
  mungekey -c -f 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /run/munge; chown munge:munge /run/munge; chmod 755 /run/munge
runuser -u munge -- ${BIN.munged} --force 9>&- # not the lock: munged would hold it forever
for i in $(seq 100); do
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then exit 0; fi
  sleep 0.1
done
echo "munged did not answer within 10 s" >&2; tail -n 5 /var/log/munge/munged.log >&2 2>/dev/null || true
exit 1
`;
  const r = await run(['bash', '-c', script], process.env, 90_000);
  if (r.code !== 0) throw new Error(`could not start munged: ${(r.stderr || r.stdout).trim()}`);
}

// --- ports --------------------------------------------------------------------------------------

interface PortBlock {
  base: number;
  release(): void;
}

/**
 * A block of PORT_BLOCK consecutive loopback ports below the ephemeral range (so no outgoing
 * connection takes one meanwhile), reserved against the other test processes by a file in
 * PORTS_DIR holding our pid (a dead owner's reservation is taken over), and free right now.
 */
async function reservePorts(count: number): Promise<PortBlock> {
  mkdirSync(PORTS_DIR, { recursive: true });
  const ephemeralLow = (() => {
    try {
      return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
    } catch {
      return 32768;
    }
  })();
  const low = 15_000;
  const high = Math.max(low + PORT_BLOCK * 8, Math.min(ephemeralLow, 32768)) - PORT_BLOCK;
  const blocks = Math.floor((high - low) / PORT_BLOCK);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + PORT_BLOCK * Math.floor(Math.random() * blocks);
    const file = join(PORTS_DIR, String(base));
    if (!claim(file)) continue;
    const release = () => {
      try {
        if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
      } catch {
        // gone already
      }
    };
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await portFree(p);
    if (free) return { base, release };
    release();
  }
  throw new Error(`no free block of ${count} ports found between ${low} and ${high}`);
}

function claim(file: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch {
      const owner = readPid(file);
      if (owner && alive(owner)) return false;
      try {
        unlinkSync(file); // a dead process's reservation
      } catch {
        return false;
      }
    }
  }
  return false;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

// --- processes ----------------------------------------------------------------------------------

/** `argv` in a mount namespace of its own where each of `dirs` is an empty tmpfs (slurmd forks off and keeps it). */
function privateMounts(dirs: string[], argv: string[]): [string, string[]] {
  const mounts = dirs.map((d) => `mkdir -p ${shellQuote(d)} && mount -t tmpfs -o mode=1777 cairn-node ${shellQuote(d)} || exit 1`).join('\n');
  return [BIN.unshare, ['-m', '--propagation', 'private', '--', '/bin/sh', '-c', `${mounts}\nexec ${argv.map(shellQuote).join(' ')}`]];
}

/** Runs a command to its end (async, bounded); never throws for a non-zero exit. */
function run(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: stdout ?? '', stderr: stderr || (err && code === -1 ? err.message : '') });
    });
  });
}

/**
 * Starts a Slurm daemon that forks into the background (its pid file is how it is found later); its
 * early output goes to `outFile` (a file, not a pipe: the daemon keeps it).
 */
function runDaemon(bin: string, args: string[], env: NodeJS.ProcessEnv, outFile: string, timeoutMs: number): Promise<{ code: number }> {
  return new Promise((resolve) => {
    const fd = openSync(outFile, 'a');
    const child = spawn(bin, args, { env, cwd: '/', stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve({ code: -1 });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1 });
    });
  });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is as good as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!pids.some(alive)) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/**
 * The processes of one cluster: its daemons (by pid file), every slurm daemon or job-step process
 * whose environment names this cluster's slurm.conf (slurmstepd and cloud slurmds, which are
 * nobody's children once started), every job process (SLURM_JOB_ID set, same slurm.conf), and the
 * descendants of all these (ResumeProgram runs, job processes). Never this process or its ancestors.
 */
function clusterProcesses(conf: string, daemons: number[]): Set<number> {
  const table = processTable();
  const mine = `SLURM_CONF=${conf}`;
  const roots = new Set(daemons.filter((p) => table.has(p)));
  for (const [pid, p] of table) {
    if (roots.has(pid)) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!environ.includes(mine)) continue;
    if (/^slurm/.test(p.comm) || environ.some((e) => e.startsWith('SLURM_JOB_ID='))) roots.add(pid);
  }
  const spared = new Set<number>();
  for (let p: number | undefined = process.pid; p && p > 1 && !spared.has(p); p = table.get(p)?.ppid) spared.add(p);
  const children = new Map<number, number[]>();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out = new Set<number>();
  const queue = [...roots];
  while (queue.length) {
    const pid = queue.pop()!;
    if (out.has(pid) || spared.has(pid)) continue;
    out.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

// --- small things -------------------------------------------------------------------------------

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, diagnostics: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${diagnostics()}`);
    await sleep(100);
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}


