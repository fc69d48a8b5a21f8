import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindComponent, componentWarnings, isBindingExpression, renderCommand, type ComponentShape } from '../src/domain/components.ts';
import { coerceLiteral, commandParts, ComponentSpec, parseComponentRef } from '../src/protocol/component.ts';
import { parseComponentYaml } from '../src/sdk/component-file.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { json, runCli, TestServer, tempDir } from './helpers/cairn.ts';

/** A component as the server keeps it, from its YAML-like fields. */
const component = (fields: Record<string, unknown>): ComponentShape => ComponentSpec.parse({ name: 'train', ...fields });

const TRAIN = component({
  inputs: {
    data: { type: 'uri_folder' },
    lr: { type: 'number', default: 0.01, min: 0, max: 1 },
    epochs: { type: 'integer', optional: true },
    seed: { type: 'integer', optional: true },
    optimizer: { type: 'string', enum: ['adam', 'sgd'], default: 'adam' },
    verbose: { type: 'boolean', optional: true },
    init: { type: 'custom_model', optional: true },
  },
  outputs: { model: { type: 'mlflow_model' }, metrics: {} },
  command:
    'python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --opt ${{inputs.optimizer}} $[[--epochs ${{inputs.epochs}}]] $[[--seed ${{inputs.seed}} --verbose ${{inputs.verbose}}]] $[[--init ${{inputs.init}}]] --out ${{outputs.model}}',
});

const refused = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CairnError, String(err));
    assert.equal(err.code, 'ValidationError');
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });

