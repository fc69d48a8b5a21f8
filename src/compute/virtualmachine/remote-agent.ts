import { posix } from 'node:path';
import { CairnError } from '../../protocol/errors.ts';
import type { SshSession } from '../../transports/ssh/index.ts';
import { shellQuote as q } from '../../transports/ssh/index.ts';
import type { AgentArtifacts } from './agent-bundle.ts';
import type { HostFacts } from './host-check.ts';

/**
 * Where Cairn's files live on a host. Everything Cairn puts there is under `root` (the agent, its
 * jobs' folders, its blob cache) or `runtimeDir` (a Node runtime, shared by computes on that host),
 * so detaching can leave the machine as it was found.
 */
export interface RemoteLayout {
  /** The folder shared by every compute attached on this host with the default work dir. */
  base: string;
  root: string;
  runtimeDir: string;
  agentDir: string;
  pythonDir: string;
  envFile: string;
  serverFile: string;
  logFile: string;
  launcher: string;
}

export function remoteLayout(workDir: string, home: string, compute: string, custom: boolean): RemoteLayout {
  const abs = workDir.startsWith('~/') ? posix.join(home, workDir.slice(2)) : workDir;
  const root = custom ? abs : posix.join(abs, compute);
  return {
    base: abs,
    root,
    runtimeDir: posix.join(custom ? root : abs, 'runtime'),
    agentDir: posix.join(root, 'agent'),
    pythonDir: posix.join(root, 'python'),
    envFile: posix.join(root, 'agent.env'),
    serverFile: posix.join(root, 'server.json'),
    logFile: posix.join(root, 'agent.log'),
    launcher: posix.join(root, 'run-agent.sh'),
  };
}

/** What installing the agent needs of a host: a shell and file uploads (an SSH session, or the server's own host for Slurm). */
export type AgentHost = Pick<SshSession, 'exec' | 'upload' | 'target'>;

