import { z } from 'zod';
import { CairnError } from './errors.ts';
import { AZURE_SIZES, type SizeCatalog } from './compute-sizes.ts';
import { PipOptions } from './environment.ts';
import { ComputeSchedules } from './compute-schedule.ts';

/**
 * Compute resources in Azure ML v2 YAML shape. One module for the CLI (checking a file before it
 * is sent), the server and forms, so every message is one line naming the field and the problem.
 */
export const COMPUTE_TYPES = ['amlcompute', 'computeinstance', 'virtualmachine', 'slurm', 'kubernetes'] as const;
export const ComputeType = z.enum(COMPUTE_TYPES);
export type ComputeType = z.infer<typeof ComputeType>;

/** Machines the user already has, reached with their credentials: `cairn compute attach`, not `create`. */
export const ATTACHED_TYPES: readonly ComputeType[] = ['virtualmachine', 'slurm', 'kubernetes'];
export const isAttachedType = (type: string): boolean => (ATTACHED_TYPES as readonly string[]).includes(type);

export const COMPUTE_NAME_RULES =
  "3 to 24 characters: letters, digits and '-' only, starting with a letter, and every '-' followed later by at least one letter";

/** Control characters would break the one-line promise; long values would drown the message. */
const show = (s: string): string => {
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return clean.length > 64 ? `${clean.slice(0, 61)}...` : clean;
};
const describe = (v: unknown): string =>
  v === undefined || v === null ? 'nothing' : typeof v === 'string' ? `'${show(v)}'` : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : show(String(v));

export function checkComputeName(name: unknown): string | null {
  if (typeof name !== 'string') return `compute name must be a string of 3 to 24 characters (found ${describe(name)})`;
  if (name.length < 3 || name.length > 24) return `compute name '${show(name)}' must be 3 to 24 characters long (it has ${name.length})`;
  if (!/^[A-Za-z]/.test(name)) return `compute name '${show(name)}' must start with a letter`;
  const bad = /[^A-Za-z0-9-]/u.exec(name);
  if (bad) return `compute name '${show(name)}' may contain only letters, digits and '-' (found '${show(bad[0])}')`;
  if (name.includes('-') && !/[A-Za-z]/.test(name.slice(name.lastIndexOf('-') + 1)))
    return `compute name '${show(name)}' is invalid: every '-' must be followed later by at least one letter`;
  return null;
}

// ---- field schemas ---------------------------------------------------------------------------

/** An error map that defers on a missing value, so "is required" stays the formatter's to say. */
const unlessMissing = (msg: string) => (iss: { input?: unknown }) => (iss.input === undefined ? undefined : msg);
const intIn = (min: number, max?: number, unit?: string) => {
  const msg = `expected an integer ${max === undefined ? `of ${min} or more` : `from ${min} to ${max}`}${unit ? ` (${unit})` : ''}`;
  const n = z.number({ error: unlessMissing(msg) }).int({ error: msg }).min(min, { error: msg });
  return max === undefined ? n : n.max(max, { error: msg });
};
const custom = <T>(base: z.ZodType<T>, problem: (v: T) => string | null) =>
  base.superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });

const Name = custom(z.string(), checkComputeName);
const Tags = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'expected a text value' }).transform(String));
/** `pip:` is Cairn's: the pip settings (index, find-links, ...) this compute's nodes build environments with. */
const common = { $schema: z.string().optional(), name: Name, description: z.string().optional(), tags: Tags.optional(), pip: PipOptions.optional() };

const NO_AZURE = 'Cairn has no Azure resources';
const azureOnly = (why: string) => z.never({ error: why }).optional();
const noLocation = azureOnly(`${NO_AZURE}, so no region to choose; remove location`);
const noIdentity = azureOnly(`${NO_AZURE}, so no managed identities; remove identity (each job gets its own job token)`);

