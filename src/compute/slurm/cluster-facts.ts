import { CairnError } from '../../protocol/errors.ts';
import type { ComputeSpec, SlurmClusterView } from '../../protocol/compute.ts';
import type { ClusterFacts } from './commands.ts';
import { compressHostlist, parseHostlist, parseSlurmVersion } from './parse.ts';
import { parseDuration } from './time.ts';

type SlurmSpec = Extract<ComputeSpec, { type: 'slurm' }>;
type Rec = Record<string, string>;

/** Cairn needs `squeue --me` (20.11) and `scontrol show hostnames`; 22.05 is what it is tested with. */
const MIN_VERSION = { major: 20, minor: 11 };

export interface PartitionFacts {
  name: string;
  totalNodes: number;
  maxNodes: number | null;
  maxTime: string;
  maxTimeS: number | null;
  nodes: string[];
}

const unlimited = (v: string | undefined) => !v || /^(UNLIMITED|INFINITE|NONE)$/i.test(v);

function partitionFacts(p: Rec): PartitionFacts {
  return {
    name: p.PartitionName!,
    totalNodes: Number(p.TotalNodes ?? 0),
    maxNodes: unlimited(p.MaxNodes) ? null : Number(p.MaxNodes),
    maxTime: p.MaxTime ?? 'UNLIMITED',
    maxTimeS: unlimited(p.MaxTime) ? null : parseDuration(p.MaxTime!),
    nodes: p.Nodes && p.Nodes !== '(null)' ? parseHostlist(p.Nodes) : [],
  };
}

/**
 * What attach checks against what the cluster says: a Slurm new enough, the partition (or a
 * default one), and what cannot be checked without accounting said as a warning, not guessed.
 */
export function checkCluster(spec: SlurmSpec, facts: ClusterFacts): { partition: PartitionFacts | null; warnings: string[] } {
  const v = parseSlurmVersion(`slurm ${facts.version}`);
  if (v && (v.major < MIN_VERSION.major || (v.major === MIN_VERSION.major && v.minor < MIN_VERSION.minor))) {
    throw new CairnError('HostCheckFailed', `Slurm ${facts.version} is too old: Cairn needs ${MIN_VERSION.major}.${MIN_VERSION.minor} or newer`);
  }
  const names = facts.partitions.map((p) => p.PartitionName).filter((n): n is string => !!n);
  const chosen = spec.partition ? facts.partitions.find((p) => p.PartitionName === spec.partition) : facts.partitions.find((p) => p.Default === 'YES');
  if (spec.partition && !chosen) throw new CairnError('HostCheckFailed', `partition '${spec.partition}' does not exist on Slurm cluster '${facts.config.ClusterName ?? '?'}' (it has: ${names.join(', ') || 'none'})`);
  const warnings: string[] = [];
  if (!chosen) warnings.push(`the cluster has no default partition: give partition (one of ${names.join(', ')}), or every job needs one`);
  if (chosen && chosen.State !== 'UP') warnings.push(`partition '${chosen.PartitionName}' is ${chosen.State}: jobs wait until it is UP`);
  const accounting = (facts.config.AccountingStorageType ?? 'accounting_storage/none') !== 'accounting_storage/none';
  if (!accounting && spec.account) warnings.push(`account '${spec.account}' cannot be checked: the cluster keeps no accounting (AccountingStorageType=accounting_storage/none), and Slurm accepts any account name then`);
  if (!accounting && spec.qos) warnings.push(`QOS '${spec.qos}' cannot be checked: the cluster keeps no accounting, so Slurm has no QOS besides its default`);
  return { partition: chosen ? partitionFacts(chosen) : null, warnings };
}

/** SuspendExcNodes (`c[1-3]:1,n[1-3]`): node lists kept up, whole or as "at least N of them". */
function suspendExclusions(value: string | undefined): { nodes: string[]; keep: number | null }[] {
  if (!value || value === '(null)') return [];
  const entries: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of value) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      entries.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) entries.push(cur);
  return entries.map((e) => {
    const m = /^(.*):(\d+)$/.exec(e);
    return m ? { nodes: parseHostlist(m[1]!), keep: Number(m[2]) } : { nodes: parseHostlist(e), keep: null };
  });
}

interface Scaling {
  partition: string;
  cloud_nodes: string[];
  max_instances: number;
  min_instances: number;
  idle_time_before_scale_down: number | null;
  explanation: string;
}

/** How Azure ML's autoscaling settings read on a partition of CLOUD nodes with power saving. */
function scalingOf(p: Rec, facts: ClusterFacts, nodes: Rec[]): Scaling | null {
  const inPartition = new Set(p.Nodes && p.Nodes !== '(null)' ? parseHostlist(p.Nodes) : []);
  const cloud = nodes.filter((n) => inPartition.has(n.NodeName!) && /(^|\+)CLOUD(\+|$)/.test(n.State ?? '')).map((n) => n.NodeName!);
  if (cloud.length === 0) return null;
  let min = 0;
  for (const e of suspendExclusions(facts.config.SuspendExcNodes)) {
    const mine = e.nodes.filter((n) => cloud.includes(n));
    if (mine.length) min += e.keep === null ? mine.length : Math.min(e.keep, mine.length);
  }
  // `scontrol show config` says `SuspendTime = 600 sec`, or NONE when power saving is off.
  const suspend = /^(\d+)(\s*sec)?$/.exec(facts.config.SuspendTime ?? '');
  const idle = suspend ? Number(suspend[1]) : null;
  return {
    partition: p.PartitionName!,
    cloud_nodes: cloud,
    max_instances: cloud.length,
    min_instances: min,
    idle_time_before_scale_down: idle,
    explanation: `max_instances = the ${cloud.length} CLOUD nodes of partition ${p.PartitionName} (${compressHostlist(cloud)}); min_instances = the nodes SuspendExcNodes keeps powered up (${facts.config.SuspendExcNodes ?? 'none'}); idle_time_before_scale_down = SuspendTime (${idle === null ? 'power saving off' : `${idle} s`}). Slurm powers nodes up for queued jobs (ResumeProgram) and down after SuspendTime idle (SuspendProgram).`,
  };
}