describe('components: binding a step to a command component (domain)', () => {
  it('keeps a $[[ ]] section only when every input in it is given, and leaves ${{...}} for the job', () => {
    const bare = bindComponent(TRAIN, { data: 'azureml:iris:1' });
    assert.equal(bare.command, 'python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --opt ${{inputs.optimizer}}    --out ${{outputs.model}}');
    const all = bindComponent(TRAIN, { data: 'azureml:iris:1', epochs: 5, seed: '7', verbose: 'true', init: { path: 'azureml:base-model@latest' } });
    assert.equal(
      all.command,
      'python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --opt ${{inputs.optimizer}} --epochs ${{inputs.epochs}} --seed ${{inputs.seed}} --verbose ${{inputs.verbose}} --init ${{inputs.init}} --out ${{outputs.model}}',
    );
    // A section with two inputs needs both.
    assert.doesNotMatch(bindComponent(TRAIN, { data: 'azureml:iris:1', seed: 1 }).command, /--seed/);
  });

  it('checks each input against its type, fills defaults and types the values for the job', () => {
    const r = bindComponent(TRAIN, { data: { type: 'uri_folder', path: 'azureml://datastores/ds/paths/iris', mode: 'download' }, lr: '0.5', epochs: '3', verbose: 'False' });
    assert.deepEqual(r.inputs, {
      data: { type: 'uri_folder', path: 'azureml://datastores/ds/paths/iris', mode: 'download' },
      lr: { type: 'number', value: 0.5 },
      epochs: { type: 'integer', value: 3 },
      optimizer: { type: 'string', value: 'adam' },
      verbose: { type: 'boolean', value: false },
    });
    assert.deepEqual(r.outputs, { model: { type: 'mlflow_model' }, metrics: { type: 'uri_folder' } });
    const named = bindComponent(TRAIN, { data: './iris', lr: { type: 'number', value: 1 } }, { model: { name: 'iris-model', version: '3' } });
    assert.deepEqual(named.inputs.data, { type: 'uri_folder', path: './iris' });
    assert.deepEqual(named.inputs.lr, { type: 'number', value: 1 });
    assert.deepEqual(named.outputs.model, { type: 'mlflow_model', name: 'iris-model', version: '3' });
  });

  it('refuses wrong types, values out of bounds, unknown and missing inputs, all in one line naming the component', () => {
    refused(() => bindComponent(TRAIN, {}), /^component 'train': input 'data' \(uri_folder\) is required: bind it in the step/);
    refused(() => bindComponent(TRAIN, { data: 'x', epochs: 2.5 }), /input 'epochs' must be an integer, not 2\.5 \(it is integer\)/);
    refused(() => bindComponent(TRAIN, { data: 'x', lr: 'fast' }), /input 'lr' must be a number, not 'fast'/);
    refused(() => bindComponent(TRAIN, { data: 'x', lr: 2 }), /input 'lr' must be at most 1, not 2/);
    refused(() => bindComponent(TRAIN, { data: 'x', verbose: 'yes' }), /input 'verbose' must be true or false, not 'yes'/);
    refused(() => bindComponent(TRAIN, { data: 'x', optimizer: 'rmsprop' }), /input 'optimizer' must be one of adam, sgd, not 'rmsprop'/);
    refused(() => bindComponent(TRAIN, { data: 5 }), /input 'data' is uri_folder: give it a path/);
    refused(() => bindComponent(TRAIN, { data: { type: 'uri_file', path: 'a.csv' } }), /input 'data' is uri_folder, but the step gives it type uri_file/);
    refused(() => bindComponent(TRAIN, { data: 'x', lr: { type: 'uri_folder', path: 'p' } }), /input 'lr' is number, but the step gives it data \(uri_folder\)/);
    refused(() => bindComponent(TRAIN, { data: { path: 'x', mode: 'teleport' } }), /input 'data' mode must be one of/);
    refused(() => bindComponent(TRAIN, { data: 'x', lr: { value: 0.1, unit: 'x' } }), /input 'lr' has an unknown field 'unit'/);
    refused(() => bindComponent(TRAIN, { data: 's3://bucket/x' }), /input 'data' path 's3:\/\/bucket\/x': Cairn reads local paths/);
    refused(() => bindComponent(TRAIN, { data: 'x', learning_rate: 1 }), /it has no input 'learning_rate' \(it has: data, lr, epochs, seed, optimizer, verbose, init\)/);
    refused(() => bindComponent(TRAIN, { data: 'x' }, { report: {} }), /it has no output 'report'/);
    refused(() => bindComponent(TRAIN, { data: 'x' }, { model: { type: 'uri_file' } }), /output 'model' is mlflow_model, but the step gives it type uri_file/);
    // Several problems, one message.
    refused(() => bindComponent({ ...TRAIN, version: '2' }, { epochs: 'x' }), /^component 'train:2': input 'data' .* is required.*; input 'epochs' must be an integer/);
  });

  it('takes ${{parent...}} expressions as given, leaving their type to the pipeline', () => {
    assert.ok(isBindingExpression('${{parent.inputs.lr}}'));
    assert.ok(isBindingExpression(' ${{ parent.jobs.prep.outputs.clean }} '));
    assert.ok(!isBindingExpression('${{inputs.lr}}'));
    const r = bindComponent(TRAIN, { data: '${{parent.jobs.prep.outputs.clean}}', epochs: '${{parent.inputs.epochs}}' });
    assert.deepEqual(r.inputs.data, '${{parent.jobs.prep.outputs.clean}}');
    assert.deepEqual(r.inputs.epochs, '${{parent.inputs.epochs}}');
    assert.match(r.command, /--epochs \$\{\{inputs\.epochs\}\}/);
  });

  it('an optional input without a value used outside $[[ ]] cannot run: refused when bound, warned of when registered', () => {
    const loose = component({ inputs: { tag: { type: 'string', optional: true }, n: { type: 'integer', optional: true, default: 1 } }, command: 'echo ${{inputs.tag}} ${{inputs.n}} $[[${{inputs.tag}}]]' });
    refused(() => bindComponent(loose, {}), /input 'tag' has no value, but the command uses \$\{\{inputs\.tag\}\} outside a \$\[\[ \.\.\. \]\] section/);
    assert.equal(bindComponent(loose, { tag: 'x' }).command, 'echo ${{inputs.tag}} ${{inputs.n}} ${{inputs.tag}}');
    assert.deepEqual(componentWarnings(loose), [
      "input 'tag' is optional, but the command uses ${{inputs.tag}} outside $[[ ... ]]: a step that leaves it out cannot run; put that part of the command in $[[ ... ]]",
    ]);
    assert.deepEqual(componentWarnings(TRAIN), []);
    assert.equal(renderCommand(loose, new Set(['tag'])), 'echo ${{inputs.tag}} ${{inputs.n}} ${{inputs.tag}}');
  });

  it('splits commands the way Azure does: a section ends at the first ]], sections do not nest', () => {
    assert.deepEqual(commandParts('a $[[b]] c'), [
      { optional: false, text: 'a ' },
      { optional: true, text: 'b' },
      { optional: false, text: ' c' },
    ]);
    assert.deepEqual(commandParts('[[ -f x ]] && run'), [{ optional: false, text: '[[ -f x ]] && run' }]);
    assert.match((commandParts('a $[[b') as { error: string }).error, /has no closing \]\]/);
    assert.match((commandParts('$[[a $[[b]] c]]') as { error: string }).error, /do not nest/);
  });

  it('reads literals as their type says', () => {
    assert.deepEqual(coerceLiteral('integer', ' 42 '), { value: 42 });
    assert.deepEqual(coerceLiteral('number', '1e-3'), { value: 0.001 });
    assert.deepEqual(coerceLiteral('string', 3), { value: '3' });
    assert.deepEqual(coerceLiteral('boolean', 'TRUE'), { value: true });
    assert.ok('error' in coerceLiteral('integer', '9007199254740993'));
    assert.ok('error' in coerceLiteral('number', ''));
    assert.ok('error' in coerceLiteral('string', { a: 1 }));
  });

  it('parses references as Azure writes them', () => {
    assert.deepEqual(parseComponentRef('azureml:train:3'), { name: 'train', version: '3' });
    assert.deepEqual(parseComponentRef('train:3'), { name: 'train', version: '3' });
    assert.deepEqual(parseComponentRef('azureml:train@latest'), { name: 'train', label: 'latest' });
    assert.deepEqual(parseComponentRef('train@latest'), { name: 'train', label: 'latest' });
    assert.deepEqual(parseComponentRef('train'), { name: 'train' });
    assert.equal(parseComponentRef('azureml://registries/azureml/components/x'), null);
  });
});

