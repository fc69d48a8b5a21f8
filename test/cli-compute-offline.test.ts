import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadComputeFile } from '../src/sdk/compute-file.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { runCli, tempDir } from './helpers/cairn.ts';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
const PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host';
const HOST_KEY = `SHA256:${'A'.repeat(43)}`;

/**
 * Inputs the CLI must refuse before it talks to any server: nothing listens on port 9, so a
 * command that got as far as the network would fail with "cannot reach" instead.
 */
describe('cairn compute: refused before any server is contacted', () => {
  const work = tempDir('compute-offline');
  const env = { CAIRN_SERVER: 'http://127.0.0.1:9', CAIRN_HOME: join(work, 'home') };
  const cli = (args: string[]) => runCli(['compute', ...args], { env, cwd: work });
  const fails = async (args: string[], message: string) => {
    const r = await cli(args);
    assert.equal(r.stderr, `error: ${message}\n`, `cairn compute ${args.join(' ')}`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
  };

  before(() => {
    writeFileSync(join(work, 'key'), KEY);
    writeFileSync(join(work, 'key.pub'), `${PUB}\n`);
    mkdirSync(join(work, 'conf'));
    writeFileSync(join(work, 'conf', 'vm.yml'), 'name: box1\ntype: virtualmachine\naddress: 10.0.0.5\nssh_settings:\n  admin_username: me\n  ssh_private_key_file: ./missing_key\n');
    writeFileSync(join(work, 'cluster.yml'), 'name: cpu-cluster\ntype: amlcompute\nmax_instances: 2\n');
    writeFileSync(join(work, 'unknown.yml'), 'name: cpu-cluster\ntype: amlcompute\nmax_instances: 2\nfoo: 1\n');
    writeFileSync(join(work, 'nested.yml'), 'name: box1\ntype: virtualmachine\naddress: 10.0.0.5\nssh_settings:\n  admin_username: me\n  admin_password: x\n  bar: 2\n');
    writeFileSync(join(work, 'bad.yml'), 'name: [unclosed\n');
  });

  it('refuses a name that is too short', () => fails(['create', '--name', 'ab', '--type', 'amlcompute'], "compute name 'ab' must be 3 to 24 characters long (it has 2)"));
  it('refuses a name that is too long', () =>
    fails(['create', '--name', 'a'.repeat(25), '--type', 'amlcompute'], `compute name '${'a'.repeat(25)}' must be 3 to 24 characters long (it has 25)`));
  it('refuses a name that does not start with a letter', () => fails(['create', '--name', '1gpu', '--type', 'amlcompute'], "compute name '1gpu' must start with a letter"));
  it('refuses a name with other characters', () =>
    fails(['create', '--name', 'gpu_box', '--type', 'amlcompute'], "compute name 'gpu_box' may contain only letters, digits and '-' (found '_')"));
  it("refuses a name whose last '-' has no letter after it", () =>
    fails(['create', '--name', 'gpu-1', '--type', 'amlcompute'], "compute name 'gpu-1' is invalid: every '-' must be followed later by at least one letter"));
  it('checks the name of an attach too, after dropping azureml:', () =>
    fails(['attach', '--name', 'azureml:b', '--address', 'h1', '--admin-username', 'me', '--admin-password', 'pw'], "compute name 'b' must be 3 to 24 characters long (it has 1)"));

  it('refuses an unknown type', () =>
    fails(['create', '--name', 'cpu-cluster', '--type', 'gpucluster'], "unknown compute type 'gpucluster': expected one of amlcompute, computeinstance, virtualmachine, slurm, kubernetes"));
  it('refuses an unknown field, naming the file', () => fails(['create', '-f', 'unknown.yml'], "unknown.yml: unknown field 'foo' for an amlcompute compute"));
  it('refuses an unknown nested field', () => fails(['attach', '-f', 'nested.yml'], "nested.yml: unknown field 'ssh_settings.bar' for a virtualmachine compute"));
  it('refuses an unknown field given with --set', () =>
    fails(['create', '--name', 'cpu-cluster', '--type', 'amlcompute', '--set', 'colour=red'], "unknown field 'colour' for an amlcompute compute"));
  it('refuses min_instances above max_instances', () =>
    fails(['create', '--name', 'cpu-cluster', '--type', 'amlcompute', '--min-instances', '3', '--max-instances', '2'], 'min_instances (3) must not be greater than max_instances (2)'));
  it('applies flags and --set over the file before checking', async () => {
    await fails(['create', '-f', 'cluster.yml', '--set', 'min_instances=5'], 'cluster.yml: min_instances (5) must not be greater than max_instances (2)');
    await fails(['create', '-f', 'cluster.yml', '--min-instances', '3'], 'cluster.yml: min_instances (3) must not be greater than max_instances (2)');
    await fails(['create', '-f', 'cluster.yml', '--name', '9lives'], "cluster.yml: compute name '9lives' must start with a letter");
  });
  it('refuses malformed YAML with its line and column', async () => {
    const r = await cli(['create', '-f', 'bad.yml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: bad\.yml:\d+:\d+: invalid YAML: [^\n]+\n$/);
  });
  it('refuses a missing compute file', () => fails(['create', '-f', 'nope.yml'], 'cannot read compute file nope.yml: no such file'));
  it('refuses a create with nothing to create', () => fails(['create'], "compute create: give --file FILE, or the compute's fields as flags (--name, --type, ...)"));
  it('refuses a bad number flag', () => fails(['create', '--name', 'cpu-cluster', '--type', 'amlcompute', '--max-instances', 'two'], "--max-instances: expected a whole number, got 'two'"));
  it('refuses a bad --set', () => fails(['create', '--name', 'cpu-cluster', '--type', 'amlcompute', '--set', 'nokey'], "--set 'nokey': expected key=value"));

  it('sends machines you have to attach, and the rest to create', async () => {
    await fails(['create', '--name', 'box1', '--type', 'virtualmachine'], "a virtualmachine compute is attached, not created: use 'cairn compute attach'");
    await fails(['attach', '--name', 'cpu-cluster', '--type', 'amlcompute'], "an amlcompute compute is created, not attached: use 'cairn compute create'");
  });

  it('refuses a key file that is not there, relative to the YAML file', () =>
    fails(['attach', '-f', join('conf', 'vm.yml')], `cannot read ssh_private_key_file ${join(work, 'conf', 'missing_key')}: no such file`));
  it('refuses a key file that is not there, relative to the current folder for the flag', () =>
    fails(['attach', '--name', 'box1', '--address', '10.0.0.5', '--admin-username', 'me', '--ssh-private-key-file', 'nokey'], `cannot read ssh_private_key_file ${join(work, 'nokey')}: no such file`));
  it('reads the key file and checks its text: a public key is refused', () =>
    fails(
      ['attach', '--name', 'box1', '--address', '10.0.0.5', '--admin-username', 'me', '--ssh-private-key-file', 'key.pub'],
      'ssh_settings.ssh_key_value: this is a public key; Cairn logs in with the private key: give its text here or its path in ssh_private_key_file',
    ));
  it('refuses an address with a port in it', () =>
    fails(
      ['attach', '--name', 'box1', '--address', '10.0.0.5:2222', '--admin-username', 'me', '--ssh-private-key-file', 'key'],
      "address: expected a host name or IP address without a port: write '10.0.0.5' and put 2222 in ssh_settings.ssh_port",
    ));
  it('refuses a malformed --host-key', () =>
    fails(['attach', '--name', 'box1', '--address', 'h1', '--admin-username', 'me', '--ssh-private-key-file', 'key', '--host-key', 'MD5:aa'], "--host-key: expected an SSH host key fingerprint: 'SHA256:' and 43 base64 characters, as `ssh-keygen -lf` prints it"));

  it('refuses delete and detach without --yes when there is no terminal to ask on', async () => {
    await fails(['delete', '-n', 'box1'], "pass --yes to delete 'box1' without a prompt");
    await fails(['detach', '-n', 'azureml:box1', '--force'], "pass --yes to detach 'box1' without a prompt");
  });
  it('refuses an update with nothing to change', () => fails(['update', '-n', 'box1'], 'nothing to update: give a flag such as --max-instances, or --set key=value'));

  it('a valid attach gets as far as the network, and no secret is printed', async () => {
    const r = await cli(['attach', '--name', 'box1', '--address', '10.0.0.5', '--admin-username', 'me', '--ssh-private-key-file', 'key', '--admin-password', 'hunter2-secret']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot reach the Cairn server at http:\/\/127\.0\.0\.1:9/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2') && !`${r.stdout}${r.stderr}`.includes('PRIVATE KEY'));
  });
});

describe('loadComputeFile', () => {
  const dir = tempDir('compute-file');
  before(() => {
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'id'), KEY);
    writeFileSync(join(dir, 'vm.yml'), 'name: azureml:box1\ntype: virtualmachine\naddress: gpu1.lan\nssh_settings:\n  admin_username: me\n  ssh_private_key_file: keys/id\n');
  });

  it('reads the key relative to the file, keeps its path, and strips azureml:', () => {
    const spec = loadComputeFile(join(dir, 'vm.yml'));
    assert.equal(spec.name, 'box1');
    assert.ok(spec.type === 'virtualmachine');
    assert.equal(spec.ssh_settings.ssh_private_key_file, 'keys/id');
    assert.equal(spec.ssh_settings.ssh_key_value, KEY);
    assert.equal(spec.ssh_settings.ssh_port, 22);
  });

  it('expands ~/ to the home folder', () => {
    const home = process.env.HOME;
    process.env.HOME = dir;
    try {
      const spec = loadComputeFile(join(dir, 'vm.yml'), ['ssh_settings.ssh_private_key_file=~/keys/id', 'ssh_settings.ssh_port=2222']);
      assert.ok(spec.type === 'virtualmachine');
      assert.equal(spec.ssh_settings.ssh_key_value, KEY);
      assert.equal(spec.ssh_settings.ssh_private_key_file, '~/keys/id');
      assert.equal(spec.ssh_settings.ssh_port, 2222);
    } finally {
      process.env.HOME = home;
    }
  });

  it('gives one line for every problem', () => {
    assert.throws(
      () => loadComputeFile(join(dir, 'vm.yml'), ['ssh_settings.ssh_port=99999']),
      (e: unknown) => e instanceof CairnError && e.code === 'ValidationError' && e.message === `${join(dir, 'vm.yml')}: ssh_settings.ssh_port: expected an integer from 1 to 65535`,
    );
  });
});

/** A stand-in for the server's compute routes: enough to see the CLI wait, print and fail. */
function stubServer() {
  type View = Record<string, any>;
  const computes = new Map<string, { view: View; polls: number; next: 'Succeeded' | 'Failed' | 'gone' }>();
  const requests: { method: string; url: string; body: any }[] = [];
  let clock = 0;
  const send = (res: any, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: any, name: string) => send(res, 404, { error: { code: 'NotFound', message: `compute '${name}' does not exist in workspace 'default'` } });
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += c;
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ method: req.method!, url: req.url!, body });
    const u = new URL(req.url!, 'http://x');
    const path = u.pathname.replace('/api/v1/workspaces/default', '');
    if (u.pathname === '/api/v1/health') return send(res, 200, { status: 'ok' });
    if (path === '/compute-sizes') return send(res, 200, [{ name: 'Standard_NC6s_v3', family: 'gpu', vcpus: 6, memory_gb: 112, gpus: 1, gpu_type: 'V100', low_priority_capable: true, provider: 'local', available: 0 }]);
    if (path === '/computes' && req.method === 'GET') return send(res, 200, [...computes.values()].map((c) => c.view).filter((v) => !u.searchParams.has('type') || v.type === u.searchParams.get('type')));
    if (path === '/computes' && req.method === 'POST') {
      const { admin_password, ssh_key_value, ...ssh } = body.spec.ssh_settings ?? {};
      const view: View = {
        ...body.spec,
        ...(body.spec.ssh_settings ? { ssh_settings: ssh } : {}),
        id: `/workspaces/default/computes/${body.spec.name}`,
        provisioning_state: 'Creating',
        provisioning_errors: [],
        created_on: '2025-01-01T00:00:00Z',
        last_modified_on: '2025-01-01T00:00:00Z',
        nodes: [],
        ...(admin_password ? { warnings: ['admin_password is stored on the server; prefer an SSH key'] } : {}),
      };
      const failing = body.spec.name.startsWith('fail');
      computes.set(body.spec.name, { view: { ...view, warnings: undefined }, polls: 2, next: failing ? 'Failed' : 'Succeeded' });
      return send(res, 201, view);
    }
    const m = /^\/computes\/([^/]+)(\/(nodes|start|stop|restart))?$/.exec(path);
    const c = m && computes.get(decodeURIComponent(m[1]!));
    if (!m || !c) return notFound(res, m?.[1] ?? '?');
    if (req.method === 'GET' && !m[3]) {
      if (c.polls-- > 0) return send(res, 200, c.view);
      if (c.next === 'gone') {
        computes.delete(c.view.name);
        return notFound(res, c.view.name);
      }
      c.view.provisioning_state = c.next;
      if (c.next === 'Failed') c.view.provisioning_errors = [{ code: 'SshAuthFailed', message: `me@${c.view.address}: the key was refused` }];
      if (c.next === 'Succeeded' && c.view.type === 'virtualmachine') {
        c.view.host_key = HOST_KEY;
        c.view.agent = { version: '0.1.0', health: 'healthy' };
        c.view.nodes = [{ name: c.view.address, state: 'ready', slots: 4, busy_slots: 1, cpus: 8, memory_mb: 32768, gpus: 2, gpu_names: ['NVIDIA A100', 'NVIDIA A100'], os: 'linux', arch: 'x64', agent_version: '0.1.0', last_heartbeat: '2025-01-01T00:00:05Z' }];
      }
      return send(res, 200, c.view);
    }
    if (req.method === 'GET' && m[3] === 'nodes') return send(res, 200, c.view.nodes);
    const touch = () => (c.view.last_modified_on = new Date(Date.now() + ++clock).toISOString());
    if (req.method === 'DELETE') {
      // As the server does: a delete starts with the errors of an earlier failure cleared.
      c.view.provisioning_state = 'Deleting';
      c.view.provisioning_errors = [];
      touch();
      c.polls = 1;
      c.next = 'gone';
      if (c.view.name.startsWith('stuck')) {
        c.polls = 1e9;
        setTimeout(() => {
          c.view.provisioning_errors = [{ code: 'SshUnreachable', message: `${c.view.address}:22 does not answer` }];
          touch();
        }, 600);
      }
      return send(res, 202, c.view);
    }
    if (req.method === 'PATCH') {
      Object.assign(c.view, body.patch, { provisioning_state: 'Updating' });
      touch();
      c.polls = 1;
      c.next = 'Succeeded';
      return send(res, 200, c.view);
    }
    if (req.method === 'POST' && m[3] === 'restart') return send(res, 400, { error: { code: 'Unsupported', message: `a ${c.view.type} compute cannot restart here` } });
    if (req.method === 'POST' && m[3]) {
      c.view.state = m[3] === 'stop' ? 'Stopping' : 'Starting';
      c.polls = 2;
      setTimeout(() => (c.view.state = m[3] === 'stop' ? 'Stopped' : 'Running'), 700);
      return send(res, 202, c.view);
    }
    send(res, 405, { error: { code: 'BadRequest', message: 'no such route' } });
  });
  return { server, requests };
}