/** `cairn compute show`: the cluster as Slurm reports it. */
export function describeCluster(spec: SlurmSpec, facts: ClusterFacts, nodes: Rec[]): { slurm: SlurmClusterView } {
  return {
    slurm: {
      version: facts.version,
      cluster: facts.config.ClusterName ?? null,
      partition: spec.partition ?? facts.partitions.find((p) => p.Default === 'YES')?.PartitionName ?? null,
      partitions: facts.partitions.map((p) => ({
        name: p.PartitionName ?? '?',
        state: p.State,
        default: p.Default === 'YES',
        nodes: p.Nodes,
        total_nodes: Number(p.TotalNodes ?? 0),
        total_cpus: Number(p.TotalCPUs ?? 0),
        max_nodes: p.MaxNodes,
        max_time: p.MaxTime,
        default_time: p.DefaultTime,
      })),
      nodes: nodes.map((n) => ({
        name: n.NodeName ?? '?',
        state: n.State,
        partitions: n.Partitions && n.Partitions !== '(null)' ? n.Partitions.split(',') : [],
        cpus: Number(n.CPUTot ?? 0),
        cpus_allocated: Number(n.CPUAlloc ?? 0),
        memory_mb: Number(n.RealMemory ?? 0),
        gres: n.Gres && n.Gres !== '(null)' ? n.Gres : null,
        address: n.NodeAddr,
        ...(n.Reason ? { reason: n.Reason } : {}),
      })),
      autoscaling: facts.partitions.map((p) => scalingOf(p, facts, nodes)).filter((s): s is Scaling => s !== null),
      accounting: (facts.config.AccountingStorageType ?? 'accounting_storage/none') !== 'accounting_storage/none',
    },
  };
}

/**
 * `cairn compute update` of the autoscaling settings: what Slurm 22.05 lets scontrol change now
 * (the partition's CLOUD nodes, within those slurm.conf defines), and what needs slurm.conf:
 * SuspendExcNodes and SuspendTime (then `scontrol reconfigure`), new CLOUD nodes (a restart).
 */
export function scalingUpdates(spec: SlurmSpec, facts: ClusterFacts, nodes: Rec[]): { commands: string[][]; refused: string[] } {
  const p = spec.partition ? facts.partitions.find((x) => x.PartitionName === spec.partition) : facts.partitions.find((x) => x.Default === 'YES');
  const wanted = spec.min_instances !== undefined || spec.max_instances !== undefined || spec.idle_time_before_scale_down !== undefined;
  if (!wanted) return { commands: [], refused: [] };
  const s = p ? scalingOf(p, facts, nodes) : null;
  if (!p || !s) return { commands: [], refused: [`partition '${p?.PartitionName ?? spec.partition ?? '(default)'}' has no CLOUD nodes: min_instances, max_instances and idle_time_before_scale_down apply only to partitions of CLOUD nodes with power saving`] };
  const commands: string[][] = [];
  const refused: string[] = [];
  if (spec.max_instances !== undefined && spec.max_instances !== s.max_instances) {
    const defined = nodes.filter((n) => /(^|\+)CLOUD(\+|$)/.test(n.State ?? '') && (n.Partitions ?? '').split(',').includes(p.PartitionName!)).map((n) => n.NodeName!);
    const all = [...new Set([...s.cloud_nodes, ...defined, ...nodes.filter((n) => /(^|\+)CLOUD(\+|$)/.test(n.State ?? '')).map((n) => n.NodeName!)])].sort(byNumber);
    if (spec.max_instances > all.length) refused.push(`max_instances ${spec.max_instances}: slurm.conf defines ${all.length} CLOUD node${all.length === 1 ? '' : 's'}; add NodeName lines (State=CLOUD) to slurm.conf and restart slurmctld`);
    else {
      const keep = all.slice(0, spec.max_instances);
      const others = (p.Nodes && p.Nodes !== '(null)' ? parseHostlist(p.Nodes) : []).filter((n) => !all.includes(n));
      commands.push([`PartitionName=${p.PartitionName}`, `Nodes=${compressHostlist([...others, ...keep])}`]);
    }
  }
  if (spec.min_instances !== undefined && spec.min_instances !== s.min_instances) {
    refused.push(`min_instances ${spec.min_instances}: Slurm 22.05 cannot change SuspendExcNodes with scontrol; set SuspendExcNodes=${compressHostlist(s.cloud_nodes)}:${spec.min_instances} in slurm.conf and run \`scontrol reconfigure\` (no restart needed)`);
  }
  if (spec.idle_time_before_scale_down !== undefined && spec.idle_time_before_scale_down !== s.idle_time_before_scale_down) {
    refused.push(`idle_time_before_scale_down ${spec.idle_time_before_scale_down}: Slurm 22.05 cannot change SuspendTime with scontrol; set SuspendTime=${spec.idle_time_before_scale_down} in slurm.conf and run \`scontrol reconfigure\` (no restart needed)`);
  }
  return { commands, refused };
}

const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