describe('components: the YAML file, checked before anything is sent', () => {
  const work = tempDir('component-files');
  mkdirSync(join(work, 'src'), { recursive: true });
  after(() => rmSync(work, { recursive: true, force: true }));
  const read = (text: string) => parseComponentYaml(text, join(work, 'comp.yml'));
  const bad = (text: string, re: RegExp) =>
    assert.throws(
      () => read(text),
      (err: unknown) => {
        assert.ok(err instanceof CairnError);
        assert.match(err.message, re);
        return true;
      },
    );
  const BASE = 'name: train\ncommand: python train.py\n';

  it('reads inputs, outputs, code and an inline environment', () => {
    const c = read(`$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json\ntype: command\n${BASE}code: ./src\nenvironment:\n  image: python:3.11-slim\ninputs:\n  lr: {type: number, default: 0.1}\noutputs:\n  model: {type: uri_folder}\n`);
    assert.equal(c.codeDir, join(work, 'src'));
    assert.deepEqual(c.spec.environment, { image: 'python:3.11-slim' });
    assert.equal(c.spec.is_deterministic, true);
    assert.deepEqual(c.spec.inputs, { lr: { type: 'number', default: 0.1 } });
    assert.equal(read(`${BASE}environment: azureml:sklearn-env@latest\n`).spec.environment, 'sklearn-env@latest');
  });

  it('refuses other component types and their fields, saying only command components are supported', () => {
    bad('type: pipeline\nname: p\njobs: {}\n', /comp\.yml line 1: pipeline components are not supported: only command components \(type: command\) are supported/);
    bad('type: parallel\nname: p\n', /parallel components are not supported: only command components/);
    bad('type: spark\nname: p\n', /spark components are not supported: only command components/);
    bad(`${BASE}jobs: {}\n`, /comp\.yml line 3: field 'jobs' belongs to pipeline components: only command components/);
    bad(`${BASE}mini_batch_size: 10\n`, /field 'mini_batch_size' belongs to parallel components/);
    bad(`${BASE}entry: {file: x.py}\n`, /field 'entry' belongs to spark components/);
  });

  it('refuses unknown fields and bad inputs by name, with their line', () => {
    bad(`${BASE}colour: red\n`, /comp\.yml line 3: unknown field 'colour' for a command component \(expected /);
    bad(`${BASE}additional_includes: [../lib]\n`, /field 'additional_includes' is not supported/);
    bad(`${BASE}inputs:\n  lr: {type: float}\n`, /line 4: field 'inputs\.lr\.type': type must be one of string, integer, number, boolean, uri_file/);
    bad(`${BASE}inputs:\n  lr:\n    type: number\n    default: fast\n`, /line 6: field 'inputs\.lr\.default': the default must be a number, not 'fast'/);
    bad(`${BASE}inputs:\n  lr: {type: number, colour: 1}\n`, /unknown field 'inputs\.lr\.colour' \(an input takes type, description, optional, default/);
    bad(`${BASE}inputs:\n  n: {type: string, min: 1}\n`, /min is for integer and number inputs; this input is string/);
    bad(`${BASE}inputs:\n  d: {type: uri_folder, default: ./data}\n`, /is a local path, which means nothing once the component is registered/);
    bad(`${BASE}outputs:\n  n: {type: integer}\n`, /primitive outputs are not supported/);
    bad('name: Train-Model\ncommand: x\n', /field 'name' must start with a lowercase letter/);
    bad('name: t\ncommand: python x.py ${{inputs.lr}}\n', /line 2: field 'command': the command refers to \$\{\{inputs\.lr\}\} but the component has no input 'lr' \(it has no inputs\)/);
    bad('name: t\ncommand: python x.py ${{search_space.lr}}\n', /can use only \$\{\{inputs\.NAME\}\} and \$\{\{outputs\.NAME\}\}/);
    bad('name: t\ncommand: python x.py $[[--lr 1\n', /has no closing \]\]/);
    bad(`${BASE}code: ./nowhere\n`, /code folder '\.\/nowhere' does not exist/);
    bad(`${BASE}environment:\n  image: python:3.11\n  colour: red\n`, /unknown field 'environment\.colour' for an environment/);
  });
});