const PUBLIC_KEY = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;
const PRIVATE_KEY = /^-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----\r?\n[\s\S]+\n-----END ([A-Z0-9]+ )*PRIVATE KEY-----\s*$/;
const PublicKey = custom(z.string().trim(), (k) =>
  k.includes('PRIVATE KEY')
    ? 'this is a private key; give the public key (the contents of the .pub file), never the private one'
    : PUBLIC_KEY.test(k) ? null : "expected an OpenSSH public key like 'ssh-ed25519 AAAA... user@host' (the contents of the .pub file)",
);
const PrivateKey = custom(z.string(), (k) =>
  PRIVATE_KEY.test(k.trimStart())
    ? null
    : PUBLIC_KEY.test(k.trim())
      ? 'this is a public key; Cairn logs in with the private key: give its text here or its path in ssh_private_key_file'
      : "expected the private key text itself, from '-----BEGIN ... PRIVATE KEY-----' to '-----END ... PRIVATE KEY-----' with its line breaks (a YAML '|' block)",
);
const UserName = custom(z.string(), (u) => (u === '' || /[\s\u0000-\u001f]/.test(u) ? `must be a user name without spaces (found '${show(u)}')` : null));
const Password = z.string().min(1, { error: 'must not be empty' });
const LocalPath = z.string().min(1, { error: 'must not be empty' });

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(%[\w.-]+)?$/;
function addressProblem(a: string): string | null {
  if (a.trim() === '') return 'must not be empty: give the host name or IP address of the machine';
  if (/\s/.test(a)) return `must be a host name or IP address without spaces (found '${show(a)}')`;
  const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(a);
  if (url) return `expected a host name or IP address, not a URL: write '${show(url[1]!.replace(/^\[|\]$/g, ''))}' (the port goes in ssh_settings.ssh_port, the user in ssh_settings.admin_username)`;
  const at = a.lastIndexOf('@');
  if (at >= 0) return `expected a host name or IP address, not user@host: write '${show(a.slice(at + 1))}' and put the user in ssh_settings.admin_username`;
  const port = /^([^:]+):(\d+)$/.exec(a);
  if (port) return `expected a host name or IP address without a port: write '${show(port[1]!)}' and put ${port[2]} in ssh_settings.ssh_port`;
  return HOST_NAME.test(a) || IPV6.test(a) ? null : `expected a host name or IP address (found '${show(a)}')`;
}
const Address = custom(z.string(), addressProblem);
export const HostKeyFingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, { error: "expected an SSH host key fingerprint: 'SHA256:' and 43 base64 characters, as `ssh-keygen -lf` prints it" });
const WorkDir = custom(z.string(), (d) =>
  (d.startsWith('/') || d.startsWith('~/')) && !/[\u0000-\u001f]/.test(d) ? null : `must be an absolute path or start with '~/' (found '${show(d)}')`,
);

/** Attached hosts: Cairn logs in itself, so ssh_key_value here is the PRIVATE key (a secret). */
const HostSshSettings = z
  .strictObject({
    admin_username: UserName,
    admin_password: Password.optional(),
    ssh_private_key_file: LocalPath.optional(),
    ssh_key_value: PrivateKey.optional(),
    ssh_port: intIn(1, 65535).default(22),
  })
  .refine((s) => s.admin_password !== undefined || s.ssh_private_key_file !== undefined || s.ssh_key_value !== undefined, {
    error: 'give one of admin_password, ssh_private_key_file or ssh_key_value (the private key text) so Cairn can log in',
  });

// ---- the five types --------------------------------------------------------------------------

/** A provider logs in to its hosts itself: ssh_key_value is the PRIVATE key (a secret), as for attached hosts. */
const providerSshSettings = <U extends z.ZodType>(user: U) =>
  z
    .strictObject({ admin_username: user, admin_password: Password.optional(), ssh_private_key_file: LocalPath.optional(), ssh_key_value: PrivateKey.optional() })
    .refine((s) => s.admin_password !== undefined || s.ssh_private_key_file !== undefined || s.ssh_key_value !== undefined, {
      error: 'give one of admin_password, ssh_private_key_file or ssh_key_value (the private key text) so Cairn can log in',
    });
const FleetHost = z.strictObject({ address: Address, ssh_port: intIn(1, 65535).default(22) });
/** A user's script: run by the server with /bin/sh; the CLI resolves a leading ./ or ../ against the compute file's folder. */
const Script = custom(z.string(), (c) =>
  c.trim() === '' || /[\u0000-\u0008\u000a-\u001f]/.test(c)
    ? 'must be a command line (one line), like /opt/cairn/make-node.sh'
    : /^\.\.?\//.test(c.trim())
      ? `a relative path ('${show(c.trim().split(/\s/)[0]!)}') means nothing on the server: give an absolute path (the CLI resolves ./ against the compute file's folder)`
      : null,
);

