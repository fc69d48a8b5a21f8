// cairn.ml (azure-ai-ml v2 shapes) against a real server, run with Debian's python3: an azure-ai-ml
// style sample (MLClient, command with a code folder, an Input of local data and an Output,
// create_or_update, stream, download), an AmlCompute on the local provider through its poller with
// a job on it, environments, data and models, load_job, begin_cancel, and bad input: the server's
// typed errors, Azure-only arguments refused by name, nothing half-created. The TypeScript SDK looks
// at what the Python code made.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { freePort, TestServer, tempDir } from './helpers/cairn.ts';
import { py } from './helpers/python.ts';
import { sshTestbed } from './helpers/ssh.ts';

// The test sshd for attached machines (skipped with its reason only outside CI, as every SSH test).
const bed = await sshTestbed();
const skip = 'skip' in bed ? bed.skip : false;
const TOKEN = 'python-ml-admin-token-0123456789abcdef';

const write = (root: string, rel: string, text: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
};

// The job's script: reads the uri_folder input, writes the named output and outputs/.
const TRAIN = `import argparse, os
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--lr", type=float); p.add_argument("--model")
a = p.parse_args()
print("files", ",".join(sorted(os.listdir(a.data))), "lr", a.lr, flush=True)
os.makedirs(a.model, exist_ok=True)
open(os.path.join(a.model, "weights.txt"), "w").write("lr=%s rows=%d" % (a.lr, len(open(os.path.join(a.data, "rows.csv")).read().splitlines())))
print("saved", flush=True)
`;

