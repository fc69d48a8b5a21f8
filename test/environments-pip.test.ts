import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { buildWheel, SYSTEM_PYTHON } from './helpers/wheels.ts';
import { CairnClient } from '../src/sdk/client.ts';
import type { Job, LogLine } from '../src/protocol/job.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';

/** Submits a job and follows it to its end: the final job (as `show` has it) and every log line. */
async function runJob(client: CairnClient, spec: CommandJobSpec): Promise<{ job: Job; lines: LogLine[] }> {
  const created = await client.createJob(spec);
  const lines: LogLine[] = [];
  await client.stream(created.name, { onLine: (l) => lines.push(l) });
  return { job: await client.getJob(created.name), lines };
}
/** A real server (and its local agent) with the given settings, and an SDK client for it. */
async function startServer(o: ConstructorParameters<typeof TestServer>[0]): Promise<[TestServer, CairnClient]> {
  const server = await new TestServer(o).start();
  await server.waitForAgent();
  return [server, new CairnClient({ url: server.url })];
}
const text = (lines: LogLine[], stream?: string) => lines.filter((l) => !stream || l.stream === stream).map((l) => l.text);
const envDirs = (server: TestServer) => {
  const d = join(server.dataDir, 'agents', 'local', 'envs');
  return existsSync(d) ? readdirSync(d).filter((k) => /^[0-9a-f]{64}$/.test(k)) : [];
};
const condaWith = (...pip: string[]) => ({ conda_file: { name: 'demo', dependencies: ['python=3.11', 'pip', { pip }] } });
const IMPORT = 'python -c "import cairn_demo_pkg, sys; print(cairn_demo_pkg.VALUE, sys.prefix)"';