async function must(session: AgentHost, cmd: string, what: string): Promise<string> {
  const r = await session.exec(cmd, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new CairnError('HostCheckFailed', `${what} failed on ${session.target.host}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.code}`}`);
  return r.stdout;
}

/** Copies what is missing (by sha256) and returns the agent file and the Node binary to run it with. */
export async function installAgent(session: AgentHost, l: RemoteLayout, facts: HostFacts, artifacts: AgentArtifacts): Promise<{ agentFile: string; node: string }> {
  const bundle = await artifacts.agent();
  const agentFile = posix.join(l.root, `agent-${bundle.sha256.slice(0, 12)}.mjs`);
  const runtime = facts.node ? null : await artifacts.nodeRuntime();
  const nodeFile = runtime ? posix.join(l.runtimeDir, `node-${runtime.version}`, 'node') : facts.node!.path;
  // `.cairn-made` records the highest folder this made (or `existing`), so detaching removes exactly that much.
  const made = q(posix.join(l.root, '.cairn-made'));
  const mark = `p=${q(l.root)}; top=existing; while [ ! -e "$p" ]; do top=$p; p=$(dirname "$p"); done`;
  const python = bundle.python.map((f) => ({ ...f, remote: posix.join(l.pythonDir, f.path) }));
  const pyDirs = [...new Set([posix.join(l.pythonDir, 'cairn'), ...python.map((f) => posix.dirname(f.remote))])];
  await must(
    session,
    `${mark}; umask 077 && mkdir -p ${q(l.agentDir)} ${pyDirs.map(q).join(' ')}${runtime ? ` ${q(posix.dirname(nodeFile))}` : ''} && { [ -e ${made} ] || printf '%s' "$top" > ${made}; }`,
    'creating the agent folder',
  );
  // One round trip says what the host already has; only files whose sha256 differs are copied.
  const files = [agentFile, ...(runtime ? [nodeFile] : []), ...python.map((f) => f.remote)];
  const have = await session.exec(`sha256sum ${files.map(q).join(' ')} 2>/dev/null`);
  const present = new Set(have.stdout.split('\n').map((line) => line.split(/\s+/).slice(0, 2).join(' ')).filter(Boolean));
  const has = (sha: string, path: string) => present.has(`${sha} ${path}`);
  if (!has(bundle.sha256, agentFile)) await session.upload(bundle.code, agentFile, 0o600);
  if (runtime && !has(runtime.sha256, nodeFile)) await session.upload({ localPath: runtime.path }, nodeFile, 0o755);
  for (const f of python) if (!has(f.sha256, f.remote)) await session.upload(f.data, f.remote, 0o644);
  return { agentFile, node: nodeFile };
}

/** The agent's configuration goes into a 0600 file, never onto a command line where `ps` would show the token. */
export async function writeAgentConfig(session: SshSession, l: RemoteLayout, o: { token: string; node: string; serverUrl: string; agentFile: string; nodeBin: string }): Promise<void> {
  const env = {
    CAIRN_AGENT_SERVER_URL: o.serverUrl,
    CAIRN_AGENT_SERVER_FILE: l.serverFile,
    CAIRN_AGENT_TOKEN: o.token,
    CAIRN_AGENT_NODE: o.node,
    CAIRN_AGENT_DIR: l.agentDir,
    CAIRN_AGENT_PYTHON_DIR: l.pythonDir,
    // Jobs must not see the agent's settings (its token) beside its folder either.
    CAIRN_AGENT_HIDE: l.root,
  };
  await session.upload(Buffer.from(Object.entries(env).map(([k, v]) => `${k}=${q(v)}\n`).join('')), l.envFile, 0o600);
  const launcher = `#!/bin/sh\nset -a\n. ${q(l.envFile)}\nset +a\nexec ${q(o.nodeBin)} ${q(o.agentFile)}\n`;
  await session.upload(Buffer.from(launcher), l.launcher, 0o700);
  await writeServerFile(session, l, o.serverUrl);
}

/** Where the agent finds the server now: the tunnel's port changes when the SSH connection is made anew. */
export async function writeServerFile(session: SshSession, l: RemoteLayout, url: string): Promise<void> {
  await session.upload(Buffer.from(JSON.stringify({ url })), l.serverFile, 0o600);
}

const PID = (l: RemoteLayout) => `p=$(cat ${q(posix.join(l.agentDir, 'agent.pid'))} 2>/dev/null) && [ -n "$p" ] && grep -q agent- /proc/$p/cmdline 2>/dev/null`;

export async function agentRunning(session: SshSession, l: RemoteLayout): Promise<boolean> {
  return (await session.exec(`${PID(l)} && echo yes`)).stdout.includes('yes');
}

/** Detached with setsid, so neither a dropped SSH connection nor a server restart stops it. */
export async function startAgent(session: SshSession, l: RemoteLayout): Promise<void> {
  await must(session, `cd ${q(l.root)} && (setsid nohup sh ${q(l.launcher)} >>${q(l.logFile)} 2>&1 </dev/null &) && echo started`, 'starting the agent');
}

/** SIGTERM: the agent leaves, its jobs carry on under their shims until an agent comes back. */
export async function stopAgent(session: SshSession, l: RemoteLayout): Promise<void> {
  await session.exec(`if ${PID(l)}; then kill -TERM $p; for i in $(seq 1 50); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; kill -KILL $p; fi; true`);
}

export async function agentLogTail(session: SshSession, l: RemoteLayout): Promise<string> {
  return (await session.exec(`tail -n 5 ${q(l.logFile)} 2>/dev/null`)).stdout.trim();
}

/**
 * Removes everything Cairn put on the host: this compute's folder, and the shared runtime and base
 * folder once no other compute uses them. Job processes still running there are ended first.
 */
export async function removeAgent(session: SshSession, l: RemoteLayout, custom: boolean): Promise<void> {
  const shims = `for f in ${q(l.agentDir)}/attempts/*/pgid; do [ -f "$f" ] && kill -KILL -- -"$(cat "$f")" 2>/dev/null; done`;
  // A folder that was there before (a custom work_dir) keeps everything that is not Cairn's.
  const ours = ['agent', 'python', 'agent.env', 'server.json', 'agent.log', 'run-agent.sh', 'runtime', '.cairn-made'].map(q).join(' ');
  const remove = `made=$(cat ${q(posix.join(l.root, '.cairn-made'))} 2>/dev/null || echo unknown); if [ "$made" = existing ]; then (cd ${q(l.root)} && rm -rf ${ours} agent-*.mjs); else rm -rf ${q(l.root)}; fi`;
  const tidyBase = custom ? '' : `; if [ -d ${q(l.base)} ] && [ -z "$(ls -A ${q(l.base)} | grep -v '^runtime$')" ]; then rm -rf ${q(l.base)}; fi`;
  // Then the parents made for it, up to the highest one made, while they are empty.
  const parents = `; case "$made" in existing|unknown) ;; *) d=$(dirname ${q(l.root)}); while [ "$d" != / ]; do case "$d/" in "$made"/*) rmdir "$d" 2>/dev/null || break; d=$(dirname "$d");; *) break;; esac; done;; esac`;
  await must(session, `${shims}; ${remove}${tidyBase}${parents}`, 'removing the agent');
}