/**
 * Cairn's: where the nodes of a cluster or an instance come from (see src/providers). `local`: agent
 * processes on the server's machine, each the shape of its size; `ssh`: a fleet of existing hosts,
 * one node per host; `command`: user scripts make and delete a node (any cloud's CLI), reached over
 * SSH; `fake`: a stand-in cloud for tests (its settings are given in code).
 */
const ProviderObject = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('local') }),
  z.strictObject({
    type: z.literal('ssh'),
    hosts: z.array(FleetHost).min(1, { error: 'give at least one host: [{address: 10.0.0.5, ssh_port: 22}]' }),
    ssh_settings: providerSshSettings(UserName),
    host_keys: z.record(z.string(), HostKeyFingerprint).optional(),
  }),
  z.strictObject({
    type: z.literal('command'),
    create: Script,
    delete: Script,
    timeout: intIn(1, 86_400, 'seconds').default(300),
    ssh_settings: providerSshSettings(UserName.optional()),
  }),
  z.strictObject({ type: z.literal('fake') }),
]);
type ProviderObject = z.output<typeof ProviderObject>;
const PROVIDER_TYPES = "'local', 'ssh' or 'command'";

/** `local` (the string) or an object by `type`; every problem is reported at its own field (provider.hosts.0.address: ...). */
export const ProviderSpec = z.unknown().transform((v, ctx): 'local' | ProviderObject => {
  if (v === 'local') return 'local';
  if (typeof v === 'string' && (v === 'ssh' || v === 'command')) {
    ctx.addIssue({ code: 'custom', message: `provider '${v}' needs its settings: write provider: {type: ${v}, ...} (see the README)` });
    return z.NEVER;
  }
  if (!isObject(v)) {
    ctx.addIssue({ code: 'custom', message: "provider must be 'local' (agent processes on the server's machine)" });
    return z.NEVER;
  }
  if (!['local', 'ssh', 'command', 'fake'].includes(v.type as string)) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: `expected ${PROVIDER_TYPES} (found ${describe(v.type)})` });
    return z.NEVER;
  }
  const r = ProviderObject.safeParse(v, { error: genericMessage, reportInput: true });
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue(issue as never);
  return z.NEVER;
});
export type ProviderSpec = z.infer<typeof ProviderSpec>;
export type SshProviderSpec = Extract<ProviderObject, { type: 'ssh' }>;
export type CommandProviderSpec = Extract<ProviderObject, { type: 'command' }>;

export const AmlComputeSpec = z.strictObject({
  ...common,
  type: z.literal('amlcompute'),
  size: z.string().default('Standard_DS3_v2'),
  tier: z.enum(['dedicated', 'low_priority']).default('dedicated'),
  min_instances: intIn(0).default(0),
  max_instances: intIn(1).default(4),
  idle_time_before_scale_down: intIn(0, undefined, 'seconds').default(120),
  ssh_public_access_enabled: z.boolean().default(false),
  ssh_settings: z.strictObject({ admin_username: UserName.optional(), admin_password: Password.optional(), ssh_key_value: PublicKey.optional() }).optional(),
  enable_node_public_ip: z.boolean().default(true),
  provider: ProviderSpec.default('local'),
  location: noLocation,
  identity: noIdentity,
});

export const ComputeInstanceSpec = z.strictObject({
  ...common,
  type: z.literal('computeinstance'),
  size: z.string().default('Standard_DS3_v2'),
  ssh_public_access_enabled: z.boolean().default(false),
  ssh_settings: z.strictObject({ ssh_key_value: PublicKey.optional() }).optional(),
  idle_time_before_shutdown_minutes: intIn(15, 4320, 'minutes').optional(),
  schedules: ComputeSchedules.optional(),
  enable_node_public_ip: z.boolean().default(true),
  provider: ProviderSpec.default('local'),
  location: noLocation,
  identity: noIdentity,
  create_on_behalf_of: azureOnly('creating a compute instance for another user is not supported; remove create_on_behalf_of'),
});

