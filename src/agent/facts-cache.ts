import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * What probing a machine found (container engines, GPUs, Python), kept a while in a shared cache
 * folder under the host's name: a one-shot agent (one per Slurm job) would otherwise pay the
 * probes' quarter second on every job. A missing, stale or unreadable record is probed anew.
 */
export function cachedProbe<T>(cacheDir: string | undefined, maxAgeMs: number, probe: () => T, now = Date.now()): T {
  if (!cacheDir) return probe();
  const file = join(cacheDir, 'node-facts', `${hostname()}.json`);
  try {
    if (now - statSync(file).mtimeMs < maxAgeMs) return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {}
  const found = probe();
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(found));
    renameSync(tmp, file);
  } catch {}
  return found;
}
