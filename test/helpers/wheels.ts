// Wheels the environment tests install: PyPI is out of reach here, so a small local package is
// built with `pip wheel` (offline, no build isolation) and served from a folder (pip --find-links).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's interpreter: its pip and setuptools come from python3-pip (scripts/install-test-deps.sh). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Builds `name==version` (module `module` with VALUE = value) into `dir/wheels`; returns that folder. */
export function buildWheel(dir: string, o: { name: string; module: string; version: string; value: string }): string {
  const src = join(dir, `${o.module}-${o.version}-src`);
  mkdirSync(join(src, o.module), { recursive: true });
  writeFileSync(
    join(src, 'pyproject.toml'),
    `[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "${o.name}"\nversion = "${o.version}"\n`,
  );
  writeFileSync(join(src, o.module, '__init__.py'), `VALUE = ${JSON.stringify(o.value)}\n`);
  const wheels = join(dir, 'wheels');
  execFileSync(SYSTEM_PYTHON, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', wheels, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  return wheels;
}
