// Components from Python against a real server, run with Debian's python3: cairn.ml's load_component
// and ml_client.components (create_or_update, get, list, archive, restore, validate) in azure-ai-ml's
// shapes, a CommandComponent built from fields used by a pipeline step, and the client package's
// components group; versions as the CLI gives them (same content, same version); bad input refused
// in one line with nothing registered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer, tempDir } from './helpers/cairn.ts';
import { py } from './helpers/python.ts';

const TOKEN = 'python-components-admin-token-0123456789abcdef';

const write = (root: string, rel: string, text: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
};

const COMPONENT = [
  '$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json',
  'name: py_scale',
  'display_name: Scale numbers',
  'type: command',
  'code: ./src',
  'inputs:',
  '  numbers: {type: uri_folder}',
  '  factor: {type: number, default: 2, min: 0, max: 10}',
  '  note: {type: string, optional: true, enum: [fast, slow]}',
  'outputs:',
  '  scaled: {type: uri_folder}',
  'command: /usr/bin/python3 scale.py ${{inputs.numbers}} ${{outputs.scaled}} ${{inputs.factor}} $[[--note ${{inputs.note}}]]',
  '',
].join('\n');

const SCALE = [
  'import os, sys',
  'os.makedirs(sys.argv[2], exist_ok=True)',
  'total = sum(float(x) for f in sorted(os.listdir(sys.argv[1])) for x in open(os.path.join(sys.argv[1], f)).read().split())',
  'open(os.path.join(sys.argv[2], "out.txt"), "w").write("%g %s" % (total * float(sys.argv[3]), " ".join(sys.argv[4:])))',
  '',
].join('\n');

