import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ignore from 'ignore';
import { CairnError } from '../protocol/errors.ts';

/** What one ignore file says about one path: nothing, "leave it out", or "keep it" (a `!` rule). */
export const NO_MATCH = 0;
export const IGNORED = 1;
export const KEPT = 2;
export type Verdict = typeof NO_MATCH | typeof IGNORED | typeof KEPT;

/**
 * The rules of one folder, as seen from the code folder. A path relative to the code folder becomes
 * a path relative to the rules' folder by dropping `strip` leading characters (rules inside the code
 * folder) or by prepending `prefix` (rules in a parent folder or `.git/info/exclude`).
 */
export interface FolderRules {
  test: (p: string) => Verdict;
  prefix: string;
  strip: number;
  /** The files the rules came from, relative to the code folder (`../` for parents). */
  files: string[];
}

const EXCLUDE = '.git/info/exclude';

// Git decides case sensitivity from the file system at `git init`; these are its defaults.
const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

type RuleTest = (p: string, mode: string) => { ignored: boolean; unignored: boolean };

/**
 * The package's public `test()` also reports a path as ignored when one of its parent folders is
 * ignored by the same file. Git does not: once a deeper ignore file re-includes a folder, the
 * shallower file is asked about each path below it on its own. The walk never descends into
 * ignored folders, so asking about the path alone is both what git does and cheaper. That needs
 * the rule list's own `test`, which is internal, so it is probed once here and the public API
 * (right in all but the re-included-folder case) is the fallback if a later version moves it.
 */
function internalTest(ig: ignore.Ignore): RuleTest | null {
  const rules = (ig as unknown as { _rules?: { test?: unknown } })._rules;
  if (!rules || typeof rules.test !== 'function') return null;
  const test = (rules.test as RuleTest).bind(rules);
  return test;
}

const usable = (() => {
  try {
    const probe = internalTest(ignore().add('a/\n!b'));
    if (!probe) return false;
    const dir = probe('a/', 'regex');
    const below = probe('a/x', 'regex');
    const kept = probe('b', 'regex');
    return dir.ignored && !below.ignored && !below.unignored && kept.unignored;
  } catch {
    return false;
  }
})();

/** Compiles the text of one or more ignore files (later lines win) into a single test. */
export function compileRules(text: string): (p: string) => Verdict {
  const ig = ignore({ ignorecase: IGNORE_CASE }).add(text);
  const inner = usable ? internalTest(ig) : null;
  if (inner) {
    return (p) => {
      const r = inner(p, 'regex');
      return r.ignored ? IGNORED : r.unignored ? KEPT : NO_MATCH;
    };
  }
  return (p) => {
    const r = ig.test(p);
    return r.ignored ? IGNORED : r.unignored ? KEPT : NO_MATCH;
  };
}

/**
 * Which ignore files of a folder count: `.amlignore` and `.cairnignore` (both, in that order, so
 * `.cairnignore` wins a tie) when either exists, else `.gitignore`. This is Azure ML's rule, made
 * per folder so that nested folders behave as they do for git.
 */
export function chooseRuleFiles(has: (name: string) => boolean): string[] {
  const own = ['.amlignore', '.cairnignore'].filter(has);
  if (own.length) return own;
  return has('.gitignore') ? ['.gitignore'] : [];
}

/** Reads and compiles the chosen files of a folder; null when the folder has none. */
export function loadFolderRules(absDir: string, names: string[], prefix: string, strip: number, fileDir: string): FolderRules | null {
  if (!names.length) return null;
  let text = '';
  for (const n of names) {
    try {
      text += readFileSync(join(absDir, n), 'utf8') + '\n';
    } catch (e) {
      // Git warns and goes on; going on here could upload what the file meant to keep out.
      throw new CairnError('BadRequest', `cannot read ignore file ${fileDir}${n}: ${(e as Error).message}`);
    }
  }
  return { test: compileRules(text), prefix, strip, files: names.map((n) => fileDir + n) };
}

/** The lstat of a regular file, or undefined. */
function regularFile(p: string): Stats | undefined {
  // Git refuses to follow a symlinked .gitignore, so a link does not count as one here either.
  const st = lstatSync(p, { throwIfNoEntry: false });
  return st?.isFile() ? st : undefined;
}

export interface Repo {
  /** The folder holding `.git`. */
  top: string;
  /** `info/exclude` of the repository's common git folder (shared by worktrees). */
  exclude: string;
}