export const VirtualMachineSpec = z.strictObject({
  ...common,
  type: z.literal('virtualmachine'),
  address: Address,
  ssh_settings: HostSshSettings,
  host_key: HostKeyFingerprint.optional(),
  max_concurrent_jobs: intIn(1).optional(),
  work_dir: WorkDir.optional(),
  resource_id: azureOnly(`${NO_AZURE}; give address (the machine's host name or IP address) instead of resource_id`),
});

/** What `queue_settings.priority` becomes in Slurm: a QOS, a nice value, or both. */
const SlurmPriority = z.strictObject({ qos: z.string().min(1).max(64).optional(), nice: intIn(-10000, 10000).optional() });
const SlurmText = custom(z.string(), (v) => (v === '' ? 'must not be empty' : /[\s\u0000-\u001f'"`$\\;|&<>]/.test(v) ? `must be a Slurm name without spaces or shell characters (found '${show(v)}')` : null));
const SlurmEnv = custom(z.record(z.string(), z.string().max(4096)), (env) => {
  const bad = Object.keys(env).find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  return bad === undefined ? (Object.keys(env).length > 64 ? 'at most 64 variables' : null) : `'${show(bad)}' is not an environment variable name (letters, digits, _)`;
});

/**
 * An existing Slurm cluster (Cairn's own type; Azure ML has none). With `address`, Cairn runs the
 * Slurm commands on that login host over SSH; without, on the server's own host. Slurm does the
 * queueing: each job becomes one sbatch submission whose script starts Cairn's agent.
 */
export const SlurmSpec = z
  .strictObject({
    ...common,
    type: z.literal('slurm'),
    address: Address.optional(),
    ssh_settings: HostSshSettings.optional(),
    host_key: HostKeyFingerprint.optional(),
    partition: SlurmText.optional(),
    account: SlurmText.optional(),
    qos: SlurmText.optional(),
    /** For jobs without limits.timeout: Slurm's time format (`30`, `4:00:00`, `1-00:00:00`); never UNLIMITED. */
    default_time_limit: custom(z.string(), (v) => (/^(\d+-)?\d+(:\d+){0,2}$/.test(v) && !/^0+(:0+)*$/.test(v) ? null : `expected a Slurm time limit like 30, 4:00:00 or 1-00:00:00 (found '${show(v)}'); UNLIMITED is not allowed: the partition's limit applies when unset`)).optional(),
    /** More sbatch options for every job; the ones Cairn sets itself are refused by name. */
    sbatch_options: z.array(z.string().max(512)).max(64).optional(),
    /** queue_settings.priority -> QOS or nice. */
    priorities: z.strictObject({ low: SlurmPriority.optional(), medium: SlurmPriority.optional(), high: SlurmPriority.optional() }).optional(),
    /** A folder every compute node sees (shared file system): the agent, its blob and environment caches, job folders. */
    work_dir: WorkDir.optional(),
    /**
     * A folder on each compute node's own disk: with it, each node fetches its own copy of Cairn's
     * agent, runtime, code and environments from this server and keeps it there (set at attach when
     * the nodes do not see work_dir).
     */
    node_local_dir: custom(z.string().max(1024), (d) => (d.startsWith('/') && d.length > 1 && !/[\u0000-\u001f]/.test(d) ? null : `must be an absolute path on the compute nodes, like /tmp/cairn or /scratch/cairn (found '${show(d)}')`)).optional(),
    /** Where the compute nodes reach this server (default: the server's own URL, right when they share its host or network). */
    server_url: z.url({ protocol: /^https?$/, error: "expected the http:// or https:// URL compute nodes reach Cairn at, like 'http://cairn.hpc.example.org:8080'" }).optional(),
    /** Variables for every Slurm command Cairn runs (SLURM_CONF for a non-default configuration, PATH for Slurm elsewhere). */
    slurm_env: SlurmEnv.optional(),
    slurmrestd_url: z.url({ protocol: /^https?$/, error: "expected the http:// or https:// URL of slurmrestd, like 'http://login1:6820'" }).optional(),
    min_instances: intIn(0).optional(),
    max_instances: intIn(1).optional(),
    idle_time_before_scale_down: intIn(0, undefined, 'seconds').optional(),
    resource_id: azureOnly(`${NO_AZURE}; give address (the login host) instead of resource_id`),
  })
  .superRefine((s, ctx) => {
    if (s.address && !s.ssh_settings) ctx.addIssue({ code: 'custom', path: ['ssh_settings'], message: 'ssh_settings is required with address: admin_username and a credential Cairn logs in to the login host with' });
    if (!s.address && s.ssh_settings) ctx.addIssue({ code: 'custom', path: ['address'], message: 'address is required with ssh_settings: the login host (leave both out to run the Slurm commands on the server\'s own host)' });
    if (!s.address && s.host_key) ctx.addIssue({ code: 'custom', path: ['host_key'], message: 'host_key pins the login host\'s key: it needs address' });
  });

export const KubernetesSpec = z.strictObject({
  ...common,
  type: z.literal('kubernetes'),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: "expected a Kubernetes namespace: lowercase letters, digits and '-', at most 63" }).default('default'),
  kubeconfig_file: LocalPath.optional(),
  instance_types: z.record(z.string(), z.looseObject({})).optional(),
  resource_id: azureOnly(`${NO_AZURE}; give kubeconfig_file (and namespace) instead of resource_id`),
  identity: noIdentity,
});

export const ComputeSpec = z.discriminatedUnion('type', [AmlComputeSpec, ComputeInstanceSpec, VirtualMachineSpec, SlurmSpec, KubernetesSpec]);
export type ComputeSpec = z.infer<typeof ComputeSpec>;
const SCHEMAS: Record<ComputeType, z.ZodType> = { amlcompute: AmlComputeSpec, computeinstance: ComputeInstanceSpec, virtualmachine: VirtualMachineSpec, slurm: SlurmSpec, kubernetes: KubernetesSpec };

// ---- parsing ---------------------------------------------------------------------------------

const invalid = (msg: string) => new CairnError('ValidationError', msg);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const NOUNS: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', object: 'an object', array: 'a list', int: 'an integer' };
const REQUIRED_HINTS: Record<string, string> = {
  address: 'the host name or IP address of the machine',
  ssh_settings: 'admin_username and a credential Cairn logs in with',
  'ssh_settings.admin_username': 'the user Cairn logs in as',
  'provider.hosts': 'the machines of the fleet, like [{address: 10.0.0.5, ssh_port: 22}]',
  'provider.ssh_settings': 'admin_username and a credential Cairn logs in to the nodes with',
  'provider.ssh_settings.admin_username': 'the user Cairn logs in as',
  'provider.create': 'the script that makes a node and prints its address as JSON',
  'provider.delete': 'the script that deletes a node',
};

/** Wording for issues the schemas leave to zod; schema-level messages take precedence over this. */
const genericMessage = (iss: z.core.$ZodRawIssue): string | undefined => {
  if (iss.code === 'invalid_type') return `expected ${NOUNS[iss.expected] ?? iss.expected} (found ${describe(iss.input)})`;
  if (iss.code === 'invalid_value') return `expected ${iss.values.map((v) => `'${String(v)}'`).join(' or ')} (found ${describe(iss.input)})`;
  if (iss.code === 'too_small' && iss.origin === 'string') return 'must not be empty';
  return undefined;
};

function oneLine(issue: z.core.$ZodIssue, type: ComputeType): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => `'${show([...issue.path.map(String), k].join('.'))}'`);
    return `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')} for ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} compute`;
  }
  if (issue.code === 'invalid_type' && issue.expected !== 'never' && issue.input === undefined)
    return `${path} is required${REQUIRED_HINTS[path] ? `: ${REQUIRED_HINTS[path]}` : ''}`;
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates a parsed YAML/JSON compute; throws CairnError('ValidationError') with one line. `sizes`
 * is the server's catalog; a client passes null and leaves the size to the server (which may
 * define sizes of its own).
 */
