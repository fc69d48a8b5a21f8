// cairn.ml sweeps (azure-ai-ml v2 shapes) against a real server, run with Debian's python3: the v2
// builder (command(...)(lr=Uniform(...)).sweep(...)) submitted with MLClient and streamed to its end,
// its trials listed with parent_job_name, the best trial named and downloaded as Azure lays it out;
// a sweep file read with load_job (its trial's code beside the file, a grid's warning); the client
// package's jobs.create of a sweep dict; the azure.ai.ml.sweep alias; and refusals (a bad goal,
// Azure-only arguments, a search space the server refuses) raised before anything is created. The
// TypeScript SDK looks at what the Python code made.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { ROOT, TestServer, tempDir } from './helpers/cairn.ts';
import { py } from './helpers/python.ts';

const TOKEN = 'python-sweep-admin-token-0123456789abcdef';

const write = (root: string, rel: string, text: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
};

// Each trial logs acc twice (best near lr=0.1, more layers better), writes its named output and outputs/.
const TRAIN = `import argparse, json, os, cairn
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float); p.add_argument("--layers", type=int); p.add_argument("--model", default=None)
a = p.parse_args()
for e in range(2):
    cairn.log_metric("acc", (1 - abs(a.lr - 0.1)) * (0.5 + 0.1 * a.layers) * (e + 1) / 2, step=e)
if a.model:
    os.makedirs(a.model, exist_ok=True)
    open(os.path.join(a.model, "params.json"), "w").write(json.dumps({"lr": a.lr, "layers": a.layers}))
os.makedirs("outputs", exist_ok=True)
open("outputs/trial.txt", "w").write("%s %s" % (a.lr, a.layers))
print("trained", a.lr, a.layers, flush=True)
`;

