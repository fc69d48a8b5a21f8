// The compute forms' checking, on its own: the studio runs the protocol's parseComputeSpec (the
// CLI's messages) and finds every invalid field, not only the first, each at its field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkSpec, compact, fieldOfMessage, linesOf, listOf, numberOrText, parseKeyValues, parseTags } from '../src/studio/pages/compute/spec-check.ts';
import { parseComputeSpec } from '../src/protocol/compute.ts';

const CLUSTER_FIELDS = ['name', 'size', 'min_instances', 'max_instances', 'idle_time_before_scale_down', 'tier', 'ssh_settings', 'ssh_settings.admin_username', 'description', 'tags'];

describe('compute form checks', () => {
  it('finds every invalid field of a cluster, each with the message the CLI prints', () => {
    const spec = { type: 'amlcompute', name: '1bad', size: 'Standard_DS1_v2', min_instances: -1, max_instances: 'many', idle_time_before_scale_down: 10 };
    const p = checkSpec(spec, CLUSTER_FIELDS);
    assert.deepEqual(Object.keys(p.byField).sort(), ['max_instances', 'min_instances', 'name']);
    for (const [field, message] of Object.entries(p.byField)) {
      assert.ok(!message.includes('\n'), 'one line');
      // Each is exactly what the CLI says for that field alone.
      const alone = { type: 'amlcompute', name: 'good-name', size: 'Standard_DS1_v2', [field]: (spec as Record<string, unknown>)[field] };
      assert.throws(() => parseComputeSpec(alone, null), (e: Error) => e.message === message, field);
    }
    assert.equal(p.first, p.byField.name);
  });

  it('a valid spec has no problem; a message naming no field goes to the top', () => {
    assert.deepEqual(checkSpec({ type: 'amlcompute', name: 'cpu-pool', size: 'Standard_DS1_v2' }, CLUSTER_FIELDS), { byField: {}, general: [], first: null });
    const p = checkSpec({ type: 'amlcompute', name: 'cpu-pool', min_instances: 3, max_instances: 2 }, CLUSTER_FIELDS);
    assert.match(p.general[0] ?? p.first ?? '', /min_instances \(3\) must not be greater than max_instances \(2\)/);
  });

  it('says which field a message is about: the longest field path it starts with', () => {
    assert.equal(fieldOfMessage('ssh_settings.admin_username: expected string', CLUSTER_FIELDS), 'ssh_settings.admin_username');
    assert.equal(fieldOfMessage('ssh_settings: give one of admin_password', CLUSTER_FIELDS), 'ssh_settings');
    assert.equal(fieldOfMessage("compute name '1bad' must start with a letter", CLUSTER_FIELDS), 'name');
    assert.equal(fieldOfMessage('something general', CLUSTER_FIELDS), null);
  });

  it("turns what was typed into the spec's values", () => {
    assert.equal(numberOrText(' 12 '), 12);
    assert.equal(numberOrText('twelve'), 'twelve', 'left for the schema to name');
    assert.equal(numberOrText(''), undefined);
    assert.deepEqual(listOf('8, 20,x'), [8, 20, 'x']);
    assert.deepEqual(parseTags('team=vision\n\nowner = me'), { tags: { team: 'vision', owner: 'me' } });
    assert.deepEqual(parseTags('team'), { problem: "tags: line 1 ('team') is not key=value" });
    assert.deepEqual(parseKeyValues('SLURM_CONF=/etc/x.conf', 'slurm_env'), { values: { SLURM_CONF: '/etc/x.conf' } });
    assert.deepEqual(parseKeyValues('A=1\nB', 'slurm_env'), { problem: "slurm_env: line 2 ('B') is not key=value" });
    assert.deepEqual(linesOf(' --mem=1G \n\n--exclusive'), ['--mem=1G', '--exclusive']);
    assert.equal(linesOf('  \n'), undefined);
    assert.deepEqual(compact({ a: undefined, b: { c: undefined }, d: [1, { e: undefined }], f: 0 }), { d: [1, {}], f: 0 });
  });
});
