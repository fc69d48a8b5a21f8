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

  it('reconcilers and compute backends never import the server: the job logic they share lives in domain/', () => {
    for (const dir of ['reconcilers', 'compute', 'domain']) {
      const folder = join(ROOT, 'src', dir);
      for (const f of readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.ts'))) {
        const into = [...closure(join(folder, f)).files].filter((x) => x.includes('/src/server/'));
        assert.deepEqual(into.map((x) => relative(ROOT, x)), [], `${dir}/${f}`);
      }
    }
  });

  it('has no import cycles (type-only imports aside)', () => {
    const src = join(ROOT, 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(src, f));
    const edges = new Map<string, string[]>();
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const deps: string[] = [];
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?!type\b)[^'";]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) deps.push(resolve(dirname(f), m[1] ?? m[2]!));
      edges.set(f, deps);
    }
    // Tarjan's strongly connected components: any with more than one file is a cycle.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      for (const w of edges.get(v) ?? []) {
        if (!edges.has(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          comp.push(relative(src, w));
        } while (w !== v);
        if (comp.length > 1) cycles.push(comp.sort());
      }
    };
    for (const f of files) if (!index.has(f)) visit(f);
    assert.deepEqual(cycles, []);
  });
});