describe('cairn compute against a stub server: waiting, printing, failing', () => {
  const stub = stubServer();
  const work = tempDir('compute-stub');
  let env: NodeJS.ProcessEnv = {};
  const cli = (args: string[]) => runCli(['compute', ...args], { env, cwd: work });

  before(async () => {
    await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
    env = { CAIRN_SERVER: `http://127.0.0.1:${(stub.server.address() as { port: number }).port}`, CAIRN_HOME: join(work, 'home') };
    writeFileSync(join(work, 'id_box'), KEY);
    writeFileSync(join(work, 'box.yml'), 'name: gpu-box\ntype: virtualmachine\naddress: 10.0.0.7\nssh_settings:\n  admin_username: me\n  ssh_private_key_file: id_box\n  admin_password: hunter2-secret\n');
  });
  after(() => new Promise<void>((r) => stub.server.close(() => r())));

  it('attaches: sends the key text and its path, waits, prints the view without secrets, and the pinned host key', async () => {
    const r = await cli(['attach', '-f', 'box.yml']);
    assert.equal(r.code, 0, r.stderr);
    const sent = stub.requests.find((q) => q.method === 'POST')!.body;
    assert.equal(sent.attach, true);
    assert.equal(sent.spec.ssh_settings.ssh_key_value, KEY);
    assert.equal(sent.spec.ssh_settings.ssh_private_key_file, 'id_box');
    const view = JSON.parse(r.stdout);
    assert.equal(view.provisioning_state, 'Succeeded');
    assert.equal(view.host_key, HOST_KEY);
    assert.equal(r.stderr, `warning: admin_password is stored on the server; prefer an SSH key\nhost key of 10.0.0.7: ${HOST_KEY} (pinned)\n`);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2') && !`${r.stdout}${r.stderr}`.includes('PRIVATE KEY'));
  });

  it('shows a readable detail block and lists as a table', async () => {
    const show = await cli(['show', '-n', 'azureml:gpu-box', '-o', 'table']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^name\s+gpu-box$/m);
    assert.match(show.stdout, /^address\s+me@10\.0\.0\.7$/m);
    assert.match(show.stdout, /^provisioning state\s+Succeeded$/m);
    assert.match(show.stdout, new RegExp(`^host key\\s+${HOST_KEY.replace('+', '\\+')}$`, 'm'));
    assert.match(show.stdout, /^agent\s+0\.1\.0 \(healthy\)$/m);
    assert.match(show.stdout, /10\.0\.0\.7\s+ready\s+1\/4 busy\s+8\s+32\.0 GiB\s+2 \(NVIDIA A100\)/);
    const list = await cli(['list']);
    assert.match(list.stdout, /^Name\s+Type\s+State\s+Nodes$/m);
    assert.match(list.stdout, /^gpu-box\s+virtualmachine\s+Succeeded\s+1 ready \(1\/4 slots busy\)$/m);
    const yaml = await cli(['list', '--type', 'amlcompute', '-o', 'yaml']);
    assert.equal(yaml.stdout.trim(), '[]');
    const sizes = await cli(['list-sizes', '--type', 'amlcompute']);
    assert.match(sizes.stdout, /^Name\s+Family\s+vCPUs\s+Memory \(GB\)\s+GPUs\s+Fits now$/m);
    assert.match(sizes.stdout, /^Standard_NC6s_v3\s+gpu\s+6\s+112\s+1 x V100\s+0 \(local\)$/m);
    assert.equal(stub.requests.at(-1)!.url, '/api/v1/workspaces/default/compute-sizes?type=amlcompute');
  });

  it('updates with a merge patch and waits until it is applied', async () => {
    const r = await cli(['update', '-n', 'gpu-box', '--set', 'max_concurrent_jobs=2', '--description', 'the big one']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stub.requests.find((q) => q.method === 'PATCH')!.body, { patch: { description: 'the big one', max_concurrent_jobs: 2 } });
    assert.equal(JSON.parse(r.stdout).provisioning_state, 'Succeeded');
  });

  it('stops with --force and waits until it is stopped; says why an action is not supported', async () => {
    const r = await cli(['stop', '-n', 'gpu-box', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(stub.requests.some((q) => q.method === 'POST' && q.url.endsWith('/computes/gpu-box/stop?force=true')));
    assert.equal(JSON.parse(r.stdout).state, 'Stopped');
    const restart = await cli(['restart', '-n', 'gpu-box']);
    assert.equal(restart.code, 1);
    assert.equal(restart.stderr, 'error: a virtualmachine compute cannot restart here\n');
  });

  it('prints the view and exits 1 with the first provisioning error when provisioning fails', async () => {
    const r = await cli(['attach', '--name', 'fail-box', '--address', '10.0.0.8', '--admin-username', 'me', '--ssh-private-key-file', 'id_box']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).provisioning_state, 'Failed');
    assert.equal(r.stderr, 'error: me@10.0.0.8: the key was refused\n');
  });

  it('answers at once with --no-wait', async () => {
    const r = await cli(['create', '--name', 'cpu-cluster', '--type', 'amlcompute', '--max-instances', '4', '--no-wait', '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^provisioning_state: Creating$/m);
    assert.match(r.stdout, /^max_instances: 4$/m);
  });

  it('deletes a compute whose provisioning failed: the errors of that failure do not end the wait', async () => {
    const r = await cli(['delete', '-n', 'fail-box', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "Deleted 'fail-box'\n");
  });

  it('says when a delete attempt fails', async () => {
    const a = await cli(['attach', '--name', 'stuck-box', '--address', '10.0.0.9', '--admin-username', 'me', '--ssh-private-key-file', 'id_box']);
    assert.equal(a.code, 0, a.stderr);
    const r = await cli(['detach', '-n', 'stuck-box', '--yes']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).provisioning_state, 'Deleting');
    assert.equal(r.stderr, "error: detach of 'stuck-box' failed: 10.0.0.9:22 does not answer; the server tries again (cairn compute show -n stuck-box follows it)\n");
  });

  it('deletes and detaches, waiting until the compute is gone', async () => {
    const d = await cli(['detach', '-n', 'gpu-box', '--yes']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stderr, "Detached 'gpu-box'\n");
    assert.equal(d.stdout, '');
    assert.ok(stub.requests.some((q) => q.method === 'DELETE' && q.url.endsWith('/computes/gpu-box?mode=detach&force=false')));
    const r = await cli(['delete', '-n', 'cpu-cluster', '--yes', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "Deleted 'cpu-cluster'\n");
    assert.ok(stub.requests.some((q) => q.method === 'DELETE' && q.url.endsWith('/computes/cpu-cluster?mode=delete&force=true')));
    const gone = await cli(['show', '-n', 'cpu-cluster']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, "error: compute 'cpu-cluster' does not exist in workspace 'default'\n");
  });
});