export function parseComputeSpec(input: unknown, sizes: SizeCatalog | null = AZURE_SIZES): ComputeSpec {
  if (!isObject(input)) throw invalid(`a compute spec must be an object of fields (name, type, ...), not ${describe(input)}`);
  const type = input.type;
  if (type === undefined || type === null) throw invalid(`a compute needs a type: one of ${COMPUTE_TYPES.join(', ')}`);
  if (!(COMPUTE_TYPES as readonly unknown[]).includes(type))
    throw invalid(`unknown compute type ${describe(type)}: expected one of ${COMPUTE_TYPES.join(', ')}`);
  let name = input.name;
  if (name === undefined || name === null || name === '') throw invalid('a compute needs a name');
  if (typeof name === 'string' && name.startsWith('azureml:')) name = name.slice('azureml:'.length);
  const nameProblem = checkComputeName(name);
  if (nameProblem) throw invalid(nameProblem);

  const r = SCHEMAS[type as ComputeType].safeParse({ ...input, name }, { error: genericMessage, reportInput: true });
  if (!r.success) throw invalid(oneLine(r.error.issues[0]!, type as ComputeType));
  const spec = r.data as ComputeSpec & { $schema?: string };
  delete spec.$schema;

  if ((spec.type === 'amlcompute' || spec.type === 'slurm') && spec.min_instances !== undefined && spec.max_instances !== undefined && spec.min_instances > spec.max_instances)
    throw invalid(`min_instances (${spec.min_instances}) must not be greater than max_instances (${spec.max_instances})`);
  if (sizes && (spec.type === 'amlcompute' || spec.type === 'computeinstance')) {
    const size = sizes.find(spec.size);
    if (!size) throw invalid(`size '${show(spec.size)}' does not exist; \`cairn compute list-sizes\` lists the sizes`);
    if (!sizes.forType(spec.type).includes(size))
      throw invalid(`size '${size.name}' has ${size.vcpus} vCPU, too few for a computeinstance (at least 2); \`cairn compute list-sizes\` lists the sizes`);
    spec.size = size.name;
    if (spec.type === 'amlcompute' && spec.tier === 'low_priority' && !size.low_priority_capable)
      throw invalid(`tier: low_priority is not available for size '${size.name}'; use tier: dedicated or another size`);
  }
  if (spec.type === 'amlcompute') {
    const ssh = spec.ssh_settings;
    if (spec.ssh_public_access_enabled && (!ssh?.admin_username || (!ssh.admin_password && !ssh.ssh_key_value)))
      throw invalid('ssh_public_access_enabled: true needs ssh_settings.admin_username and ssh_settings.admin_password or ssh_settings.ssh_key_value');
  }
  if (spec.type === 'computeinstance' && spec.ssh_public_access_enabled && !spec.ssh_settings?.ssh_key_value)
    throw invalid('ssh_public_access_enabled: true needs ssh_settings.ssh_key_value (your SSH public key)');
  return spec;
}

