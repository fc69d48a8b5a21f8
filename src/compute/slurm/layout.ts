import { posix } from 'node:path';
import { shellQuote as q } from '../../transports/ssh/index.ts';

/**
 * Where Cairn's files live on a Slurm cluster's shared file system. The agent, its Node runtime,
 * the blob and environment caches are shared by every node (a snapshot is fetched and an
 * environment built once per file system); each submission has a folder of its own.
 */
export interface SlurmLayout {
  root: string;
  runtimeDir: string;
  pythonDir: string;
  cacheDir: string;
  subsDir: string;
  envFile: string;
  launcher: string;
}

export function slurmLayout(root: string): SlurmLayout {
  return {
    root,
    runtimeDir: posix.join(root, 'runtime'),
    pythonDir: posix.join(root, 'python'),
    cacheDir: posix.join(root, 'cache'),
    subsDir: posix.join(root, 'subs'),
    envFile: posix.join(root, 'agent.env'),
    launcher: posix.join(root, 'run-agent.sh'),
  };
}

export const subDir = (l: SlurmLayout, name: string): string => posix.join(l.subsDir, name);

/** What every submission's agent shares: where the server is, the caches, what jobs must not see. */
export function agentEnv(o: { serverUrl: string; cacheDir: string; pythonDir: string; hide: string }): Record<string, string> {
  return {
    CAIRN_AGENT_SERVER_URL: o.serverUrl,
    CAIRN_AGENT_CACHE_DIR: o.cacheDir,
    CAIRN_AGENT_PYTHON_DIR: o.pythonDir,
    // Jobs see neither the other submissions' tokens nor the caches (their own environment is bound back).
    CAIRN_AGENT_HIDE: o.hide,
    CAIRN_AGENT_ONCE: '1',
    // Jobs see where Slurm put them (SLURM_JOB_ID, SLURM_NODEID, SLURM_JOB_NODELIST...), as under sbatch.
    CAIRN_AGENT_JOB_ENV: 'SLURM_*,SLURMD_NODENAME',
  };
}

export function agentEnvFile(l: SlurmLayout, serverUrl: string): Buffer {
  const env = agentEnv({ serverUrl, cacheDir: l.cacheDir, pythonDir: l.pythonDir, hide: l.root });
  return Buffer.from(Object.entries(env).map(([k, v]) => `${k}=${q(v)}\n`).join(''));
}

/** Slurm requeued this job itself (a site default): the attempt it ran belongs to the past, and Cairn requeues as new attempts of its own. */
export const REFUSE_SLURM_RESTART = `if [ "\${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then echo "cairn: Slurm restarted this job (SLURM_RESTART_COUNT=$SLURM_RESTART_COUNT); Cairn does not run an attempt twice" >&2; exit 3; fi`;

/**
 * This node's part of a submission: its name (by SLURM_NODEID) and token, its agent folder under
 * `subs` (a shell word), and where Slurm put the job's other nodes.
 */
export function nodeOfSubmission(subs: string): string {
  return `i=\${SLURM_NODEID:-0}
set -- $CAIRN_SLURM_NODES
shift "$i" 2>/dev/null || { echo "cairn: no node name for SLURM_NODEID=$i" >&2; exit 2; }
CAIRN_AGENT_NODE=$1
CAIRN_AGENT_DIR="${subs}/n$i"
# Each node's agent has a token of its own (a token names its node).
eval "CAIRN_AGENT_TOKEN=\\\${CAIRN_AGENT_TOKEN_$i}"
export CAIRN_AGENT_NODE CAIRN_AGENT_DIR CAIRN_AGENT_TOKEN
if [ "\${SLURM_JOB_NUM_NODES:-1}" -gt 1 ]; then
  # Ranks meet at the addresses Slurm knows its nodes by (NodeAddr), in the allocation's order.
  hosts=
  for h in $(scontrol show hostnames "$SLURM_JOB_NODELIST"); do
    a=$(scontrol show node "$h" -o 2>/dev/null | sed -n 's/.* NodeAddr=\\([^ ]*\\).*/\\1/p')
    hosts="\${hosts:+$hosts,}\${a:-$h}"
  done
  export CAIRN_AGENT_RANK_HOSTS="$hosts"
fi
mkdir -p "$CAIRN_AGENT_DIR"`;
}

/**
 * Started once per node of a submission (by the batch script itself, or by srun on each node):
 * picks its node's name by SLURM_NODEID, and tells the agent where Slurm put the job's nodes.
 */
export function launcherScript(l: SlurmLayout, nodeBin: string, agentFile: string): Buffer {
  return Buffer.from(`#!/bin/sh
# Cairn's agent for one node of a Slurm job (one-shot: it runs this job's attempt and exits).
${REFUSE_SLURM_RESTART}
set -a
. ${q(l.envFile)}
. "$CAIRN_SLURM_SUB/token.env"
set +a
${nodeOfSubmission('$CAIRN_SLURM_SUB')}
exec ${q(nodeBin)} ${q(agentFile)}
`);
}

/**
 * The batch script: the agent is the batch step's main process on one node; on several, srun
 * starts one agent per node (so Slurm tracks, signals and accounts for each of them).
 */
export function batchScript(l: SlurmLayout, o: { name: string; jobName: string; attempt: number; nodeNames: string[] }): string {
  const sub = subDir(l, o.name);
  const start = o.nodeNames.length > 1 ? `exec srun --nodes=${o.nodeNames.length} --ntasks=${o.nodeNames.length} --ntasks-per-node=1 --kill-on-bad-exit=0 ${q(l.launcher)}` : `exec ${q(l.launcher)}`;
  return `#!/bin/sh
# Cairn job ${o.jobName.replace(/[^\w.-]/g, '_')}, attempt ${o.attempt}
export CAIRN_SLURM_SUB=${q(sub)}
export CAIRN_SLURM_NODES=${q(o.nodeNames.join(' '))}
${start}
`;
}
