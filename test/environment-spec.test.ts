import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CondaFile,
  EnvironmentFileSpec,
  EnvironmentSpec,
  canonicalJson,
  kindOf,
  parseEnvironmentRef,
  specMaterial,
} from '../src/protocol/environment.ts';
import { CommandJobFileSpec, CommandJobSpec } from '../src/protocol/job-spec.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { environmentFromFields, loadEnvironmentFile } from '../src/sdk/environment-file.ts';
import { environmentTarget } from '../src/sdk/environments.ts';
import { parseJobYaml, stripAzureml, type CommandJobDraft } from '../src/sdk/job-file.ts';
import { environmentRecordText, environmentText, statusText } from '../src/cli/jobs-view.ts';
import type { Job } from '../src/protocol/job.ts';
import { tempDir } from './helpers/cairn.ts';

const SHA = 'a'.repeat(64);
const issue = (r: { success: boolean; error?: { issues: { message: string }[] } }) => (r.success ? null : r.error!.issues[0]!.message);

describe('parseEnvironmentRef', () => {
  it('reads name:version and name@label, with or without azureml:', () => {
    assert.deepEqual(parseEnvironmentRef('my-env:3'), { name: 'my-env', version: '3' });
    assert.deepEqual(parseEnvironmentRef('azureml:my-env:3'), { name: 'my-env', version: '3' });
    assert.deepEqual(parseEnvironmentRef('my-env@latest'), { name: 'my-env', label: 'latest' });
    assert.deepEqual(parseEnvironmentRef('azureml:my-env@latest'), { name: 'my-env', label: 'latest' });
    assert.deepEqual(parseEnvironmentRef('AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:1'), { name: 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu', version: '1' });
    assert.deepEqual(parseEnvironmentRef(' env.v2:1.0 '), { name: 'env.v2', version: '1.0' });
  });
  it('takes a bare name as its latest version', () => {
    assert.deepEqual(parseEnvironmentRef('my-env'), { name: 'my-env', label: 'latest' });
    assert.deepEqual(parseEnvironmentRef('azureml:my-env'), { name: 'my-env', label: 'latest' });
  });
  it('reads registry URIs, by version or label', () => {
    assert.deepEqual(parseEnvironmentRef('azureml://registries/azureml/environments/sklearn-1.5/versions/12'), { registry: 'azureml', name: 'sklearn-1.5', version: '12' });
    assert.deepEqual(parseEnvironmentRef('azureml://registries/azureml/environments/sklearn-1.5/labels/latest'), { registry: 'azureml', name: 'sklearn-1.5', label: 'latest' });
    assert.deepEqual(parseEnvironmentRef('azureml://registries/team/environments/base'), { registry: 'team', name: 'base', label: 'latest' });
  });
  it('refuses what is not a reference', () => {
    for (const s of ['a:b:c', 'a@', 'a:', 'with space', 'a/b', 'azureml://registries/x', 'azureml://registries/x/environments/y/tags/z', '']) assert.equal(parseEnvironmentRef(s), null, s);
  });
});

describe('environment schemas', () => {
  it('tells the kinds apart', () => {
    assert.equal(kindOf({}), 'user_managed');
    assert.equal(kindOf({ conda_file: {} }), 'conda');
    assert.equal(kindOf({ image: 'python:3.11', conda_file: {} }), 'image');
    assert.equal(kindOf({ build: { snapshot_id: SHA, dockerfile_path: 'Dockerfile' } }), 'build');
  });

  it('refuses image with build, and build with conda_file', () => {
    assert.match(issue(EnvironmentSpec.safeParse({ image: 'python:3.11', build: { snapshot_id: SHA } }))!, /give image or build, not both/);
    assert.match(issue(EnvironmentSpec.safeParse({ conda_file: { dependencies: ['numpy'] }, build: { snapshot_id: SHA } }))!, /with build, install packages in the Dockerfile/);
    assert.equal(issue(EnvironmentSpec.safeParse({ image: 'python:3.11', conda_file: { dependencies: ['numpy'] } })), null);
  });

  it('defaults the Dockerfile and turns versions and tags into text', () => {
    const s = EnvironmentSpec.parse({ name: 'e', version: 2, tags: { n: 1, ok: true }, build: { snapshot_id: SHA } });
    assert.equal(s.version, '2');
    assert.deepEqual(s.tags, { n: '1', ok: 'true' });
    assert.equal(s.build?.dockerfile_path, 'Dockerfile');
  });

  it('refuses unknown fields, inference environments, other OSes and bad names', () => {
    assert.equal(EnvironmentSpec.safeParse({ image: 'x', colour: 'red' }).success, false);
    assert.match(issue(EnvironmentFileSpec.safeParse({ image: 'x', inference_config: { liveness_route: {} } }))!, /inference environments are not supported/);
    assert.match(issue(EnvironmentFileSpec.safeParse({ image: 'x', os_type: 'windows' }))!, /only linux/);
    assert.equal(EnvironmentFileSpec.safeParse({ image: 'x', os_type: 'Linux' }).success, true);
    assert.match(issue(EnvironmentSpec.safeParse({ name: 'a:b', image: 'x' }))!, /must be letters, digits/);
    assert.match(issue(EnvironmentSpec.safeParse({ image: 'python 3' }))!, /'python 3' is not an image reference; write it like python:3\.11-slim/);
    // An engine would read these as its own flags.
    for (const image of ['--privileged', '-v/:/host', '--network=host']) assert.match(issue(EnvironmentSpec.safeParse({ image }))!, /is not an image reference/);
    for (const image of ['python:3.11-slim', 'localhost/cairn-test-busybox:1', 'registry.example.com:5000/team/img@sha256:' + 'a'.repeat(64), 'pytorch/pytorch']) {
      assert.equal(EnvironmentSpec.safeParse({ image }).success, true, image);
    }
  });

  it('keeps the file form apart from the wire form', () => {
    assert.equal(EnvironmentFileSpec.safeParse({ conda_file: 'conda.yml', build: undefined }).success, true);
    assert.equal(EnvironmentSpec.safeParse({ conda_file: 'conda.yml' }).success, false, 'the wire form carries the parsed conda file');
    assert.equal(EnvironmentFileSpec.safeParse({ build: { path: 'docker' } }).success, true);
    assert.equal(EnvironmentSpec.safeParse({ build: { path: 'docker' } }).success, false, 'the wire form needs the uploaded snapshot');
    assert.equal(CommandJobFileSpec.safeParse({ command: 'x', environment: { conda_file: 'conda.yml' } }).success, true);
    assert.equal(CommandJobSpec.safeParse({ command: 'x', environment: { conda_file: 'conda.yml' } }).success, false);
  });

  it('checks the conda file as far as Cairn reads it', () => {
    assert.equal(CondaFile.safeParse({ name: 'x', channels: ['conda-forge'], dependencies: ['python=3.11', 3.11, { pip: ['numpy'] }], prefix: '/opt/x' }).success, true);
    assert.match(issue(CondaFile.safeParse({ dependencies: 'numpy' }))!, /dependencies must be a list/);
    assert.match(issue(CondaFile.safeParse({ channels: 'conda-forge' }))!, /channels must be a list/);
  });

  it('hashes content, not names or descriptions, and not key order', () => {
    const a = specMaterial(EnvironmentSpec.parse({ name: 'a', description: 'x', conda_file: { channels: ['c'], dependencies: ['numpy'] } }));
    const b = specMaterial(EnvironmentSpec.parse({ name: 'b', conda_file: { dependencies: ['numpy'], channels: ['c'] } }));
    assert.equal(a, b);
    assert.notEqual(a, specMaterial(EnvironmentSpec.parse({ conda_file: { dependencies: ['scipy'], channels: ['c'] } })));
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
  });
});

describe('environment YAML on the client', () => {
  const dir = tempDir('envfile');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const fails = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof CairnError, String(e));
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
      return true;
    });

  it('reads the conda file relative to the YAML and inlines it', () => {
    mkdirSync(join(dir, 'envs'));
    writeFileSync(join(dir, 'envs', 'conda.yml'), 'channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip: [numpy]\n');
    const f = write('env.yml', 'name: e\nversion: 3\nconda_file: envs/conda.yml\n');
    const loaded = loadEnvironmentFile(f);
    assert.deepEqual(loaded.spec, { name: 'e', version: '3', conda_file: { channels: ['conda-forge'], dependencies: ['python=3.11', { pip: ['numpy'] }] } });
    assert.equal(loaded.buildDir, null);
    assert.equal(loadEnvironmentFile(f, ['version=4'], { overrides: { name: 'other' } }).spec.name, 'other');
    assert.equal(loadEnvironmentFile(f, ['version=4']).spec.version, '4');
  });

  it('finds the build folder and its Dockerfile', () => {
    mkdirSync(join(dir, 'docker'));
    writeFileSync(join(dir, 'docker', 'Dockerfile'), 'FROM python:3.11-slim\n');
    writeFileSync(join(dir, 'docker', 'gpu.Dockerfile'), 'FROM python:3.11-slim\n');
    const loaded = loadEnvironmentFile(write('build.yml', 'name: b\nbuild:\n  path: ./docker\n'));
    assert.equal(loaded.buildDir, join(dir, 'docker'));
    assert.equal(loaded.dockerfilePath, join(dir, 'docker', 'Dockerfile'));
    assert.deepEqual(loaded.spec.build, { path: './docker', dockerfile_path: 'Dockerfile' });
    assert.equal(loadEnvironmentFile(write('gpu.yml', 'name: b\nbuild:\n  path: docker\n  dockerfile_path: gpu.Dockerfile\n')).spec.build?.dockerfile_path, 'gpu.Dockerfile');
  });

  it('says what is wrong in one line, with file, line and field', () => {
    write('bad-conda.yml', 'channels: [a\ndependencies:\n  - x\n');
    fails(() => loadEnvironmentFile(write('e1.yml', 'name: e\nconda_file: bad-conda.yml\n')), /bad-conda\.yml:\d+:\d+: invalid YAML: /);
    fails(() => loadEnvironmentFile(write('e2.yml', 'name: e\nconda_file: nope.yml\n')), new RegExp(`e2\\.yml line 2: conda_file 'nope\\.yml' does not exist \\(looked in ${join(dir, 'nope.yml')}\\)`));
    fails(() => loadEnvironmentFile(write('e3.yml', 'name: e\nimage: python:3.11\nfoo: 1\n')), /e3\.yml line 3: unknown field 'foo' for an environment/);
    fails(() => loadEnvironmentFile(write('e4.yml', 'name: e\nimage: python:3.11\nbuild:\n  path: docker\n')), /e4\.yml line 3: give image or build, not both/);
    fails(() => loadEnvironmentFile(write('e5.yml', 'name: e\nbuild:\n  path: envs\n')), /e5\.yml line 3: build.path 'envs' has no Dockerfile \(looked for .*envs\/Dockerfile\)/);
    fails(() => loadEnvironmentFile(write('e6.yml', 'name: e\nimage: x\ninference_config:\n  liveness_route: {port: 5001, path: /}\n')), /e6\.yml line 3: field 'inference_config': inference environments are not supported/);
    fails(() => loadEnvironmentFile(write('e7.yml', 'name: e\nconda_file:\n  dependencies:\n    - numpy\n    - [x]\n')), /e7\.yml line 5: field 'conda_file\.dependencies\.1' must be a package/);
    write('pip-not-list.yml', 'dependencies:\n  - numpy\n  - pip: notalist\n');
    fails(() => loadEnvironmentFile(write('e8.yml', 'name: e\nconda_file: pip-not-list.yml\n')), /pip-not-list\.yml line 3: field 'dependencies\.1\.pip': the pip: entry must be a list/);
    fails(() => loadEnvironmentFile(write('e9.yml', 'name: e\nbuild:\n  path: nowhere\n')), /e9\.yml line 3: build\.path 'nowhere' does not exist/);
    fails(() => loadEnvironmentFile(write('e10.yml', 'name: e\nbuild:\n  path: docker\n  dockerfile_path: ../env.yml\n')), /e10\.yml line 4: .*build\.dockerfile_path.* inside the build/);
    fails(() => loadEnvironmentFile(write('e11.yml', 'name: e\nconda_file: envs/conda.yml\nbuild:\n  path: docker\n')), /with build, install packages in the Dockerfile/);
    fails(() => loadEnvironmentFile(write('e12.yml', 'name: e\nbuild:\n  path: https://github.com/me/repo.git\n')), /must be a local folder/);
    fails(() => loadEnvironmentFile(write('e13.yml', '- a\n')), /e13\.yml: an environment file must be a YAML mapping/);
    fails(() => loadEnvironmentFile(write('e14.yml', 'name: e\nconda_file: 5\n')), /field 'conda_file' must be the path of a conda YAML file/);
    fails(() => loadEnvironmentFile(write('e15.yml', 'name: e\nconda_file: envs/conda.yml\n'), ['conda_file.x=1']), /--set 'conda_file\.x=1': 'conda_file' is not a mapping/);
    fails(() => environmentFromFields({ name: 'e', conda_file: 'nope.yml' }, [], dir), /^conda_file 'nope\.yml' does not exist/);
  });

  it('reads an inline environment in a job file the same way', () => {
    const job = join(dir, 'job.yml');
    const loaded = parseJobYaml('command: x\nenvironment:\n  image: python:3.11-slim\n  conda_file: envs/conda.yml\n', job);
    assert.deepEqual((loaded.spec as CommandJobDraft).environment, { image: 'python:3.11-slim', conda_file: { channels: ['conda-forge'], dependencies: ['python=3.11', { pip: ['numpy'] }] } });
    assert.equal(loaded.environmentBuildDir, null);
    const built = parseJobYaml('command: x\nenvironment:\n  build: {path: docker}\n', job);
    assert.equal(built.environmentBuildDir, join(dir, 'docker'));
    fails(() => parseJobYaml('command: x\nenvironment:\n  image: x\n  foo: 1\n', job), /job\.yml line 4: unknown field 'environment\.foo' for an environment/);
    fails(() => parseJobYaml('command: x\nenvironment:\n  conda_file: missing.yml\n', job), /job\.yml line 3: conda_file 'missing\.yml' does not exist/);
    fails(() => parseJobYaml('command: x\nenvironment:\n  image: x\n  build: {path: docker}\n', job), /job\.yml line 4: give image or build, not both/);
  });

  it('drops azureml: from references but keeps registry URIs whole', () => {
    assert.equal(stripAzureml('azureml:my-env:1'), 'my-env:1');
    assert.equal(stripAzureml('azureml://registries/azureml/environments/x/labels/latest'), 'azureml://registries/azureml/environments/x/labels/latest');
    const uri = 'azureml://registries/azureml/environments/sklearn-1.5/versions/3';
    assert.equal((parseJobYaml(`command: x\nenvironment: ${uri}\n`, 'job.yml').spec as CommandJobDraft).environment, uri);
    assert.equal((parseJobYaml('command: x\nenvironment: azureml:e@latest\n', 'job.yml').spec as CommandJobDraft).environment, 'e@latest');
  });

  it('takes names as the CLI and SDK are given them', () => {
    assert.deepEqual(environmentTarget('azureml:e'), { name: 'e' });
    assert.deepEqual(environmentTarget('e:2'), { name: 'e', version: '2' });
    assert.deepEqual(environmentTarget('e@latest'), { name: 'e', label: 'latest' });
    assert.deepEqual(environmentTarget('e', { version: '3' }), { name: 'e', version: '3' });
    assert.deepEqual(environmentTarget('e:3', { version: '3' }), { name: 'e', version: '3' });
    assert.throws(() => environmentTarget('e:2', { version: '3' }), /already names version 2/);
    assert.throws(() => environmentTarget('e', { version: '1', label: 'latest' }), /not both/);
    assert.throws(() => environmentTarget('azureml://registries/azureml/environments/x'), /not an environment name of this workspace/);
  });
});