/** The git repository holding `dir` (an absolute, real path), found the way git finds it: the nearest `.git` upwards. */
export function findRepo(dir: string): Repo | null {
  for (let d = dir; ; d = dirname(d)) {
    const dotGit = join(d, '.git');
    const st = lstatSync(dotGit, { throwIfNoEntry: false });
    if (st?.isDirectory()) return { top: d, exclude: join(dotGit, 'info', 'exclude') };
    if (st?.isFile()) {
      // Worktrees and submodules: `.git` is a file naming the real git folder.
      try {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
        if (m) {
          const gitDir = resolve(d, m[1]!);
          let common = gitDir;
          try {
            common = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
          } catch {
            // Not a worktree: the git folder is its own common folder.
          }
          return { top: d, exclude: join(common, 'info', 'exclude') };
        }
      } catch {
        // An unreadable .git file: treat the folder as not a repository, as git would fail to.
      }
    }
    if (dirname(d) === d) return null;
  }
}

function hasPatterns(text: string): boolean {
  return text.split(/\r?\n/).some((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** What decides matching besides the rule files: the cache must not outlive a change of any of it. */
export const RULES_FLAVOR = `${IGNORE_CASE ? 'i' : 'c'}${usable ? 'n' : 'p'}`;

export interface OuterRules {
  /**
   * The identity of every file the rules came from (path, size, times, inode) and of where they
   * were looked for; '' when one of them changed too recently to vouch for its content (see RACY_MS).
   */
  key: string;
  /** The files, as in FolderRules. */
  files: string[];
  /** The rules, deepest first; read and compiled on first use, since a warm build may not match anything. */
  rules: () => FolderRules[];
}

function sigOf(name: string, st: Stats): string {
  return `${name}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\n`;
}

/**
 * The rules that apply to the code folder from outside it, deepest first: ignore files of its
 * parent folders up to the repository top, then `.git/info/exclude` (git's lowest precedence).
 * Outside a git repository there are none: there is no repository root to stop at. Each file is
 * lstat-ed before it is read, so the key never claims newer content than the rules were made from.
 */
export function outerRules(root: string, racyFrom: number): OuterRules {
  const repo = findRepo(root);
  if (!repo) return { key: 'none\n', files: [], rules: () => [] };
  const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));
  let key = `${repo.top}\0${repo.exclude}\n`;
  let racy = false;
  const loaders: (() => FolderRules | null)[] = [];
  const files: string[] = [];
  if (repo.top !== root) {
    for (let d = dirname(root); ; d = dirname(d)) {
      const prefix = toPosix(relative(d, root)) + '/';
      const fileDir = toPosix(relative(root, d)) + '/';
      const stats = new Map<string, Stats>();
      const names = chooseRuleFiles((n) => {
        const st = regularFile(join(d, n));
        if (st) stats.set(n, st);
        return st !== undefined;
      });
      for (const n of names) {
        const st = stats.get(n)!;
        key += sigOf(fileDir + n, st);
        racy ||= st.mtimeMs >= racyFrom;
        files.push(fileDir + n);
      }
      if (names.length) loaders.push(() => loadFolderRules(d, names, prefix, 0, fileDir));
      if (d === repo.top || dirname(d) === d) break;
    }
  }
  const ex = regularFile(repo.exclude);
  if (ex) {
    key += sigOf(EXCLUDE, ex);
    racy ||= ex.mtimeMs >= racyFrom;
    let text = '';
    try {
      text = readFileSync(repo.exclude, 'utf8');
    } catch {
      // Unreadable: git skips it too.
    }
    if (hasPatterns(text)) {
      const prefix = repo.top === root ? '' : toPosix(relative(repo.top, root)) + '/';
      loaders.push(() => ({ test: compileRules(text), prefix, strip: 0, files: [EXCLUDE] }));
      files.push(EXCLUDE);
    }
  }
  let compiled: FolderRules[] | null = null;
  const rules = () => (compiled ??= loaders.map((l) => l()).filter((r) => r !== null));
  return { key: racy ? '' : key, files, rules };
}

/**
 * Git's precedence: the deepest file with any matching rule decides (within a file the last
 * matching rule, which the package already does); no match anywhere means the path is kept.
 * `rel` is relative to the code folder; folders are asked with a trailing `/`.
 */
export function isIgnored(rules: FolderRules[], rel: string): boolean {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const p = r.strip ? rel.slice(r.strip) : r.prefix ? r.prefix + rel : rel;
    const v = r.test(p);
    if (v !== NO_MATCH) return v === IGNORED;
  }
  return false;
}

const KIND_ORDER = ['.amlignore', '.cairnignore', '.gitignore', EXCLUDE];

/** A short human line naming the kinds of ignore files that applied, e.g. `.amlignore, .gitignore (3 files)`. */
export function describeRules(files: string[]): string {
  const kinds = new Map<string, number>(KIND_ORDER.map((k) => [k, 0]));
  for (const f of files) {
    const kind = f === EXCLUDE ? f : f.slice(f.lastIndexOf('/') + 1);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const used = [...kinds].filter(([, n]) => n > 0);
  return used.length ? used.map(([k, n]) => (n > 1 ? `${k} (${n} files)` : k)).join(', ') : 'none';
}
