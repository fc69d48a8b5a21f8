import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTACHED_TYPES,
  COMPUTE_NAME_RULES,
  COMPUTE_SECRET_FIELDS,
  COMPUTE_TYPES,
  ComputeAction,
  ComputeNodeView,
  ComputeSpec,
  ComputeView,
  CreateComputeRequest,
  IMMUTABLE_FIELDS,
  UpdateComputeRequest,
  checkComputeName,
  checkComputeUpdate,
  joinSecrets,
  mergeComputeUpdate,
  parseComputeSpec,
  splitSecrets,
} from '../src/protocol/compute.ts';
import { AZURE_SIZES, SizeCatalog, VM_SIZES, VmSize } from '../src/protocol/compute-sizes.ts';
import { CairnError } from '../src/protocol/errors.ts';

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDhQgkKxfwX5MLrmroqKCHW1wPu+7L5z63D7uQNgpsiI me@laptop';
// Armor around filler: the module checks the shape of the text, it never decodes the key.
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAnotarealkeyAAAA\nAAAAfillerAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
const HOST_KEY = 'SHA256:lnzeE5UTPJ2HXdNVXL1/wcXdTMYgMlpg/2vVJL/UBHM';

type Obj = Record<string, unknown>;
const aml = (extra: Obj = {}): Obj => ({ type: 'amlcompute', name: 'cpu-cluster', ...extra });
const ci = (extra: Obj = {}): Obj => ({ type: 'computeinstance', name: 'my-ci', ...extra });
const vm = (extra: Obj = {}, ssh: Obj = {}): Obj => ({
  type: 'virtualmachine',
  name: 'gpu-box',
  address: 'gpu-box.lan',
  ssh_settings: { admin_username: 'azureuser', ssh_key_value: PRIVATE_KEY, ...ssh },
  ...extra,
});
const slurm = (extra: Obj = {}, ssh: Obj = {}): Obj => ({ ...vm({}, ssh), type: 'slurm', name: 'hpc', address: 'login1.hpc.example.org', ...extra });
const k8s = (extra: Obj = {}): Obj => ({ type: 'kubernetes', name: 'k8s-a', ...extra });

function rejects(input: unknown, message: string): void {
  assert.throws(
    () => parseComputeSpec(input),
    (err: unknown) => {
      assert.ok(err instanceof CairnError);
      assert.equal(err.code, 'ValidationError');
      assert.equal(err.message, message);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    },
  );
}
const throwsWith = (fn: () => unknown, message: string) => assert.throws(fn, (e: unknown) => e instanceof CairnError && e.code === 'ValidationError' && e.message === message);

describe('compute types', () => {
  it('lists the five types; three are attached', () => {
    assert.deepEqual([...COMPUTE_TYPES], ['amlcompute', 'computeinstance', 'virtualmachine', 'slurm', 'kubernetes']);
    assert.deepEqual([...ATTACHED_TYPES], ['virtualmachine', 'slurm', 'kubernetes']);
    assert.deepEqual(ComputeAction.options, ['start', 'stop', 'restart']);
  });
});

describe('checkComputeName', () => {
  it('accepts names within the rules', () => {
    for (const n of ['abc', 'cpu-cluster', 'gpu-A100-box', 'a23456789012345678901234', 'x1-y']) assert.equal(checkComputeName(n), null, n);
    assert.ok(!COMPUTE_NAME_RULES.includes('\n'));
  });
  it('names the first rule broken, in order: length, first character, characters, dashes', () => {
    assert.equal(checkComputeName('ab'), "compute name 'ab' must be 3 to 24 characters long (it has 2)");
    assert.equal(checkComputeName('a'.repeat(25)), `compute name '${'a'.repeat(25)}' must be 3 to 24 characters long (it has 25)`);
    assert.equal(checkComputeName('1abc'), "compute name '1abc' must start with a letter");
    assert.equal(checkComputeName('-abc'), "compute name '-abc' must start with a letter");
    assert.equal(checkComputeName('a_bc'), "compute name 'a_bc' may contain only letters, digits and '-' (found '_')");
    assert.equal(checkComputeName('a bc'), "compute name 'a bc' may contain only letters, digits and '-' (found ' ')");
    assert.equal(checkComputeName('abc-1'), "compute name 'abc-1' is invalid: every '-' must be followed later by at least one letter");
    assert.equal(checkComputeName('abc-'), "compute name 'abc-' is invalid: every '-' must be followed later by at least one letter");
    // Length wins over the first character; the first character wins over the characters.
    assert.equal(checkComputeName('1_'), "compute name '1_' must be 3 to 24 characters long (it has 2)");
    assert.equal(checkComputeName('1_a'), "compute name '1_a' must start with a letter");
    assert.equal(checkComputeName('a_-1'), "compute name 'a_-1' may contain only letters, digits and '-' (found '_')");
  });
  it('keeps a name with a line break on one line', () => {
    assert.equal(checkComputeName('ab\ncd'), "compute name 'ab\\ncd' may contain only letters, digits and '-' (found '\\n')");
  });
  it('refuses a name that is not a string', () => {
    assert.equal(checkComputeName(42), 'compute name must be a string of 3 to 24 characters (found 42)');
  });
});

