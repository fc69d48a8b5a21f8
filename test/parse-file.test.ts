// The server's parse route reads files for clients without a YAML parser (the Python SDK) from what
// the client describes, never from the server's own disk: a pipeline's component file that exists
// on this machine is still asked for, and read only from the text the client sends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientFile } from '../src/sdk/parse-file.ts';
import { tempDir } from './helpers/cairn.ts';

describe('parse route: pipeline files', () => {
  const dir = tempDir('parse-file');
  const file = join(dir, 'pipeline.yml');
  const component = join(dir, 'train.yml');
  const text = ['type: pipeline', 'settings: {default_compute: local}', 'jobs:', '  train: {component: ./train.yml}', ''].join('\n');
  // On this machine's disk: a component the server must not read for the client.
  mkdirSync(join(dir, 'server-src'));
  writeFileSync(component, 'name: on_server_disk\ncommand: echo server\ncode: ./server-src\n');

  it('asks the client for a component file instead of reading its own disk', () => {
    const r = parseClientFile({ kind: 'job', file, text, files: {}, home: dir, cwd: dir });
    assert.deepEqual(r, { need: [{ path: component, read: true }] });
  });

  it('reads the component from the text the client sent, and names the code folder it must upload', () => {
    const files = {
      [component]: { kind: 'file' as const, text: 'name: from_client\ncommand: echo client\ncode: ./client-src\n' },
      [join(dir, 'client-src')]: { kind: 'dir' as const },
    };
    const r = parseClientFile({ kind: 'job', file, text, files, home: dir, cwd: dir });
    assert.ok(!('need' in r), JSON.stringify(r));
    const spec = r.spec as { jobs: { train: { component: { name: string; command: string } } } };
    assert.equal(spec.jobs.train.component.name, 'from_client');
    assert.equal(spec.jobs.train.component.command, 'echo client');
    assert.deepEqual(r.step_code_dirs, { train: join(dir, 'client-src') });
  });

  it('a component file the client says is missing is one line naming it', () => {
    assert.throws(() => parseClientFile({ kind: 'job', file, text, files: { [component]: { kind: 'missing' } }, home: dir, cwd: dir }), /pipeline\.yml line 4: component file '\.\/train\.yml' does not exist/);
  });
});
