import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The job's supervisor: a few lines of bash that outlive the agent. It runs the command under
 * `bash -c` (inside its sandbox, when the attempt has a `launch` script) in a session of its own (so a cancel can signal the whole process group), sends its
 * output to files (so nothing is lost while no agent reads them) and records the exit status.
 * A new agent finds all of it on disk and carries on.
 */
const SHIM = `
d="$1"
# Once per attempt: an agent killed between starting this and recording it must not start the
# command again (the next agent finds this folder and watches the first supervisor instead).
mkdir "$d/launched" 2>/dev/null || exit 0
echo $$ >"$d/launched/pid.tmp" && mv "$d/launched/pid.tmp" "$d/launched/pid"
if [ -f "$d/launch" ]; then
  setsid bash "$d/launch" "$d" >>"$d/stdout.log" 2>>"$d/stderr.log" </dev/null &
else
  cmd=$(<"$d/command")
  setsid bash -c "$cmd" >>"$d/stdout.log" 2>>"$d/stderr.log" </dev/null &
fi
child=$!
echo "$child" >"$d/pgid.tmp" && mv "$d/pgid.tmp" "$d/pgid"
trap 'kill -TERM -- -"$child" 2>/dev/null' TERM INT HUP
while :; do
  wait "$child"; rc=$?
  kill -0 "$child" 2>/dev/null || break
done
echo "$rc" >"$d/rc.tmp" && mv "$d/rc.tmp" "$d/rc"
`;

export interface Launched {
  shimPid: number;
  /** Resolves with nothing when the shim exits; the status itself is read from the rc file. */
  exited: Promise<void>;
}

export function launchShim(attemptDir: string, cwd: string, env: NodeJS.ProcessEnv): Launched {
  const child = spawn('bash', ['-c', SHIM, 'cairn-shim', attemptDir], { cwd, env, detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start bash to run the job');
  return { shimPid: child.pid, exited };
}

/**
 * The supervisor an earlier agent started for this attempt, if one was started: its pid and when.
 * Its pid is written right after the marker, so a marker without it is given a moment.
 */
export async function earlierLaunch(attemptDir: string): Promise<{ shimPid: number | null; atMs: number } | null> {
  const marker = join(attemptDir, 'launched');
  let atMs: number;
  try {
    atMs = statSync(marker).mtimeMs;
  } catch {
    return null;
  }
  for (let i = 0; i < 40; i++) {
    try {
      const pid = Number.parseInt(readFileSync(join(marker, 'pid'), 'utf8').trim(), 10);
      if (pid > 0) return { shimPid: pid, atMs };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  return { shimPid: null, atMs };
}

export function readExitCode(attemptDir: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(join(attemptDir, 'rc'), 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

export function readPgid(attemptDir: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(join(attemptDir, 'pgid'), 'utf8').trim(), 10);
    return n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function alive(pid: number | null, group = false): boolean {
  if (!pid) return false;
  try {
    process.kill(group ? -pid : pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (dead, not yet reaped by a parent that was itself killed) answers signals but runs nothing.
  return group || !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function signalGroup(pgid: number | null, signal: NodeJS.Signals): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const SIGNAL_HINTS: Record<number, string> = {
  9: 'SIGKILL: often the out-of-memory killer; check the job\'s memory use',
  15: 'SIGTERM',
  11: 'SIGSEGV: the program crashed (segmentation fault)',
  6: 'SIGABRT: the program aborted',
  2: 'SIGINT',
};

/** A reason a person can act on, from a bash exit status and the last line the job wrote to stderr. */
export function describeExit(rc: number, lastStderr?: string): string {
  const tail = lastStderr ? `: ${lastStderr.slice(0, 300)}` : '';
  if (rc === 127) return `command not found (exit code 127)${tail}`;
  if (rc === 126) return `command could not be executed, check its permissions (exit code 126)${tail}`;
  if (rc > 128 && rc < 160) {
    const sig = rc - 128;
    return `killed by signal ${SIGNAL_HINTS[sig] ?? String(sig)} (exit code ${rc})`;
  }
  return `command exited with code ${rc}${tail}`;
}