describe('parseComputeSpec: checks before the schema', () => {
  it('needs an object, a known type and a name, in that order', () => {
    rejects(null, 'a compute spec must be an object of fields (name, type, ...), not nothing');
    rejects(['a'], 'a compute spec must be an object of fields (name, type, ...), not a list');
    rejects({ name: 'abc' }, 'a compute needs a type: one of amlcompute, computeinstance, virtualmachine, slurm, kubernetes');
    rejects({ type: 'foo' }, "unknown compute type 'foo': expected one of amlcompute, computeinstance, virtualmachine, slurm, kubernetes");
    rejects({ type: 'amlcompute' }, 'a compute needs a name');
    rejects({ type: 'amlcompute', name: 'ab' }, "compute name 'ab' must be 3 to 24 characters long (it has 2)");
  });
  it('strips azureml: from the name only', () => {
    assert.equal(parseComputeSpec(aml({ name: 'azureml:cpu-cluster' })).name, 'cpu-cluster');
    rejects(aml({ name: 'azureml:ab' }), "compute name 'ab' must be 3 to 24 characters long (it has 2)");
    assert.equal((parseComputeSpec(aml({ description: 'azureml:x' })) as Obj).description, 'azureml:x');
  });
});

describe('amlcompute', () => {
  it('fills Azure defaults and drops $schema', () => {
    const spec = parseComputeSpec({ $schema: 'https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json', ...aml() });
    assert.deepEqual(spec, {
      name: 'cpu-cluster',
      type: 'amlcompute',
      size: 'Standard_DS3_v2',
      tier: 'dedicated',
      min_instances: 0,
      max_instances: 4,
      idle_time_before_scale_down: 120,
      ssh_public_access_enabled: false,
      enable_node_public_ip: true,
      provider: 'local',
    });
  });
  it('accepts a full Azure example and stores the canonical size spelling', () => {
    const spec = parseComputeSpec(
      aml({
        size: 'standard_nc6s_v3',
        tier: 'low_priority',
        min_instances: 0,
        max_instances: 4,
        idle_time_before_scale_down: 600,
        ssh_public_access_enabled: true,
        ssh_settings: { admin_username: 'azureuser', ssh_key_value: PUBLIC_KEY },
        description: 'GPU cluster',
        tags: { team: 'vision', version: 2 },
      }),
    );
    assert.equal(spec.type, 'amlcompute');
    assert.equal(spec.type === 'amlcompute' && spec.size, 'Standard_NC6s_v3');
    assert.deepEqual(spec.tags, { team: 'vision', version: '2' });
    assert.equal(spec.type === 'amlcompute' && spec.ssh_settings?.ssh_key_value, PUBLIC_KEY);
  });
  it('names the field and the problem', () => {
    rejects(aml({ size: 5 }), 'size: expected a string (found 5)');
    rejects(aml({ tier: 'spot' }), "tier: expected 'dedicated' or 'low_priority' (found 'spot')");
    rejects(aml({ min_instances: -1 }), 'min_instances: expected an integer of 0 or more');
    rejects(aml({ max_instances: 0 }), 'max_instances: expected an integer of 1 or more');
    rejects(aml({ max_instances: 1.5 }), 'max_instances: expected an integer of 1 or more');
    rejects(aml({ idle_time_before_scale_down: -5 }), 'idle_time_before_scale_down: expected an integer of 0 or more (seconds)');
    rejects(aml({ ssh_public_access_enabled: 'yes' }), "ssh_public_access_enabled: expected true or false (found 'yes')");
    rejects(aml({ enable_node_public_ip: null }), 'enable_node_public_ip: expected true or false (found nothing)');
    rejects(aml({ description: 3 }), 'description: expected a string (found 3)');
    rejects(aml({ tags: { a: [1] } }), 'tags.a: expected a text value');
    rejects(aml({ ssh_settings: { ssh_key_value: PRIVATE_KEY } }), 'ssh_settings.ssh_key_value: this is a private key; give the public key (the contents of the .pub file), never the private one');
    rejects(aml({ ssh_settings: { ssh_key_value: 'AAAA' } }), "ssh_settings.ssh_key_value: expected an OpenSSH public key like 'ssh-ed25519 AAAA... user@host' (the contents of the .pub file)");
    rejects(aml({ ssh_settings: { admin_username: 'a b' } }), "ssh_settings.admin_username: must be a user name without spaces (found 'a b')");
  });
  it('rejects unknown fields by name, with their path', () => {
    rejects(aml({ foo: 1 }), "unknown field 'foo' for an amlcompute compute");
    rejects(aml({ foo: 1, bar: 2 }), "unknown fields 'foo', 'bar' for an amlcompute compute");
    rejects(aml({ ssh_settings: { ssh_port: 22 } }), "unknown field 'ssh_settings.ssh_port' for an amlcompute compute");
  });
  it('rejects the Azure-only fields and says what to do', () => {
    rejects(aml({ location: 'westeurope' }), 'location: Cairn has no Azure resources, so no region to choose; remove location');
    rejects(aml({ identity: { type: 'system_assigned' } }), 'identity: Cairn has no Azure resources, so no managed identities; remove identity (each job gets its own job token)');
  });
  it('applies the cross-field rules', () => {
    rejects(aml({ min_instances: 3, max_instances: 2 }), 'min_instances (3) must not be greater than max_instances (2)');
    rejects(aml({ min_instances: 5 }), 'min_instances (5) must not be greater than max_instances (4)');
    rejects(aml({ provider: 'aws' }), "provider: provider must be 'local' (agent processes on the server's machine)");
    rejects(aml({ size: 'Standard_X' }), "size 'Standard_X' does not exist; `cairn compute list-sizes` lists the sizes");
    rejects(aml({ size: 'standard_nc24ads_a100_v4', tier: 'low_priority' }), "tier: low_priority is not available for size 'Standard_NC24ads_A100_v4'; use tier: dedicated or another size");
    assert.equal(parseComputeSpec(aml({ size: 'Standard_NC24ads_A100_v4' })).type, 'amlcompute');
    rejects(aml({ ssh_public_access_enabled: true }), 'ssh_public_access_enabled: true needs ssh_settings.admin_username and ssh_settings.admin_password or ssh_settings.ssh_key_value');
    assert.ok(parseComputeSpec(aml({ ssh_public_access_enabled: true, ssh_settings: { admin_username: 'u', admin_password: 'p' } })));
  });
});