describe('components from Python: cairn.ml and the client package over a real server', () => {
  const server = new TestServer({ token: TOKEN });
  const work = tempDir('py-components');
  let sdk: CairnClient;
  let env: NodeJS.ProcessEnv;
  const run = async (code: string) => {
    const r = await py(code, { cwd: work, env });
    assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    await server.start();
    await server.waitForAgent();
    sdk = new CairnClient({ url: server.url, token: TOKEN });
    env = { CAIRN_SERVER: server.url, CAIRN_TOKEN: TOKEN };
    write(work, 'comp/scale.yml', COMPONENT);
    write(work, 'comp/src/scale.py', SCALE);
    write(work, 'data/n.txt', '1 2 3\n');
  });
  after(() => server.stop());

  it('load_component reads the file; create_or_update registers it (code uploaded), the same content keeps its version, a change makes the next; get, list, archive and restore', async () => {
    const r = await run(`
from cairn.ml import MLClient, load_component
from cairn.ml.constants import ListViewType
from cairn.ml.entities import CommandComponent
ml_client = MLClient()
comp = load_component("comp/scale.yml")
result({"type": type(comp).__name__, "name": comp.name, "inputs": dict((k, [v.type, v.default, v.optional, v.min, v.max, v.enum]) for k, v in comp.inputs.items()),
        "code_is_abs": comp.code.startswith("/"), "outputs": dict((k, o.type) for k, o in comp.outputs.items())})
one = ml_client.components.create_or_update(comp)
again = ml_client.components.create_or_update(load_component("comp/scale.yml"))
changed = load_component("comp/scale.yml", params_override=[{"inputs.factor.default": 3}])
two = ml_client.components.create_or_update(changed)
latest = ml_client.components.get("py_scale")
first = ml_client.components.get("py_scale", version="1")
by_ref = ml_client.components.get("azureml:py_scale:1")
ml_client.components.archive("py_scale", version="2")
after_archive = ml_client.components.get("py_scale").version
archived = [c.version for c in ml_client.components.list("py_scale", list_view_type=ListViewType.ARCHIVED_ONLY)]
ml_client.components.restore("py_scale", version="2")
result({"versions": [one.version, again.version, two.version], "id": one.id, "display_name": one.display_name, "latest": latest.version,
        "first_factor": first.inputs["factor"].default, "latest_factor": latest.inputs["factor"].default, "by_ref": by_ref.version,
        "after_archive": after_archive, "archived": archived, "restored": ml_client.components.get("py_scale").version,
        "listed": [(c.name, c.version) for c in ml_client.components.list()], "all": [c.version for c in ml_client.components.list("py_scale")],
        "created_by": first.creation_context.created_by is not None, "deterministic": first.is_deterministic})
`);
    const [loaded, got] = r.results;
    assert.deepEqual(loaded, {
      type: 'CommandComponent',
      name: 'py_scale',
      inputs: { numbers: ['uri_folder', null, null, null, null, null], factor: ['number', 2, null, 0, 10, null], note: ['string', null, true, null, null, ['fast', 'slow']] },
      code_is_abs: true,
      outputs: { scaled: 'uri_folder' },
    });
    assert.deepEqual(got.versions, ['1', '1', '2']);
    assert.equal(got.id, 'azureml:py_scale:1');
    assert.equal(got.display_name, 'Scale numbers');
    assert.equal(got.latest, '2');
    assert.deepEqual([got.first_factor, got.latest_factor, got.by_ref], [2, 3, '1']);
    assert.equal(got.after_archive, '1', 'an archived version leaves @latest');
    assert.deepEqual(got.archived, ['2']);
    assert.equal(got.restored, '2');
    assert.deepEqual(got.listed, [['py_scale', '2']]);
    assert.deepEqual(got.all, ['2', '1']);
    assert.equal(got.created_by, true);
    assert.equal(got.deterministic, true);
    // The code folder went up as a snapshot the server holds, the same one the CLI would make.
    const comp = await sdk.components.get('py_scale', { version: '1' });
    assert.match(comp.snapshot_id ?? '', /^[0-9a-f]{64}$/);
  });

  it("a CommandComponent built from fields runs as a pipeline step, its $[[ ]] section kept only when the step gives the input; the client package's components group agrees", async () => {
    const r = await run(`
import cairn
from cairn.ml import Input, MLClient
from cairn.ml.entities import CommandComponent, PipelineJob
ml_client = MLClient()
built = CommandComponent(name="py_built", version="7", code="./comp/src", environment=None,
                         inputs={"numbers": Input(type="uri_folder"), "factor": Input(type="number", default=1, min=0), "note": {"type": "string", "optional": True}},
                         outputs={"scaled": {"type": "uri_folder"}},
                         command="/usr/bin/python3 scale.py \${{inputs.numbers}} \${{outputs.scaled}} \${{inputs.factor}} $[[--note \${{inputs.note}}]]")
reg = ml_client.components.create_or_update(built)
pipe = PipelineJob(settings={"default_compute": "local"}, inputs={"nums": Input(type="uri_folder", path="./data")}, jobs={
    "plain": {"component": reg, "inputs": {"numbers": "\${{parent.inputs.nums}}", "factor": 10}},
    "noted": {"component": "azureml:py_scale@latest", "inputs": {"numbers": "\${{parent.inputs.nums}}", "note": "fast"}},
})
made = ml_client.jobs.create_or_update(pipe)
c = cairn.Client()
done = c.jobs.wait_for_completion(made.name)
for step in ("plain", "noted"):
    ml_client.jobs.download(made.name + "_" + step, download_path="dl-" + step, output_name="scaled")
from_client = c.components.create("comp/scale.yml", name="py_scale_copy")
result({"reg": reg.id, "status": done["status"], "plain": open("dl-plain/named-outputs/scaled/out.txt").read(),
        "noted": open("dl-noted/named-outputs/scaled/out.txt").read(), "copy": [from_client["name"], from_client["version"]],
        "client_get": c.components.get("py_scale_copy@latest")["version"], "client_list": sorted(x["name"] for x in c.components.list()),
        "client_archived": [x["version"] for x in c.components.archive("py_scale_copy")]})
`);
    const [got] = r.results;
    assert.equal(got.reg, 'azureml:py_built:7');
    assert.equal(got.status, 'Completed');
    assert.equal(got.plain, '60 ', 'factor 10, no --note: the optional section was dropped');
    assert.equal(got.noted, '18 --note fast', "py_scale@latest is version 2, whose factor defaults to 3; the section kept with the note");
    assert.deepEqual(got.copy, ['py_scale_copy', '1']);
    assert.equal(got.client_get, '1');
    assert.deepEqual(got.client_list, ['py_built', 'py_scale', 'py_scale_copy']);
    assert.deepEqual(got.client_archived, ['1']);
  });

  it('bad input is refused in one line and registers nothing: an undeclared input in the command, a taken version with other content, no name, an unknown version, job inputs with bounds, an unregistered component in a step', async () => {
    write(work, 'comp/undeclared.yml', ['name: py_bad', 'type: command', 'inputs: {a: {type: number}}', 'command: echo ${{inputs.b}}', ''].join('\n'));
    write(work, 'comp/noname.yml', ['type: command', 'command: echo hi', ''].join('\n'));
    const before = (await sdk.components.list({ includeArchived: true })).length;
    const r = await run(`
from cairn.client import CairnError, Client
from cairn.ml import Input, MLClient, command, load_component
from cairn.ml.entities import CommandComponent, PipelineJob
ml_client = MLClient()
def attempt(f):
    try:
        f()
        return None
    except CairnError as e:
        return [e.code, str(e)]
result([
    attempt(lambda: ml_client.components.create_or_update(load_component("comp/undeclared.yml"))),
    attempt(lambda: ml_client.components.create_or_update(load_component("comp/scale.yml", params_override=[{"command": "echo other"}]), version="1")),
    attempt(lambda: ml_client.components.create_or_update(load_component("comp/noname.yml"))),
    attempt(lambda: ml_client.components.get("py_scale", version="99")),
    attempt(lambda: ml_client.components.validate(CommandComponent(name="py_v", command="echo \${{outputs.nope}}"))),
    attempt(lambda: ml_client.jobs.create_or_update(command(command="echo \${{inputs.x}}", inputs={"x": Input(type="number", default=1, max=2)}, compute="local"))),
    attempt(lambda: ml_client.jobs.create_or_update(PipelineJob(settings={"default_compute": "local"}, jobs={"s": {"component": CommandComponent(name="py_unreg", command="echo hi")}}))),
    attempt(lambda: ml_client.components.share("py_scale", "1")),
    attempt(lambda: Client().components.create("comp/noname.yml")),
])
`);
    const [undeclared, taken, noname, unknown, invalid, bounded, unregistered, share, nonameClient] = r.results[0];
    assert.equal(undeclared[0], 'ValidationError');
    assert.match(undeclared[1], /undeclared\.yml line 4: field 'command': the command refers to \$\{\{inputs\.b\}\} but the component has no input 'b' \(it has: a\)/);
    assert.equal(taken[0], 'AlreadyExists');
    assert.match(taken[1], /component 'py_scale' version 1 already exists with other content; versions never change/);
    assert.equal(noname[0], 'Unsupported');
    assert.match(noname[1], /CommandComponent without name.*a registered component needs a name/);
    assert.equal(nonameClient[0], 'ValidationError');
    assert.match(nonameClient[1], /a component to register needs a name: add name: to comp\/noname\.yml or give name=/);
    assert.equal(unknown[0], 'NotFound');
    assert.match(unknown[1], /py_scale/);
    assert.equal(invalid[0], 'ValidationError');
    assert.match(invalid[1], /has no output 'nope'/);
    assert.equal(bounded[0], 'Unsupported');
    assert.match(bounded[1], /Input\(max=\.\.\.\) of a job: bounds and allowed values describe a component's inputs/);
    assert.equal(unregistered[0], 'Unsupported');
    assert.match(unregistered[1], /step 's': component=CommandComponent\(name='py_unreg'\) that is not registered/);
    assert.equal(share[0], 'Unsupported');
    for (const [, message] of [undeclared, taken, noname, unknown, invalid, bounded, unregistered, share, nonameClient]) assert.equal(message.split('\n').length, 1, message);
    assert.equal((await sdk.components.list({ includeArchived: true })).length, before, 'nothing was registered');
  });
});