/** `cairn component`: the real CLI against a real server. */
describe('cairn component: create, show, list, versions, archive, restore', () => {
  const server = new TestServer();
  const work = tempDir('cli-components');
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
  const api = async (path: string) => {
    const r = await json(`${server.url}/api/v1/workspaces/default${path}`);
    assert.ok(r.status < 300, `GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const COMPONENT = [
    '$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json',
    'type: command',
    'name: train_model',
    'display_name: Train a model',
    'description: trains on a folder',
    'tags: {team: vision}',
    'is_deterministic: false',
    'inputs:',
    '  training_data: {type: uri_folder, description: the data}',
    '  learning_rate: {type: number, default: 0.01}',
    '  epochs: {type: integer, optional: true}',
    'outputs:',
    '  model_output: {type: mlflow_model}',
    'code: ./src',
    'environment:',
    '  conda_file:',
    '    dependencies:',
    '      - pip: [scikit-learn]',
    'command: >-',
    '  python train.py --data ${{inputs.training_data}} --lr ${{inputs.learning_rate}}',
    '  $[[--epochs ${{inputs.epochs}}]] --out ${{outputs.model_output}}',
    '',
  ].join('\n');

  before(async () => {
    await server.start();
    mkdirSync(join(work, 'src'));
    write(join('src', 'train.py'), 'print("training")\n');
    write(join('src', 'notes.tmp'), 'ignored');
    write(join('src', '.amlignore'), '*.tmp\n');
    write('train.yml', COMPONENT);
  });
  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('registers from YAML: code uploaded with its ignore rules, the inline environment read, version 1', async () => {
    const c = await out(['component', 'create', '-f', 'train.yml']);
    assert.equal(c.name, 'train_model');
    assert.equal(c.version, '1');
    assert.equal(c.type, 'command');
    assert.equal(c.display_name, 'Train a model');
    assert.equal(c.is_deterministic, false);
    assert.deepEqual(c.tags, { team: 'vision' });
    assert.deepEqual(c.inputs.epochs, { type: 'integer', optional: true });
    assert.deepEqual(c.outputs, { model_output: { type: 'mlflow_model' } });
    assert.deepEqual(c.environment, { conda_file: { dependencies: [{ pip: ['scikit-learn'] }] } });
    assert.equal(c.code, './src');
    assert.match(c.snapshot_id, /^[0-9a-f]{64}$/);
    assert.match(c.command, /^python train\.py --data \$\{\{inputs\.training_data\}\} .* \$\[\[--epochs \$\{\{inputs\.epochs\}\}\]\] --out/);
    assert.equal(c.archived, false);
    assert.ok(c.creation_context.created_at);
    assert.equal(c.warnings, undefined);
    const snap = await api(`/snapshots/${c.snapshot_id}`);
    assert.equal(snap.file_count, 2); // train.py and .amlignore; notes.tmp ignored
  });

  it('the same content again answers the existing version; a change makes the next one', async () => {
    const again = await out(['component', 'create', '-f', 'train.yml']);
    assert.equal(again.version, '1');
    write(join('src', 'train.py'), 'print("training harder")\n');
    const v2 = await out(['component', 'create', '-f', 'train.yml']);
    assert.equal(v2.version, '2', 'new code is new content');
    const v3 = await out(['component', 'create', '-f', 'train.yml', '--set', 'inputs.learning_rate.default=0.1']);
    assert.equal(v3.version, '3');
    assert.equal(v3.inputs.learning_rate.default, 0.1);
    const same = await out(['component', 'create', '-f', 'train.yml', '--version', '2']);
    assert.equal(same.version, '2', 'an explicit version with its own content is that version');
  });

  it('refuses other content under a taken version, in one line', () =>
    fails(['component', 'create', '-f', 'train.yml', '--version', '1'], /^error: component 'train_model' version 1 already exists with other content; versions never change/));

  it('pins a registered environment to its version and refuses one that does not exist', async () => {
    write('env.yml', 'name: sk-env\nimage: python:3.11-slim\n');
    await ok(['environment', 'create', '-f', 'env.yml']);
    write('echo.yml', 'name: echo\ncommand: echo ${{inputs.word}}\ninputs:\n  word: {type: string, default: hi}\nenvironment: azureml:sk-env@latest\n');
    const c = await out(['component', 'create', '-f', 'echo.yml', '--version', '1.0']);
    assert.equal(c.version, '1.0');
    assert.equal(c.environment, 'sk-env:1');
    assert.equal(c.snapshot_id, undefined);
    await fails(['component', 'create', '-f', 'echo.yml', '--set', 'environment=azureml:no-such-env:1'], /^error: environment 'no-such-env' does not exist in workspace 'default'/);
  });

  it('warns of an optional input used outside $[[ ]]', async () => {
    write('loose.yml', 'name: loose\ncommand: echo ${{inputs.tag}}\ninputs:\n  tag: {type: string, optional: true}\n');
    const r = await ok(['component', 'create', '-f', 'loose.yml', '-o', 'json']);
    assert.match(r.stderr, /^warning: input 'tag' is optional, but the command uses \$\{\{inputs\.tag\}\} outside \$\[\[ \.\.\. \]\]/m);
    assert.equal(JSON.parse(r.stdout).warnings, undefined);
  });

  it('shows a version by NAME:VERSION, azureml:NAME:VERSION, -v, @latest and -l latest', async () => {
    const [byColon, byAzure, byFlag, byAt, byLabel, bare, table] = await Promise.all([
      out(['component', 'show', '-n', 'train_model:1']),
      out(['component', 'show', '-n', 'azureml:train_model:2']),
      out(['component', 'show', '-n', 'train_model', '-v', '1']),
      out(['component', 'show', '-n', 'azureml:train_model@latest']),
      out(['component', 'show', '-n', 'train_model', '-l', 'latest']),
      out(['component', 'show', '-n', 'train_model']),
      ok(['component', 'show', '-n', 'train_model:3', '-o', 'table']),
      fails(['component', 'show', '-n', 'train_model:9'], /component 'train_model' has no version 9; versions: 3, 2, 1/),
      fails(['component', 'show', '-n', 'nope'], /component 'nope' does not exist in workspace 'default'; components: echo, loose, train_model/),
    ]);
    assert.deepEqual([byColon.version, byAzure.version, byFlag.version, byAt.version, byLabel.version, bare.version], ['1', '2', '1', '3', '3', '3']);
    assert.match(table.stdout, /^display_name\s+Train a model$/m);
    assert.match(table.stdout, /^environment\s+inline: conda: pip: scikit-learn$/m);
    assert.match(table.stdout, /^inputs:\n {2}training_data: uri_folder {2}# the data\n {2}learning_rate: number = 0\.1\n {2}epochs: integer \(optional\)$/m);
    assert.match(table.stdout, /^command:\n {2}python train\.py/m);
  });

  it('lists the latest version of each name, and every version of one name', async () => {
    const [all, versions, table] = await Promise.all([out(['component', 'list']), out(['component', 'list', '-n', 'azureml:train_model']), ok(['component', 'list'])]);
    assert.deepEqual(all.map((c: { name: string; version: string }) => `${c.name}:${c.version}`), ['echo:1.0', 'loose:1', 'train_model:3']);
    assert.deepEqual(versions.map((c: { version: string }) => c.version), ['3', '2', '1']);
    assert.match(table.stdout, /^Name\s+Version\s+Display name\s+Inputs\s+Outputs\s+Environment\s+Archived\s+Created$/m);
    assert.match(table.stdout, /^echo\s+1\.0\s+word\s+sk-env:1\s+\d{4}-/m);
  });

  it('archives a version: gone from lists and @latest, still there by exact version; restore brings it back', async () => {
    const r = await ok(['component', 'archive', '-n', 'train_model', '-v', '3', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout).map((c: { version: string; archived: boolean }) => [c.version, c.archived]), [['3', true]]);
    assert.match(r.stderr, /Archived component 'train_model' version 3/);
    assert.deepEqual((await out(['component', 'list', '-n', 'train_model'])).map((c: { version: string }) => c.version), ['2', '1']);
    assert.equal((await out(['component', 'show', '-n', 'train_model@latest'])).version, '2');
    assert.equal((await out(['component', 'show', '-n', 'train_model:3'])).archived, true);
    assert.deepEqual((await out(['component', 'list', '-n', 'train_model', '--archived-only'])).map((c: { version: string }) => c.version), ['3']);

    await ok(['component', 'archive', '-n', 'train_model']);
    assert.deepEqual((await out(['component', 'list'])).map((c: { name: string }) => c.name), ['echo', 'loose']);
    await fails(['component', 'show', '-n', 'train_model'], /component 'train_model' has only archived versions \(3, 2, 1\), so no latest: name one exactly, like train_model:3, or restore it/);
    // A new version after archiving never reuses a number.
    const next = await out(['component', 'create', '-f', 'train.yml', '--set', 'description=again']);
    assert.equal(next.version, '4');

    const restored = await ok(['component', 'restore', '-n', 'train_model', '-o', 'json']);
    assert.deepEqual(JSON.parse(restored.stdout).map((c: { version: string }) => c.version), ['4', '3', '2', '1']);
    assert.match(restored.stderr, /Restored component 'train_model' versions 4, 3, 2, 1/);
    assert.equal((await out(['component', 'show', '-n', 'train_model'])).version, '4');
    await fails(['component', 'archive', '-n', 'nope'], /component 'nope' does not exist/);
  });

  it('refuses bad input in one line and creates nothing', async () => {
    const before = (await api('/components?include_archived=true')).length;
    write('pipeline.yml', 'type: pipeline\nname: p\njobs: {}\n');
    write('typo.yml', 'name: typo\ncommand: python x.py --lr ${{inputs.lr}}\ninputs:\n  lr: {type: float}\n');
    write('ref.yml', 'name: ref\ncommand: python x.py --lr ${{inputs.learning_rate}}\ninputs:\n  lr: {type: number}\n');
    write('noname.yml', 'command: echo\n');
    write('nocode.yml', 'name: nocode\ncommand: echo\ncode: ./missing\n');
    await Promise.all([
      fails(['component', 'create', '-f', 'pipeline.yml'], /^error: pipeline\.yml line 1: pipeline components are not supported: only command components \(type: command\) are supported$/m),
      fails(['component', 'create', '-f', 'typo.yml'], /^error: typo\.yml line 4: field 'inputs\.lr\.type': type must be one of string, integer, number, boolean, uri_file, uri_folder, mltable, custom_model, mlflow_model$/m),
      fails(['component', 'create', '-f', 'ref.yml'], /ref\.yml line 2: field 'command': the command refers to \$\{\{inputs\.learning_rate\}\} but the component has no input 'learning_rate' \(it has: lr\)/),
      fails(['component', 'create', '-f', 'noname.yml'], /^error: a component to register needs a name: add name: to noname\.yml or give --name$/m),
      fails(['component', 'create', '-f', 'nocode.yml'], /code folder '\.\/missing' does not exist/),
      fails(['component', 'create', '-f', 'train.yml', '--set', 'inputs.epochs.default=many'], /field 'inputs\.epochs\.default': the default must be an integer, not 'many'/),
      fails(['component', 'create', '-f', 'missing.yml'], /cannot read component file missing\.yml: no such file/),
      fails(['component', 'show', '-n', 'train_model', '-v', '1', '-l', 'latest'], /give the version or label once|not both/),
    ]);
    assert.equal((await api('/components?include_archived=true')).length, before);
  });

  it('the server checks what it is sent too: a spec without its code snapshot, or with a command that names no input', async () => {
    const post = (body: unknown) => json(`${server.url}/api/v1/workspaces/default/components`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const noSnap = await post({ spec: { name: 'x', command: 'echo', code: './src' } });
    assert.equal(noSnap.status, 400);
    assert.match(noSnap.body.error.message, /has code '\.\/src' but no snapshot_id/);
    const badRef = await post({ spec: { name: 'x', command: 'echo ${{outputs.y}}' } });
    assert.equal(badRef.status, 400);
    assert.match(badRef.body.error.message, /^spec\.command: the command refers to \$\{\{outputs\.y\}\} but the component has no output 'y'/);
    const other = await post({ spec: { name: 'x', type: 'pipeline', command: 'echo' } });
    assert.equal(other.status, 400);
    assert.match(other.body.error.message, /only command components \(type: command\) are supported/);
    const ghost = await post({ spec: { name: 'x', command: 'echo' }, snapshot_id: 'f'.repeat(64) });
    assert.equal(ghost.status, 404);
  });
});