describe('computeinstance', () => {
  it('accepts the defaults and a full example', () => {
    assert.deepEqual(parseComputeSpec(ci()), { name: 'my-ci', type: 'computeinstance', size: 'Standard_DS3_v2', ssh_public_access_enabled: false, enable_node_public_ip: true, provider: 'local' });
    const spec = parseComputeSpec(ci({ size: 'STANDARD_D4S_V3', ssh_public_access_enabled: true, ssh_settings: { ssh_key_value: PUBLIC_KEY }, idle_time_before_shutdown_minutes: 30 }));
    assert.equal(spec.type === 'computeinstance' && spec.size, 'Standard_D4s_v3');
  });
  it('names the field and the problem', () => {
    rejects(ci({ idle_time_before_shutdown_minutes: 10 }), 'idle_time_before_shutdown_minutes: expected an integer from 15 to 4320 (minutes)');
    rejects(ci({ idle_time_before_shutdown_minutes: 4321 }), 'idle_time_before_shutdown_minutes: expected an integer from 15 to 4320 (minutes)');
    rejects(ci({ create_on_behalf_of: { user_tenant_id: 't', user_object_id: 'o' } }), 'create_on_behalf_of: creating a compute instance for another user is not supported; remove create_on_behalf_of');
    rejects(ci({ location: 'x' }), 'location: Cairn has no Azure resources, so no region to choose; remove location');
    rejects(ci({ ssh_settings: { admin_username: 'u' } }), "unknown field 'ssh_settings.admin_username' for a computeinstance compute");
    rejects(ci({ size: 'Standard_DS1_v2' }), "size 'Standard_DS1_v2' has 1 vCPU, too few for a computeinstance (at least 2); `cairn compute list-sizes` lists the sizes");
    rejects(ci({ size: 'nope' }), "size 'nope' does not exist; `cairn compute list-sizes` lists the sizes");
    rejects(ci({ ssh_public_access_enabled: true }), 'ssh_public_access_enabled: true needs ssh_settings.ssh_key_value (your SSH public key)');
  });
});

