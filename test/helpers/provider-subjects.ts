// The node providers as the conformance suite (test/providers-conformance.test.ts) sees them: the
// `provider:` block of a compute file, what each has made for a compute (to show "the same node,
// not two" and "nothing left"), how a node vanishes behind Cairn's back, and how a create fails.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './cairn.ts';
import type { Testbed } from './ssh.ts';

export type Role = 'main' | 'crash' | 'fail';

export interface Subject {
  name: string;
  skip: string | false;
  serverEnv?: NodeJS.ProcessEnv;
  /** The provider block of a compute file (YAML lines, indented under `provider:`). */
  provider(role: Role): string;
  /** What the provider has made for a compute, as stable identities (folders, hosts, instances). */
  inventory(server: TestServer, compute: string): string[];
  /** A node disappears behind Cairn's back (its VM terminated, its folder wiped). */
  vanish(server: TestServer, compute: string): Promise<void>;
  /** Readies the failing case; returns the provider's words the user must read. */
  failure(server: TestServer, compute: string, t: { create(name: string, role: Role, min: number): Promise<void>; waitReady(name: string): Promise<void> }): Promise<RegExp>;
  /** Where the nodes of a role land (the host's name and address), where the provider decides it. */
  where?: Partial<Record<Role, { hostname: string; address: string }>>;
  /** Extra checks after a crashed create was made again. */
  afterCrash?(compute: string): void;
}

/** Live agent processes of a compute's nodes (remote hosts share this process table), by their environment. */
export function liveAgents(compute: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (!readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('agent')) continue;
      if (readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').some((e) => e.startsWith(`CAIRN_AGENT_NODE=${compute}:`))) out.push(Number(p));
    } catch {}
  }
  return out;
}

const kill = (pids: number[]) => pids.forEach((p) => process.kill(p, 'SIGKILL'));
const ls = (dir: string) => (existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir) : []);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export const localSubject: Subject = {
  name: 'local',
  skip: false,
  provider: () => 'local',
  inventory: (server, compute) => ls(join(server.dataDir, 'pools', 'default', compute)).map((d) => `folder ${d}`),
  async vanish(server, compute) {
    kill(liveAgents(compute));
    rmSync(join(server.dataDir, 'pools', 'default', compute), { recursive: true, force: true });
  },
  // The local provider fails where it cannot make the node's folder: a file is in its way.
  async failure(server, compute) {
    mkdirSync(join(server.dataDir, 'pools', 'default'), { recursive: true });
    writeFileSync(join(server.dataDir, 'pools', 'default', compute), 'in the way');
    return new RegExp(`ENOTDIR: not a directory, mkdir '.*pools/default/${compute}/node-[0-9a-f]{6}'`);
  },
};

/** Folders of a compute's nodes on the test hosts (one filesystem), under the providers' ~/.cairn-node. */
const remoteFolders = (compute: string) => ls(join(homedir(), '.cairn-node')).filter((d) => d.startsWith(`${compute}_`)).map((d) => `host folder ${d}`);
const wipeRemote = (compute: string) => {
  kill(liveAgents(compute));
  for (const d of ls(join(homedir(), '.cairn-node')).filter((x) => x.startsWith(`${compute}_`))) rmSync(join(homedir(), '.cairn-node', d), { recursive: true, force: true });
};

export function sshSubject(bed: Testbed | null, skip: string | false): Subject {
  const hosts = bed ? { main: bed.hosts[0], crash: bed.hosts[1], fail: { address: '127.0.0.1', port: bed.port } } : null;
  const yaml = (h: { address: string; port: number }) =>
    `\n    type: ssh\n    hosts:\n      - {address: ${h.address}, ssh_port: ${h.port}}\n    ssh_settings:\n      admin_username: root\n      ssh_private_key_file: ${bed?.rootKeyPath}`;
  return {
    name: 'ssh',
    skip,
    ...(bed ? { where: { main: { hostname: bed.hosts[0]!.name, address: bed.hosts[0]!.address }, crash: { hostname: bed.hosts[1]!.name, address: bed.hosts[1]!.address } } } : {}),
    provider: (role) => yaml(hosts![role]!),
    inventory(server, compute) {
      const claims = ls(join(server.dataDir, 'providers', 'ssh', 'claims')).filter((f) => JSON.parse(readFileSync(join(server.dataDir, 'providers', 'ssh', 'claims', f), 'utf8')).node.startsWith(`${compute}:`));
      return [...remoteFolders(compute), ...claims.map((f) => `claim ${f}`)];
    },
    vanish: async (_server, compute) => wipeRemote(compute),
    // Every host of the fleet holds a node of another compute: no free host.
    async failure(_server, compute, t) {
      await t.create(`${compute}-hold`, 'fail', 1);
      await t.waitReady(`${compute}-hold`);
      return new RegExp(`the ssh provider has no free host for compute ${compute}: all 1 of its hosts hold a node \\(127\\.0\\.0\\.1:${bed!.port} is node ${compute}-hold:node-[0-9a-f]{6}\\)`);
    },
  };
}

