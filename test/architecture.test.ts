import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './helpers/cairn.ts';

/** Every module a file pulls in, following relative imports; bare specifiers are collected as packages. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (f: string) => {
    if (files.has(f)) return;
    files.add(f);
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(f), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('architecture', () => {
  it('the agent imports only itself and the protocol, so it bundles to one small file for any host', () => {
    const { files, packages } = closure(join(ROOT, 'src', 'agent', 'main.ts'));
    const outside = [...files].map((f) => relative(join(ROOT, 'src'), f)).filter((f) => !f.startsWith('agent/') && !f.startsWith('protocol/'));
    assert.deepEqual(outside, []);
    assert.deepEqual([...packages], ['zod']);
  });

  it('the protocol depends on nothing but zod and Node', () => {
    const protocol = join(ROOT, 'src', 'protocol');
    const sources = readdirSync(protocol, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(sources.includes(join('mlflow', 'errors.ts')), 'sub-folders are checked too');
    for (const f of sources) {
      const { files, packages } = closure(join(protocol, f));
      assert.ok([...files].every((x) => x.includes('/src/protocol/')), f);
      assert.ok([...packages].every((p) => p === 'zod'), f);
    }
  });
});
