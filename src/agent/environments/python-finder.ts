import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { capture } from './run-logged.ts';
import { pinnedMinor, pythonMatches } from './conda-spec.ts';

export interface PythonInfo {
  path: string;
  version: string;
  /** The interpreter that really runs (sys.executable): a pyenv shim's or a symlink's target. */
  executable: string;
  /** site-packages folders: their mtimes tell when installed packages changed. */
  sitePackages: string[];
}

const PROBE = 'import sys,sysconfig;p=sysconfig.get_paths();print("%d.%d.%d"%sys.version_info[:3]);print(p["purelib"]);print(p["platlib"]);print(sys.executable)';

/** Finds interpreters on a PATH and remembers what each is, so a cache hit never runs Python. */
export class PythonFinder {
  private readonly path: string;
  private readonly usable: (realPath: string) => boolean;
  private readonly known = new Map<string, Promise<PythonInfo | null>>();

  /** `usable`: whether jobs can run an interpreter (a root agent's jobs run as another user, who may not reach a pyenv in /root). */
  constructor(pathVar: string | undefined, usable: (realPath: string) => boolean = () => true) {
    this.path = pathVar ?? '/usr/local/bin:/usr/bin:/bin';
    this.usable = usable;
  }

  info(path: string): Promise<PythonInfo | null> {
    let p = this.known.get(path);
    if (!p) {
      p = capture(path, ['-c', PROBE], { timeoutMs: 15_000 }).then((out) => {
        const [version, pure, plat, exe] = (out ?? '').trim().split('\n');
        if (!version || !/^\d+\.\d+\.\d+$/.test(version)) return null;
        // What a venv made from it would run: a pyenv shim's real interpreter, say.
        if (exe && !this.usable(safeRealpath(exe))) return null;
        return { path, version, executable: exe || path, sitePackages: [...new Set([pure!, plat!])].filter(Boolean) };
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
