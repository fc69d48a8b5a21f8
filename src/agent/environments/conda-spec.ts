import type { CondaFile } from '../../protocol/environment.ts';

/** A conda file taken apart for a node that has no conda: the Python it asks for, conda packages, and pip's list. */
export interface CondaParts {
  /** The version constraint of `python` (`3.11`, `>=3.9,<3.12`), or undefined when it names none. */
  python?: string;
  /** Packages only conda can install (everything but python, pip, setuptools and wheel). */
  condaOnly: string[];
  pip: string[];
}

/** Installed by `python -m venv` itself, so a venv build can honour them without conda. */
const VENV_PROVIDES = new Set(['python', 'pip', 'setuptools', 'wheel']);

export function splitCondaFile(f: CondaFile): CondaParts {
  const out: CondaParts = { condaOnly: [], pip: [] };
  for (const d of f.dependencies ?? []) {
    if (typeof d !== 'string') {
      out.pip.push(...(d as { pip: string[] }).pip);
      continue;
    }
    const m = /^\s*(?:[\w.-]+::)?([A-Za-z0-9_.-]+)\s*(.*)$/.exec(d);
    if (!m) {
      out.condaOnly.push(d);
      continue;
    }
    const [, name, rest] = m;
    if (name!.toLowerCase() === 'python') {
      // `python=3.11=h1234_0` carries a build string after the version; `python 3.11` a space.
      let v = rest!.trim();
      if (/^=[^=]/.test(v)) v = v.slice(1).split('=')[0]!;
      else if (/^\d/.test(v)) v = v.split(/[\s=]/)[0]!;
      if (v) out.python = v;
    } else if (!VENV_PROVIDES.has(name!.toLowerCase())) out.condaOnly.push(d.trim());
  }
  return out;
}

/**
 * Does a Python version satisfy a conda match spec? Conda reads `3.11` and `=3.11` as 3.11.*,
 * `==3.11.4` exactly, and comparison operators joined by `,` (and) or `|` (or).
 */
export function pythonMatches(version: string, spec: string): boolean {
  return spec.split('|').some((alt) =>
    alt.split(',').every((part) => {
      const p = part.trim();
      if (!p || p === '*') return true;
      const m = /^(==|>=|<=|!=|>|<|=)?\s*([\d.*]+)$/.exec(p);
      if (!m) return false;
      const op = m[1] ?? '=';
      const want = m[2]!.replace(/\.?\*$/, '');
      const cmp = compare(version, want);
      switch (op) {
        case '=':
          return prefixEqual(version, want);
        case '==':
          return m[2]!.includes('*') ? prefixEqual(version, want) : exactlyEqual(version, want);
        case '!=':
          return !prefixEqual(version, want);
        case '>=':
          return cmp >= 0;
        case '<=':
          return cmp <= 0 || prefixEqual(version, want);
        case '>':
          return cmp > 0 && !prefixEqual(version, want);
        default:
          return cmp < 0;
      }
    }),
  );
}

const nums = (v: string) => v.split('.').filter(Boolean).map((x) => Number.parseInt(x, 10) || 0);
const prefixEqual = (version: string, want: string) => {
  const a = nums(version);
  return nums(want).every((n, i) => a[i] === n);
};
/** `==3.11` is 3.11.0 exactly, as conda reads it. */
const exactlyEqual = (version: string, want: string) => {
  const a = nums(version);
  const b = nums(want);
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) === (b[i] ?? 0)).every(Boolean);
};
/** Compares only as many parts as `want` has: 3.11.2 against 3.11 is equal. */
function compare(version: string, want: string): number {
  const a = nums(version);
  const b = nums(want);
  for (let i = 0; i < b.length; i++) {
    const d = (a[i] ?? 0) - b[i]!;
    if (d) return Math.sign(d);
  }
  return 0;
}

/** `python=3.11` -> the minor version a `python3.11` binary would carry, when the spec pins one. */
export function pinnedMinor(spec: string | undefined): string | undefined {
  const m = spec && /^(?:==?)?\s*(\d+\.\d+)(?:\.[\d*]+)?$/.exec(spec.trim());
  return m ? m[1] : undefined;
}
