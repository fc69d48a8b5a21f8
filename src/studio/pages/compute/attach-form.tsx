// "Attach": a machine (virtualmachine) the user already has, reached over SSH with their
// credentials (a Slurm cluster's fields are here too, but the server refuses that type for now).
// The server connects and checks the host before it stores anything, so a host that cannot be
// reached or a refused key comes back as the server's one-line message.
import { KeyField, NumberField, Section, SelectField, TextField, useFormState, type Values } from './form-kit.tsx';
import { checkSpec, compact, numberOrText, parseTags, textOrNone } from './spec-check.ts';
import { ComputeForm } from './submit.tsx';

const FIELDS = [
  'name', 'type', 'address', 'description', 'tags', 'host_key', 'max_concurrent_jobs', 'work_dir',
  'ssh_settings', 'ssh_settings.admin_username', 'ssh_settings.ssh_port', 'ssh_settings.ssh_key_value', 'ssh_settings.admin_password',
  'partition', 'slurmrestd_url', 'min_instances', 'max_instances', 'idle_time_before_scale_down',
];

function specOf(v: Values): { spec: Record<string, unknown>; tagsProblem?: string } {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const { tags, problem } = parseTags(s('tags'));
  const type = s('type') || 'virtualmachine';
  const common = {
    type,
    name: s('name'),
    address: s('address'),
    description: textOrNone(s('description')),
    tags,
    host_key: textOrNone(s('host_key')),
    ssh_settings: {
      admin_username: textOrNone(s('ssh_settings.admin_username')),
      ssh_port: numberOrText(s('ssh_settings.ssh_port')),
      ssh_key_value: textOrNone(s('ssh_settings.ssh_key_value')),
      admin_password: textOrNone(s('ssh_settings.admin_password')),
    },
  };
  const spec =
    type === 'slurm'
      ? {
          ...common,
          partition: textOrNone(s('partition')),
          slurmrestd_url: textOrNone(s('slurmrestd_url')),
          min_instances: numberOrText(s('min_instances')),
          max_instances: numberOrText(s('max_instances')),
          idle_time_before_scale_down: numberOrText(s('idle_time_before_scale_down')),
        }
      : { ...common, max_concurrent_jobs: numberOrText(s('max_concurrent_jobs')), work_dir: textOrNone(s('work_dir')) };
  return { spec: compact(spec) as Record<string, unknown>, tagsProblem: problem };
}

export function AttachComputeForm({ onCancel }: { onCancel: () => void }) {
  const form = useFormState({ type: 'virtualmachine' });
  const { spec, tagsProblem } = specOf(form.values);
  const problems = checkSpec(spec, FIELDS);
  if (tagsProblem) {
    problems.byField.tags = tagsProblem;
    problems.first ??= tagsProblem;
  }
  form.problems = problems.byField;
  const slurm = form.text('type') === 'slurm';
  return (
    <ComputeForm title="Attach a compute" form={form} problems={problems} spec={spec} attach submitLabel="Attach" busyLabel="Attaching… (connecting to the host)" onCancel={onCancel}>
      <Section title="Machine">
        <SelectField
          form={form}
          path="type"
          label="Type"
          options={[
            { value: 'virtualmachine', label: 'virtualmachine: a machine you have, over SSH' },
            { value: 'slurm', label: 'slurm: a Slurm cluster (its login node), not supported by the server yet' },
          ]}
        />
        <TextField form={form} path="name" label="Name" hint="3 to 24 letters, digits and '-', starting with a letter." placeholder="gpu-box" />
        <TextField form={form} path="address" label="Address" placeholder="10.0.0.7" hint="Host name or IP address, without user or port." />
        <TextField form={form} path="description" label="Description (optional)" />
      </Section>
      <Section title="SSH">
        <div className="field-row">
          <TextField form={form} path="ssh_settings.admin_username" label="User" placeholder="ubuntu" />
          <NumberField form={form} path="ssh_settings.ssh_port" label="Port" placeholder="22" />
        </div>
        <KeyField form={form} path="ssh_settings.ssh_key_value" errorPath="ssh_settings" label="Private key" hint="Cairn logs in with it; stored encrypted, never shown again. A key is preferred to a password." />
        <TextField form={form} path="ssh_settings.admin_password" label="or a password" secret />
        <TextField form={form} path="host_key" label="Host key (optional)" placeholder="SHA256:..." hint="As `ssh-keygen -lf` prints it; without it the key the host shows now is pinned." />
      </Section>
      {slurm ? (
        <Section title="Slurm">
          <TextField form={form} path="partition" label="Partition (optional)" />
          <TextField form={form} path="slurmrestd_url" label="slurmrestd URL (optional)" placeholder="http://login1:6820" />
          <div className="field-row">
            <NumberField form={form} path="min_instances" label="Minimum nodes" />
            <NumberField form={form} path="max_instances" label="Maximum nodes" />
            <NumberField form={form} path="idle_time_before_scale_down" label="Idle seconds before suspend" />
          </div>
        </Section>
      ) : (
        <Section title="Jobs">
          <div className="field-row">
            <NumberField form={form} path="max_concurrent_jobs" label="Jobs at once (optional)" placeholder="the host's cores" />
            <TextField form={form} path="work_dir" label="Work folder (optional)" placeholder="~/.cairn-agent/<name>" />
          </div>
        </Section>
      )}
      <Section title="Tags">
        <TextField form={form} path="tags" label="Tags (optional)" multiline placeholder={'team=vision'} hint="key=value, one a line." />
      </Section>
    </ComputeForm>
  );
}
