// "Attach": a machine (virtualmachine) the user already has, reached over SSH with their
// credentials, or a Slurm cluster through its login host (or this server's own Slurm commands).
// The server connects and checks the host before it stores anything, so a host that cannot be
// reached, a refused key or a partition Slurm does not have comes back as the server's message.
import { KeyField, NumberField, Section, SelectField, TextField, useFormState, type Values } from './form-kit.tsx';
import { checkSpec, compact, numberOrText, parseTags, textOrNone } from './spec-check.ts';
import { SLURM_FIELDS, SlurmFields, slurmSpecOf } from './slurm-fields.tsx';
import { ComputeForm } from './submit.tsx';

const FIELDS = [
  'name', 'type', 'address', 'description', 'tags', 'host_key', 'max_concurrent_jobs', 'work_dir',
  'ssh_settings', 'ssh_settings.admin_username', 'ssh_settings.ssh_port', 'ssh_settings.ssh_key_value', 'ssh_settings.admin_password',
  ...SLURM_FIELDS.filter((f) => f !== 'work_dir'),
];

function specOf(v: Values): { spec: Record<string, unknown>; problems: Record<string, string> } {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const { tags, problem } = parseTags(s('tags'));
  const type = s('type') || 'virtualmachine';
  const common = {
    type,
    name: s('name'),
    // A Slurm cluster without a login host runs Slurm's commands on the server's own host.
    address: type === 'slurm' ? textOrNone(s('address')) : s('address'),
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
  const slurm = type === 'slurm' ? slurmSpecOf(v) : null;
  const spec = slurm ? { ...common, ...slurm.fields } : { ...common, max_concurrent_jobs: numberOrText(s('max_concurrent_jobs')), work_dir: textOrNone(s('work_dir')) };
  const problems: Record<string, string> = {};
  if (problem) problems.tags = problem;
  if (slurm?.problem) problems[slurm.problem.field] = slurm.problem.message;
  return { spec: compact(spec) as Record<string, unknown>, problems };
}

export function AttachComputeForm({ onCancel }: { onCancel: () => void }) {
  const form = useFormState({ type: 'virtualmachine' });
  const { spec, problems: own } = specOf(form.values);
  const problems = checkSpec(spec, FIELDS);
  for (const [field, message] of Object.entries(own)) {
    problems.byField[field] = message;
    problems.first ??= message;
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
            { value: 'slurm', label: 'slurm: a Slurm cluster, through its login host or this server\'s Slurm commands' },
          ]}
        />
        <TextField form={form} path="name" label="Name" hint="3 to 24 letters, digits and '-', starting with a letter." placeholder="gpu-box" />
        <TextField
          form={form}
          path="address"
          label={slurm ? 'Login host (optional)' : 'Address'}
          placeholder={slurm ? 'login1.hpc.example.org' : '10.0.0.7'}
          hint={slurm ? 'Leave it and SSH empty to run Slurm\'s commands on this server\'s own host.' : 'Host name or IP address, without user or port.'}
        />
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
        <SlurmFields form={form} />
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
