// "+ New" compute instance or compute cluster: every field of the Azure ML YAML (and Cairn's
// provider), checked as the user types with the protocol's parser, so the messages are the CLI's.
import { useEffect } from 'react';
import { useApi, WS } from '../../api.ts';
import { ErrorBox } from '../../ui.tsx';
import type { ListedSize } from '../../../protocol/compute-sizes.ts';
import { CheckField, NumberField, Section, SelectField, TextField, useFormState, type FormState, type Values } from './form-kit.tsx';
import { ProviderFields, PROVIDER_FIELDS, providerOf } from './provider-fields.tsx';
import { SCHEDULE_FIELDS, ScheduleFields, schedulesOf, VALID_SCHEDULE } from './schedule-fields.tsx';
import { checkSpec, compact, numberOrText, parseTags, textOrNone } from './spec-check.ts';
import { ComputeForm } from './submit.tsx';

export type CreatedType = 'amlcompute' | 'computeinstance';

const COMMON_FIELDS = ['name', 'size', 'description', 'tags', 'ssh_public_access_enabled', 'ssh_settings', 'ssh_settings.admin_username', 'ssh_settings.ssh_key_value', 'ssh_settings.admin_password', 'enable_node_public_ip', ...PROVIDER_FIELDS];
const FIELDS: Record<CreatedType, readonly string[]> = {
  amlcompute: [...COMMON_FIELDS, 'tier', 'min_instances', 'max_instances', 'idle_time_before_scale_down'],
  computeinstance: [...COMMON_FIELDS, 'idle_time_before_shutdown_minutes', 'schedules', ...SCHEDULE_FIELDS],
};

function specOf(type: CreatedType, v: Values): { spec: Record<string, unknown>; tagsProblem?: string } {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const { tags, problem } = parseTags(s('tags'));
  const ssh = v.ssh_public_access_enabled === true;
  const common = {
    type,
    name: s('name'),
    size: textOrNone(s('size')),
    description: textOrNone(s('description')),
    tags,
    ssh_public_access_enabled: ssh,
    enable_node_public_ip: v.enable_node_public_ip !== false,
    provider: providerOf(v),
  };
  const spec =
    type === 'amlcompute'
      ? {
          ...common,
          tier: s('tier') || undefined,
          min_instances: numberOrText(s('min_instances')),
          max_instances: numberOrText(s('max_instances')),
          idle_time_before_scale_down: numberOrText(s('idle_time_before_scale_down')),
          ssh_settings: ssh ? { admin_username: textOrNone(s('ssh_settings.admin_username')), ssh_key_value: textOrNone(s('ssh_settings.ssh_key_value')), admin_password: textOrNone(s('ssh_settings.admin_password')) } : undefined,
        }
      : {
          ...common,
          idle_time_before_shutdown_minutes: numberOrText(s('idle_time_before_shutdown_minutes')),
          schedules: schedulesOf(v),
          ssh_settings: ssh ? { ssh_key_value: textOrNone(s('ssh_settings.ssh_key_value')) } : undefined,
        };
  return { spec: compact(spec) as Record<string, unknown>, tagsProblem: problem };
}

const sizeLabel = (z: ListedSize) =>
  `${z.name} · ${z.vcpus} vCPU, ${z.memory_gb} GB${z.gpus ? `, ${z.gpus} × ${z.gpu_type ?? 'GPU'}` : ''} · ${z.available === null ? `${z.provider} cannot say how many are free` : `${z.available} free now`}`;