describe('virtualmachine', () => {
  it('accepts an Azure-style attach file with Cairn fields', () => {
    const spec = parseComputeSpec(vm({ host_key: HOST_KEY, max_concurrent_jobs: 2, work_dir: '~/cairn', description: 'my box' }));
    assert.deepEqual(spec, {
      name: 'gpu-box',
      type: 'virtualmachine',
      address: 'gpu-box.lan',
      ssh_settings: { admin_username: 'azureuser', ssh_key_value: PRIVATE_KEY, ssh_port: 22 },
      host_key: HOST_KEY,
      max_concurrent_jobs: 2,
      work_dir: '~/cairn',
      description: 'my box',
    });
    for (const address of ['10.0.0.5', '::1', 'fe80::1%eth0', 'box', 'gpu_box.corp.example.com'])
      assert.equal((parseComputeSpec(vm({ address })) as Obj).address, address);
    assert.ok(parseComputeSpec(vm({ work_dir: '/opt/cairn' }, { ssh_key_value: undefined, ssh_private_key_file: '~/.ssh/id_ed25519', ssh_port: 2222 })));
    assert.ok(parseComputeSpec(vm({}, { ssh_key_value: undefined, admin_password: 'hunter2' })));
  });
  it('needs an address and ssh settings with a user and one credential', () => {
    const { address: _a, ...noAddress } = vm();
    rejects(noAddress, 'address is required: the host name or IP address of the machine');
    const { ssh_settings: _s, ...noSsh } = vm();
    rejects(noSsh, 'ssh_settings is required: admin_username and a credential Cairn logs in with');
    rejects(vm({ ssh_settings: { ssh_key_value: PRIVATE_KEY } }), 'ssh_settings.admin_username is required: the user Cairn logs in as');
    rejects(vm({ ssh_settings: { admin_username: 'u' } }), 'ssh_settings: give one of admin_password, ssh_private_key_file or ssh_key_value (the private key text) so Cairn can log in');
  });
  it('explains what a bad address should look like', () => {
    rejects(vm({ address: '' }), 'address: must not be empty: give the host name or IP address of the machine');
    rejects(vm({ address: '  ' }), 'address: must not be empty: give the host name or IP address of the machine');
    rejects(vm({ address: 'gpu box' }), "address: must be a host name or IP address without spaces (found 'gpu box')");
    rejects(vm({ address: 'ssh://x' }), "address: expected a host name or IP address, not a URL: write 'x' (the port goes in ssh_settings.ssh_port, the user in ssh_settings.admin_username)");
    rejects(vm({ address: 'ssh://me@[::1]:22/' }), "address: expected a host name or IP address, not a URL: write '::1' (the port goes in ssh_settings.ssh_port, the user in ssh_settings.admin_username)");
    rejects(vm({ address: 'me@box' }), "address: expected a host name or IP address, not user@host: write 'box' and put the user in ssh_settings.admin_username");
    rejects(vm({ address: 'box:2222' }), "address: expected a host name or IP address without a port: write 'box' and put 2222 in ssh_settings.ssh_port");
    rejects(vm({ address: 'bad!host' }), "address: expected a host name or IP address (found 'bad!host')");
  });
  it('checks the ssh settings and the Cairn-only fields', () => {
    rejects(vm({}, { ssh_port: 0 }), 'ssh_settings.ssh_port: expected an integer from 1 to 65535');
    rejects(vm({}, { ssh_port: 65536 }), 'ssh_settings.ssh_port: expected an integer from 1 to 65535');
    rejects(vm({}, { ssh_port: '22' }), 'ssh_settings.ssh_port: expected an integer from 1 to 65535');
    rejects(vm({}, { ssh_key_value: PUBLIC_KEY }), 'ssh_settings.ssh_key_value: this is a public key; Cairn logs in with the private key: give its text here or its path in ssh_private_key_file');
    rejects(
      vm({}, { ssh_key_value: '-----BEGIN OPENSSH PRIVATE KEY----- AAAA -----END OPENSSH PRIVATE KEY-----' }),
      "ssh_settings.ssh_key_value: expected the private key text itself, from '-----BEGIN ... PRIVATE KEY-----' to '-----END ... PRIVATE KEY-----' with its line breaks (a YAML '|' block)",
    );
    rejects(vm({}, { admin_password: '' }), 'ssh_settings.admin_password: must not be empty');
    rejects(vm({}, { ssh_private_key_file: '' }), 'ssh_settings.ssh_private_key_file: must not be empty');
    rejects(vm({}, { port: 22 }), "unknown field 'ssh_settings.port' for a virtualmachine compute");
    const hostKeyMsg = "host_key: expected an SSH host key fingerprint: 'SHA256:' and 43 base64 characters, as `ssh-keygen -lf` prints it";
    rejects(vm({ host_key: 'SHA256:abc' }), hostKeyMsg);
    rejects(vm({ host_key: `${HOST_KEY}=` }), hostKeyMsg);
    rejects(vm({ host_key: HOST_KEY.replace('SHA256:', 'MD5:') }), hostKeyMsg);
    rejects(vm({ max_concurrent_jobs: 0 }), 'max_concurrent_jobs: expected an integer of 1 or more');
    rejects(vm({ work_dir: 'cairn' }), "work_dir: must be an absolute path or start with '~/' (found 'cairn')");
    rejects(vm({ work_dir: '~cairn' }), "work_dir: must be an absolute path or start with '~/' (found '~cairn')");
    rejects(vm({ resource_id: '/subscriptions/x/virtualMachines/y' }), "resource_id: Cairn has no Azure resources; give address (the machine's host name or IP address) instead of resource_id");
    rejects(vm({ size: 'Standard_DS3_v2' }), "unknown field 'size' for a virtualmachine compute");
  });
});

