// Where the nodes of a cluster or an instance come from (Cairn's `provider:`): the server's own
// machine, a fleet of SSH hosts, or the operator's create/delete scripts.
import { KeyField, NumberField, SelectField, TextField, type FormState, type Values } from './form-kit.tsx';
import { numberOrText, textOrNone } from './spec-check.ts';

export const PROVIDER_FIELDS = [
  'provider',
  'provider.type',
  'provider.hosts',
  'provider.host_keys',
  'provider.create',
  'provider.delete',
  'provider.timeout',
  'provider.ssh_settings',
  'provider.ssh_settings.admin_username',
  'provider.ssh_settings.ssh_key_value',
  'provider.ssh_settings.ssh_private_key_file',
  'provider.ssh_settings.admin_password',
] as const;

/** One host a line: `10.0.0.5` or `10.0.0.5:2222` (an IPv6 address is taken whole). */
function hostsOf(text: string): { address: string; ssh_port?: number }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^([^:]+):(\d+)$/.exec(line);
      return m ? { address: m[1]!, ssh_port: Number(m[2]) } : { address: line };
    });
}

/** `address SHA256:...` lines -> host_keys. */
function hostKeysOf(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [address, key = ''] = line.split(/\s+/, 2);
    out[address!] = key;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The `provider:` of the spec from the form's values. */
export function providerOf(v: Values): unknown {
  const type = (v['provider.type'] as string) || 'local';
  if (type === 'local') return 'local';
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const ssh_settings = {
    admin_username: textOrNone(s('provider.ssh_settings.admin_username')),
    ssh_key_value: textOrNone(s('provider.ssh_settings.ssh_key_value')),
    ssh_private_key_file: textOrNone(s('provider.ssh_settings.ssh_private_key_file')),
    admin_password: textOrNone(s('provider.ssh_settings.admin_password')),
  };
  if (type === 'ssh') return { type, hosts: hostsOf(s('provider.hosts')), ssh_settings, host_keys: hostKeysOf(s('provider.host_keys')) };
  return { type, create: s('provider.create'), delete: s('provider.delete'), timeout: numberOrText(s('provider.timeout')), ssh_settings };
}

export function ProviderFields({ form }: { form: FormState }) {
  const type = form.text('provider.type') || 'local';
  return (
    <>
      <SelectField
        form={form}
        path="provider.type"
        errorPath="provider"
        label="Provider"
        hint="Where nodes come from: agent processes on the server's machine (local), your SSH hosts (ssh), or your own scripts (command)."
        options={[
          { value: 'local', label: "local: the server's own machine" },
          { value: 'ssh', label: 'ssh: a fleet of hosts you have' },
          { value: 'command', label: 'command: your create/delete scripts' },
        ]}
      />
      {type === 'ssh' ? (
        <>
          <TextField form={form} path="provider.hosts" label="Hosts" multiline placeholder={'10.0.0.5\n10.0.0.6:2222'} hint="One host a line, with :PORT when it is not 22. One node per host." />
          <TextField form={form} path="provider.host_keys" label="Host keys (optional)" multiline placeholder="10.0.0.5 SHA256:..." hint="address and fingerprint a line; without them keys are pinned at first contact." />
        </>
      ) : null}
      {type === 'command' ? (
        <>
          <TextField form={form} path="provider.create" label="Create script" placeholder="/opt/cairn/make-node.sh" hint="An absolute path on the server; prints the new machine's address as JSON." />
          <TextField form={form} path="provider.delete" label="Delete script" placeholder="/opt/cairn/delete-node.sh" />
          <NumberField form={form} path="provider.timeout" label="Script timeout (seconds)" placeholder="300" />
        </>
      ) : null}
      {type !== 'local' ? (
        <>
          <TextField form={form} path="provider.ssh_settings.admin_username" label="Node SSH user" placeholder="ops" />
          <KeyField form={form} path="provider.ssh_settings.ssh_key_value" errorPath="provider.ssh_settings" label="Node SSH private key" hint="Cairn logs in to the nodes with it; stored encrypted, never shown again." />
          <TextField form={form} path="provider.ssh_settings.ssh_private_key_file" label="or a private key file on the server" placeholder="/etc/cairn/id_ed25519" />
          <TextField form={form} path="provider.ssh_settings.admin_password" label="or a password" secret />
        </>
      ) : null}
    </>
  );
}