/** The size select, filled from the server's catalog for this type and provider. */
function SizeField({ form, type }: { form: FormState; type: CreatedType }) {
  const provider = form.text('provider.type') || 'local';
  const sizes = useApi<ListedSize[]>(`${WS}/compute-sizes?type=${type}&provider=${encodeURIComponent(provider)}`);
  const list = sizes.data ?? [];
  const chosen = form.text('size');
  useEffect(() => {
    // Start on a size that can be made now, so a first try works.
    if (!chosen && list.length) form.set('size', (list.find((z) => (z.available ?? 1) > 0) ?? list[0]!).name);
  }, [chosen, list.length]);
  if (sizes.error && !sizes.data)
    return (
      <>
        <ErrorBox error={`the list of sizes could not be loaded (${sizes.error.message}); type a size name`} />
        <TextField form={form} path="size" label="Size" placeholder="Standard_DS3_v2" />
      </>
    );
  const options = list.map((z) => ({ value: z.name, label: sizeLabel(z) }));
  if (chosen && !list.some((z) => z.name === chosen)) options.unshift({ value: chosen, label: chosen });
  if (!options.length) options.push({ value: '', label: sizes.loading ? 'loading sizes…' : 'no sizes offered' });
  return <SelectField form={form} path="size" label="Size" hint={type === 'computeinstance' ? 'Sizes with at least 2 vCPU.' : 'The shape of each node.'} options={options} />;
}

export function CreateComputeForm({ type, onCancel }: { type: CreatedType; onCancel: () => void }) {
  const form = useFormState({ enable_node_public_ip: true, 'provider.type': 'local', tier: 'dedicated' });
  const { spec, tagsProblem } = specOf(type, form.values);
  const problems = checkSpec(spec, FIELDS[type], (f) => (f.startsWith('schedules.') ? VALID_SCHEDULE : undefined));
  if (tagsProblem) {
    problems.byField.tags = tagsProblem;
    problems.first ??= tagsProblem;
  }
  form.problems = problems.byField;
  const cluster = type === 'amlcompute';
  const ssh = form.flag('ssh_public_access_enabled');
  return (
    <ComputeForm
      title={cluster ? 'New compute cluster' : 'New compute instance'}
      form={form}
      problems={problems}
      spec={spec}
      attach={false}
      submitLabel="Create"
      busyLabel="Creating…"
      onCancel={onCancel}
    >
      <Section title="Basics">
        <TextField form={form} path="name" label="Name" hint="3 to 24 letters, digits and '-', starting with a letter." placeholder={cluster ? 'cpu-cluster' : 'my-instance'} />
        <SizeField form={form} type={type} />
        <TextField form={form} path="description" label="Description (optional)" />
      </Section>
      {cluster ? (
        <Section title="Scale">
          <div className="field-row">
            <NumberField form={form} path="min_instances" label="Minimum nodes" placeholder="0" />
            <NumberField form={form} path="max_instances" label="Maximum nodes" placeholder="4" />
            <NumberField form={form} path="idle_time_before_scale_down" label="Idle before scale down (s)" placeholder="120" />
          </div>
          <SelectField
            form={form}
            path="tier"
            label="Tier"
            hint="Low priority nodes may be taken back; their jobs are requeued."
            options={[
              { value: 'dedicated', label: 'dedicated' },
              { value: 'low_priority', label: 'low_priority' },
            ]}
          />
        </Section>
      ) : (
        <Section title="Idle shutdown and schedules">
          <NumberField form={form} path="idle_time_before_shutdown_minutes" label="Stop after idle minutes (optional)" placeholder="15 to 4320" />
          <ScheduleFields form={form} />
        </Section>
      )}
      <Section title="SSH access">
        <CheckField form={form} path="ssh_public_access_enabled" label="Allow SSH into the nodes" hint="Fixed at creation." />
        {ssh ? (
          <>
            {cluster ? <TextField form={form} path="ssh_settings.admin_username" label="SSH user" placeholder="azureuser" /> : null}
            <TextField form={form} path="ssh_settings.ssh_key_value" errorPath="ssh_settings" label="Your SSH public key" multiline placeholder="ssh-ed25519 AAAA... me@laptop" hint="The contents of your .pub file." />
            {cluster ? <TextField form={form} path="ssh_settings.admin_password" label="or a password" secret /> : null}
          </>
        ) : null}
      </Section>
      <Section title="Nodes">
        <ProviderFields form={form} />
        <CheckField form={form} path="enable_node_public_ip" label="enable_node_public_ip" hint="Kept for Azure ML files; Cairn's nodes are reached by the server." />
      </Section>
      <Section title="Tags">
        <TextField form={form} path="tags" label="Tags (optional)" multiline placeholder={'team=vision\nowner=ana'} hint="key=value, one a line." />
      </Section>
    </ComputeForm>
  );
}