describe('slurm', () => {
  it('accepts a login node with optional scheduler settings', () => {
    const spec = parseComputeSpec(slurm({ partition: 'gpu', slurmrestd_url: 'http://login1:6820', min_instances: 0, max_instances: 8, idle_time_before_scale_down: 300, host_key: HOST_KEY }));
    assert.equal(spec.type, 'slurm');
    assert.equal(spec.type === 'slurm' && spec.ssh_settings?.ssh_port, 22);
    assert.ok(parseComputeSpec(slurm()));
  });
  it('names the field and the problem', () => {
    rejects(slurm({ address: 'https://login1' }), "address: expected a host name or IP address, not a URL: write 'login1' (the port goes in ssh_settings.ssh_port, the user in ssh_settings.admin_username)");
    rejects(slurm({ slurmrestd_url: 'ftp://login1' }), "slurmrestd_url: expected the http:// or https:// URL of slurmrestd, like 'http://login1:6820'");
    rejects(slurm({ slurmrestd_url: 'login1:6820' }), "slurmrestd_url: expected the http:// or https:// URL of slurmrestd, like 'http://login1:6820'");
    rejects(slurm({ partition: '' }), 'partition: must not be empty');
    rejects(slurm({ min_instances: 3, max_instances: 2 }), 'min_instances (3) must not be greater than max_instances (2)');
    rejects(slurm({ max_instances: 0 }), 'max_instances: expected an integer of 1 or more');
    rejects(slurm({}, { admin_password: undefined, ssh_key_value: undefined }), 'ssh_settings: give one of admin_password, ssh_private_key_file or ssh_key_value (the private key text) so Cairn can log in');
    rejects(slurm({ work_dir: 'x' }), "work_dir: must be an absolute path or start with '~/' (found 'x')");
    rejects(slurm({ default_time_limit: 'UNLIMITED' }), "default_time_limit: expected a Slurm time limit like 30, 4:00:00 or 1-00:00:00 (found 'UNLIMITED'); UNLIMITED is not allowed: the partition's limit applies when unset");
    rejects(slurm({ partition: 'a b' }), "partition: must be a Slurm name without spaces or shell characters (found 'a b')");
    rejects(slurm({ ssh_settings: undefined }), 'ssh_settings: ssh_settings is required with address: admin_username and a credential Cairn logs in to the login host with');
    rejects({ type: 'slurm', name: 'hpc', host_key: HOST_KEY }, "host_key: host_key pins the login host's key: it needs address");
    rejects(slurm({ slurm_env: { 'A-B': 'x' } }), "slurm_env: 'A-B' is not an environment variable name (letters, digits, _)");
  });
  it('runs the commands on the server\'s own host without address', () => {
    const spec = parseComputeSpec({ type: 'slurm', name: 'hpc', partition: 'debug', work_dir: '/shared/cairn', default_time_limit: '1:00:00', sbatch_options: ['--mem=1G'], priorities: { low: { nice: 100 }, high: { qos: 'high' } }, slurm_env: { SLURM_CONF: '/etc/slurm/other.conf' } });
    assert.equal(spec.type === 'slurm' && spec.address, undefined);
  });
});

