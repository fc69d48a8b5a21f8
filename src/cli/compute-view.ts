import { slurmDetail } from './slurm-view.ts';
import type { ComputeNodeView, ComputeView } from '../protocol/compute.ts';
import type { ListedSize } from '../protocol/compute-sizes.ts';
import { table, type Column } from './output.ts';

const isSecret = (k: string, v: unknown) => k === 'admin_password' || (typeof v === 'string' && /PRIVATE KEY-----/.test(v));

/**
 * A copy without passwords or private key text, at any depth. The server never sends them; the CLI
 * drops them anyway before printing. (An amlcompute's ssh_key_value is a public key and stays.)
 */
export function redact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(redact) as T;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k, x]) => !isSecret(k, x)).map(([k, x]) => [k, redact(x)])) as T;
}

/** `1 ready (0/4 slots busy)`, `2 ready, 1 offline (3/12 slots busy)`, or `0` for a compute without nodes. */
export function nodesSummary(nodes: ComputeNodeView[] | undefined): string {
  if (!nodes?.length) return '0';
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
  const slots = nodes.reduce((a, n) => a + (n.slots ?? 0), 0);
  const busy = nodes.reduce((a, n) => a + (n.busy_slots ?? 0), 0);
  return `${[...counts].map(([s, k]) => `${k} ${s}`).join(', ')} (${busy}/${slots} slots busy)`;
}

export const COMPUTE_COLUMNS: Column<ComputeView>[] = [
  { header: 'Name', get: (c) => c.name },
  { header: 'Type', get: (c) => c.type },
  { header: 'State', get: (c) => c.provisioning_state },
  { header: 'Nodes', get: (c) => nodesSummary(c.nodes) },
];

export const SIZE_COLUMNS: Column<ListedSize>[] = [
  { header: 'Name', get: (s) => s.name },
  { header: 'Family', get: (s) => s.family },
  { header: 'vCPUs', get: (s) => s.vcpus },
  { header: 'Memory (GB)', get: (s) => s.memory_gb },
  { header: 'GPUs', get: (s) => (s.gpus ? `${s.gpus}${s.gpu_type ? ` x ${s.gpu_type}` : ''}` : '0') },
  { header: 'Fits now', get: (s) => (s.available === null || s.available === undefined ? '-' : `${s.available}${s.provider ? ` (${s.provider})` : ''}`) },
];

const gib = (mb: number | undefined) => (mb === undefined ? '' : `${(mb / 1024).toFixed(1)} GiB`);
const gpusOf = (n: ComputeNodeView) => (!n.gpus ? '0' : n.gpu_names?.length ? `${n.gpus} (${[...new Set(n.gpu_names)].join(', ')})` : String(n.gpus));

export const NODE_COLUMNS: Column<ComputeNodeView>[] = [
  { header: 'Name', get: (n) => n.name },
  { header: 'State', get: (n) => n.state },
  { header: 'Slots', get: (n) => `${n.busy_slots ?? 0}/${n.slots} busy` },
  { header: 'Cores', get: (n) => n.cpus },
  { header: 'Memory', get: (n) => gib(n.memory_mb) },
  { header: 'GPUs', get: (n) => gpusOf(n) },
  { header: 'OS', get: (n) => [n.os, n.arch].filter(Boolean).join('/') },
  { header: 'Agent', get: (n) => n.agent_version },
  { header: 'Last heartbeat', get: (n) => n.last_heartbeat?.replace('T', ' ').slice(0, 19) },
];

const since = (iso: string | null | undefined, now = Date.now()) => (iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s` : '');

/** Nodes of clusters and instances: where they are in their life, what runs on them, how to log in. */
export const POOL_NODE_COLUMNS: Column<ComputeNodeView>[] = [
  { header: 'Node', get: (n) => n.label ?? n.name },
  { header: 'State', get: (n) => n.state },
  { header: 'Size', get: (n) => n.size },
  { header: 'Tier', get: (n) => n.tier },
  { header: 'Job', get: (n) => n.current_job ?? '' },
  { header: 'Idle', get: (n) => since(n.idle_since) },
  { header: 'Connection', get: (n) => n.connection ?? '' },
];

export const nodeColumns = (nodes: ComputeNodeView[]) => (nodes.some((n) => n.label !== undefined) ? POOL_NODE_COLUMNS : NODE_COLUMNS);

/** `cairn compute show -o table`: the facts that matter for the type, its problems, then its nodes. */
export function computeDetail(view: ComputeView): string {
  const c = view as ComputeView & Record<string, any>;
  const ssh = c.ssh_settings as { admin_username?: string; ssh_port?: number; ssh_private_key_file?: string } | undefined;
  const address = c.address ? `${ssh?.admin_username ? `${ssh.admin_username}@` : ''}${c.address}${ssh?.ssh_port && ssh.ssh_port !== 22 ? `:${ssh.ssh_port}` : ''}` : '';
  const facts: [string, unknown][] = [
    ['name', c.name],
    ['type', c.type],
    ['description', c.description],
    ['address', address],
    ['ssh key file', ssh?.ssh_private_key_file],
    ['size', c.size],
    ['instances', c.min_instances !== undefined || c.max_instances !== undefined ? `${c.current_node_count ?? '?'} now (min ${c.min_instances ?? 0}, max ${c.max_instances ?? '?'})` : ''],
    ['idle time before scale down', c.idle_time_before_scale_down !== undefined ? `${c.idle_time_before_scale_down} s` : ''],
    ['tier', c.tier],
    ['max concurrent jobs', c.max_concurrent_jobs],
    ['work dir', c.work_dir],
    ['provisioning state', c.provisioning_state],
    ['state', c.state],
    ['host key', c.host_key],
    ['agent', c.agent ? `${c.agent.version} (${c.agent.health})` : ''],
    ['created', c.created_on],
    ['modified', c.last_modified_on],
  ];
  const shown = facts.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const w = Math.max(...shown.map(([k]) => k.length));
  let out = shown.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
  if (c.provisioning_errors?.length) out += `\n\nerrors:\n${c.provisioning_errors.map((e) => `  ${e.code}: ${e.message}`).join('\n')}`;
  const unsupported = Object.entries(c.unsupported ?? {});
  if (unsupported.length) out += `\n\nnot supported:\n${unsupported.map(([a, why]) => `  ${a}: ${why}`).join('\n')}`;
  out += `\n\nnodes:\n${c.nodes?.length ? table(c.nodes, nodeColumns(c.nodes)) : '(none)'}`;
  if (c.slurm) out += slurmDetail(c.slurm);
  if (c.live_error) out += `\n\n${c.live_error}`;
  if (c.scaling_history?.length) out += `\n\nscaling history:\n${c.scaling_history.map((e) => `  ${e.at.replace('T', ' ').slice(0, 19)}  ${e.message}`).join('\n')}`;
  return out;
}