describe('cairn.ml: azure-ai-ml shapes over a real server', () => {
  const server = new TestServer({ token: TOKEN, args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('py-ml');
  let sdk: CairnClient;
  let env: NodeJS.ProcessEnv;
  const run = async (code: string, o: { env?: NodeJS.ProcessEnv; fails?: boolean } = {}) => {
    const r = await py(code, { cwd: work, env: { ...env, ...o.env } });
    if (!o.fails) assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    await server.start();
    await server.waitForAgent();
    sdk = new CairnClient({ url: server.url, token: TOKEN });
    env = { CAIRN_SERVER: server.url, CAIRN_TOKEN: TOKEN };
    write(work, 'src/train.py', TRAIN);
    write(work, 'data/rows.csv', 'a,1\nb,2\nc,3\n');
    write(work, 'data/notes.txt', 'n\n');
  });
  after(async () => {
    await server.stop();
  });

  it("runs Microsoft's command-job sample to Completed, streams its lines and downloads its output", async () => {
    const r = await run(`
from cairn.ml import MLClient, command, Input, Output
from cairn.ml.constants import AssetTypes, InputOutputModes
class DefaultAzureCredential: pass          # the sample's credential: accepted, not used
ml_client = MLClient(DefaultAzureCredential(), "<SUBSCRIPTION_ID>", "<RESOURCE_GROUP>", "<AML_WORKSPACE_NAME>")
job = command(
    code="./src",
    command="python3 train.py --data \${{inputs.data}} --lr \${{inputs.lr}} --model \${{outputs.model}}",
    inputs={"data": Input(type=AssetTypes.URI_FOLDER, path="./data", mode=InputOutputModes.RO_MOUNT), "lr": 0.05},
    outputs={"model": Output(type=AssetTypes.URI_FOLDER)},
    environment_variables={"STAGE": "test"},
    compute="local",
    display_name="sample-train",
    experiment_name="py-ml-sample",
)
returned_job = ml_client.jobs.create_or_update(job)
result({"name": returned_job.name, "status": returned_job.status, "studio_url": returned_job.studio_url, "type": type(returned_job).__name__})
ml_client.jobs.stream(returned_job.name)
done = ml_client.jobs.get(returned_job.name)
ml_client.jobs.download(done.name, download_path="dl", output_name="model")
ml_client.jobs.download(done.name, download_path="dl")
result({"status": done.status, "display_name": done.display_name, "experiment_name": done.experiment_name, "compute": done.compute,
        "inputs": sorted(done.inputs), "outputs": sorted(done.outputs), "services": sorted(done.services),
        "weights": open("dl/named-outputs/model/weights.txt").read(), "log": open("dl/artifacts/logs/std_log.txt").read(),
        "workspace": ml_client.workspace_name, "listed": [j.name for j in ml_client.jobs.list(max_results=5)]})
`);
    const [made, done] = r.results;
    assert.equal(made.status, 'Queued');
    assert.equal(made.type, 'CommandJob');
    assert.equal(made.studio_url, `${server.url}/jobs/${made.name}`);
    // stream prints Azure's frame around the job's own lines, in order.
    assert.match(r.stdout, new RegExp(`RunId: ${made.name}\\nWeb View: ${made.studio_url.replace(/[.]/g, '\\.')}\\n`));
    assert.match(r.stdout, /files notes\.txt,rows\.csv lr 0\.05\nsaved\n[\s\S]*Execution Summary\n=+\nRunId: /);
    assert.equal(done.status, 'Completed');
    assert.equal(done.display_name, 'sample-train');
    assert.equal(done.experiment_name, 'py-ml-sample');
    assert.equal(done.compute, 'local');
    assert.deepEqual([done.inputs, done.outputs, done.services], [['data', 'lr'], ['model'], ['Studio', 'Tracking']]);
    assert.equal(done.weights, 'lr=0.05 rows=3');
    assert.match(done.log, /^files notes\.txt,rows\.csv lr 0\.05$/m);
    assert.equal(done.workspace, 'default', "Azure's workspace name is not used: the Cairn workspace is");
    assert.equal(done.listed[0], made.name);
    // The server, through the TypeScript SDK, sees the same job.
    const job = await sdk.getJob(made.name);
    assert.equal(job.status, 'Completed');
    assert.equal(job.environment_variables?.STAGE, 'test');
    assert.ok(job.snapshot_id, 'the code folder went as a snapshot');
  });

  it('creates an AmlCompute on the local provider through its poller, runs a job on it, lists its nodes, deletes it', async () => {
    const r = await run(`
import time
from cairn.ml import MLClient, command
from cairn.ml.entities import AmlCompute
ml_client = MLClient()
poller = ml_client.compute.begin_create_or_update(AmlCompute(name="py-cluster", size="Standard_DS1_v2", min_instances=0, max_instances=2, idle_time_before_scale_down=30))
cluster = poller.result()
result({"type": type(cluster).__name__, "state": cluster.provisioning_state, "done": poller.done(), "status": poller.status(),
        "min": cluster.min_instances, "max": cluster.max_instances, "idle": cluster.idle_time_before_scale_down, "size": cluster.size,
        "listed": sorted(c.name for c in ml_client.compute.list()), "amlcompute": [c.name for c in ml_client.compute.list(compute_type="AmlCompute")]})
cluster.max_instances = 3
cluster.idle_time_before_scale_down = 20
updated = ml_client.compute.begin_update(cluster).result()
result([updated.max_instances, updated.idle_time_before_scale_down, updated.size])
job = ml_client.jobs.create_or_update(command(command="echo on the cluster; sleep 2", compute="py-cluster"))
nodes = []
for _ in range(200):
    nodes = [n for n in ml_client.compute.list_nodes("py-cluster") if n.node_state == "running"]
    if nodes: break
    time.sleep(0.1)
ml_client.jobs.stream(job.name)
result({"nodes": [[n.node_state, n.current_job_name == job.name] for n in nodes], "job": ml_client.jobs.get(job.name).status})
deleting = ml_client.compute.begin_delete("py-cluster")
deleting.result()
result({"after": sorted(c.name for c in ml_client.compute.list()), "done": deleting.done()})
`);
    const [made, updated, ran, gone] = r.results;
    assert.deepEqual(updated, [3, 20, 'Standard_DS1_v2'], 'begin_update sent the changed fields only');
    assert.deepEqual(made, { type: 'AmlCompute', state: 'Succeeded', done: true, status: 'Succeeded', min: 0, max: 2, idle: 30, size: 'Standard_DS1_v2', listed: ['local', 'py-cluster'], amlcompute: ['py-cluster'] });
    assert.deepEqual(ran, { nodes: [['running', true]], job: 'Completed' });
    assert.match(r.stdout, /^on the cluster$/m);
    assert.deepEqual(gone, { after: ['local'], done: true });
    assert.deepEqual((await sdk.computes.list()).map((c) => c.name), ['local']);
  });

  it('a ComputeInstance stops, starts and restarts through begin_stop/begin_start/begin_restart', async () => {
    const r = await run(`
from cairn.ml import MLClient
from cairn.ml.entities import ComputeInstance, ComputeSchedules, ComputeStartStopSchedule, CronTrigger
ml_client = MLClient()
nightly = ComputeSchedules(compute_start_stop=[ComputeStartStopSchedule(trigger=CronTrigger(expression="0 20 * * *", time_zone="UTC"), action="stop")])
ci = ml_client.compute.begin_create_or_update(ComputeInstance(name="py-instance", size="Standard_DS2_v2", idle_time_before_shutdown="PT1H", schedules=nightly)).result()
states = [ci.state]
for op in (ml_client.compute.begin_stop, ml_client.compute.begin_start, ml_client.compute.begin_restart):
    op("py-instance").result()
    states.append(ml_client.compute.get("py-instance").state)
result({"type": type(ci).__name__, "idle": ci.idle_time_before_shutdown_minutes, "states": states})
`);
    assert.deepEqual(r.results[0], { type: 'ComputeInstance', idle: 60, states: ['Running', 'Stopped', 'Running', 'Running'] });
    const shown = (await sdk.computes.get('py-instance')) as { schedules?: { compute_start_stop: { action: string; trigger: { expression: string } }[] } };
    assert.deepEqual(shown.schedules?.compute_start_stop.map((x) => [x.action, x.trigger.expression]), [['stop', '0 20 * * *']]);
    await run('from cairn.ml import MLClient\nMLClient().compute.begin_delete("py-instance").result()');
    assert.deepEqual((await sdk.computes.list()).map((c) => c.name), ['local']);
  });

  it('attaches a VirtualMachineCompute over SSH with a password and with a key, runs a job there, detaches it', { skip }, async () => {
    const t = bed as Exclude<typeof bed, { skip: string }>;
    const r = await run(`
from cairn.client import CairnError
from cairn.ml import MLClient, command
from cairn.ml.entities import VirtualMachineCompute, VirtualMachineSshSettings
ml_client = MLClient()
def vm(name, **ssh):
    return VirtualMachineCompute(name=name, address="127.0.0.1", host_key=${JSON.stringify(t.hostKey)}, ssh_settings=VirtualMachineSshSettings(ssh_port=${t.port}, **ssh))
try:
    ml_client.compute.begin_create_or_update(vm("py-vm-bad", admin_username="${t.passwordUser}", admin_password="not-the-password")).result()
    result("attached")
except CairnError as e:
    result([type(e).__name__, e.code])
pw = ml_client.compute.begin_create_or_update(vm("py-vm-pw", admin_username="${t.passwordUser}", admin_password=${JSON.stringify(t.password)})).result()
key = ml_client.compute.begin_attach(vm("py-vm-key", admin_username="root", ssh_private_key_file=${JSON.stringify(t.rootKeyPath)})).result()
job = ml_client.jobs.create_or_update(command(command="echo on the vm as $(id -un)", compute="py-vm-pw"))
ml_client.jobs.stream(job.name)
result({"types": [type(pw).__name__, type(key).__name__], "states": [pw.provisioning_state, key.provisioning_state], "address": pw.address,
        "user": pw.ssh_settings.admin_username, "job": ml_client.jobs.get(job.name).status})
for name in ("py-vm-pw", "py-vm-key"):
    ml_client.compute.begin_delete(name, action="Detach").result()
result(sorted(c.name for c in ml_client.compute.list()))
`);
    const [bad, made, left] = r.results;
    assert.equal(bad[1], 'SshAuthFailed', String(bad));
    assert.deepEqual(made, { types: ['VirtualMachineCompute', 'VirtualMachineCompute'], states: ['Succeeded', 'Succeeded'], address: '127.0.0.1', user: t.passwordUser, job: 'Completed' });
    assert.match(r.stdout, new RegExp(`^on the vm as ${t.passwordUser}$`, 'm'));
    assert.deepEqual(left, ['local'], 'the refused attach left nothing behind, the detached machines are gone');
  });

  it('registers environments (image, conda file), data and models; get, list, archive, download', async () => {
    write(work, 'conda.yml', 'name: py-ml\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n    - numpy\n');
    write(work, 'model/weights.bin', 'w1\n');
    const r = await run(`
from cairn.ml import MLClient
from cairn.ml.entities import Environment, Data, Model
from cairn.ml.constants import AssetTypes, ListViewType
ml_client = MLClient(url=${JSON.stringify(server.url)}, token=${JSON.stringify(TOKEN)})
img = ml_client.environments.create_or_update(Environment(name="py-img", image="python:3.11-slim", description="slim", tags={"team": "ml"}))
conda = ml_client.environments.create_or_update(Environment(name="py-conda", conda_file="conda.yml", image="python:3.11-slim"))
again = ml_client.environments.create_or_update(Environment(name="py-conda", conda_file="conda.yml", image="python:3.11-slim"))
got = ml_client.environments.get("py-conda", version=conda.version)
ml_client.environments.archive("py-img", version="1")
result({"img": [img.name, img.version, img.image, img.tags, img.id], "conda": got.conda_file["dependencies"], "same": again.version == conda.version,
        "active": [e.name for e in ml_client.environments.list()], "archived": [e.name for e in ml_client.environments.list(list_view_type=ListViewType.ARCHIVED_ONLY)]})
data = ml_client.data.create_or_update(Data(name="py-rows", path="./data", type=AssetTypes.URI_FOLDER, description="rows"))
v2 = ml_client.data.create_or_update(Data(name="py-rows", version="2", path="./data/rows.csv", type=AssetTypes.URI_FILE))
model = ml_client.models.create_or_update(Model(name="py-model", path="model", type=AssetTypes.CUSTOM_MODEL, stage="Staging"))
ml_client.models.download("py-model", model.version, download_path="model-dl")
result({"data": [data.name, data.version, data.type, data.id], "v2": [v2.version, v2.type], "latest": ml_client.data.get("py-rows", label="latest").version,
        "versions": sorted(d.version for d in ml_client.data.list("py-rows")), "model": [model.name, model.version, model.type, model.stage],
        "staged": [m.name for m in ml_client.models.list(stage="Staging")], "weights": open("model-dl/py-model/weights.bin").read()})
`);
    const [envs, assets] = r.results;
    assert.deepEqual(envs, { img: ['py-img', '1', 'python:3.11-slim', { team: 'ml' }, 'azureml:py-img:1'], conda: ['python=3.11', { pip: ['numpy'] }], same: true, active: ['py-conda'], archived: ['py-img'] });
    assert.deepEqual(assets, {
      data: ['py-rows', '1', 'uri_folder', 'azureml:py-rows:1'], v2: ['2', 'uri_file'], latest: '2', versions: ['1', '2'],
      model: ['py-model', '1', 'custom_model', 'Staging'], staged: ['py-model'], weights: 'w1\n',
    });
    // The server holds them as the TypeScript SDK sees them.
    assert.equal((await sdk.environments.get('py-conda', { version: '1' })).image, 'python:3.11-slim');
    assert.equal((await sdk.data.get('py-rows', '1')).file_count, 2);
    assert.equal((await sdk.models.get('py-model', '1')).stage, 'Staging');
  });

  it('loads a job file with params_override and cancels a running job through begin_cancel', async () => {
    write(work, 'jobs/job.yml', 'command: python3 train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --model ${{outputs.model}}\ncode: ../src\ninputs:\n  data: {type: uri_folder, path: ../data}\n  lr: 0.1\noutputs:\n  model: {type: uri_folder}\ncompute: azureml:local\n');
    const r = await run(`
import os
from cairn.ml import MLClient, command, load_job
ml_client = MLClient()
os.chdir("jobs")
job = load_job("job.yml", params_override=[{"inputs.lr": 0.25}, {"display_name": "from-yaml"}])
os.chdir("..")
made = ml_client.jobs.create_or_update(job)
ml_client.jobs.stream(made.name)
slow = ml_client.jobs.create_or_update(command(command="echo started; sleep 60", compute="local"))
import time
while ml_client.jobs.get(slow.name).status != "Running":
    time.sleep(0.05)
poller = ml_client.jobs.begin_cancel(slow.name)
poller.wait(30)
result({"code": job.code, "lr": job.inputs["lr"], "data": job.inputs["data"].path, "status": ml_client.jobs.get(made.name).status,
        "display_name": made.display_name, "cancel": [poller.done(), poller.result(), ml_client.jobs.get(slow.name).status]})
`);
    const [out] = r.results;
    assert.equal(out.code, join(work, 'src'), "load_job made the file's paths absolute");
    assert.equal(out.data, join(work, 'data'));
    assert.equal(out.lr, 0.25);
    assert.equal(out.status, 'Completed');
    assert.equal(out.display_name, 'from-yaml');
    assert.deepEqual(out.cancel, [true, null, 'Canceled']);
    assert.match(r.stdout, /^files notes\.txt,rows\.csv lr 0\.25$/m);
  });

  it("MLClient.from_config reads .cairn/config.json, or an Azure config.json without using its Azure ids", async () => {
    write(work, 'cfg/cairn/.cairn/config.json', JSON.stringify({ server: server.url, workspace: 'default' }));
    write(work, 'cfg/azure/config.json', JSON.stringify({ subscription_id: 'sub', resource_group: 'rg', workspace_name: 'aml-ws' }));
    const code = `
import os
from cairn.ml import MLClient
os.chdir(sys.argv[1] if len(sys.argv) > 1 else os.environ["CFG"])
ml_client = MLClient.from_config(object())
result({"server": ml_client.server, "workspace": ml_client.workspace_name, "computes": [c.name for c in ml_client.compute.list()]})
`;
    // Found from a folder below, with no CAIRN_SERVER: the config file names the server.
    write(work, 'cfg/cairn/deeper/x.txt', '');
    const own = await py(code, { cwd: work, env: { CAIRN_TOKEN: TOKEN, CFG: join(work, 'cfg/cairn/deeper') } });
    assert.equal(own.code, 0, own.stderr);
    assert.deepEqual(own.results[0], { server: server.url, workspace: 'default', computes: ['local'] });
    const azure = await run(code, { env: { CFG: join(work, 'cfg/azure') } });
    assert.deepEqual(azure.results[0], { server: server.url, workspace: 'default', computes: ['local'] });
  });

  it("bad input: the server's typed errors, Azure-only arguments refused by name, nothing half-created", async () => {
    const port = await freePort();
    const before = { jobs: (await sdk.listJobs({ all: true })).length, computes: (await sdk.computes.list()).length, data: (await sdk.data.list()).length };
    const r = await run(`
from cairn.client import CairnError
from cairn.ml import MLClient, command, Input
from cairn.ml.entities import AmlCompute, ComputeInstance, Data, Environment
ml_client = MLClient()
def attempt(label, fn):
    try:
        fn()
        result([label, "no error"])
    except CairnError as e:
        result([label, type(e).__name__, e.code, e.status, str(e)])
attempt("unknown compute", lambda: ml_client.jobs.create_or_update(command(code="./src", command="python3 train.py", compute="no-such-cluster")))
attempt("unknown job", lambda: ml_client.jobs.get("no-such-job"))
attempt("unknown compute get", lambda: ml_client.compute.get("no-such-cluster"))
attempt("identity", lambda: ml_client.jobs.create_or_update(command(code="./src", command="python3 train.py", identity={"type": "managed"})))
attempt("location", lambda: ml_client.compute.begin_create_or_update(AmlCompute(name="west-cluster", location="westeurope")))
attempt("network", lambda: ComputeInstance(name="py-ci", network_settings={"subnet": "x"}))
attempt("datastore", lambda: ml_client.data.create_or_update(Data(name="py-blob", path="./data", datastore="workspaceblobstore")))
attempt("input datastore", lambda: Input(type="uri_folder", path="data", datastore="workspaceblobstore"))
attempt("online endpoint", lambda: ml_client.online_endpoints.begin_create_or_update(object()))
attempt("workspace create", lambda: ml_client.workspaces.begin_create(object()))
attempt("registry", lambda: MLClient(registry_name="azureml"))
attempt("bad size", lambda: ml_client.compute.begin_create_or_update(AmlCompute(name="tiny-cluster", size="Standard_NOPE")).result())
attempt("wrong token", lambda: MLClient(token="not-the-token").jobs.list())
attempt("unreachable", lambda: MLClient(url="http://127.0.0.1:${port}").compute.list())
`);
    const got = Object.fromEntries(r.results.map((x: unknown[]) => [x[0], x.slice(1)]));
    assert.deepEqual(got['unknown compute'].slice(0, 3), ['UnknownCompute', 'UnknownCompute', 400]);
    assert.match(got['unknown compute'][3], /^compute 'no-such-cluster' does not exist in workspace 'default'; computes: local$/);
    assert.deepEqual(got['unknown job'], ['NotFound', 'NotFound', 404, "job 'no-such-job' does not exist in workspace 'default'"]);
    assert.deepEqual(got['unknown compute get'].slice(0, 3), ['NotFound', 'NotFound', 404]);
    for (const [label, arg] of [['identity', 'command\\(identity=...\\)'], ['location', 'AmlCompute\\(location=...\\)'], ['network', 'ComputeInstance\\(network_settings=...\\)'],
      ['datastore', 'Data\\(datastore=...\\)'], ['input datastore', 'Input\\(datastore=...\\)'], ['online endpoint', 'ml_client\\.online_endpoints\\.begin_create_or_update'],
      ['workspace create', 'ml_client\\.workspaces\\.begin_create'], ['registry', 'MLClient\\(registry_name=...\\)']]) {
      assert.deepEqual(got[label].slice(0, 3), ['Unsupported', 'Unsupported', 0], `${label}: ${got[label]}`);
      assert.match(got[label][3], new RegExp(`^${arg}: \\S`), `${label}: ${got[label][3]}`);
    }
    assert.deepEqual(got['bad size'].slice(0, 3), ['ValidationError', 'ValidationError', 400]);
    assert.match(got['bad size'][3], /Standard_NOPE/);
    assert.deepEqual(got['wrong token'].slice(0, 3), ['Unauthorized', 'Unauthorized', 401]);
    assert.deepEqual(got['unreachable'].slice(0, 2), ['ServerUnreachable', 'ServerUnreachable']);
    assert.match(got['unreachable'][3], new RegExp(`127\\.0\\.0\\.1:${port}`));
    const afterwards = { jobs: (await sdk.listJobs({ all: true })).length, computes: (await sdk.computes.list()).length, data: (await sdk.data.list()).length };
    assert.deepEqual(afterwards, before, 'nothing was created by a refused call');
  });
});