describe('kubernetes', () => {
  it('defaults the namespace', () => {
    assert.deepEqual(parseComputeSpec(k8s()), { name: 'k8s-a', type: 'kubernetes', namespace: 'default' });
    const spec = parseComputeSpec(k8s({ namespace: 'ml-jobs', kubeconfig_file: '~/.kube/config', instance_types: { small: { resources: { requests: { cpu: '1' } } } } }));
    assert.equal(spec.type === 'kubernetes' && spec.namespace, 'ml-jobs');
  });
  it('names the field and the problem', () => {
    rejects(k8s({ namespace: 'ML_Jobs' }), "namespace: expected a Kubernetes namespace: lowercase letters, digits and '-', at most 63");
    rejects(k8s({ resource_id: '/subscriptions/x' }), 'resource_id: Cairn has no Azure resources; give kubeconfig_file (and namespace) instead of resource_id');
    rejects(k8s({ identity: {} }), 'identity: Cairn has no Azure resources, so no managed identities; remove identity (each job gets its own job token)');
    rejects(k8s({ instance_types: { small: 'x' } }), "instance_types.small: expected an object (found 'x')");
    rejects(k8s({ kubeconfig_file: '' }), 'kubeconfig_file: must not be empty');
  });
});

describe('updates', () => {
  it('lists the fields fixed after creation', () => {
    assert.deepEqual(IMMUTABLE_FIELDS.virtualmachine, ['name', 'type', 'address', 'ssh_settings.ssh_port', 'work_dir']);
    for (const t of COMPUTE_TYPES) assert.deepEqual(IMMUTABLE_FIELDS[t].slice(0, 2), ['name', 'type']);
  });
  it('names every fixed field changed at once', () => {
    const current = parseComputeSpec(aml({ size: 'Standard_DS3_v2' }));
    const next = parseComputeSpec(aml({ size: 'Standard_DS4_v2', ssh_public_access_enabled: true, ssh_settings: { admin_username: 'u', admin_password: 'p' }, max_instances: 4 }));
    throwsWith(() => checkComputeUpdate(current, next), 'cannot change size, ssh_public_access_enabled, ssh_settings after the compute is created; delete it and create it again');
    checkComputeUpdate(current, parseComputeSpec(aml({ max_instances: 4, idle_time_before_scale_down: 30, tags: { a: 'b' } })));
  });
  it('says detach for attached computes', () => {
    const current = parseComputeSpec(vm());
    throwsWith(() => checkComputeUpdate(current, parseComputeSpec(vm({ address: 'other', work_dir: '/w' }, { ssh_port: 2222 }))), 'cannot change address, ssh_settings.ssh_port, work_dir after the compute is attached; detach it and attach it again');
    throwsWith(() => checkComputeUpdate(current, parseComputeSpec(slurm({ name: 'gpu-box', address: 'gpu-box.lan' }))), 'cannot change type after the compute is attached; detach it and attach it again');
  });
  it('merges a patch key by key, null removing a key, and lets credentials rotate', () => {
    const current = parseComputeSpec(vm({ host_key: HOST_KEY, max_concurrent_jobs: 2 }));
    const next = mergeComputeUpdate(current, { ssh_settings: { ssh_key_value: null, admin_password: 'new' }, host_key: null, max_concurrent_jobs: 4 });
    assert.deepEqual(next, {
      name: 'gpu-box',
      type: 'virtualmachine',
      address: 'gpu-box.lan',
      ssh_settings: { admin_username: 'azureuser', admin_password: 'new', ssh_port: 22 },
      max_concurrent_jobs: 4,
    });
    throwsWith(() => mergeComputeUpdate(current, { address: '10.0.0.9' }), 'cannot change address after the compute is attached; detach it and attach it again');
    throwsWith(() => mergeComputeUpdate(current, { name: 'other-box' }), 'cannot change name after the compute is attached; detach it and attach it again');
    throwsWith(() => mergeComputeUpdate(current, { ssh_settings: { ssh_port: 0 } }), 'ssh_settings.ssh_port: expected an integer from 1 to 65535');
    throwsWith(() => mergeComputeUpdate(current, { ssh_settings: { ssh_key_value: null } }), 'ssh_settings: give one of admin_password, ssh_private_key_file or ssh_key_value (the private key text) so Cairn can log in');
  });
  it('merges tags and scales an amlcompute, but not its size, even spelled differently', () => {
    const current = parseComputeSpec(aml({ tags: { a: '1', b: '2' } }));
    const next = mergeComputeUpdate(current, { tags: { a: null, c: '3' }, max_instances: 3, size: 'standard_ds3_v2' });
    assert.deepEqual(next.tags, { b: '2', c: '3' });
    assert.equal(next.type === 'amlcompute' && next.max_instances, 3);
    throwsWith(() => mergeComputeUpdate(current, { size: 'Standard_D4s_v3', tier: 'low_priority' }), 'cannot change size, tier after the compute is created; delete it and create it again');
    throwsWith(() => mergeComputeUpdate(current, { min_instances: 5 }), 'min_instances (5) must not be greater than max_instances (4)');
  });
});