describe('environments: conda files built with venv + pip on a node without conda, once per content hash', () => {
  const work = tempDir('envs');
  let server: TestServer;
  let client: CairnClient;

  before(async () => {
    const wheels = buildWheel(work, { name: 'cairn-demo-pkg', module: 'cairn_demo_pkg', version: '1.2.3', value: 'from-wheel' });
    buildWheel(work, { name: 'cairn-other-pkg', module: 'cairn_other_pkg', version: '0.1.0', value: 'other' });
    const aliases = join(work, 'aliases.yml');
    writeFileSync(aliases, `"AzureML-demo-*":\n  conda_file:\n    dependencies: [{pip: [cairn-demo-pkg]}]\n"AzureML-*": user_managed\n`);
    // Air-gapped: pip may only look at the folder of wheels the test built.
    [server, client] = await startServer({ args: ['--max-concurrent-jobs', '8'], env: { CAIRN_PIP_NO_INDEX: '1', CAIRN_PIP_FIND_LINKS: wheels, CAIRN_ENVIRONMENT_ALIASES: aliases } });
  });
  after(() => server?.stop());

  it('builds a venv from the pip section with the server pip options, streams the build and records what it installed', async () => {
    const { job, lines } = await runJob(client, { command: IMPORT, environment: condaWith('cairn-demo-pkg==1.2.3') } as CommandJobSpec);
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    const out = text(lines, 'stdout').join('\n');
    const rec = job.environment_details!.record!;
    assert.match(out, /^from-wheel /);
    assert.ok(out.includes(join('envs', rec.hash)), `ran in the environment's venv: ${out}`);
    assert.equal(rec.builder, 'venv+pip');
    assert.equal(rec.built, true);
    assert.match(rec.python ?? '', /^3\.11\./);
    assert.ok(rec.packages.includes('cairn-demo-pkg==1.2.3'), rec.packages.join(','));
    const system = text(lines, 'system').join('\n');
    assert.match(system, /building environment [0-9a-f]{12} with venv\+pip/);
    assert.match(system, /Successfully installed cairn-demo-pkg-1\.2\.3/);
    assert.ok(job.history!.some((h) => h.status === 'Preparing' && h.reason === `building environment ${rec.hash.slice(0, 12)}`));
  });

  it('reuses a built environment: the next job with the same spec starts without building', async () => {
    const { job, lines } = await runJob(client, { command: IMPORT, environment: condaWith('cairn-demo-pkg==1.2.3') } as CommandJobSpec);
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    assert.equal(job.environment_details!.record!.built, false);
    assert.ok(!job.history!.some((h) => /building environment/.test(h.reason ?? '')));
    assert.deepEqual(text(lines, 'system'), []);
  });

  it('8 jobs submitted at once needing the same new environment: exactly one build, all of them run in it', async () => {
    const before = envDirs(server).length;
    const spec = { command: 'python -c "import cairn_other_pkg as m; print(m.VALUE)"', environment: condaWith('cairn-other-pkg') } as CommandJobSpec;
    const jobs = await Promise.all(Array.from({ length: 8 }, () => client.createJob(spec)));
    const finals = await Promise.all(jobs.map((j) => client.stream(j.name).then(() => client.getJob(j.name))));
    for (const j of finals) assert.equal(j.status, 'Completed', j.status_reason ?? '');
    assert.equal(new Set(finals.map((j) => j.environment_details!.record!.hash)).size, 1);
    assert.equal(envDirs(server).length, before + 1);
    const started = finals.filter((j) => j.history!.some((h) => /^building environment [0-9a-f]{12}$/.test(h.reason ?? '')));
    assert.equal(started.length, 1, 'one job started the build; the others waited for it or found it ready');
  });

  it('a requirement that cannot be resolved fails the job with pip\'s own error last in its log, and nothing is cached', async () => {
    const before = envDirs(server);
    for (let i = 0; i < 2; i++) {
      const { job, lines } = await runJob(client, { command: 'echo never', environment: condaWith('no-such-package==9.9') } as CommandJobSpec);
      assert.equal(job.status, 'Failed');
      assert.match(job.status_reason!, /^preparing the environment failed: pip install exited with code 1: ERROR: No matching distribution found for no-such-package==9\.9$/);
      assert.match(text(lines, 'system').at(-1)!, /ERROR: No matching distribution found for no-such-package==9\.9/);
      assert.ok(job.history!.some((h) => /^building environment/.test(h.reason ?? '')), 'the second try builds again: the failure was not cached');
      assert.deepEqual(text(lines, 'stdout'), []);
    }
    assert.deepEqual(envDirs(server), before);
  });

  it('without conda: conda-only packages, or a Python the node lacks, fail with a reason naming what is missing', async () => {
    const condaOnly = await runJob(client, { command: 'true', environment: { conda_file: { dependencies: ['python=3.11', 'numpy=1.24', 'cudatoolkit=11.8'] } } } as CommandJobSpec);
    assert.equal(condaOnly.job.status, 'Failed');
    assert.match(condaOnly.job.status_reason!, /no conda, mamba or micromamba, and the conda file needs conda packages: numpy=1\.24, cudatoolkit=11\.8/);
    const oldPython = await runJob(client, { command: 'true', environment: { conda_file: { dependencies: ['python=3.6'] } } } as CommandJobSpec);
    assert.equal(oldPython.job.status, 'Failed');
    assert.match(oldPython.job.status_reason!, /asks for python 3\.6, .*no matching interpreter on PATH \(found: .*3\.11/);
    assert.match(text(oldPython.lines, 'system').at(-1)!, /^error: the conda file asks for python 3\.6/);
  });

  it('user-managed: the node\'s own interpreter as is, recorded with its pip freeze; python_path picks another one', async () => {
    const plain = await runJob(client, { command: 'python3 -c "import sys; print(sys.executable)"' } as CommandJobSpec);
    assert.equal(plain.job.status, 'Completed');
    const rec = await waitFor('the user-managed record', async () => (await client.getJob(plain.job.name)).environment_details?.record ?? null);
    assert.equal(rec.kind, 'user_managed');
    assert.equal(rec.builder, 'none');
    assert.match(rec.python!, /^3\.\d+\.\d+$/);
    assert.ok(Array.isArray(rec.packages));

    const pinned = await runJob(client, { command: 'python -c "import sys; print(sys.version.split()[0], sys.executable)"', python_path: SYSTEM_PYTHON } as CommandJobSpec);
    assert.equal(pinned.job.status, 'Completed', pinned.job.status_reason ?? '');
    const debianVersion = execFileSync(SYSTEM_PYTHON, ['-c', 'import sys;print(sys.version.split()[0])'], { encoding: 'utf8' }).trim();
    assert.equal(text(pinned.lines, 'stdout')[0]!.split(' ')[0], debianVersion);
    const pinnedRec = await waitFor('the python_path record', async () => (await client.getJob(pinned.job.name)).environment_details?.record ?? null);
    assert.equal(pinnedRec.interpreter, SYSTEM_PYTHON);
  });

  it('registered environments (name@latest, name:version) and curated names through the alias table', async () => {
    const res = await fetch(`${server.url}/api/v1/workspaces/default/environments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'demo-env', ...condaWith('cairn-demo-pkg==1.2.3') }) });
    assert.equal(res.status, 201);
    const reg = await runJob(client, { command: IMPORT, environment: 'azureml:demo-env@latest' } as CommandJobSpec);
    assert.equal(reg.job.status, 'Completed', reg.job.status_reason ?? '');
    assert.equal(reg.job.environment_details!.ref, 'demo-env:1');
    assert.equal(reg.job.environment_details!.record!.built, false, 'same content as the first test: the same cached environment');

    const curated = await runJob(client, { command: IMPORT, environment: 'azureml:AzureML-demo-gpu:3' } as CommandJobSpec);
    assert.equal(curated.job.status, 'Completed', curated.job.status_reason ?? '');
    assert.equal(curated.job.environment_details!.kind, 'conda');
    assert.match(curated.job.environment_details!.warnings![0]!, /curated environment.*alias 'AzureML-demo-\*'/);
    assert.match(text(curated.lines, 'system')[0]!, /^warning: 'azureml:AzureML-demo-gpu:3' is an Azure ML curated environment/);

    const fallback = await client.createJob({ command: 'true', environment: 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1' } as CommandJobSpec);
    assert.equal(fallback.environment_details!.kind, 'user_managed');
    assert.match(fallback.environment_details!.warnings![0]!, /the node's own Python \(alias 'AzureML-\*'/);
  });
});

describe('environments: the size cap removes the least recently used, never one in use', () => {
  const work = tempDir('envs-cap');
  let server: TestServer;
  let client: CairnClient;
  before(async () => {
    const wheels = buildWheel(work, { name: 'cairn-demo-pkg', module: 'cairn_demo_pkg', version: '1.2.3', value: 'v' });
    [server, client] = await startServer({ env: { CAIRN_PIP_NO_INDEX: '1', CAIRN_PIP_FIND_LINKS: wheels, CAIRN_AGENT_ENV_CACHE_MB: '1' } });
  });
  after(() => server?.stop());

  it('keeps the newest environment and removes older ones once past the cap', async () => {
    const a = await runJob(client, { command: IMPORT, environment: condaWith('cairn-demo-pkg') } as CommandJobSpec);
    assert.equal(a.job.status, 'Completed', a.job.status_reason ?? '');
    const keyA = a.job.environment_details!.record!.hash;
    assert.deepEqual(envDirs(server), [keyA], 'a venv is over 1 MB, but the one just built is kept');
    const b = await runJob(client, { command: 'python -c "print(1)"', environment: { conda_file: { dependencies: ['python=3.11'] } } } as CommandJobSpec);
    assert.equal(b.job.status, 'Completed', b.job.status_reason ?? '');
    const keyB = b.job.environment_details!.record!.hash;
    await waitFor('the older environment to be evicted', async () => envDirs(server).join() === keyB, 10_000);
    const again = await runJob(client, { command: IMPORT, environment: condaWith('cairn-demo-pkg') } as CommandJobSpec);
    assert.equal(again.job.environment_details!.record!.built, true, 'evicted, so built again');
  });
});

describe('environments: a conda binary on the node is used instead of venv + pip', () => {
  // No conda, mamba or micromamba can be downloaded on this machine (conda channels are out of
  // reach), so this stands one in: a script that answers micromamba's command line the way the
  // real one does (creates the prefix, lists it) and records how it was called.
  const work = tempDir('envs-conda');
  let server: TestServer;
  let client: CairnClient;
  const calls = join(work, 'calls.log');
  before(async () => {
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'micromamba'),
      `#!/bin/bash\necho "$* PIP_INDEX_URL=$PIP_INDEX_URL" >> ${calls}\nif [ "$1" = create ]; then p=$4; f=$6; mkdir -p "$p/bin"; ln -s ${SYSTEM_PYTHON} "$p/bin/python"; cp "$f" "$p/conda-meta.json"; echo "created $p"; exit 0; fi\nif [ "$1" = list ]; then echo "python=3.11.2=0"; echo "numpy=1.24.4=0"; exit 0; fi\nexit 2\n`,
    );
    chmodSync(join(bin, 'micromamba'), 0o755);
    [server, client] = await startServer({ env: { CAIRN_AGENT_CONDA: join(bin, 'micromamba'), CAIRN_PIP_INDEX_URL: 'http://127.0.0.1:9/simple' } });
  });
  after(() => server?.stop());

  it('creates the environment with `micromamba create -p PREFIX -f FILE`, pip options in pip\'s variables, and records `list --export`', async () => {
    const { job } = await runJob(client, { command: 'python -c "import sys; print(sys.prefix)"', environment: { conda_file: { dependencies: ['python=3.11', 'numpy=1.24'] } } } as CommandJobSpec);
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    const rec = job.environment_details!.record!;
    assert.equal(rec.builder, 'micromamba');
    assert.deepEqual(rec.packages, ['python=3.11.2=0', 'numpy=1.24.4=0']);
    const log = readFileSync(calls, 'utf8');
    assert.match(log, new RegExp(`^create -y -p \\S+/envs/${rec.hash}/env -f \\S+/conda\\.yml PIP_INDEX_URL=http://127\\.0\\.0\\.1:9/simple$`, 'm'));
    assert.ok(rec.interpreter!.endsWith(`${rec.hash}/env/bin/python`));
  });
});
