import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Puts the stdlib-only `cairn` Python module into `dest` (copying only files that differ) and
 * returns `dest`: the folder jobs get on PYTHONPATH. A copy in the agent's own folder is readable
 * by a sandboxed job wherever the agent was installed (a root-only home, say).
 */
export function copyPythonModule(src: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  chmodSync(dest, 0o755);
  copyPackage(join(src, 'cairn'), join(dest, 'cairn'));
  return dest;
}

/** One package folder and its sub-packages (the client, cairn.ml, cairn.azureml): .py files only. */
function copyPackage(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const name = entry.name;
    if (entry.isDirectory()) {
      if (name !== '__pycache__' && !name.startsWith('.')) copyPackage(join(from, name), join(to, name));
      continue;
    }
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
}
