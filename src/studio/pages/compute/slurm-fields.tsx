// The Slurm part of "Attach": where Slurm's commands run (a login host over SSH, or this server's
// own host when the address is left empty), what every job asks Slurm for, and the autoscaling
// settings that map onto a partition of CLOUD nodes.
import { NumberField, Section, TextField, type FormState, type Values } from './form-kit.tsx';
import { linesOf, numberOrText, parseKeyValues, textOrNone } from './spec-check.ts';

export const SLURM_FIELDS = [
  'partition', 'account', 'qos', 'default_time_limit', 'sbatch_options', 'work_dir', 'node_local_dir', 'server_url', 'slurm_env', 'slurmrestd_url',
  'min_instances', 'max_instances', 'idle_time_before_scale_down',
] as const;

/** The Slurm fields of the spec, and a message when the variables are not key=value lines. */
export function slurmSpecOf(v: Values): { fields: Record<string, unknown>; problem?: { field: string; message: string } } {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const env = parseKeyValues(s('slurm_env'), 'slurm_env');
  return {
    fields: {
      partition: textOrNone(s('partition')),
      account: textOrNone(s('account')),
      qos: textOrNone(s('qos')),
      default_time_limit: textOrNone(s('default_time_limit')),
      sbatch_options: linesOf(s('sbatch_options')),
      work_dir: textOrNone(s('work_dir')),
      node_local_dir: textOrNone(s('node_local_dir')),
      server_url: textOrNone(s('server_url')),
      slurm_env: env.values,
      slurmrestd_url: textOrNone(s('slurmrestd_url')),
      min_instances: numberOrText(s('min_instances')),
      max_instances: numberOrText(s('max_instances')),
      idle_time_before_scale_down: numberOrText(s('idle_time_before_scale_down')),
    },
    problem: env.problem ? { field: 'slurm_env', message: env.problem } : undefined,
  };
}

export function SlurmFields({ form }: { form: FormState }) {
  return (
    <>
      <Section title="Slurm">
        <div className="field-row">
          <TextField form={form} path="partition" label="Partition (optional)" placeholder="the cluster's default" />
          <TextField form={form} path="account" label="Account (optional)" />
          <TextField form={form} path="qos" label="QOS (optional)" />
        </div>
        <div className="field-row">
          <TextField form={form} path="default_time_limit" label="Default time limit (optional)" placeholder="4:00:00" hint="For jobs without limits.timeout, in Slurm's format; never UNLIMITED (the partition's limit applies when empty)." />
          <TextField form={form} path="work_dir" label="Shared work folder (optional)" placeholder="~/.cairn-slurm/<name>" hint="A folder every compute node sees: the agent, caches and job folders." />
        </div>
        <TextField form={form} path="node_local_dir" label="Folder on each node's own disk (optional)" placeholder="/scratch/cairn" hint="Where the nodes do not see the work folder, each fetches its own copy of Cairn's agent and caches here (attach sets it when needed)." />
        <TextField form={form} path="sbatch_options" label="More sbatch options (optional)" multiline placeholder={'--constraint=a100\n--exclusive'} hint="One a line, for every job. The options Cairn sets itself (--nodes, --output, --job-name, --gres, ...) are refused by name." />
        <div className="field-row">
          <TextField form={form} path="server_url" label="Server URL for compute nodes (optional)" placeholder="http://cairn.example.org:7667" />
          <TextField form={form} path="slurmrestd_url" label="slurmrestd URL (optional)" placeholder="http://login1:6820" hint="Submit, watch and cancel through slurmrestd instead of the commands." />
        </div>
        <TextField form={form} path="slurm_env" label="Variables for Slurm's commands (optional)" multiline placeholder={'SLURM_CONF=/etc/slurm/other.conf'} hint="key=value, one a line." />
      </Section>
      <Section title="Autoscaling (partitions of CLOUD nodes)">
        <div className="field-row">
          <NumberField form={form} path="min_instances" label="Nodes kept up" />
          <NumberField form={form} path="max_instances" label="Maximum nodes" />
          <NumberField form={form} path="idle_time_before_scale_down" label="Idle seconds before suspend" />
        </div>
      </Section>
    </>
  );
}
