import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { capture } from './run-logged.ts';
import { pinnedMinor, pythonMatches } from './conda-spec.ts';

export interface PythonInfo {
  path: string;
  version: string;
  /** site-packages folders: their mtimes tell when installed packages changed. */
  sitePackages: string[];
}

const PROBE = 'import sys,sysconfig;p=sysconfig.get_paths();print("%d.%d.%d"%sys.version_info[:3]);print(p["purelib"]);print(p["platlib"])';

/** Finds interpreters on a PATH and remembers what each is, so a cache hit never runs Python. */
export class PythonFinder {
  private readonly path: string;
  private readonly known = new Map<string, Promise<PythonInfo | null>>();

  constructor(pathVar: string | undefined) {
    this.path = pathVar ?? '/usr/local/bin:/usr/bin:/bin';
  }

  info(path: string): Promise<PythonInfo | null> {
    let p = this.known.get(path);
    if (!p) {
      p = capture(path, ['-c', PROBE], { timeoutMs: 15_000 }).then((out) => {
        const [version, pure, plat] = (out ?? '').trim().split('\n');
        return version && /^\d+\.\d+\.\d+$/.test(version) ? { path, version, sitePackages: [...new Set([pure!, plat!])].filter(Boolean) } : null;
      });
      this.known.set(path, p);
    }
    return p;
  }

  /** The first interpreter on PATH whose version satisfies a conda spec (`python3.X` first when it pins one). */
  async find(spec?: string): Promise<{ match: PythonInfo | null; seen: PythonInfo[] }> {
    const minor = pinnedMinor(spec);
    const names = [...(minor ? [`python${minor}`] : []), 'python3', 'python'];
    const seen: PythonInfo[] = [];
    const real = new Set<string>();
    for (const name of names) {
      for (const file of onPath(name, this.path)) {
        const info = await this.info(file);
        if (!info) continue;
        const key = `${safeRealpath(file)} ${info.version}`;
        if (real.has(key)) continue;
        real.add(key);
        seen.push(info);
        if (!spec || pythonMatches(info.version, spec)) return { match: info, seen };
      }
    }
    return { match: null, seen };
  }
}

/** A fingerprint of what is installed for an interpreter: cheap to take, changes when packages do. */
export function sitePackagesStamp(info: PythonInfo): string {
  return info.sitePackages.map((d) => {
    try {
      return String(statSync(d).mtimeMs);
    } catch {
      return '-';
    }
  }).join(',');
}

/** Every executable file called `name` in the folders of a PATH, in order (`which -a`). */
export function onPath(name: string, pathVar: string | undefined): string[] {
  return (pathVar ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name)).filter(isExecutable);
}

function isExecutable(f: string): boolean {
  try {
    accessSync(f, constants.X_OK);
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

function safeRealpath(f: string): string {
  try {
    return realpathSync(f);
  } catch {
    return f;
  }
}