/** Scripts that hand out the test hosts as "VMs", one per node name (a lease file per host), and log every call. */
export function commandSubject(bed: Testbed | null, skip: string | false, dir: string): Subject {
  const leases = join(dir, 'leases');
  const hosts = bed ? [...bed.hosts.map((h) => `${h.address} ${h.port}`), `127.0.0.1 ${bed.port}`] : [];
  const json = `{"address": "%s", "ssh_port": %s, "admin_username": "root"}\\n`;
  const make = `#!/bin/sh
set -eu
L=${leases}
mkdir -p "$L"
echo "create $CAIRN_NODE_NAME size=$CAIRN_NODE_SIZE tier=$CAIRN_NODE_TIER vcpus=$CAIRN_NODE_VCPUS memory_gb=$CAIRN_NODE_MEMORY_GB gpus=$CAIRN_NODE_GPUS" >>'${join(dir, 'calls.log')}'
echo "asking the test cloud for a $CAIRN_NODE_SIZE node" >&2
for pass in reuse take; do
  for h in ${hosts.map((h) => `'${h}'`).join(' ')}; do
    set -- $h; f="$L/$1_$2"
    if [ $pass = reuse ] && [ "$(cat "$f" 2>/dev/null)" = "$CAIRN_NODE_NAME" ]; then printf '${json}' "$1" "$2"; exit 0; fi
    if [ $pass = take ] && (set -C; echo "$CAIRN_NODE_NAME" >"$f") 2>/dev/null; then printf '${json}' "$1" "$2"; exit 0; fi
  done
done
echo "no test host left" >&2
exit 4
`;
  const del = `#!/bin/sh
L=${leases}
echo "delete $CAIRN_NODE_NAME $CAIRN_NODE_ADDRESS" >>'${join(dir, 'calls.log')}'
for f in "$L"/*; do [ "$(cat "$f" 2>/dev/null)" = "$CAIRN_NODE_NAME" ] && rm -f "$f"; done
exit 0
`;
  const fail = '#!/bin/sh\necho "creating..."\necho "QuotaExceeded: no capacity for $CAIRN_NODE_SIZE in zone test-1" >&2\nexit 3\n';
  for (const [f, text] of [['make-node.sh', make], ['delete-node.sh', del], ['fail-node.sh', fail]]) {
    writeFileSync(join(dir, f), text);
    chmodSync(join(dir, f), 0o755);
  }
  const leased = (compute: string) => ls(leases).filter((f) => readFileSync(join(leases, f), 'utf8').startsWith(`${compute}:`));
  return {
    name: 'command',
    skip,
    // The script hands out the first free host: h1, and h1 again for the crash case (the first node was scaled down by then).
    ...(bed ? { where: { main: { hostname: bed.hosts[0]!.name, address: bed.hosts[0]!.address }, crash: { hostname: bed.hosts[0]!.name, address: bed.hosts[0]!.address } } } : {}),
    serverEnv: {},
    provider: (role) =>
      `\n    type: command\n    create: ./${role === 'fail' ? 'fail' : 'make'}-node.sh\n    delete: ./delete-node.sh\n    timeout: 60\n    ssh_settings:\n      ssh_private_key_file: ${bed?.rootKeyPath}`,
    inventory: (_server, compute) => [...remoteFolders(compute), ...leased(compute).map((f) => `vm ${f}`)],
    async vanish(_server, compute) {
      wipeRemote(compute);
      for (const f of leased(compute)) rmSync(join(leases, f)); // the VM was terminated outside Cairn
    },
    failure: async () => /create script exited with 3: QuotaExceeded: no capacity for Standard_DS1_v2 in zone test-1 \| stdout: creating\.\.\./,
    afterCrash(compute) {
      const calls = readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter((l) => l.startsWith(`create ${compute}:`));
      if (calls.length !== 1) throw new Error(`the create script ran ${calls.length} times for ${compute}: ${calls.join('; ')}`);
      if (!/size=Standard_DS1_v2 tier=dedicated vcpus=1 memory_gb=3.5 gpus=0$/.test(calls[0]!)) throw new Error(`the script's env: ${calls[0]}`);
    },
  };
}

export const FAKE_FAILURE = 'QuotaExceeded: the fake region has no Standard_DS1_v2 quota left';

export function fakeSubject(): Subject {
  const instances = (server: TestServer, compute: string) => ls(join(server.dataDir, 'providers', 'fake', 'instances')).filter((f) => f.startsWith(`${compute}_`));
  return {
    name: 'fake',
    skip: false,
    serverEnv: { CAIRN_FAKE_PROVIDER: JSON.stringify({ create_delay_ms: 300, capacity: 3, fail: { ffail: FAKE_FAILURE } }) },
    provider: () => '\n    type: fake',
    inventory: (server, compute) => [
      ...instances(server, compute).map((f) => `instance ${f}`),
      ...ls(join(server.dataDir, 'providers', 'fake', 'nodes')).filter((d) => d.startsWith(`${compute}_`)).map((d) => `folder ${d}`),
    ],
    async vanish(server, compute) {
      kill(liveAgents(compute));
      for (const f of instances(server, compute)) rmSync(join(server.dataDir, 'providers', 'fake', 'instances', f));
      for (const d of ls(join(server.dataDir, 'providers', 'fake', 'nodes')).filter((x) => x.startsWith(`${compute}_`))) rmSync(join(server.dataDir, 'providers', 'fake', 'nodes', d), { recursive: true });
    },
    failure: async () => new RegExp(`fake cloud: ${esc(FAKE_FAILURE)}`),
  };
}
