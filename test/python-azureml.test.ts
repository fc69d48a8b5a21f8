// cairn.azureml (azureml-core v1 shapes) against a real server, run with Debian's python3: the
// articles' flows (attach a machine with a password and with a key and passphrase, a persistent
// cluster and a run-based one, a compute instance, user- and system-managed environments,
// ScriptRunConfig on local, the machine and the cluster, wait with output), bad input, and the
// opt-in aliases installed offline with pip, running unmodified v1 and v2 scripts. The TS SDK and
// the CLI look at the same jobs and computes afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { ROOT, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';
import { buildWheel, SYSTEM_PYTHON } from './helpers/wheels.ts';

const PY_PATH = join(ROOT, 'src', 'agent', 'python');
const bed = await sshTestbed();
const skip = 'skip' in bed ? bed.skip : false;

interface PyResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a Python script file with Debian's python3, `cairn` (and `extraPath`) on PYTHONPATH. */
function python(file: string, o: { cwd: string; env?: NodeJS.ProcessEnv; extraPath?: string; timeoutMs?: number }): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PYTHONPATH: [o.extraPath, PY_PATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1', ...o.env };
    const child = spawn(SYSTEM_PYTHON, [file], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The last stdout line that is JSON: what a script reports for the test to check. */
const report = (r: PyResult): any => {
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line);
};

// In the job, the articles' own import: cairn.azureml.core.Run.get_context() is the job's run.
const TRAIN = `import argparse, os
from cairn.azureml.core import Run
p = argparse.ArgumentParser(); p.add_argument("--lr", type=float); p.add_argument("--tag", default="none")
a = p.parse_args()
run = Run.get_context()
run.log("lr", a.lr)
for epoch in range(3):
    run.log("loss", 1.0 / (epoch + 1))
    print("epoch", epoch, "tag", a.tag, flush=True)
os.makedirs("outputs", exist_ok=True)
open("outputs/model.txt", "w").write("weights lr=%s" % a.lr)
print("user", os.environ.get("USER") or os.getuid())
`;

describe('cairn.azureml: the azureml-core v1 shapes over a real server', () => {
  const work = tempDir('py-azureml');
  let server: TestServer;
  let client: CairnClient;
  let wheels: string;
  const env = () => ({ CAIRN_SERVER: server.url });
  const script = (name: string, body: string) => {
    const file = join(work, name);
    writeFileSync(file, body);
    return file;
  };
  const run = (name: string, body: string, o: { env?: NodeJS.ProcessEnv; extraPath?: string; cwd?: string } = {}) =>
    python(script(name, body), { cwd: o.cwd ?? work, env: { ...env(), ...o.env }, extraPath: o.extraPath });
  const computeNames = async () => (await client.computes.list()).map((c) => c.name).sort();

  before(async () => {
    wheels = buildWheel(work, { name: 'cairn-demo-pkg', module: 'cairn_demo_pkg', version: '1.2.3', value: 'from-wheel' });
    // Air-gapped: a system-managed environment's pip may only look at the wheels built here.
    server = await new TestServer({ args: ['--max-concurrent-jobs', '4'], env: { CAIRN_PIP_NO_INDEX: '1', CAIRN_PIP_FIND_LINKS: wheels } }).start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'train.py'), TRAIN);
    writeFileSync(join(work, 'src', 'uses_pkg.py'), 'import cairn_demo_pkg, sys\nprint("package says", cairn_demo_pkg.VALUE, "python", sys.version_info[0], sys.version_info[1])\n');
  });
  after(async () => {
    for (const c of ['pyvm-pw', 'pyvm-key']) await runCli(['compute', 'detach', '-n', c, '--yes', '--force'], { env: server?.cliEnv }).catch(() => {});
    await server?.stop();
  });

  it('Workspace: from_config, write_config, the defaults, and Azure-only arguments refused by name', async () => {
    const r = await run(
      'ws.py',
      `import json, os
from cairn.azureml.core import Workspace
from cairn.azureml.exceptions import UserErrorException
out = {}
ws = Workspace.from_config()
out["default"] = [ws.name, ws.server, ws.subscription_id]
os.makedirs("proj/sub", exist_ok=True)
out["written"] = ws.write_config(path="proj")
os.chdir("proj/sub")
os.environ["CAIRN_SERVER"] = "http://127.0.0.1:9"   # the config file's server wins
ws2 = Workspace.from_config()
out["from_file"] = [ws2.name, ws2.server]
os.chdir("../..")
def err(f):
    try:
        f()
    except Exception as e:
        return [type(e).__name__, getattr(e, "code", None), str(e)]
out["subscription"] = err(lambda: Workspace("0000-sub", "my-rg", "ws1"))
out["get_rg"] = err(lambda: Workspace.get("ws1", resource_group="rg"))
out["create"] = err(lambda: Workspace.create("ws1"))
os.makedirs("azproj/.azureml", exist_ok=True)
json.dump({"subscription_id": "x", "resource_group": "y", "workspace_name": "z"}, open("azproj/.azureml/config.json", "w"))
out["azure_config"] = err(lambda: Workspace.from_config(path="azproj"))
out["unreachable"] = err(lambda: Workspace.get("default"))
print(json.dumps(out))
`,
    );
    assert.equal(r.code, 0, r.stderr);
    const o = report(r);
    assert.deepEqual(o.default, ['default', server.url, null]);
    assert.equal(o.written, join(work, 'proj', '.cairn', 'config.json'));
    assert.deepEqual(JSON.parse(readFileSync(o.written, 'utf8')), { server: server.url, workspace: 'default' });
    assert.deepEqual(o.from_file, ['default', server.url]);
    for (const k of ['subscription', 'get_rg', 'create']) {
      assert.equal(o[k][0], 'UserErrorException', k);
      assert.equal(o[k][1], 'Unsupported', k);
    }
    assert.match(o.subscription[2], /^resource_group, subscription_id: Cairn has no Azure subscriptions, resource groups/);
    assert.match(o.create[2], /needs no creating.*Workspace\.get\('ws1'\)/);
    assert.match(o.azure_config[2], /is an Azure ML workspace config \(subscription_id, resource_group\): Cairn has no Azure subscriptions/);
    assert.equal(o.unreachable[0], 'ServerUnreachable');
    assert.match(o.unreachable[2], /127\.0\.0\.1:9/);
  });

  it('local: user- and system-managed environments, ScriptRunConfig, wait with output, metrics and files; the SDK and CLI see the same jobs', async () => {
    const r = await run(
      'local.py',
      `import json
from cairn.azureml.core import Workspace, Experiment, Environment, ScriptRunConfig
from cairn.azureml.core.runconfig import RunConfiguration
from cairn.azureml.core.conda_dependencies import CondaDependencies
ws = Workspace.from_config()
exp = Experiment(workspace=ws, name="py-v1")
um = Environment("user-managed-env")
um.python.user_managed_dependencies = True
um.python.interpreter_path = "/usr/bin/python3"
src = ScriptRunConfig(source_directory="src", script="train.py", arguments=["--lr", 0.5, "--tag", "local run"], compute_target="local", environment=um)
run = exp.submit(src)
run.wait_for_completion(show_output=True)
run.download_file("outputs/model.txt", output_file_path="model.txt")
out = {"um": [run.id, run.get_status(), run.get_metrics(), open("model.txt").read(), run.get_portal_url()]}
sm = Environment("sm-env")
sm.python.user_managed_dependencies = False
sm.python.conda_dependencies = CondaDependencies.create(pip_packages=["cairn-demo-pkg==1.2.3"], python_version="3.11")
registered = sm.register(workspace=ws)
got = Environment.get(ws, "sm-env")
rc = RunConfiguration()
rc.target = "local"
rc.environment = got
run2 = exp.submit(ScriptRunConfig(source_directory="src", script="uses_pkg.py", run_config=rc))
details = run2.wait_for_completion(show_output=True)
out["sm"] = [run2.id, details["status"], registered.version, got.version, sorted(got.python.conda_dependencies.pip_packages)]
out["runs"] = sorted(r.id for r in exp.get_runs())
print(json.dumps(out))
`,
    );
    assert.equal(r.code, 0, r.stderr);
    const o = report(r);
    const [id, status, metrics, model, url] = o.um;
    assert.equal(status, 'Completed');
    assert.deepEqual(metrics.lr, 0.5);
    assert.deepEqual(metrics.loss, [1, 0.5, 1 / 3]);
    assert.equal(model, 'weights lr=0.5');
    assert.equal(url, `${server.url}/jobs/${id}`);
    for (const e of [0, 1, 2]) assert.match(r.stdout, new RegExp(`^epoch ${e} tag local run$`, 'm'));
    assert.match(r.stdout, new RegExp(`^RunId: ${id}$`, 'm'));
    assert.match(r.stdout, /^Execution Summary$/m);
    assert.match(r.stdout, /^package says from-wheel python 3 11$/m);
    const [id2, status2, v1, v2, pip] = o.sm;
    assert.equal(status2, 'Completed');
    assert.equal(v1, '1');
    assert.equal(v2, '1');
    assert.deepEqual(pip, ['cairn-demo-pkg==1.2.3']);
    assert.deepEqual(o.runs, [id, id2].sort());
    // The same jobs through the TypeScript SDK and the CLI.
    const job = await client.getJob(id);
    assert.equal(job.status, 'Completed');
    assert.equal(job.experiment_name, 'py-v1');
    assert.equal(job.compute, 'local');
    assert.equal(job.python_path, '/usr/bin/python3');
    assert.equal(job.command, "python train.py --lr 0.5 --tag 'local run'");
    const job2 = await client.getJob(id2);
    assert.equal(job2.environment, 'sm-env:1');
    assert.equal(job2.environment_details?.ref, 'sm-env:1');
    assert.equal(job2.environment_details?.record?.builder, 'venv+pip');
    const shown = await runCli(['job', 'list', '--experiment-name', 'py-v1', '-o', 'json'], { env: server.cliEnv });
    assert.deepEqual(JSON.parse(shown.stdout).map((j: { name: string }) => j.name).sort(), [id, id2].sort());
  });

  it('clusters: a persistent one (try/except create), a run-based one and a compute instance; bad provisioning creates nothing', async () => {
    const r = await run(
      'cluster.py',
      `import json
from cairn.azureml.core import Workspace, Experiment, ScriptRunConfig
from cairn.azureml.core.runconfig import RunConfiguration
from cairn.azureml.core.compute import ComputeTarget, AmlCompute, ComputeInstance
from cairn.azureml.core.compute_target import ComputeTargetException
ws = Workspace.from_config()
out = {}
try:
    cpu_cluster = ComputeTarget(workspace=ws, name="py-cpu")
    out["existed"] = True
except ComputeTargetException as e:
    out["not_found"] = [e.code, str(e)]
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_DS1_V2", min_nodes=0, max_nodes=1, idle_seconds_before_scaledown=2)
    cpu_cluster = ComputeTarget.create(ws, "py-cpu", config)
cpu_cluster.wait_for_completion(show_output=True)
exp = Experiment(ws, "py-clusters")
run = exp.submit(ScriptRunConfig(source_directory="src", script="train.py", arguments=["--lr", 0.1, "--tag", "cluster"], compute_target=cpu_cluster))
run.wait_for_completion(show_output=True)
again = ComputeTarget(workspace=ws, name="py-cpu")
status = again.get_status().serialize()
out["cluster"] = [run.id, run.get_status(), type(again).__name__, again.type, status["vm_size"], status["scale_settings"]["maximum_node_count"]]
rc = RunConfiguration()
rc.target = "amlcompute"
rc.amlcompute.vm_size = "STANDARD_DS1_V2"
run2 = exp.submit(ScriptRunConfig(source_directory="src", script="train.py", arguments=["--lr", 0.2, "--tag", "run-based"], run_config=rc))
run2.wait_for_completion(show_output=True)
out["run_based"] = [run2.id, run2.get_status(), run2.get_details()["target"]]
ci = ComputeTarget.create(ws, "py-ci", ComputeInstance.provisioning_configuration(vm_size="STANDARD_DS2_V2", idle_time_before_shutdown="PT30M"))
ci.wait_for_completion(show_output=True)
out["instance"] = [type(ci).__name__, ci.get_status().state, ci.serialize().get("idle_time_before_shutdown_minutes")]
def err(f):
    try:
        f()
    except ComputeTargetException as e:
        return [e.code, str(e)]
out["vnet"] = err(lambda: AmlCompute.provisioning_configuration(vm_size="STANDARD_DS1_V2", vnet_name="corp", subnet_name="s1"))
out["min_max"] = err(lambda: ComputeTarget.create(ws, "py-bad", AmlCompute.provisioning_configuration(vm_size="STANDARD_DS1_V2", min_nodes=3, max_nodes=2)))
for c in (ci, cpu_cluster):
    c.delete()
    c.wait_for_completion(show_output=True, is_delete_operation=True)
print(json.dumps(out))
`,
    );
    assert.equal(r.code, 0, r.stderr);
    const o = report(r);
    assert.equal(o.existed, undefined);
    assert.equal(o.not_found[0], 'NotFound');
    assert.match(o.not_found[1], /^ComputeTargetNotFound: .*py-cpu/);
    assert.match(r.stdout, /^Succeeded \(nodes: 0, min 0, max 1\)$/m);
    assert.match(r.stdout, /^AmlCompute wait for completion finished$/m);
    const [id, status, cls, type, size, max] = o.cluster;
    assert.deepEqual([status, cls, type, size, max], ['Completed', 'AmlCompute', 'AmlCompute', 'Standard_DS1_v2', 1]);
    assert.match(r.stdout, /^epoch 2 tag cluster$/m);
    const job = await client.getJob(id);
    assert.equal(job.compute, 'py-cpu');
    assert.ok(job.history!.some((h) => h.status === 'Provisioning'), 'the job waited for a cluster node');
    const [id2, status2, target2] = o.run_based;
    assert.equal(status2, 'Completed');
    assert.match(target2, /^serverless-/);
    assert.match(r.stdout, /^epoch 2 tag run-based$/m);
    assert.equal((await client.getJob(id2)).resources?.instance_type, 'STANDARD_DS1_V2');
    assert.deepEqual(o.instance, ['ComputeInstance', 'Running', 30]);
    assert.equal(o.vnet[0], 'Unsupported');
    assert.match(o.vnet[1], /^subnet_name, vnet_name: Azure-only settings/);
    assert.equal(o.min_max[0], 'ValidationError');
    assert.match(o.min_max[1], /min_instances \(3\) must not be greater than max_instances \(2\)/);
    assert.match(r.stdout, /^Deleted$/m);
    // The run-based cluster goes when its job ends, in the background.
    await waitFor('the run-based cluster to go', async () => !(await computeNames()).some((n) => n.startsWith('serverless-')), 60_000);
    assert.deepEqual(await computeNames(), ['local'], 'the clusters and the instance are gone, py-bad was never made');
  });

  it('attached machines: a password and a key with a passphrase, runs there, wrong credentials refused with nothing half-attached', { skip }, async () => {
    const t = bed as Testbed;
    const key = join(work, 'id_with_passphrase');
    writeFileSync(key, t.rootKey, { mode: 0o600 });
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'correct horse', '-f', key]);
    assert.match(readFileSync(key, 'utf8'), /BEGIN OPENSSH PRIVATE KEY/);
    const r = await run(
      'vm.py',
      `import json, sys
from cairn.azureml.core import Workspace, Experiment, ScriptRunConfig
from cairn.azureml.core.compute import ComputeTarget, RemoteCompute
from cairn.azureml.core.compute_target import ComputeTargetException
ws = Workspace.from_config()
out = {}
def err(f):
    try:
        f()
    except ComputeTargetException as e:
        return [e.code, str(e), type(e.inner_exception).__name__ if e.inner_exception else None]
out["wrong_password"] = err(lambda: ComputeTarget.attach(ws, "pyvm-bad", RemoteCompute.attach_configuration(address="127.0.0.1", ssh_port=${t.port}, username="${t.passwordUser}", password="not-the-password")))
out["wrong_passphrase"] = err(lambda: ComputeTarget.attach(ws, "pyvm-bad", RemoteCompute.attach_configuration(address="127.0.0.1", ssh_port=${t.port}, username="root", private_key_file=${JSON.stringify(key)}, private_key_passphrase="wrong")))
out["resource_id"] = err(lambda: RemoteCompute.attach_configuration(resource_id="/subscriptions/x/vm"))
pw = ComputeTarget.attach(ws, "pyvm-pw", RemoteCompute.attach_configuration(address="127.0.0.1", ssh_port=${t.port}, username="${t.passwordUser}", password=${JSON.stringify(t.password)}))
pw.wait_for_completion(show_output=True)
kc = ComputeTarget.attach(ws, "pyvm-key", RemoteCompute.attach_configuration(address="127.0.0.1", ssh_port=${t.port}, username="root", private_key_file=${JSON.stringify(key)}, private_key_passphrase="correct horse"))
kc.wait_for_completion(show_output=True)
exp = Experiment(ws, "py-vm")
runs = {}
for name in ("pyvm-pw", "pyvm-key"):
    target = ComputeTarget(workspace=ws, name=name)
    run = exp.submit(ScriptRunConfig(source_directory="src", script="train.py", arguments=["--lr", 0.3, "--tag", name], compute_target=target))
    run.wait_for_completion(show_output=True)
    runs[name] = [run.id, run.get_status(), type(target).__name__, target.type]
out["runs"] = runs
print(json.dumps(out))
sys.stdout.flush()
`,
    );
    assert.equal(r.code, 0, r.stderr);
    const o = report(r);
    assert.equal(o.wrong_password[0], 'SshAuthFailed');
    assert.match(o.wrong_password[1], /refused the password/);
    assert.equal(o.wrong_password[2], 'SshAuthFailed');
    assert.equal(o.wrong_passphrase[0], 'SshAuthFailed');
    assert.match(o.wrong_passphrase[1], /could not decrypt .*id_with_passphrase with the private_key_passphrase given: .*incorrect passphrase/);
    assert.equal(o.resource_id[0], 'Unsupported');
    assert.match(r.stderr, /CairnWarning: password authentication is weaker than a key/);
    assert.ok(!r.stdout.includes(t.password) && !r.stderr.includes(t.password), 'the password is never printed');
    assert.match(r.stdout, new RegExp(`^host key of 127\\.0\\.0\\.1: ${t.hostKey.replace(/[+/]/g, '\\$&')} \\(pinned\\)$`, 'm'));
    assert.match(r.stdout, /^epoch 2 tag pyvm-pw$/m);
    assert.match(r.stdout, /^epoch 2 tag pyvm-key$/m);
    assert.match(r.stdout, new RegExp(`^user ${t.passwordUser}$`, 'm'));
    for (const name of ['pyvm-pw', 'pyvm-key']) {
      const [id, status, cls, type] = o.runs[name];
      assert.deepEqual([status, cls, type], ['Completed', 'RemoteCompute', 'VirtualMachine']);
      const job = await client.getJob(id);
      assert.equal(job.compute, name);
      assert.equal(job.status, 'Completed');
    }
    const listed = JSON.parse((await runCli(['compute', 'list', '-o', 'json'], { env: server.cliEnv })).stdout);
    assert.deepEqual(listed.map((c: { name: string }) => c.name).sort(), ['local', 'pyvm-key', 'pyvm-pw'], 'no pyvm-bad: nothing half-attached');
    const shownKey = listed.find((c: { name: string }) => c.name === 'pyvm-key');
    assert.equal(shownKey.host_key, t.hostKey);
    assert.equal(shownKey.ssh_settings.ssh_key_value, undefined);
    // Detach from Python, as the articles do.
    const d = await run(
      'detach.py',
      `from cairn.azureml.core import Workspace
from cairn.azureml.core.compute import ComputeTarget
ws = Workspace.from_config()
for name in ("pyvm-pw", "pyvm-key"):
    c = ComputeTarget(workspace=ws, name=name)
    c.detach()
    c.wait_for_completion(show_output=True, is_delete_operation=True)
`,
    );
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(await computeNames(), ['local']);
  });

  it('the opt-in aliases: installed offline with pip, unmodified v1 and v2 scripts run and say what they are', async () => {
    const target = join(work, 'site');
    const copy = join(work, 'aliases-src');
    cpSync(join(ROOT, 'src', 'python-aliases'), copy, { recursive: true });
    execFileSync(SYSTEM_PYTHON, ['-m', 'pip', 'install', '--no-deps', '--no-index', '--no-build-isolation', '-q', '--target', target, copy], { stdio: ['ignore', 'ignore', 'pipe'] });
    const v1 = await run(
      'v1_unmodified.py',
      `from azureml.core import Workspace, Experiment, ScriptRunConfig
ws = Workspace.from_config()
experiment = Experiment(workspace=ws, name="aliases-v1")
config = ScriptRunConfig(source_directory="./src", script="train.py", arguments=["--lr", 0.7, "--tag", "v1 alias"], compute_target="local")
run = experiment.submit(config)
run.wait_for_completion(show_output=True)
print("final", run.get_status(), run.id)
`,
      { extraPath: target },
    );
    assert.equal(v1.code, 0, v1.stderr);
    const notices = v1.stderr.split('\n').filter((l) => l.startsWith('cairn-azure-aliases:'));
    assert.deepEqual(notices, [`cairn-azure-aliases: azureml.core is Cairn's shape (cairn.azureml.core), not Microsoft's, talking to ${server.url} ($CAIRN_SERVER)`]);
    assert.match(v1.stdout, /^epoch 2 tag v1 alias$/m);
    const final = /^final Completed (\S+)$/m.exec(v1.stdout);
    assert.ok(final, v1.stdout);
    assert.equal((await client.getJob(final[1])).experiment_name, 'aliases-v1');

    // An azure-ai-ml sample as Azure's docs write it, credential and Azure ids included (not used by Cairn).
    const v2 = await run(
      'v2_unmodified.py',
      `from azure.ai.ml import MLClient, command, Input
from azure.ai.ml.entities import Environment
from azure.ai.ml.constants import AssetTypes
from azure.identity import DefaultAzureCredential

ml_client = MLClient(DefaultAzureCredential(), "00000000-0000-0000-0000-000000000000", "my-resource-group", "my-workspace")
job = command(
    code="./src",
    command="python3 train.py --lr \${{inputs.lr}} --tag v2-alias",
    inputs={"lr": 0.9},
    compute="local",
    experiment_name="aliases-v2",
    display_name="v2 through the aliases",
)
returned_job = ml_client.jobs.create_or_update(job)
ml_client.jobs.stream(returned_job.name)
print("final", ml_client.jobs.get(returned_job.name).status, returned_job.name, AssetTypes.URI_FOLDER)
`,
      { extraPath: target },
    );
    assert.equal(v2.code, 0, v2.stderr);
    const v2notices = v2.stderr.split('\n').filter((l) => l.startsWith('cairn-azure-aliases:'));
    assert.deepEqual(v2notices, [`cairn-azure-aliases: azure.ai.ml is Cairn's shape (cairn.ml), not Microsoft's, talking to ${server.url} ($CAIRN_SERVER)`]);
    assert.match(v2.stdout, /^epoch 2 tag v2-alias$/m);
    const final2 = /^final Completed (\S+) uri_folder$/m.exec(v2.stdout);
    assert.ok(final2, v2.stdout);
    const job2 = await client.getJob(final2[1]);
    assert.equal(job2.experiment_name, 'aliases-v2');
    assert.equal(job2.display_name, 'v2 through the aliases');
  });
});