describe('cairn.ml sweeps: azure-ai-ml sweep shapes over a real server', () => {
  const server = new TestServer({ token: TOKEN, args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('py-sweep');
  let sdk: CairnClient;
  let env: NodeJS.ProcessEnv;
  const run = async (code: string, o: { pythonPath?: string } = {}) => {
    const r = await py(code, { cwd: work, env, pythonPath: o.pythonPath });
    assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    await server.start();
    await server.waitForAgent();
    sdk = new CairnClient({ url: server.url, token: TOKEN });
    env = { CAIRN_SERVER: server.url, CAIRN_TOKEN: TOKEN };
    write(work, 'src/train.py', TRAIN);
  });
  after(async () => {
    await server.stop();
  });

  it('builds a sweep with command(...)(lr=Uniform(...)).sweep(...), streams it to Completed, lists its trials and downloads the best', async () => {
    const r = await run(`
from cairn.ml import MLClient, command, Output
from cairn.ml.sweep import Uniform, Choice, BanditPolicy, RandomSamplingAlgorithm, SweepJob
ml_client = MLClient()
job = command(
    code="./src",
    command="/usr/bin/python3 train.py --lr \${{inputs.lr}} --layers \${{inputs.layers}} --model \${{outputs.model}}",
    inputs={"lr": 0.05, "layers": 2},
    outputs={"model": Output(type="uri_folder")},
    compute="local",
    experiment_name="py-sweep",
    display_name="sweep-train",
)
job_for_sweep = job(lr=Uniform(min_value=0.01, max_value=0.3), layers=Choice(values=[1, 2, 3]))
sweep_job = job_for_sweep.sweep(
    compute="local",
    sampling_algorithm=RandomSamplingAlgorithm(seed=11),
    primary_metric="acc",
    goal="Maximize",
    early_termination_policy=BanditPolicy(slack_amount=10, evaluation_interval=1),
)
sweep_job.set_limits(max_total_trials=4, max_concurrent_trials=2, timeout=600, trial_timeout=120)
result({"original": sorted(job.inputs.items()), "bound": type(job_for_sweep.inputs["lr"]).__name__, "built": type(sweep_job).__name__,
        "space": sorted(sweep_job.search_space), "inputs": sorted(sweep_job.inputs)})
returned = ml_client.jobs.create_or_update(sweep_job)
result({"name": returned.name, "type": type(returned).__name__, "status": returned.status, "studio_url": returned.studio_url,
        "command": returned.trial.command, "limits": returned.limits._to_spec(), "goal": returned.objective.goal})
ml_client.jobs.stream(returned.name)
done = ml_client.jobs.get(returned.name)
trials = ml_client.jobs.list(parent_job_name=returned.name)
top = [j.name for j in ml_client.jobs.list()]
ml_client.jobs.download(returned.name, download_path="dl")
ml_client.jobs.download(returned.name, download_path="dl-model", output_name="model")
best = done.best_trial
result({"status": done.status, "type": type(done).__name__, "progress": done.progress, "best": best, "best_child": done.properties.get("best_child_run_id"),
        "ranked": [t["name"] for t in done.trials], "values": [t["value"] for t in done.trials],
        "space": dict((k, v._to_spec()) for k, v in done.search_space.items()), "algorithm": done.sampling_algorithm._to_spec(),
        "policy": type(done.early_termination).__name__, "experiment": done.experiment_name, "display_name": done.display_name,
        "trials": sorted([t.name, type(t).__name__, t.parent_job_name, t.status, t.command] for t in trials), "top": top,
        "dl_trial": open("dl/artifacts/outputs/trial.txt").read(), "dl_log": open("dl/artifacts/logs/std_log.txt").read(),
        "hd": sorted(__import__("os").listdir("dl/hd-artifacts")),
        "named": open("dl-model/named-outputs/model/params.json").read()})
`);
    const [built, made, done] = r.results;
    assert.deepEqual(built, { original: [['layers', 2], ['lr', 0.05]], bound: 'Uniform', built: 'Sweep', space: ['layers', 'lr'], inputs: [] });
    assert.equal(made.type, 'SweepJob');
    assert.equal(made.status, 'Running');
    assert.equal(made.studio_url, `${server.url}/jobs/${made.name}`);
    assert.equal(made.command, '/usr/bin/python3 train.py --lr ${{search_space.lr}} --layers ${{search_space.layers}} --model ${{outputs.model}}', "Azure's rewrite of the bound inputs");
    assert.deepEqual(made.limits, { max_total_trials: 4, max_concurrent_trials: 2, timeout: 600, trial_timeout: 120 });
    assert.equal(made.goal, 'maximize');
    // stream printed Azure's frame and ended when the sweep did.
    assert.match(r.stdout, new RegExp(`RunId: ${made.name}\\nWeb View: `));
    assert.match(r.stdout, /Streaming azureml-logs\/hyperdrive\.txt\n/);
    for (let i = 0; i < 4; i++) assert.match(r.stdout, new RegExp(`^trial ${made.name}_${i} \\(layers=[123], lr=0\\.\\d+\\): Completed acc=0\\.\\d+$`, 'm'));
    assert.match(r.stdout, new RegExp(`^sweep ${made.name} Completed: 4 of 4 trials: 4 completed; best ${made.name}_\\d \\(acc `, 'm'));
    assert.match(r.stdout, /Execution Summary\n=+\nRunId: /);
    assert.equal(done.status, 'Completed');
    assert.equal(done.type, 'SweepJob');
    assert.equal(done.progress.completed, 4);
    assert.equal(done.progress.total, 4);
    assert.deepEqual(done.space, { lr: { type: 'uniform', min_value: 0.01, max_value: 0.3 }, layers: { type: 'choice', values: [1, 2, 3] } });
    assert.deepEqual(done.algorithm, { type: 'random', seed: 11 });
    assert.equal(done.policy, 'BanditPolicy');
    assert.equal(done.experiment, 'py-sweep');
    assert.equal(done.display_name, 'sweep-train');
    // The trials: command jobs of the sweep, their values filled in, ranked best first.
    assert.equal(done.trials.length, 4);
    for (const [name, type, parent, status, command] of done.trials) {
      assert.match(name, new RegExp(`^${made.name}_[0-3]$`));
      assert.deepEqual([type, parent, status], ['CommandJob', made.name, 'Completed']);
      assert.match(command, /^\/usr\/bin\/python3 train\.py --lr 0\.\d+ --layers [123] --model \$\{\{outputs\.model\}\}$/);
    }
    for (let i = 1; i < done.values.length; i++) assert.ok(done.values[i - 1] >= done.values[i], 'best first');
    assert.equal(done.best.name, done.ranked[0]);
    assert.equal(done.best_child, done.best.name, "Azure's best_child_run_id property");
    assert.ok(done.top.includes(made.name) && !done.top.some((n: string) => n.startsWith(`${made.name}_`)), 'plain lists leave the trials out');
    // Azure's download of a sweep: the best trial's files, then the sweep's own logs in hd-artifacts.
    const params = done.best.params as { lr: number; layers: number };
    assert.equal(done.dl_trial, `${params.lr} ${params.layers}`);
    assert.match(done.dl_log, new RegExp(`^trained ${params.lr} ${params.layers}$`, 'm'));
    assert.ok(done.hd.includes('logs'), String(done.hd));
    assert.deepEqual(JSON.parse(done.named), params);
    // The server, through the TypeScript SDK, sees the same sweep.
    const sweep = await sdk.getJob(made.name);
    assert.equal(sweep.type, 'sweep');
    assert.equal(sweep.sweep?.best?.name, done.best.name);
    assert.ok(sweep.snapshot_id, "the trial's code went as the sweep's snapshot");
    const trial = await sdk.getJob(done.best.name);
    assert.equal(trial.limits?.timeout, 120, 'trial_timeout became each trial\'s limits.timeout');
  });

  it('loads a sweep file with load_job (its code beside the file), warns its warnings, and submits it', async () => {
    write(work, 'jobs/sweep.yml', [
      '$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json',
      'type: sweep',
      'experiment_name: py-sweep-yaml',
      'compute: azureml:local',
      'trial:',
      '  code: ../src',
      '  command: /usr/bin/python3 train.py --lr ${{search_space.lr}} --layers ${{inputs.layers}}',
      'inputs:',
      '  layers: 2',
      'search_space:',
      '  lr: {type: choice, values: [0.05, 0.1]}',
      'sampling_algorithm: grid',
      'objective: {primary_metric: acc, goal: minimize}',
      'limits: {max_total_trials: 5, max_concurrent_trials: 2}',
      '',
    ].join('\n'));
    const r = await run(`
import os, time, warnings
from cairn.client import CairnWarning
from cairn.ml import MLClient, load_job
from cairn.ml.sweep import SweepJob, GridSamplingAlgorithm
ml_client = MLClient()
os.chdir("jobs")
job = load_job("sweep.yml", params_override=[{"display_name": "from-yaml"}])
os.chdir("..")
result({"type": type(job).__name__, "code": job.trial.code, "command": job.trial.command, "algorithm": job.sampling_algorithm,
        "goal": job.objective.goal, "space": job.search_space["lr"].values, "inputs": sorted(job.inputs), "limits": job.limits._to_spec()})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    made = ml_client.jobs.create_or_update(job)
while ml_client.jobs.get(made.name).status not in ("Completed", "Failed", "Canceled"):
    time.sleep(0.2)
done = ml_client.jobs.get(made.name)
result({"name": made.name, "display_name": made.display_name, "warned": [str(w.message) for w in caught if issubclass(w.category, CairnWarning)],
        "status": done.status, "trials": sorted(t.name for t in ml_client.jobs.list(parent_job_name=made.name)), "best": done.best_trial["params"],
        "total": done.progress["total"]})
`);
    const [loaded, ran] = r.results;
    assert.deepEqual(loaded, {
      type: 'SweepJob', code: join(work, 'src'), command: '/usr/bin/python3 train.py --lr ${{search_space.lr}} --layers ${{inputs.layers}}',
      algorithm: 'grid', goal: 'minimize', space: [0.05, 0.1], inputs: ['layers'], limits: { max_total_trials: 5, max_concurrent_trials: 2 },
    });
    assert.equal(ran.display_name, 'from-yaml');
    assert.deepEqual(ran.warned, ['the grid has 2 points, so the sweep makes 2 trials, not limits.max_total_trials 5']);
    assert.equal(ran.status, 'Completed');
    assert.deepEqual(ran.trials, [`${ran.name}_0`, `${ran.name}_1`]);
    assert.equal(ran.total, 2);
    assert.deepEqual(ran.best, { lr: 0.05 }, 'minimize: the lower acc wins');
  });

  it("the client package's jobs.create takes a sweep dict (an inline build's folder uploaded); the azure.ai.ml.sweep alias imports cairn.ml.sweep", async () => {
    write(work, 'ctx/Dockerfile', 'FROM python:3.11-slim\n');
    const r = await run(`
from cairn.client import CairnError, Client
c = Client()
job = c.jobs.create({"type": "sweep", "trial": {"command": "/usr/bin/python3 train.py --lr \${{search_space.lr}} --layers 1"},
                     "search_space": {"lr": {"type": "choice", "values": [0.1]}}, "sampling_algorithm": "grid",
                     "objective": {"primary_metric": "acc", "goal": "maximize"}, "compute": "local"}, code="./src")
final = c.jobs.wait_for_completion(job["name"], timeout=120)
result({"name": job["name"], "type": job["type"], "status": final["status"], "trials": [t["name"] for t in c.jobs.list(parent=job["name"])]})
# An inline environment with a build: its folder goes up as spec.trial.environment's build.
built = c.jobs.create({"type": "sweep", "trial": {"command": "python3 train.py --lr \${{search_space.lr}}", "code": "./src", "environment": {"build": {"path": "./ctx"}}},
                       "search_space": {"lr": {"type": "choice", "values": [0.1]}}, "sampling_algorithm": "grid",
                       "objective": {"primary_metric": "acc", "goal": "maximize"}, "compute": "local"})
try:
    c.jobs.cancel(built["name"])
except CairnError:
    pass  # it may have ended already (no engine to build with)
result({"name": built["name"], "build": built["trial"]["environment"]["build"]})
from azure.ai.ml.sweep import Choice, Uniform, SweepJob
from azure.ai.ml.entities import Sweep
import cairn.ml.sweep
result({"same": Choice is cairn.ml.sweep.Choice and Uniform is cairn.ml.sweep.Uniform and SweepJob is cairn.ml.sweep.SweepJob, "sweep": Sweep.__module__})
`, { pythonPath: [join(ROOT, 'src/agent/python'), join(ROOT, 'src/python-aliases')].join(':') });
    const [made, built, alias] = r.results;
    assert.deepEqual(made, { name: made.name, type: 'sweep', status: 'Completed', trials: [`${made.name}_0`] });
    assert.equal((await sdk.getJob(`${made.name}_0`)).command, '/usr/bin/python3 train.py --lr 0.1 --layers 1');
    assert.match(built.build.snapshot_id, /^[0-9a-f]{64}$/, 'the build folder was uploaded');
    const shown = await sdk.getJob(built.name) as unknown as { trial: { environment: { build: { snapshot_id: string } } } };
    assert.equal(shown.trial.environment.build.snapshot_id, built.build.snapshot_id);
    assert.deepEqual(alias, { same: true, sweep: 'cairn.ml.entities._sweep' });
    assert.match(r.stderr, /cairn-azure-aliases: azure\.ai\.ml is Cairn's shape/);
  });

  it('refusals: a bad goal, Azure-only arguments, a space the server refuses: typed errors and nothing created', async () => {
    const before = (await sdk.listJobs({ all: true })).length;
    const r = await run(`
from cairn.client import CairnError
from cairn.ml import MLClient, command
from cairn.ml.sweep import Choice, Uniform, SweepJob, BayesianSamplingAlgorithm, BanditPolicy
ml_client = MLClient()
job = command(code="./src", command="/usr/bin/python3 train.py --lr \${{inputs.lr}} --layers 1", inputs={"lr": 0.1}, compute="local")
def attempt(label, fn):
    try:
        fn()
        result([label, "no error"])
    except CairnError as e:
        result([label, type(e).__name__, e.code, e.status, str(e)])
attempt("goal", lambda: job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="Biggest"))
attempt("identity", lambda: job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="maximize", identity={"type": "managed"}))
attempt("job_tier", lambda: job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="maximize", job_tier="Spot"))
attempt("resources", lambda: SweepJob(trial=job, resources={"instance_count": 2}))
attempt("algorithm", lambda: job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="maximize", sampling_algorithm="hyperband"))
attempt("nested choice", lambda: Choice(values=[{"lr": Uniform(min_value=0.1, max_value=0.2)}]))
attempt("unknown input", lambda: job(momentum=Uniform(min_value=0.1, max_value=0.2)))
attempt("positional", lambda: job(Uniform(min_value=0.1, max_value=0.2)))
attempt("unswept", lambda: ml_client.jobs.create_or_update(job(lr=Uniform(min_value=0.01, max_value=0.1))))
attempt("grid of uniform", lambda: ml_client.jobs.create_or_update(job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="maximize", sampling_algorithm="grid")))
attempt("bayesian bandit", lambda: ml_client.jobs.create_or_update(job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(
    primary_metric="acc", goal="maximize", sampling_algorithm=BayesianSamplingAlgorithm(), max_total_trials=2, early_termination_policy=BanditPolicy(slack_factor=0.1))))
attempt("no limit", lambda: ml_client.jobs.create_or_update(job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="maximize")))
attempt("unknown compute", lambda: ml_client.jobs.create_or_update(job(lr=Choice(values=[0.1])).sweep(primary_metric="acc", goal="maximize", compute="no-such-cluster", max_total_trials=1)))
attempt("no parent", lambda: ml_client.jobs.list(parent_job_name="no-such-sweep"))
`);
    const got = Object.fromEntries(r.results.map((x: unknown[]) => [x[0], x.slice(1)]));
    assert.deepEqual(got.goal.slice(0, 3), ['ValidationError', 'ValidationError', 0]);
    assert.match(got.goal[3], /goal 'Biggest'.*maximize or minimize/);
    for (const [label, arg] of [['identity', 'Command\\.sweep\\(identity=...\\)'], ['job_tier', 'Command\\.sweep\\(job_tier=...\\)'], ['resources', 'SweepJob\\(resources=...\\)'],
      ['nested choice', 'Choice\\(values=\\[\\{...\\}\\]\\)'], ['positional', 'calling a command with positional arguments']]) {
      assert.deepEqual(got[label].slice(0, 3), ['Unsupported', 'Unsupported', 0], `${label}: ${got[label]}`);
      assert.match(got[label][3], new RegExp(`^${arg}: \\S`), `${label}: ${got[label][3]}`);
    }
    assert.deepEqual(got.algorithm.slice(0, 3), ['ValidationError', 'ValidationError', 0]);
    assert.match(got.algorithm[3], /hyperband/);
    assert.match(got['unknown input'][3], /no input 'momentum' \(its inputs: lr\)/);
    assert.match(got.unswept[3], /input 'lr' is a search space/);
    // The server's refusals: typed, with its message, nothing made.
    assert.deepEqual(got['grid of uniform'].slice(0, 3), ['ValidationError', 'ValidationError', 400]);
    assert.match(got['grid of uniform'][3], /Grid sampling supports only choice/);
    assert.match(got['bayesian bandit'][3], /bayesian sampling does not support early termination/);
    assert.match(got['no limit'][3], /limits\.max_total_trials is required/);
    assert.deepEqual(got['unknown compute'].slice(0, 3), ['UnknownCompute', 'UnknownCompute', 400], String(got['unknown compute']));
    assert.deepEqual(got['no parent'].slice(0, 3), ['NotFound', 'NotFound', 404]);
    assert.equal((await sdk.listJobs({ all: true })).length, before, 'nothing was created by a refused call');
  });
});