// ---- updates ---------------------------------------------------------------------------------

/** Fields a compute keeps for life; a change means a new compute. The VM family comes with `size`. */
export const IMMUTABLE_FIELDS: Record<ComputeType, readonly string[]> = {
  // The provider's type too: its nodes are its own (hosts and credentials stay changeable).
  amlcompute: ['name', 'type', 'size', 'tier', 'ssh_public_access_enabled', 'ssh_settings', 'enable_node_public_ip', 'provider.type'],
  computeinstance: ['name', 'type', 'size', 'ssh_public_access_enabled', 'ssh_settings', 'enable_node_public_ip', 'provider.type'],
  // Credentials and host_key stay changeable: rotating a key or a host's key is routine.
  virtualmachine: ['name', 'type', 'address', 'ssh_settings.ssh_port', 'work_dir'],
  slurm: ['name', 'type', 'address', 'work_dir'],
  kubernetes: ['name', 'type'],
};

const at = (v: unknown, dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), v);
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (isObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x)) ?? 'undefined';

export function checkComputeUpdate(current: ComputeSpec, next: ComputeSpec): void {
  // `provider: local` and `provider: {type: local}` are the same provider.
  const norm = (s: ComputeSpec) => ('provider' in s && typeof s.provider === 'string' ? { ...s, provider: { type: s.provider } } : s);
  const changed = IMMUTABLE_FIELDS[current.type].filter((f) => canonical(at(norm(current), f)) !== canonical(at(norm(next), f)));
  if (changed.length === 0) return;
  const again = isAttachedType(current.type) ? 'attached; detach it and attach it again' : 'created; delete it and create it again';
  throw invalid(`cannot change ${changed.join(', ')} after the compute is ${again}`);
}

