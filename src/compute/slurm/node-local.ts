import { posix } from 'node:path';
import { shellQuote as q } from '../../transports/ssh/index.ts';
import { AGENT_API } from '../../protocol/routes.ts';
import { agentEnv, nodeOfSubmission, REFUSE_SLURM_RESTART } from './layout.ts';

/**
 * When the compute nodes do not see Cairn's folder on the login host (no shared file system), each
 * node fetches its own copy of the agent, its Node runtime and the Python module from the server
 * (with its node token, checked against the sha256 it was submitted with) into a folder on its
 * own disk, keeps it for the next jobs, and fetches code, data and environments itself as agents
 * do everywhere. The batch script carries all a node needs: sbatch sends the script's content.
 */
export interface NodeLocalArtifacts {
  node: string;
  agent: string;
  python: string;
}

export interface NodeLocalSubmission {
  name: string;
  jobName: string;
  attempt: number;
  nodeNames: string[];
  nodeTokens: string[];
}

/** Where a node keeps its copy: content-addressed, so jobs submitted before an upgrade keep theirs. */
export function nodeLocalPaths(base: string, a: NodeLocalArtifacts) {
  return {
    node: posix.join(base, 'runtime', a.node, 'node'),
    agent: posix.join(base, 'agent', `${a.agent}.mjs`),
    python: posix.join(base, 'python', a.python),
    cache: posix.join(base, 'cache'),
    subs: posix.join(base, 'subs'),
    logs: posix.join(base, 'logs'),
  };
}

/** Fetches `$1` (a runtime part) into `$2`; the token goes through stdin or the environment, never argv (`ps`). */
const FETCH = `fetch() {
  u="$CAIRN_SERVER$CAIRN_RUNTIME_API/$1"
  if command -v curl >/dev/null 2>&1; then
    printf 'header = "Authorization: Bearer %s"\\n' "$CAIRN_AGENT_TOKEN" | curl -fsS --retry 3 -K - -o "$2" "$u"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import os, sys, urllib.request as r
q = r.Request(sys.argv[1], headers={"Authorization": "Bearer " + os.environ["CAIRN_AGENT_TOKEN"]})
open(sys.argv[2], "wb").write(r.urlopen(q, timeout=300).read())' "$u" "$2"
  else
    echo "cairn: $(hostname) has neither curl nor python3 to fetch Cairn's agent with" >&2; return 1
  fi
}
# get PART SHA256 PATH: fetched once per node (a temporary name, checked, then renamed into place).
get() {
  [ -f "$3" ] && return 0
  mkdir -p "$(dirname "$3")" && t="$3.$$.part" || exit 2
  fetch "$1" "$t" || { rm -f "$t"; echo "cairn: could not fetch $1 from $CAIRN_SERVER on $(hostname)" >&2; exit 2; }
  got=$(sha256sum "$t" | cut -d ' ' -f 1)
  [ "$got" = "$2" ] || { rm -f "$t"; echo "cairn: the $1 fetched from $CAIRN_SERVER is not the one this job was submitted with (the server was upgraded since?): submit the job again" >&2; exit 2; }
  mv -f "$t" "$3"
}`;

/** sbatch's output file, for what the script says before its own log exists (a folder every node has). */
export const EARLY_OUTPUT = '/tmp/cairn-slurm-%u-%j.out';
const EARLY_OUTPUT_SHELL = '/tmp/cairn-slurm-$(id -un)-$SLURM_JOB_ID.out';

/** What each node runs (by itself, or through srun on each node of the job). */
function nodeScript(base: string, serverUrl: string, a: NodeLocalArtifacts, name: string): string {
  const p = nodeLocalPaths(base, a);
  const env = agentEnv({ serverUrl, cacheDir: p.cache, pythonDir: p.python, hide: base });
  const shown = base.replace(/[^\w./-]/g, '_');
  return `${REFUSE_SLURM_RESTART}
umask 077
mkdir -p ${q(base)} || { echo "cairn: cannot create ${shown} on $(hostname)" >&2; exit 2; }
# What is kept there is run without another check: the folder must be this user's alone.
[ -O ${q(base)} ] && [ ! -L ${q(base)} ] && chmod 700 ${q(base)} || { echo "cairn: ${shown} on $(hostname) is not a folder of this user's own: set node_local_dir to one" >&2; exit 2; }
mkdir -p ${q(p.logs)} || exit 2
# The agent's own output stays in the node's copy (the job's logs go to Cairn); sbatch's early file goes.
exec >>${q(p.logs)}/"slurm-$SLURM_JOB_ID.\${SLURM_NODEID:-0}.out" 2>&1
[ "\${SLURM_NODEID:-0}" != 0 ] || rm -f "${EARLY_OUTPUT_SHELL}"
CAIRN_SLURM_SUB=${q(posix.join(p.subs, name))}
${nodeOfSubmission('$CAIRN_SLURM_SUB')}
CAIRN_SERVER=${q(serverUrl)}
CAIRN_RUNTIME_API=${q(`${AGENT_API}/runtime`)}
${FETCH}
get node ${a.node} ${q(p.node)} && chmod 700 ${q(p.node)}
get agent ${a.agent} ${q(p.agent)}
if [ ! -d ${q(posix.join(p.python, 'cairn'))} ]; then
  get python.tar ${a.python} ${q(`${p.python}.tar`)}
  mkdir -p ${q(p.python)}.$$ && tar -xf ${q(`${p.python}.tar`)} -C ${q(p.python)}.$$ || exit 2
  [ -d ${q(posix.join(p.python, 'cairn'))} ] || mv ${q(p.python)}.$$ ${q(p.python)}
  rm -rf ${q(p.python)}.$$
fi
${Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`).join('\n')}
# Not exec'd: the job's folder on this node goes once the agent is done (nobody else can reach it).
${q(p.node)} ${q(p.agent)} &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' TERM INT
while :; do wait $pid; rc=$?; kill -0 $pid 2>/dev/null || break; done
rm -rf "$CAIRN_AGENT_DIR"; rmdir "$CAIRN_SLURM_SUB" 2>/dev/null
exit $rc`;
}

/** The batch script of a submission whose nodes fetch their own copy (one agent per node, as on a shared folder). */
export function nodeLocalBatchScript(base: string, serverUrl: string, a: NodeLocalArtifacts, s: NodeLocalSubmission): string {
  const n = s.nodeNames.length;
  const start = n > 1 ? `exec srun --nodes=${n} --ntasks=${n} --ntasks-per-node=1 --kill-on-bad-exit=0 /bin/sh -c "$CAIRN_NODE_SCRIPT"` : 'exec /bin/sh -c "$CAIRN_NODE_SCRIPT"';
  return `#!/bin/sh
# Cairn job ${s.jobName.replace(/[^\w.-]/g, '_')}, attempt ${s.attempt}; each node keeps its own copy of Cairn's agent in ${base.replace(/[^\w./-]/g, '_')}
export CAIRN_SLURM_NODES=${q(s.nodeNames.join(' '))}
${s.nodeTokens.map((t, i) => `export CAIRN_AGENT_TOKEN_${i}=${q(t)}`).join('\n')}
export CAIRN_NODE_SCRIPT=${q(nodeScript(base, serverUrl, a, s.name))}
${start}
`;
}
