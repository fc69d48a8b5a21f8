import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJobYaml, loadJobFile, type CommandJobDraft } from '../src/sdk/job-file.ts';
import { interpolateCommand } from '../src/domain/interpolate.ts';
import { CairnError } from '../src/protocol/errors.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';
import { tempDir } from './helpers/cairn.ts';

const fails = (yaml: string, re: RegExp, sets: string[] = []) =>
  assert.throws(() => parseJobYaml(yaml, 'job.yml', sets), (e: unknown) => e instanceof CairnError && re.test(e.message) && !e.message.includes('\n'));

describe('job YAML (Azure ML v2 command job)', () => {
  it('reads the documented fields, strips azureml: prefixes and applies --set', () => {
    const { spec: loaded, codeDir } = parseJobYaml(
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json',
        'type: command',
        'command: python train.py --lr ${{inputs.lr}}',
        'inputs:',
        '  lr: 0.1',
        '  epochs: {type: integer, value: 3}',
        'environment: azureml:AzureML-sklearn-1.5@latest',
        'compute: azureml:local',
        'environment_variables: {A: 1, B: x}',
        'limits: {timeout: 60}',
        'tags: {team: vision}',
        'experiment_name: exp.1',
        'display_name: nice run',
      ].join('\n'),
      'job.yml',
      ['inputs.lr=0.5', 'display_name=other'],
    );
    const spec = loaded as CommandJobDraft;
    assert.equal(spec.compute, 'local');
    assert.equal(spec.environment, 'AzureML-sklearn-1.5@latest');
    assert.deepEqual(spec.environment_variables, { A: '1', B: 'x' });
    assert.equal(spec.inputs?.lr, 0.5);
    assert.equal(spec.display_name, 'other');
    assert.equal(spec.limits?.timeout, 60);
    assert.equal(codeDir, null);
    assert.equal(interpolateCommand(spec as CommandJobSpec), 'python train.py --lr 0.5');
  });

  it('names unknown fields with their line', () => fails('command: x\nfoo: 1\n', /line 2: unknown field 'foo'/));
  it('names nested unknown fields', () => fails('command: x\nlimits:\n  timeout: 5\n  max_trials: 2\n', /line 4: unknown field 'limits.max_trials'/));
  it('says which Azure fields are not supported yet', () => fails('command: x\nservices:\n  ssh: {type: ssh}\n', /line 2: field 'services' is not supported yet: interactive job services/));
  it('refuses the resources Azure keeps for its own fleet, by name', () => fails('command: x\nresources:\n  instance_count: 2\n  docker_args: --privileged\n', /docker_args are not supported/));
  it('rejects other job types', () => {
    fails('type: pipeline\njobs: {}\n', /a pipeline needs at least one step/);
    fails('type: pipeline\njobs: {a: {command: x, bogus: 1}}\n', /line 2: unknown field 'jobs.a.bogus'/);
    fails('type: automl\n', /line 1: unknown job type 'automl' \(expected command, sweep or pipeline\)/);
    // A sweep's command belongs under trial: the error says where it goes.
    fails('type: sweep\ncommand: x\n', /line 2: unknown field 'command' for a sweep job \(a sweep's command goes under trial\)/);
    fails('type: sweep\nsearch_space: {x: {type: choice, values: [1]}}\n', /line 1: field 'trial' is required/);
  });
  it('rejects wrong types with the field and line', () => fails('command: x\nlimits:\n  timeout: soon\n', /line 3: field 'limits.timeout'/));
  it('needs a command', () => fails('type: command\n', /command/));
  it('reports malformed YAML with line and column', () => fails('command: [unclosed\n', /job.yml:\d+:\d+: invalid YAML/));
  it('rejects duplicate keys', () => fails('command: a\ncommand: b\n', /invalid YAML/));
  it('rejects a job file that is not a mapping', () => fails('- a\n- b\n', /must be a YAML mapping/));
  it('rejects a bad --set', () => fails('command: x\n', /--set 'nokey': expected key=value/, ['nokey']));

  it('resolves code relative to the file and refuses a missing folder', () => {
    const dir = tempDir('jobfile');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'job.yml'), 'command: ls\ncode: ./src\n');
    assert.equal(loadJobFile(join(dir, 'job.yml')).codeDir, join(dir, 'src'));
    writeFileSync(join(dir, 'bad.yml'), 'command: ls\ncode: ./nope\n');
    assert.throws(() => loadJobFile(join(dir, 'bad.yml')), /line 2: code folder '.\/nope' does not exist/);
    assert.throws(() => loadJobFile(join(dir, 'missing.yml')), /cannot read job file .*missing.yml: no such file/);
  });

  it('interpolates outputs and refuses unknown references', () => {
    const { spec } = parseJobYaml('command: run --out ${{outputs.model}}\noutputs:\n  model: {type: uri_folder}\n', 'job.yml');
    assert.equal(interpolateCommand(spec as CommandJobSpec), 'run --out "${CAIRN_OUTPUTS_DIR}/model"');
    const bad = parseJobYaml('command: run ${{inputs.nope}}\ninputs: {lr: 1}\n', 'job.yml').spec;
    assert.throws(() => interpolateCommand(bad as CommandJobSpec), /no input 'nope' \(it has: lr\)/);
    const sweep = parseJobYaml('command: run ${{search_space.lr}}\n', 'job.yml').spec;
    assert.throws(() => interpolateCommand(sweep as CommandJobSpec), /sweep jobs/);
  });
});