/** JSON Merge Patch (RFC 7396): objects merge key by key, null removes a key. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** `current` must hold its secrets (joinSecrets) so the re-parse sees the credentials. */
export function mergeComputeUpdate(current: ComputeSpec, patch: Record<string, unknown>, sizes: SizeCatalog = AZURE_SIZES): ComputeSpec {
  if (!isObject(patch)) throw invalid(`an update must be an object of the fields to change, not ${describe(patch)}`);
  const next = parseComputeSpec(mergePatch(current, patch), sizes);
  checkComputeUpdate(current, next);
  return next;
}

// ---- secrets ---------------------------------------------------------------------------------

/** ssh_key_value is a secret only where it is a private key (virtualmachine, slurm); elsewhere it is public. */
export const COMPUTE_SECRET_FIELDS = ['ssh_settings.admin_password', 'ssh_settings.ssh_key_value'] as const;
const holdsPrivateKey = (type: ComputeType): boolean => type === 'virtualmachine' || type === 'slurm';
/** `provider`: the credentials an ssh or command provider logs in to its nodes with (its ssh_key_value is a private key). */
export type ComputeSecrets = { admin_password?: string; ssh_private_key?: string; provider?: { admin_password?: string; ssh_private_key?: string } };
type SshBag = { ssh_settings?: Record<string, unknown>; provider?: unknown };

export function splitSecrets(spec: ComputeSpec): { spec: ComputeSpec; secrets: ComputeSecrets } {
  const out = structuredClone(spec) as ComputeSpec & SshBag;
  const secrets: ComputeSecrets = {};
  const pssh = isObject(out.provider) && isObject(out.provider.ssh_settings) ? out.provider.ssh_settings : null;
  if (pssh) {
    const p: NonNullable<ComputeSecrets['provider']> = {};
    if (typeof pssh.admin_password === 'string') p.admin_password = pssh.admin_password;
    if (typeof pssh.ssh_key_value === 'string') p.ssh_private_key = pssh.ssh_key_value;
    delete pssh.admin_password;
    delete pssh.ssh_key_value;
    if (Object.keys(p).length) secrets.provider = p;
  }
  const ssh = out.ssh_settings;
  if (!ssh) return { spec: out, secrets };
  if (typeof ssh.admin_password === 'string') secrets.admin_password = ssh.admin_password;
  delete ssh.admin_password;
  if (holdsPrivateKey(out.type)) {
    if (typeof ssh.ssh_key_value === 'string') secrets.ssh_private_key = ssh.ssh_key_value;
    delete ssh.ssh_key_value;
  }
  return { spec: out, secrets };
}

export function joinSecrets(spec: ComputeSpec, secrets: ComputeSecrets): ComputeSpec {
  const out = structuredClone(spec) as ComputeSpec & SshBag;
  if (secrets.provider && isObject(out.provider) && isObject(out.provider.ssh_settings)) {
    const pssh = out.provider.ssh_settings;
    if (secrets.provider.admin_password !== undefined) pssh.admin_password = secrets.provider.admin_password;
    if (secrets.provider.ssh_private_key !== undefined) pssh.ssh_key_value = secrets.provider.ssh_private_key;
  }
  if (out.type === 'kubernetes' || out.type === 'computeinstance') return out;
  const ssh: Record<string, unknown> = { ...out.ssh_settings };
  if (secrets.admin_password !== undefined) ssh.admin_password = secrets.admin_password;
  if (secrets.ssh_private_key !== undefined && holdsPrivateKey(out.type)) ssh.ssh_key_value = secrets.ssh_private_key;
  if (out.ssh_settings || Object.keys(ssh).length > 0) out.ssh_settings = ssh;
  return out;
}

// ---- wire shapes -----------------------------------------------------------------------------