describe('secrets', () => {
  it('names the secret fields', () => {
    assert.deepEqual([...COMPUTE_SECRET_FIELDS], ['ssh_settings.admin_password', 'ssh_settings.ssh_key_value']);
  });
  it('moves a host password and private key out of the spec, and back', () => {
    const spec = parseComputeSpec(vm({}, { admin_password: 'pw', ssh_private_key_file: '~/.ssh/id' }));
    const { spec: open, secrets } = splitSecrets(spec);
    assert.deepEqual(secrets, { admin_password: 'pw', ssh_private_key: PRIVATE_KEY });
    assert.deepEqual((open as Obj).ssh_settings, { admin_username: 'azureuser', ssh_private_key_file: '~/.ssh/id', ssh_port: 22 });
    assert.ok(!JSON.stringify(open).includes('PRIVATE KEY') && !JSON.stringify(open).includes('pw'));
    assert.equal((spec as Obj & { ssh_settings: Obj }).ssh_settings.admin_password, 'pw', 'the input is not changed');
    assert.deepEqual(joinSecrets(open, secrets), spec);
    const slurmSpec = parseComputeSpec(slurm());
    assert.deepEqual(splitSecrets(slurmSpec).secrets, { ssh_private_key: PRIVATE_KEY });
  });
  it('leaves a public key in an amlcompute or computeinstance spec', () => {
    const spec = parseComputeSpec(aml({ ssh_settings: { admin_username: 'u', admin_password: 'pw', ssh_key_value: PUBLIC_KEY } }));
    const { spec: open, secrets } = splitSecrets(spec);
    assert.deepEqual(secrets, { admin_password: 'pw' });
    assert.deepEqual((open as Obj).ssh_settings, { admin_username: 'u', ssh_key_value: PUBLIC_KEY });
    assert.deepEqual(joinSecrets(open, secrets), spec);
    const ciSpec = parseComputeSpec(ci({ ssh_settings: { ssh_key_value: PUBLIC_KEY } }));
    assert.deepEqual(splitSecrets(ciSpec), { spec: ciSpec, secrets: {} });
    const k = parseComputeSpec(k8s());
    assert.deepEqual(joinSecrets(splitSecrets(k).spec, {}), k);
  });
});

