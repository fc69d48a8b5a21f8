import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Puts the stdlib-only `cairn` Python module into `dest` (copying only files that differ) and
 * returns `dest`: the folder jobs get on PYTHONPATH. A copy in the agent's own folder is readable
 * by a sandboxed job wherever the agent was installed (a root-only home, say).
 */
export function copyPythonModule(src: string, dest: string): string {
  const from = join(src, 'cairn');
  const to = join(dest, 'cairn');
  mkdirSync(to, { recursive: true });
  chmodSync(dest, 0o755);
  chmodSync(to, 0o755);
  for (const name of readdirSync(from)) {
    if (!name.endsWith('.py')) continue;
    const data = readFileSync(join(from, name));
    let same = false;
    try {
      same = readFileSync(join(to, name)).equals(data);
    } catch {}
    if (same) continue;
    const tmp = join(to, `.${name}.${process.pid}.tmp`);
    copyFileSync(join(from, name), tmp);
    chmodSync(tmp, 0o644);
    renameSync(tmp, join(to, name));
  }
  return dest;
}