/** Loose: newer agents report more about their hosts than older clients know to show. */
export const ComputeNodeView = z.looseObject({
  name: z.string(),
  state: z.string(),
  slots: z.number().int(),
  busy_slots: z.number().int(),
  cpus: z.number().optional(),
  memory_mb: z.number().optional(),
  gpus: z.number().optional(),
  gpu_names: z.array(z.string()).optional(),
  os: z.string().optional(),
  arch: z.string().optional(),
  agent_version: z.string().nullable(),
  last_heartbeat: z.string().nullable(),
  /** Pool nodes: their name within the compute, size, tier, the job on them, and since when they are idle. */
  label: z.string().optional(),
  size: z.string().nullable().optional(),
  tier: z.string().nullable().optional(),
  current_job: z.string().nullable().optional(),
  idle_since: z.string().nullable().optional(),
  /** How a user logs in to it, when the compute allows SSH: `ssh -p PORT user@host`. */
  connection: z.string().nullable().optional(),
});
export type ComputeNodeView = z.infer<typeof ComputeNodeView>;

export const ComputeEvent = z.object({ at: z.string(), kind: z.string(), message: z.string() });
export type ComputeEvent = z.infer<typeof ComputeEvent>;

export const ProvisioningState = z.enum(['Creating', 'Succeeded', 'Failed', 'Updating', 'Deleting', 'Canceled']);
export type ProvisioningState = z.infer<typeof ProvisioningState>;

/** A Slurm compute's `compute show`: the cluster as Slurm reports it now, and how Azure ML's autoscaling settings read on it. */
export const SlurmClusterView = z.looseObject({
  version: z.string(),
  cluster: z.string().nullable(),
  partition: z.string().nullable(),
  partitions: z.array(z.looseObject({ name: z.string(), state: z.string().optional(), default: z.boolean(), nodes: z.string().optional(), total_nodes: z.number(), total_cpus: z.number(), max_nodes: z.string().optional(), max_time: z.string().optional() })),
  nodes: z.array(z.looseObject({ name: z.string(), state: z.string().optional(), partitions: z.array(z.string()), cpus: z.number(), cpus_allocated: z.number(), memory_mb: z.number(), gres: z.string().nullable(), address: z.string().optional(), reason: z.string().optional() })),
  autoscaling: z.array(z.object({ partition: z.string(), cloud_nodes: z.array(z.string()), max_instances: z.number(), min_instances: z.number(), idle_time_before_scale_down: z.number().nullable(), explanation: z.string() })),
  accounting: z.boolean(),
});
export type SlurmClusterView = z.infer<typeof SlurmClusterView>;

/** The spec's public fields (loose: they differ by type) plus what only the server knows. */
export const ComputeView = z.looseObject({
  name: z.string(),
  type: z.string(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  id: z.string(),
  provisioning_state: ProvisioningState,
  provisioning_errors: z.array(z.object({ code: z.string(), message: z.string() })),
  state: z.string().optional(),
  created_on: z.string(),
  last_modified_on: z.string(),
  host_key: z.string().optional(),
  nodes: z.array(ComputeNodeView),
  agent: z.object({ version: z.string(), health: z.string() }).optional(),
  unsupported: z.record(z.string(), z.string()).optional(),
  /** Pool computes: nodes now (current / min / max), and the autoscaler's decisions with their reasons. */
  current_node_count: z.number().int().optional(),
  scaling_history: z.array(ComputeEvent).optional(),
  /** Slurm computes, in `compute show`: what Slurm reports now. */
  slurm: SlurmClusterView.optional(),
  /** Why the live part of `compute show` is missing (the login host did not answer). */
  live_error: z.string().optional(),
});
export type ComputeView = z.infer<typeof ComputeView>;

export const computeId = (workspace: string, name: string): string => `/workspaces/${workspace}/computes/${name}`;

/** `spec` is checked by parseComputeSpec, not here, so its message is the one-line kind. */
export const CreateComputeRequest = z.strictObject({ spec: z.unknown(), attach: z.boolean().default(false), host_key: HostKeyFingerprint.optional() });
export type CreateComputeRequest = z.infer<typeof CreateComputeRequest>;
export const UpdateComputeRequest = z.strictObject({ patch: z.record(z.string(), z.unknown()) });
export type UpdateComputeRequest = z.infer<typeof UpdateComputeRequest>;

export const ComputeAction = z.enum(['start', 'stop', 'restart']);
export type ComputeAction = z.infer<typeof ComputeAction>;
