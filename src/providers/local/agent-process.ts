import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAgentCommandLine, packageLayout } from '../../package-layout.ts';
import type { NodeShape } from '../../protocol/agent.ts';
import type { NodeRequest, ProviderDeps } from '../types.ts';

/** src/agent/main.ts in a clone, dist/agent.js in a package. */
const AGENT_MAIN = packageLayout().agentMain;

/** True when `pid` is a live Cairn agent (a recycled pid belongs to something else); with `dir`, the agent of that folder. */
export function isAgentProcess(pid: number | null | undefined, dir?: string): boolean {
  if (!pid) return false;
  try {
    if (!isAgentCommandLine(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return false;
    if (/^\S+\s+\S+\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'))) return false;
    return dir === undefined || readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CAIRN_AGENT_DIR=${dir}`);
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The agent that runs in `dir` now, from its pid file. */
export function agentOf(dir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, 'agent.pid'), 'utf8'), 10);
    return isAgentProcess(pid, dir) ? pid : null;
  } catch {
    return null;
  }
}

/** What an agent on the server's machine is told: its sandbox, where the server is, and which node it is. */
export function nodeAgentEnv(d: ProviderDeps, req: NodeRequest, shape: NodeShape, gpus: number[], extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...d.agentEnv,
    CAIRN_AGENT_HIDE: d.isolation.hide.join(':'),
    CAIRN_AGENT_JOB_USER: d.isolation.jobUser,
    CAIRN_AGENT_SERVER_URL: d.serverUrl(),
    CAIRN_AGENT_SERVER_FILE: join(d.dataDir, 'server.json'),
    CAIRN_AGENT_TOKEN: req.agent.token,
    CAIRN_AGENT_NODE: req.name,
    CAIRN_AGENT_SHAPE: JSON.stringify(shape),
    CAIRN_AGENT_GPUS: gpus.join(','),
    ...extra,
  };
}

/**
 * Starts an agent on this machine, detached (its jobs and logs survive a server crash), with the
 * given environment and its own settings; its output goes to `dir/agent.log`.
 */
export function startAgentProcess(dir: string, env: Record<string, string>): number {
  mkdirSync(dir, { recursive: true });
  const logFd = openSync(join(dir, 'agent.log'), 'a');
  const child = spawn(process.execPath, [AGENT_MAIN], { detached: true, stdio: ['ignore', logFd, logFd], env: { ...env, CAIRN_AGENT_DIR: dir } });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the agent process');
  return child.pid;
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopProcess(pid: number | null, graceMs = 5_000): Promise<void> {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}