describe('sizes', () => {
  it('is a valid catalog with Azure shapes', () => {
    assert.ok(VM_SIZES.length >= 15);
    for (const s of VM_SIZES) VmSize.parse(s);
    assert.deepEqual(AZURE_SIZES.find('standard_nc12s_v3'), { name: 'Standard_NC12s_v3', family: 'gpu', vcpus: 12, memory_gb: 224, gpus: 2, gpu_type: 'V100', low_priority_capable: true });
    assert.equal(AZURE_SIZES.find('Standard_DS1_v2')?.memory_gb, 3.5);
    assert.equal(AZURE_SIZES.find('Standard_X'), undefined);
  });
  it('offers every size to amlcompute, 2+ vCPUs to computeinstance, none to attached computes', () => {
    assert.equal(AZURE_SIZES.forType('amlcompute').length, VM_SIZES.length);
    assert.ok(AZURE_SIZES.forType('computeinstance').every((s) => s.vcpus >= 2));
    assert.ok(!AZURE_SIZES.forType('computeinstance').some((s) => s.name === 'Standard_DS1_v2'));
    for (const t of ATTACHED_TYPES) assert.deepEqual(AZURE_SIZES.forType(t), []);
  });
  it("takes an operator's sizes: new names, and Azure names given another shape; a spec may then name them", () => {
    const sizes = new SizeCatalog([
      { name: 'Half_Box', vcpus: 8, memory_gb: 60 },
      { name: 'standard_ds1_v2', vcpus: 1, memory_gb: 2 },
      { name: 'Lab_A40', vcpus: 16, memory_gb: 120, gpus: 2, gpu_type: 'A40', low_priority_capable: false },
    ]);
    assert.equal(sizes.all.length, VM_SIZES.length + 2);
    assert.deepEqual(sizes.find('half_box'), { name: 'Half_Box', vcpus: 8, memory_gb: 60, gpus: 0, low_priority_capable: true, family: 'cpu' });
    assert.equal(sizes.find('Standard_DS1_v2')!.memory_gb, 2);
    assert.equal(sizes.find('Lab_A40')!.family, 'gpu');
    assert.ok(sizes.forType('computeinstance').some((s) => s.name === 'Half_Box'));
    assert.equal((parseComputeSpec({ type: 'amlcompute', name: 'pool', size: 'half_box' }, sizes) as { size: string }).size, 'Half_Box');
    assert.throws(() => parseComputeSpec({ type: 'amlcompute', name: 'pool', size: 'Lab_A40', tier: 'low_priority' }, sizes), /tier: low_priority is not available for size 'Lab_A40'/);
    assert.throws(() => parseComputeSpec({ type: 'amlcompute', name: 'pool', size: 'Half_Box' }), /size 'Half_Box' does not exist/, "Azure's catalog alone has no such size");
    // A client leaves the size to the server, which may know sizes the client does not.
    assert.equal((parseComputeSpec({ type: 'amlcompute', name: 'pool', size: 'Half_Box' }, null) as { size: string }).size, 'Half_Box');
    assert.throws(() => new SizeCatalog([{ name: '9bad', vcpus: 1, memory_gb: 1 }]), /a size name is a letter/);
    assert.throws(() => new SizeCatalog([{ name: 'X', vcpus: 0, memory_gb: 1 }]));
  });
});

describe('wire shapes', () => {
  it('parses views loosely and requests with defaults', () => {
    const node = { name: 'n1', state: 'idle', slots: 2, busy_slots: 0, cpus: 8, gpu_names: ['T4'], agent_version: null, last_heartbeat: null, future: 1 };
    assert.deepEqual(ComputeNodeView.parse(node), node);
    const view = {
      name: 'gpu-box',
      type: 'virtualmachine',
      address: 'gpu-box.lan',
      id: '/workspaces/default/computes/gpu-box',
      provisioning_state: 'Succeeded',
      provisioning_errors: [],
      created_on: '2025-01-01T00:00:00.000Z',
      last_modified_on: '2025-01-01T00:00:00.000Z',
      nodes: [node],
      unsupported: { start: 'an attached machine is not started by Cairn' },
    };
    assert.deepEqual(ComputeView.parse(view), view);
    assert.throws(() => ComputeView.parse({ ...view, provisioning_state: 'Running' }));
    assert.deepEqual(CreateComputeRequest.parse({ spec: { any: 1 } }), { spec: { any: 1 }, attach: false });
    assert.throws(() => CreateComputeRequest.parse({ spec: {}, host_key: 'x' }));
    assert.deepEqual(UpdateComputeRequest.parse({ patch: { max_instances: 2 } }), { patch: { max_instances: 2 } });
  });
  it('the union schema accepts what parseComputeSpec returns', () => {
    for (const input of [aml(), ci(), vm(), slurm(), k8s()]) ComputeSpec.parse(parseComputeSpec(input));
  });
});
