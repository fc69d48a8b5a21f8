import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { json, runCli, TestServer, tempDir } from './helpers/cairn.ts';
import { startEngine, type Engine } from './helpers/engines.ts';

const CURATED = 'azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1';

/** `cairn environment` and environments on `cairn job create`: the real CLI against a real server. */
describe('cairn environment: create, show, list, archive, restore; environments on jobs', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('cli-envs');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const out = async (args: string[]) => JSON.parse((await ok([...args, '-o', 'json'])).stdout);
  /** One line on stderr, a non-zero exit, nothing on stdout. */
  const fails = async (args: string[], re: RegExp) => {
    const r = await cli(args);
    assert.equal(r.code, 1, `cairn ${args.join(' ')} should fail: ${r.stdout}`);
    assert.match(r.stderr, /^error: [^\n]+\n$/, `one line: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '');
  };
  const write = (name: string, text: string) => writeFileSync(join(work, name), text);
  /** The API itself, for checking state quickly (the CLI is what is under test). */
  const api = async (path: string, method = 'GET') => {
    const r = await json(`${server.url}/api/v1/workspaces/default${path}`, { method });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const versionsOf = async (query: string) => (await api(`/environments?${query}`)).map((e: { name: string; version: string }) => `${e.name}:${e.version}`);
  /** Creates a job that refers to an environment and cancels it at once: these tests look at what the server resolved, not at the node's build. */
  const submitAndCancel = async (args: string[]) => {
    const r = await ok(['job', 'create', ...args, '-o', 'json']);
    const job = JSON.parse(r.stdout);
    await api(`/jobs/${job.name}/cancel`, 'POST');
    return { job, stderr: r.stderr };
  };

  let podman: Engine | { skip: string };
  before(async () => {
    // The build-folder job needs a node with a container engine, which must be there before the agent starts.
    podman = startEngine('podman');
    await server.start();
    mkdirSync(join(work, 'envs'));
    write(join('envs', 'conda.yml'), 'name: train\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n    - numpy\n');
    write(join('envs', 'env.yml'), '$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nname: train-env\ndescription: training\nconda_file: conda.yml\n');
    write('inline.yml', 'name: inline-env\nconda_file:\n  dependencies:\n    - pip: [requests]\n');
    mkdirSync(join(work, 'docker'));
    write(join('docker', 'Dockerfile'), 'FROM python:3.11-slim\n');
    write(join('docker', 'notes.tmp'), 'ignored');
    write(join('docker', '.amlignore'), '*.tmp\n');
    write('build.yml', 'name: built-env\nbuild:\n  path: docker\n');
  });
  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('registers from a file: version 1, the same version for the same content, 2 after a change', async () => {
    const v1 = await out(['environment', 'create', '-f', 'envs/env.yml']);
    assert.equal(v1.name, 'train-env');
    assert.equal(v1.version, '1');
    assert.equal(v1.kind, 'conda');
    assert.equal(v1.description, 'training');
    assert.deepEqual(v1.conda_file, { name: 'train', channels: ['conda-forge'], dependencies: ['python=3.11', { pip: ['numpy'] }] });
    assert.match(v1.spec_hash, /^[0-9a-f]{64}$/);
    assert.equal(v1.archived, false);
    assert.ok(v1.creation_context.created_at);

    const again = await out(['environment', 'create', '-f', 'envs/env.yml']);
    assert.equal(again.version, '1');
    assert.equal(again.spec_hash, v1.spec_hash);

    write(join('envs', 'conda.yml'), 'name: train\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n    - numpy\n    - pandas\n');
    const v2 = await out(['environment', 'create', '-f', 'envs/env.yml']);
    assert.equal(v2.version, '2');
    assert.notEqual(v2.spec_hash, v1.spec_hash);
  });

  it('refuses other content under a taken version, in one line', () =>
    fails(['environment', 'create', '-f', 'envs/env.yml', '--version', '1', '--set', 'image=python:3.12-slim'], /^error: environment 'train-env' version 1 already exists with other content; versions never change/));

  it('registers a conda file written inline, and an explicit version', async () => {
    const e = await out(['environment', 'create', '-f', 'inline.yml', '--version', '7']);
    assert.equal(e.version, '7');
    assert.equal(e.kind, 'conda');
    assert.deepEqual(e.conda_file, { dependencies: [{ pip: ['requests'] }] });
    const next = await out(['environment', 'create', '-f', 'inline.yml', '--set', 'conda_file.dependencies.0.pip.0=urllib3']);
    assert.equal(next.version, '8', 'the next number after the highest');
  });

  it('registers a build folder: uploaded with its ignore rules', async () => {
    const e = await out(['environment', 'create', '-f', 'build.yml']);
    assert.equal(e.kind, 'build');
    assert.equal(e.build.dockerfile_path, 'Dockerfile');
    const snap = await json(`${server.url}/api/v1/workspaces/default/snapshots/${e.build.snapshot_id}`);
    assert.equal(snap.status, 200);
    assert.equal(snap.body.file_count, 2); // Dockerfile and .amlignore; notes.tmp ignored
  });

  it('registers from flags', async () => {
    const e = await out(['environment', 'create', '--name', 'slim', '--image', 'python:3.11-slim', '--conda-file', 'envs/conda.yml']);
    assert.equal(e.kind, 'image');
    assert.equal(e.image, 'python:3.11-slim');
    assert.equal(e.conda_file.name, 'train');
  });

  it('shows a version by name:version, -v, @latest and -l latest', async () => {
    const [byColon, byFlag, byAt, byLabel, bare, table, yaml] = await Promise.all([
      out(['environment', 'show', '-n', 'train-env:1']),
      out(['environment', 'show', '-n', 'azureml:train-env', '-v', '1']),
      out(['environment', 'show', '-n', 'train-env@latest']),
      out(['environment', 'show', '-n', 'train-env', '-l', 'latest']),
      out(['environment', 'show', '-n', 'train-env']),
      ok(['environment', 'show', '-n', 'train-env:2', '-o', 'table']),
      ok(['environment', 'show', '-n', 'train-env:2', '-o', 'yaml']),
      fails(['environment', 'show', '-n', 'train-env:9'], /environment 'train-env' has no version 9; versions: 2, 1/),
      fails(['environment', 'show', '-n', 'nope'], /environment 'nope' does not exist in workspace 'default'; environments: built-env, inline-env, slim, train-env/),
    ]);
    assert.deepEqual([byColon.version, byFlag.version, byAt.version, byLabel.version, bare.version], ['1', '1', '2', '2', '2']);
    assert.match(table.stdout, /^kind\s+conda$/m);
    assert.match(table.stdout, /^conda_file:\n/m);
    assert.match(table.stdout, /- pandas/);
    assert.match(yaml.stdout, /^version: "2"$/m);
  });

  it('lists the latest version of each name, and every version of one name', async () => {
    const [all, versions, table] = await Promise.all([out(['environment', 'list']), out(['environment', 'list', '-n', 'train-env']), ok(['environment', 'list'])]);
    assert.deepEqual(all.map((e: { name: string; version: string }) => `${e.name}:${e.version}`), ['built-env:1', 'inline-env:8', 'slim:1', 'train-env:2']);
    assert.deepEqual(versions.map((e: { version: string }) => e.version), ['2', '1']);
    assert.match(table.stdout, /^Name\s+Version\s+Kind\s+Image \/ conda\s+Spec hash\s+Archived\s+Created$/m);
    assert.match(table.stdout, /^train-env\s+2\s+conda\s+conda: python=3\.11, pip: numpy, pandas\s+[0-9a-f]{12}\s+\d{4}-/m);
    assert.match(table.stdout, /^slim\s+1\s+image\s+python:3\.11-slim \+ conda: /m);
  });

  it('archives a version: gone from lists and @latest, still usable by exact version; restore brings it back', async () => {
    const r = await ok(['environment', 'archive', '-n', 'train-env', '-v', '2', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout).map((e: { version: string; archived: boolean }) => [e.version, e.archived]), [['2', true]]);
    assert.match(r.stderr, /Archived environment 'train-env' version 2/);
    assert.deepEqual(await versionsOf('name=train-env'), ['train-env:1']);
    assert.equal((await api('/environments/train-env?label=latest')).version, '1');
    assert.equal((await api('/environments/train-env?version=2')).archived, true);
    assert.deepEqual(await versionsOf('name=train-env&include_archived=true'), ['train-env:2', 'train-env:1']);
    write('job-archived.yml', 'command: echo hi\nenvironment: azureml:train-env:2\n');
    const [archivedOnly, { job }] = await Promise.all([out(['environment', 'list', '--archived-only']), submitAndCancel(['-f', 'job-archived.yml'])]);
    assert.deepEqual(archivedOnly.map((e: { name: string; version: string }) => `${e.name}:${e.version}`), ['train-env:2']);
    assert.equal(job.environment_details.ref, 'train-env:2');
    assert.equal(job.environment_details.kind, 'conda');
    assert.deepEqual(job.environment_details.conda_file.dependencies, ['python=3.11', { pip: ['numpy', 'pandas'] }]);

    // The whole name: nothing left to list or to take as latest.
    await ok(['environment', 'archive', '-n', 'train-env']);
    assert.ok(!(await versionsOf('')).some((e: string) => e.startsWith('train-env:')));
    await fails(['environment', 'show', '-n', 'train-env@latest'], /environment 'train-env' has only archived versions \(2, 1\), so no latest: name one exactly, like train-env:2, or restore it/);

    const restored = await ok(['environment', 'restore', '-n', 'train-env:1', '-o', 'json']);
    assert.deepEqual(JSON.parse(restored.stdout).map((e: { version: string; archived: boolean }) => [e.version, e.archived]), [['1', false]]);
    assert.equal((await api('/environments/train-env?label=latest')).version, '1');
    await ok(['environment', 'restore', '-n', 'train-env']);
    assert.equal((await api('/environments/train-env?label=latest')).version, '2');
  });

  it('refuses bad environment files in one line, and creates nothing', async () => {
    write('bad-conda.yml', 'channels: [conda-forge\ndependencies:\n  - numpy\n');
    write('bad1.yml', 'name: bad\nconda_file: bad-conda.yml\n');
    write('bad2.yml', 'name: bad\nconda_file: missing.yml\n');
    write('bad3.yml', 'name: bad\nimage: python:3.11-slim\ncolour: red\n');
    write('bad4.yml', 'name: bad\nimage: python:3.11-slim\nbuild:\n  path: docker\n');
    mkdirSync(join(work, 'empty-ctx'), { recursive: true });
    write('bad5.yml', 'name: bad\nbuild:\n  path: empty-ctx\n');
    write('bad6.yml', 'name: bad\nimage: python:3.11-slim\ninference_config:\n  liveness_route: {port: 5001, path: /}\n');
    await Promise.all([
      fails(['environment', 'create', '-f', 'bad1.yml'], /^error: bad-conda\.yml:\d+:\d+: invalid YAML: /),
      fails(['environment', 'create', '-f', 'bad2.yml'], new RegExp(`^error: bad2\\.yml line 2: conda_file 'missing\\.yml' does not exist \\(looked in ${join(work, 'missing.yml')}\\)`)),
      fails(['environment', 'create', '-f', 'bad3.yml'], /^error: bad3\.yml line 3: unknown field 'colour' for an environment/),
      fails(['environment', 'create', '-f', 'bad4.yml'], /^error: bad4\.yml line 3: give image or build, not both/),
      fails(['environment', 'create', '-f', 'bad5.yml'], /^error: bad5\.yml line 3: build\.path 'empty-ctx' has no Dockerfile/),
      fails(['environment', 'create', '-f', 'bad6.yml'], /^error: bad6\.yml line 3: field 'inference_config': inference environments are not supported/),
      fails(['environment', 'create', '-f', 'envs/env.yml', '--name', 'bad', '--set', 'conda_file.x=1'], /--set 'conda_file\.x=1': 'conda_file' is not a mapping/),
      fails(['environment', 'create', '-f', 'nope.yml'], /^error: cannot read environment file nope\.yml: no such file/),
      fails(['environment', 'create', '--image', 'python:3.11-slim'], /needs a name/),
      fails(['environment', 'create', '-f', 'inline.yml', '--image', 'x'], /with --file, change fields with --set/),
    ]);
    await fails(['environment', 'show', '-n', 'bad'], /environment 'bad' does not exist/);
  });

  it('refuses a job whose environment does not exist, naming the ones that do', async () => {
    write('job-unknown.yml', 'command: echo hi\nenvironment: azureml:no-such-env:1\n');
    await fails(['job', 'create', '-f', 'job-unknown.yml'], /environment 'no-such-env' does not exist in workspace 'default'; environments: built-env, inline-env, slim, train-env/);
    write('job-bad-inline.yml', 'command: echo hi\nenvironment:\n  image: python:3.11-slim\n  conda_file: missing.yml\n');
    await fails(['job', 'create', '-f', 'job-bad-inline.yml'], /^error: job-bad-inline\.yml line 4: conda_file 'missing\.yml' does not exist/);
  });

  it('runs a job with a curated Azure ML name as the node\'s own Python, with a warning', async () => {
    await server.waitForAgent();
    write('job-curated.yml', `command: python3 -c "print('curated ok')"\nenvironment: ${CURATED}\n`);
    const r = await ok(['job', 'create', '-f', 'job-curated.yml', '--stream', '-n', 'curated-job']);
    assert.match(r.stdout, /curated ok/);
    assert.match(r.stderr, /^warning: 'AzureML-sklearn-1\.0-ubuntu20\.04-py38-cpu:1' is an Azure ML curated environment, which Cairn does not have; it runs as the node's own Python/m);
    // The record of a user-managed job may land after it ends: the table, read second, has it if the JSON did.
    const job = await out(['job', 'show', '-n', 'curated-job']);
    const table = await ok(['job', 'show', '-n', 'curated-job', '-o', 'table']);
    assert.equal(job.status, 'Completed');
    assert.equal(job.environment, 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1');
    assert.equal(job.environment_details.kind, 'user_managed');
    assert.equal(job.environment_details.ref, 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1');
    assert.equal(job.environment_details.warnings.length, 1);
    assert.match(table.stdout, /^environment\s+AzureML-sklearn-1\.0-ubuntu20\.04-py38-cpu:1 \(node's own Python\)$/m);
    assert.match(table.stdout, /^warnings:\n {2}'AzureML-sklearn/m);
    if (job.environment_details.record) {
      assert.match(table.stdout, /^environment_build\s+[0-9a-f]{12} /m);
      assert.match(table.stdout, /^packages\s+\d+/m);
    }
  });

  it('keeps a registry URI whole on its way to the server', async () => {
    write('job-registry.yml', 'command: echo hi\nenvironment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest\n');
    const { job, stderr } = await submitAndCancel(['-f', 'job-registry.yml']);
    assert.equal(job.environment, 'azureml://registries/azureml/environments/sklearn-1.5/labels/latest');
    assert.equal(job.environment_details.kind, 'user_managed');
    assert.match(stderr, /^warning: .*curated environment/m);
  });

  it('uploads an inline environment\'s build folder with the job', async (t) => {
    if ('skip' in podman) return t.skip(podman.skip);
    write('job-build.yml', 'command: echo hi\nenvironment:\n  build:\n    path: docker\n');
    const { job } = await submitAndCancel(['-f', 'job-build.yml']);
    assert.equal(job.environment_details.kind, 'build');
    assert.match(job.environment.build.snapshot_id, /^[0-9a-f]{64}$/);
    assert.equal(job.environment.build.path, 'docker');
    assert.equal(job.environment_details.build.snapshot_id, job.environment.build.snapshot_id);
    const registered = await api('/environments/built-env?version=1');
    assert.equal(job.environment_details.spec_hash, registered.spec_hash, 'the same folder and Dockerfile hash the same');
  });

  it('cairn run takes --environment and --python-path', async () => {
    const r = await ok(['run', '--no-stream', '--environment', 'azureml:train-env:1', '--python-path', '/usr/bin/python3', '-o', 'json', '--', 'echo', 'hi']);
    const job = JSON.parse(r.stdout);
    await api(`/jobs/${job.name}/cancel`, 'POST');
    assert.equal(job.environment, 'train-env:1');
    assert.equal(job.python_path, '/usr/bin/python3');
    assert.equal(job.environment_details.ref, 'train-env:1');
    assert.equal(job.environment_details.python_path, '/usr/bin/python3');
    await fails(['run', '--no-stream', '--python-path', 'python3', '--', 'echo'], /python_path: must be an absolute path/);
  });

  it('the SDK: client.environments creates from a file or an object, gets, lists, archives and restores', async () => {
    const client = new CairnClient({ url: server.url });
    const fromFile = await client.environments.create({ file: join(work, 'envs', 'env.yml'), name: 'sdk-env' });
    assert.deepEqual([fromFile.name, fromFile.version, fromFile.kind], ['sdk-env', '1', 'conda']);
    const same = await client.environments.create({ name: 'sdk-env', conda_file: 'envs/conda.yml' }, { baseDir: work });
    assert.equal(same.version, '1', 'the same content, from an object with a path, is the same version');
    const built = await client.environments.create({ name: 'azureml:sdk-env', build: { path: 'docker' } }, { baseDir: work });
    assert.deepEqual([built.version, built.kind], ['2', 'build']);
    assert.equal((await client.environments.get('azureml:sdk-env:1')).kind, 'conda');
    assert.equal((await client.environments.get('sdk-env@latest')).version, '2');
    assert.equal((await client.environments.get('sdk-env', { version: '1' })).version, '1');
    assert.deepEqual((await client.environments.list({ name: 'sdk-env' })).map((e) => e.version), ['2', '1']);
    assert.deepEqual((await client.environments.archive('sdk-env:2')).map((e) => e.archived), [true]);
    assert.equal((await client.environments.get('sdk-env')).version, '1');
    await client.environments.restore('sdk-env', { version: '2' });
    assert.equal((await client.environments.get('sdk-env')).version, '2');
    await assert.rejects(client.environments.create({ name: 'sdk-env', image: 'x', build: { path: 'docker' } }, { baseDir: work }), /give image or build, not both/);
    await assert.rejects(client.environments.get('sdk-env:2', { version: '1' }), /already names version 2/);
  });
});
