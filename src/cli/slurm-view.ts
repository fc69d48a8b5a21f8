import type { SlurmClusterView } from '../protocol/compute.ts';
import { table } from './output.ts';

/** `cairn compute show` of a Slurm compute: partitions and nodes as Slurm reports them, and its autoscaling. */
export function slurmDetail(s: SlurmClusterView): string {
  let out = `\n\nslurm: ${s.version}, cluster ${s.cluster ?? '?'}, partition ${s.partition ?? '(default)'}${s.accounting ? '' : ', no accounting'}`;
  out += `\n\npartitions:\n${table(s.partitions, [
    { header: 'Partition', get: (p) => `${p.name}${p.default ? '*' : ''}` },
    { header: 'State', get: (p) => p.state ?? '' },
    { header: 'Nodes', get: (p) => `${p.total_nodes} (${p.nodes ?? ''})` },
    { header: 'CPUs', get: (p) => String(p.total_cpus) },
    { header: 'MaxNodes', get: (p) => p.max_nodes ?? '' },
    { header: 'MaxTime', get: (p) => p.max_time ?? '' },
  ])}`;
  out += `\n\nslurm nodes:\n${table(s.nodes, [
    { header: 'Node', get: (n) => n.name },
    { header: 'State', get: (n) => n.state ?? '' },
    { header: 'Partitions', get: (n) => n.partitions.join(',') },
    { header: 'CPUs', get: (n) => `${n.cpus_allocated}/${n.cpus}` },
    { header: 'Memory', get: (n) => `${n.memory_mb} MB` },
    { header: 'Gres', get: (n) => n.gres ?? '' },
    { header: 'Reason', get: (n) => n.reason ?? '' },
  ])}`;
  for (const a of s.autoscaling) {
    out += `\n\nautoscaling (partition ${a.partition}): min_instances ${a.min_instances}, max_instances ${a.max_instances}, idle_time_before_scale_down ${a.idle_time_before_scale_down ?? 'off'}\n  ${a.explanation}`;
  }
  return out;
}
