import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { buildSnapshot, canonicalManifestJson } from '../src/snapshot/index.ts';
import { buildCli } from '../scripts/build-cli.ts';
import { wheelName } from '../scripts/python-wheel.ts';
import { freePort, ROOT, runCli, TestServer, tempDir } from './helpers/cairn.ts';
import { py } from './helpers/python.ts';

const PYTHON = '/usr/bin/python3';
const TOKEN = 'python-client-admin-token-0123456789';

const write = (root: string, rel: string, text: string, mode?: number) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text, mode === undefined ? undefined : { mode });
};

/**
 * cairn.Client against a real server process with tokens (SQLite, the local compute, a real agent):
 * jobs from files and dicts, uploads that send only what the server lacks, computes, environments,
 * data and models, typed errors with nothing half-made, and the wheel the build writes.
 */
describe('Python client (cairn.Client) against a real server', () => {
  const server = new TestServer({ token: TOKEN, args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('py-client');
  let sdk: CairnClient;
  let env: NodeJS.ProcessEnv;
  const run = async (code: string, o: { env?: NodeJS.ProcessEnv; pythonPath?: string; fails?: boolean } = {}) => {
    const r = await py(code, { cwd: work, env: { ...env, ...o.env }, pythonPath: o.pythonPath });
    if (!o.fails) assert.equal(r.code, 0, `python failed:\n${r.stderr}\n${r.stdout}`);
    return r;
  };
  const jobCount = async () => (await sdk.listJobs({ all: true, max_results: 10_000 })).length;

  before(async () => {
    await server.start();
    await server.waitForAgent();
    env = { CAIRN_SERVER: server.url, CAIRN_TOKEN: TOKEN };
    sdk = new CairnClient({ url: server.url, token: TOKEN });
    write(work, 'src/train.py', 'import os, sys\nimport cairn\nprint("epoch 1", flush=True)\nprint("to stderr", file=sys.stderr, flush=True)\ncairn.log_metric("loss", 0.5, step=1)\ncairn.log_metric("loss", 0.25, step=2)\nos.makedirs("outputs", exist_ok=True)\nopen("outputs/model.txt", "w").write("weights")\nif len(sys.argv) > 1:\n    print("data:", sorted(os.listdir(sys.argv[1])))\nprint("done", flush=True)\n');
    write(work, 'src/.gitignore', '*.tmp\n');
    write(work, 'src/scratch.tmp', 'never uploaded');
    write(work, 'src/run.sh', '#!/bin/sh\necho run\n', 0o755);
    write(work, 'data/a.csv', 'x,y\n1,2\n');
    write(work, 'data/b.csv', 'x,y\n3,4\n');
    write(work, 'job.yml', 'command: python3 train.py\ncode: ./src\ncompute: azureml:local\nexperiment_name: py-client\ndisplay_name: from a file\n');
  });
  after(() => server?.stop());

  it('creates a job from a YAML file: the code is uploaded as the CLI uploads it, the job completes and wait_for_completion(show_output=True) prints its lines', async () => {
    const r = await run(`
import cairn
c = cairn.Client()
job = c.jobs.create("job.yml")
result({"name": job["name"], "status": job["status"], "snapshot": job["snapshot_id"], "uploaded": c.uploaded})
final = c.jobs.wait_for_completion(job["name"], show_output=True)
result({"status": final["status"], "exit_code": final["exit_code"]})
again = c.jobs.create({"command": "python3 train.py", "code": "src"})
result({"snapshot": again["snapshot_id"], "uploaded": c.uploaded, "experiment": again["experiment_name"]})
`);
    const [created, done, again] = r.results;
    assert.equal(created.status, 'Queued');
    assert.equal(done.status, 'Completed');
    assert.equal(done.exit_code, 0);
    // Lines in order, only the job's (stderr lines are printed too: they are the job's output).
    assert.match(r.stdout, /epoch 1\n(?:to stderr\n)?done\n/);
    assert.match(r.stdout, /to stderr/);
    // train.py, run.sh and .gitignore; scratch.tmp is ignored.
    assert.deepEqual(created.uploaded.blobs, 3);
    const manifest = (await sdk.json('GET', `${server.url}/api/v1/workspaces/default/snapshots/${created.snapshot}/manifest`)) as { entries: { path: string; mode: number }[] };
    assert.deepEqual(manifest.entries.map((e) => [e.path, e.mode]), [['.gitignore', 0o644], ['run.sh', 0o755], ['train.py', 0o644]]);
    // The second submit of the same code sends no content at all, and lands in the same snapshot.
    assert.equal(again.snapshot, created.snapshot);
    assert.deepEqual(again.uploaded, created.uploaded);
    assert.equal(again.experiment, work.split('/').pop()!.replace(/[^A-Za-z0-9_.-]/g, '_'), 'no experiment_name: the current folder names it, as with the CLI');
    // The CLI makes the same snapshot of the same file.
    const cli = await runCli(['job', 'create', '-f', 'job.yml', '-o', 'json'], { env: server.cliEnv, cwd: work });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).snapshot_id, created.snapshot);
    const seen = await sdk.getJob(created.name);
    assert.equal(seen.status, 'Completed');
    assert.equal(seen.display_name, 'from a file');
    assert.equal(seen.compute, 'local');
  });

  it('creates a job from a dict with a local data input; stream, list, get, metrics, download and cancel', async () => {
    const r = await run(`
import io, os
import cairn
c = cairn.Client()
job = c.jobs.create({"command": "python3 train.py \${{inputs.d}}", "code": "src", "inputs": {"d": {"type": "uri_folder", "path": "./data"}}}, experiment_name="dicts")
buf = io.StringIO()
final = c.jobs.stream(job["name"], out=buf)
result({"name": job["name"], "status": final["status"], "printed": buf.getvalue()})
result({"listed": [j["name"] for j in c.jobs.list(experiment_name="dicts")], "got": c.jobs.get(job["name"])["status"]})
result(c.jobs.metrics(job["name"]))
folder = c.jobs.download(job["name"], "dl")
files = sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)
result({"folder": folder, "files": files, "model": open(os.path.join(folder, "outputs/model.txt")).read(), "log": open(os.path.join(folder, "logs/stdout.txt")).read()})
logs = c.jobs.logs(job["name"])
result([l["text"] for l in logs if l["stream"] == "stdout"])
slow = c.jobs.create({"command": "echo started; sleep 60", "compute": "local"})
c.jobs.stream(slow["name"], out=None, on_line=lambda l: c.jobs.cancel(slow["name"]) if l["text"] == "started" else None, timeout=60)
result(c.jobs.get(slow["name"])["status"])
`);
    const [streamed, listed, metrics, download, lines, canceled] = r.results;
    assert.equal(streamed.status, 'Completed');
    assert.match(streamed.printed, /^epoch 1\n/m);
    assert.match(streamed.printed, /data: \['a.csv', 'b.csv'\]/);
    assert.deepEqual(listed.listed, [streamed.name]);
    assert.equal(listed.got, 'Completed');
    assert.deepEqual(Object.keys(metrics), ['loss']);
    assert.deepEqual(metrics.loss.map((p: { value: number; step: number }) => [p.value, p.step]), [[0.5, 1], [0.25, 2]]);
    assert.ok(metrics.loss.every((p: { timestamp: number }) => p.timestamp > 1.6e12));
    assert.equal(download.folder, join(work, 'dl', streamed.name));
    assert.deepEqual(download.files, ['logs/std_log.txt', 'logs/stderr.txt', 'logs/stdout.txt', 'outputs/model.txt']);
    assert.equal(download.model, 'weights');
    assert.match(download.log, /^epoch 1\ndata: .*\ndone\n$/);
    assert.deepEqual(lines, ['epoch 1', "data: ['a.csv', 'b.csv']", 'done']);
    assert.equal(canceled, 'Canceled');
    const job = await sdk.getJob(streamed.name);
    assert.equal(job.data_inputs?.[0]?.name, 'd');
  });

  it('reads the same files as the CLI: ignore files (nested, negated, .amlignore over .gitignore, parents, info/exclude) give the same manifest and id', async () => {
    const repo = tempDir('py-ignore');
    execFileSync('git', ['init', '-q', repo]);
    write(repo, '.gitignore', '*.log\n!keep.log\n/top-only.txt\nproj/skipped-by-parent/\n');
    write(repo, '.git/info/exclude', 'excluded.bin\n');
    const p = join(repo, 'proj');
    for (const f of ['a.py', 'b.log', 'keep.log', 'top-only.txt', 'excluded.bin', 'x[1].txt', 'docs/a.md', 'docs/deep/b.md', 'docs/deep/c.txt', 'build/out.o', 'cache/x', 'cache/keep', 'sub/top-only.txt', 'sub/n.log', 'sub/z.txt', 'aml/x.pyc', 'aml/y.log', 'aml/z.md', 'skipped-by-parent/f', '#hash', 'sp ace ', 'é.txt']) write(p, f, `content of ${f}\n`);
    write(p, '.gitignore', 'build/\ndocs/**/*.md\ncache/**\n!cache/keep\n[xy]\\[1\\].txt\n\\#hash\nsp\\ ace\\ \n');
    write(p, 'sub/.gitignore', '!n.log\nz.txt\n');
    write(p, 'aml/.gitignore', '*.md\n');
    write(p, 'aml/.amlignore', '*.pyc\n');
    write(p, 'tool.sh', '#!/bin/sh\n', 0o755);
    symlinkSync('a.py', join(p, 'link-in'));
    symlinkSync('/etc/hostname', join(p, 'link-out'));
    const ts = await buildSnapshot(p);
    const r = await run(`
from cairn.client._snapshot import build_snapshot
import hashlib
s = build_snapshot(${JSON.stringify(p)})
result({"json": s.canonical_json(), "warnings": s.warnings})
`);
    const [mine] = r.results;
    const paths = (JSON.parse(mine.json) as { entries: { path: string }[] }).entries.map((e) => e.path);
    // aml/ has an .amlignore, so its .gitignore does not count there (z.md stays) but the parents' do (y.log goes).
    assert.deepEqual(paths, ['.gitignore', 'a.py', 'aml/.amlignore', 'aml/.gitignore', 'aml/z.md', 'cache/keep', 'docs/deep/c.txt', 'keep.log', 'link-in', 'link-out', 'sub/.gitignore', 'sub/n.log', 'sub/top-only.txt', 'tool.sh', 'top-only.txt', 'é.txt']);
    assert.equal(mine.json, canonicalManifestJson(ts.entries));
    assert.deepEqual(mine.warnings, ts.warnings);
  });

  it('computes: create an amlcompute cluster on the local provider, get, list, list_nodes, delete', async () => {
    const r = await run(`
import cairn
c = cairn.Client()
v = c.computes.create({"type": "amlcompute", "name": "py-cluster", "min_instances": 0, "max_instances": 2, "provider": {"type": "local"}})
result(v["provisioning_state"])
result(c.computes.wait("py-cluster")["provisioning_state"])
result({"got": c.computes.get("azureml:py-cluster")["max_instances"], "names": sorted(x["name"] for x in c.computes.list()), "nodes": c.computes.list_nodes("py-cluster")})
`);
    const [created, settled, seen] = r.results;
    assert.equal(created, 'Creating');
    assert.equal(settled, 'Succeeded');
    assert.deepEqual(seen, { got: 2, names: ['local', 'py-cluster'], nodes: [] });
    assert.equal(((await sdk.computes.get('py-cluster')) as { type: string }).type, 'amlcompute');
    const d = await run(`
import cairn
c = cairn.Client()
result(c.computes.delete("py-cluster", wait=True))
result(sorted(x["name"] for x in c.computes.list()))
`);
    assert.deepEqual(d.results, [null, ['local']]);
    await assert.rejects(sdk.computes.get('py-cluster'), /does not exist/);
  });

  it('environments (a conda file, a build folder uploaded) and data and models: create, get, list, download', async () => {
    write(work, 'conda.yml', 'name: py\ndependencies:\n  - python=3.11\n  - pip:\n    - requests\n');
    write(work, 'ctx/Dockerfile', 'FROM python:3.11-slim\n');
    write(work, 'ctx/req.txt', 'requests\n');
    write(work, 'env.yml', 'name: built-env\nbuild:\n  path: ./ctx\n');
    write(work, 'weights.bin', 'model-bytes');
    const r = await run(`
import os
import cairn
c = cairn.Client()
e1 = c.environments.create({"name": "py-env", "conda_file": "conda.yml"})
e2 = c.environments.create({"name": "py-env", "conda_file": "conda.yml"})
b = c.environments.create("env.yml")
result({"v1": e1["version"], "v2": e2["version"], "deps": e1["conda_file"]["dependencies"][0], "build": b["build"], "got": c.environments.get("py-env@latest")["version"], "listed": sorted(x["name"] for x in c.environments.list())})
d = c.data.create({"name": "py-data", "type": "uri_folder", "path": "./data", "description": "two csv"})
f = c.data.create({"name": "py-file", "type": "uri_file", "path": "data/a.csv"})
m = c.models.create({"name": "py-model", "type": "custom_model", "path": "weights.bin"})
folder = c.data.download("py-data", "1", "dl-data")
mfile = c.models.download("py-model", dest="dl-model")
result({"d": [d["name"], d["version"], d["type"]], "f": f["version"], "m": [m["name"], m["type"]], "got": c.data.get("py-data")["description"],
        "data": sorted(x["name"] for x in c.data.list()), "models": [x["name"] for x in c.models.list()],
        "files": sorted(os.listdir(folder)), "b": open(os.path.join(folder, "b.csv")).read(), "model": open(mfile).read(), "mfile": mfile})
`);
    const [envs, assets] = r.results;
    assert.deepEqual([envs.v1, envs.v2], ['1', '1'], 'the same content answers with its version');
    assert.equal(envs.deps, 'python=3.11');
    assert.match(envs.build.snapshot_id, /^[0-9a-f]{64}$/);
    assert.equal(envs.got, '1');
    assert.deepEqual(envs.listed, ['built-env', 'py-env']);
    assert.deepEqual(assets.d, ['py-data', '1', 'uri_folder']);
    assert.equal(assets.got, 'two csv');
    assert.deepEqual(assets.data, ['py-data', 'py-file']);
    assert.deepEqual(assets.models, ['py-model']);
    assert.deepEqual(assets.files, ['a.csv', 'b.csv']);
    assert.equal(assets.b, 'x,y\n3,4\n');
    assert.equal(assets.model, 'model-bytes');
    assert.equal(assets.mfile, join(work, 'dl-model', 'py-model', 'weights.bin'));
    const env = await sdk.environments.get('built-env');
    assert.deepEqual(((await sdk.json('GET', `${server.url}/api/v1/workspaces/default/snapshots/${env.build!.snapshot_id}/manifest`)) as { entries: { path: string }[] }).entries.map((e) => e.path), ['Dockerfile', 'req.txt']);
  });

  it("downloads a pipeline's outputs from the steps that made them, and a reused step's files from the job it was reused from", async () => {
    write(work, 'pipe.yml', ['type: pipeline', 'settings: {default_compute: local}', 'outputs: {model: {type: uri_folder}}', 'jobs:', '  make: {command: "mkdir -p ${{outputs.m}} && echo w > ${{outputs.m}}/w.txt", outputs: {m: "${{parent.outputs.model}}"}}'].join('\n'));
    for (const name of ['py-pipe-1', 'py-pipe-2']) {
      const r = await runCli(['job', 'create', '-f', 'pipe.yml', '-n', name, '--stream'], { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await run(`
import os, cairn
c = cairn.Client()
def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
p = c.jobs.download("py-pipe-2", "pdl")
one = c.jobs.download("py-pipe-2", "pdl1", output_name="model")
step = c.jobs.download("py-pipe-2_make", "pdl2", output_name="m")
result({"pipeline": files(p), "one": files(one), "step": files(step), "w": open(os.path.join(step, "outputs/m/w.txt")).read()})
try:
    c.jobs.download("py-pipe-2", "pdl3", output_name="nope")
except cairn.CairnError as e:
    result({"code": e.code, "message": str(e)})
`);
    const [got, err] = r.results;
    assert.equal(((await sdk.getJob('py-pipe-2_make')).child as { reused_from?: string }).reused_from, 'py-pipe-1_make');
    assert.deepEqual((await sdk.artifacts('py-pipe-2_make')).length, 0, 'a reused step holds no files of its own');
    assert.deepEqual(got.pipeline, ['outputs/model/w.txt']);
    assert.deepEqual(got.one, ['outputs/model/w.txt']);
    assert.deepEqual(got.step, ['outputs/m/w.txt'], 'the reused step downloads the files of py-pipe-1_make');
    assert.equal(got.w, 'w\n');
    assert.equal(err.code, 'NotFound');
    assert.match(err.message, /pipeline 'py-pipe-2' has no output 'nope' \(it has: model\)/);
  });

  it('refuses with typed errors carrying the server\'s code and message, and creates nothing', async () => {
    write(work, 'bad.yml', 'command: python3 train.py\ncode: [oops\n');
    write(work, 'unknown.yml', 'command: echo\nbogus_field: 1\n');
    write(work, 'nocode.yml', 'command: echo\ncode: ./missing\n');
    const jobsBefore = await jobCount();
    const blobsBefore = readdirSync(join(server.dataDir, 'blobs'), { recursive: true }).length;
    const port = await freePort();
    const r = await run(`
import cairn
from cairn.client import NotFound, UnknownCompute, ValidationError, Unauthorized, ServerUnreachable, CairnError
c = cairn.Client()
def attempt(name, fn):
    try:
        fn()
        result({"case": name, "raised": None})
    except CairnError as e:
        result({"case": name, "cls": type(e).__name__, "code": e.code, "status": e.status, "message": e.message,
                "not_found": isinstance(e, NotFound), "validation": isinstance(e, ValidationError)})
attempt("job", lambda: c.jobs.get("no-such-job"))
attempt("compute", lambda: c.computes.get("no-such-compute"))
attempt("job-compute", lambda: c.jobs.create({"command": "echo hi", "code": "src", "compute": "no-such-compute"}))
attempt("token", lambda: cairn.Client(token="wrong-token").jobs.create({"command": "echo hi", "code": "src"}))
attempt("unreachable", lambda: cairn.Client(url="http://127.0.0.1:${port}").jobs.list())
attempt("yaml", lambda: c.jobs.create("bad.yml"))
attempt("field", lambda: c.jobs.create("unknown.yml"))
attempt("nocode", lambda: c.jobs.create("nocode.yml"))
attempt("nofile", lambda: c.jobs.create("absent.yml"))
result({"uploaded": c.uploaded})
`);
    const by = Object.fromEntries(r.results.filter((x) => x.case).map((x) => [x.case, x]));
    assert.deepEqual([by.job.cls, by.job.code, by.job.status, by.job.not_found], ['NotFound', 'NotFound', 404, true]);
    assert.equal(by.job.message, "job 'no-such-job' does not exist in workspace 'default'");
    assert.deepEqual([by.compute.cls, by.compute.status], ['NotFound', 404]);
    assert.match(by.compute.message, /no-such-compute/);
    assert.deepEqual([by['job-compute'].cls, by['job-compute'].code, by['job-compute'].status, by['job-compute'].validation], ['UnknownCompute', 'UnknownCompute', 400, true]);
    assert.match(by['job-compute'].message, /compute 'no-such-compute' does not exist in workspace 'default'; computes: local/);
    assert.deepEqual([by.token.cls, by.token.code, by.token.status], ['Unauthorized', 'Unauthorized', 401]);
    assert.deepEqual([by.unreachable.cls, by.unreachable.status], ['ServerUnreachable', 0]);
    assert.match(by.unreachable.message, new RegExp(`^no Cairn server answers at http://127\\.0\\.0\\.1:${port} \\(connection refused\\): start one with \`cairn server\``));
    assert.deepEqual([by.yaml.cls, by.yaml.status], ['ValidationError', 400]);
    assert.match(by.yaml.message, new RegExp(`^${join(work, 'bad.yml')}:3:1: invalid YAML: `));
    assert.equal(by.field.message, `${join(work, 'unknown.yml')} line 2: unknown field 'bogus_field' for a command job`);
    assert.equal(by.nocode.message, `${join(work, 'nocode.yml')} line 2: code folder './missing' does not exist (looked in ${join(work, 'missing')})`);
    assert.equal(by.nofile.message, `cannot read job file ${join(work, 'absent.yml')}: no such file`);
    // Nothing half-made: no job, no blob (the code of the refused jobs was known already), nothing sent by this client.
    assert.equal(await jobCount(), jobsBefore);
    assert.equal(readdirSync(join(server.dataDir, 'blobs'), { recursive: true }).length, blobsBefore);
    assert.deepEqual(r.results.at(-1), { uploaded: { blobs: 0, bytes: 0 } });
  });

  it('import cairn stays light: the client loads on first use of cairn.Client', async () => {
    const r = await run(`
import sys
import cairn
result({"before": [m for m in ("cairn.client", "http.client", "ssl", "urllib.request") if m in sys.modules]})
cairn.Client
result({"after": "cairn.client" in sys.modules, "same": cairn.NotFound is __import__("cairn.client", fromlist=["NotFound"]).NotFound})
`);
    assert.deepEqual(r.results, [{ before: [] }, { after: true, same: true }]);
  });

  it('the wheel the build writes (dist/python) installs with pip (and so does the source folder) and talks to the server', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.match(readFileSync(join(ROOT, 'src/agent/python/pyproject.toml'), 'utf8'), new RegExp(`^version = "${pkg.version.replace(/\./g, '\\.')}"$`, 'm'));
    const dir = tempDir('py-wheel');
    // The build itself, into a folder of its own (dist/ may be in use by a running cairn).
    await buildCli({ outDir: join(dir, 'dist') });
    const wheel = join(dir, 'dist', 'python', wheelName(pkg.version));
    const target = join(dir, 'site');
    const pip = (args: string[]) => execFileSync(PYTHON, ['-m', 'pip', 'install', '--no-deps', '--no-index', '--disable-pip-version-check', '-q', '--target', ...args], { encoding: 'utf8', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } });
    pip([target, wheel]);
    assert.ok(existsSync(join(target, 'cairn', 'client', '__init__.py')));
    assert.ok(existsSync(join(target, `cairn-${pkg.version}.dist-info`, 'RECORD')));
    const r = await run(
      `
import cairn
c = cairn.Client()
job = c.jobs.create({"command": "python3 -c 'print(41 + 1)'"})
result({"file": cairn.__file__, "status": c.jobs.wait_for_completion(job["name"])["status"], "lines": [l["text"] for l in c.jobs.logs(job["name"])]})
`,
      { pythonPath: target },
    );
    assert.deepEqual(r.results[0], { file: join(target, 'cairn', '__init__.py'), status: 'Completed', lines: ['42'] });
    // From the repository: a copy of the folder (setuptools builds in the tree), the system's setuptools.
    const src = join(dir, 'src');
    cpSync(join(ROOT, 'src/agent/python'), src, { recursive: true, filter: (f) => !f.includes('__pycache__') });
    pip([join(dir, 'site2'), '--no-build-isolation', src]);
    const two = await run('import cairn\nresult([cairn.__file__, cairn.Client().health()["status"]])', { pythonPath: join(dir, 'site2') });
    assert.deepEqual(two.results[0], [join(dir, 'site2', 'cairn', '__init__.py'), 'ok']);
  });
});