describe('a job\'s environment in the CLI views', () => {
  const job = (o: Partial<Job>): Job => ({ status: 'Queued', status_reason: null, environment_details: null, history: [], ...o }) as Job;

  it('shows how long an environment build has been going', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const building = job({
      status: 'Preparing',
      status_reason: 'building environment 3f2a9c1d0e4b',
      history: [
        { status: 'Preparing', reason: "placed on node 'local'", at: '2025-12-31T23:59:00.000Z', attempt: 1 },
        { status: 'Preparing', reason: 'building environment 3f2a9c1d0e4b', at, attempt: 1 },
      ],
    });
    assert.equal(statusText(building, Date.parse(at) + 42_400), 'Preparing: building environment 3f2a9c1d0e4b (42 s)');
    assert.equal(statusText({ ...building, history: undefined }), 'Preparing: building environment 3f2a9c1d0e4b', 'a list has no history: no time');
    assert.equal(statusText(job({ status: 'Preparing', status_reason: 'fetching snapshot 1234' })), 'Preparing');
    assert.equal(statusText(job({ status: 'Running' })), 'Running');
  });

  it('names the environment and what the node made of it', () => {
    const hash = 'c'.repeat(64);
    assert.equal(environmentText(job({ environment_details: { kind: 'conda', ref: 'train-env:2', spec_hash: 'b'.repeat(64), record: null } })), `train-env:2 (conda, spec ${'b'.repeat(12)})`);
    assert.equal(environmentText(job({ environment_details: { kind: 'image', ref: null, spec_hash: 'b'.repeat(64), image: 'python:3.11-slim', record: null } })), `inline image, python:3.11-slim, spec ${'b'.repeat(12)}`);
    assert.equal(environmentText(job({ environment_details: { kind: 'user_managed', ref: null, spec_hash: null, python_path: '/opt/py/bin/python', record: null } })), "node's own Python (/opt/py/bin/python)");
    const record = { hash, kind: 'conda' as const, builder: 'micromamba', built: true, build_seconds: 41.6, python: '3.11.9', interpreter: '/envs/x/bin/python', packages: ['numpy==2.0', 'pandas==2.2'] };
    assert.deepEqual(environmentRecordText(job({ environment_details: { kind: 'conda', ref: null, spec_hash: hash, record } })), [
      ['environment_build', `${'c'.repeat(12)} built with micromamba in 42 s`],
      ['python', '3.11.9 (/envs/x/bin/python)'],
      ['packages', '2'],
    ]);
    assert.equal(environmentRecordText(job({ environment_details: { kind: 'conda', ref: null, spec_hash: hash, record: { ...record, built: false } } }))[0]![1], `${'c'.repeat(12)} reused (micromamba)`);
  });
});
