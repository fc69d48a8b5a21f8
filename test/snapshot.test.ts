import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CairnError } from '../src/protocol/errors.ts';
import type { ManifestEntry } from '../src/protocol/snapshot.ts';
import { buildSnapshot, comparePaths, manifestId, readGitFacts, type SnapshotOptions } from '../src/snapshot/index.ts';
import { stripCredentials } from '../src/snapshot/git-facts.ts';
import { cachePath } from '../src/snapshot/stat-cache.ts';
import { walkCounters } from '../src/snapshot/walk.ts';

// ---- helpers -------------------------------------------------------------------------------

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'cairn-snapshot-test-'));
  made.push(d);
  return d;
}

/** Writes files (content strings) under root, creating folders. */
function write(root: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
}

const gitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete gitEnv[k];

function git(cwd: string, ...args: string[]): string {
  // core.excludesFile: a global ignore file of whoever runs the tests must not leak into the oracle.
  return execFileSync('git', ['-c', 'core.excludesFile=/dev/null', ...args], { cwd, env: gitEnv, encoding: 'utf8' });
}

function gitInit(dir: string): void {
  git(dir, 'init', '-q', '-b', 'main');
}

async function paths(dir: string, opts?: SnapshotOptions): Promise<string[]> {
  return (await buildSnapshot(dir, opts)).entries.map((e) => e.path);
}

/** Moves every file's mtime an hour back, out of the stat cache's racy window; with `dirs`, folders' too. */
function backdate(root: string, seconds = 3600, dirs = false): void {
  const t = Date.now() / 1000 - seconds;
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) utimesSync(p, t, t);
    }
    // After the entries: touching them does not move the folder's times, but this must come last anyway.
    if (dirs && !d.endsWith('/.git')) utimesSync(d, t, t);
  };
  visit(root);
  if (dirs && existsSync(join(root, '.git', 'info', 'exclude'))) utimesSync(join(root, '.git', 'info', 'exclude'), t, t);
}

function age(file: string, seconds: number): void {
  const t = Date.now() / 1000 - seconds;
  utimesSync(file, t, t);
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const sorted = (xs: string[]) => [...xs].sort(comparePaths);

// ---- ignore rules --------------------------------------------------------------------------

describe('ignore rules', () => {
  it('applies .gitignore basics: globs, anchored patterns, comments', async () => {
    const root = tmp();
    write(root, {
      '.gitignore': '# a comment\n*.log\n/only-root.txt\nsecret.env\n',
      'train.py': 'print(1)\n',
      'run.log': 'x',
      'sub/deep.log': 'x',
      'only-root.txt': 'x',
      'sub/only-root.txt': 'kept: the pattern is anchored',
      'sub/secret.env': 'x',
    });
    assert.deepEqual(await paths(root), ['.gitignore', 'sub/only-root.txt', 'train.py']);
  });

  it('re-includes with ! negation, the last matching pattern winning', async () => {
    const root = tmp();
    write(root, { '.gitignore': '*.log\n!keep.log\nagain.log\n!again.log\nlast.log\n', 'a.log': '', 'keep.log': '', 'again.log': '', 'last.log': '' });
    assert.deepEqual(await paths(root), ['.gitignore', 'again.log', 'keep.log']);
  });

  it('matches a trailing-slash pattern against folders only', async () => {
    const root = tmp();
    write(root, { '.gitignore': 'cache/\n', 'cache/a.bin': '', 'src/cache/b.bin': '', 'other/cache': 'a file named cache is kept' });
    assert.deepEqual(await paths(root), ['.gitignore', 'other/cache']);
  });

  it('supports ** in leading, middle and trailing position', async () => {
    const root = tmp();
    write(root, {
      '.gitignore': '**/tmp/*.dat\na/**/b.txt\ndocs/**\n',
      'tmp/x.dat': '',
      'q/r/tmp/y.dat': '',
      'q/r/tmp/y.txt': '',
      'a/b.txt': '',
      'a/x/y/b.txt': '',
      'a/c.txt': '',
      'docs/index.md': '',
      'docs/deep/er.md': '',
    });
    assert.deepEqual(await paths(root), ['.gitignore', 'a/c.txt', 'q/r/tmp/y.txt']);
  });

  it('lets a nested .gitignore override its parent, and apply only below itself', async () => {
    const root = tmp();
    write(root, {
      '.gitignore': '*.txt\n',
      'a.txt': '',
      'sub/.gitignore': '!keep.txt\nlocal.py\n',
      'sub/keep.txt': '',
      'sub/other.txt': '',
      'sub/local.py': '',
      'local.py': 'kept: the rule is in sub/',
    });
    assert.deepEqual(await paths(root), ['.gitignore', 'local.py', 'sub/.gitignore', 'sub/keep.txt']);
  });

  it('uses .amlignore instead of .gitignore in its folder; the ignore files themselves are uploaded', async () => {
    const root = tmp();
    write(root, {
      '.gitignore': '*.csv\n',
      '.amlignore': '*.bin\n',
      'a.csv': '',
      'b.bin': '',
      'sub/.gitignore': '*.md\n',
      'sub/c.md': '',
      'sub/d.bin': '',
      'sub/e.csv': '',
    });
    const r = await buildSnapshot(root);
    assert.deepEqual(r.entries.map((e) => e.path), ['.amlignore', '.gitignore', 'a.csv', 'sub/.gitignore', 'sub/e.csv']);
    assert.equal(r.ignoreSource, '.amlignore, .gitignore');
  });

  it('uses .cairnignore like .amlignore, and both together with .cairnignore last', async () => {
    const root = tmp();
    write(root, { '.cairnignore': '*.tmp\n', '.gitignore': '*.py\n', 'a.tmp': '', 'b.py': '' });
    assert.deepEqual(await paths(root), ['.cairnignore', '.gitignore', 'b.py']);
    write(root, { '.amlignore': '*.tmp\n*.py\n', '.cairnignore': '!keep.tmp\n', 'keep.tmp': '' });
    const r = await buildSnapshot(root);
    assert.deepEqual(r.entries.map((e) => e.path), ['.amlignore', '.cairnignore', '.gitignore', 'keep.tmp']);
    assert.equal(r.ignoreSource, '.amlignore, .cairnignore');
  });

  it('applies ignore files of parent folders up to the repository root, and none above it', async () => {
    const top = tmp();
    write(top, { '.gitignore': '*.py\n' }); // above the repository: must not apply
    const repo = join(top, 'repo');
    mkdirSync(repo);
    gitInit(repo);
    write(repo, {
      '.gitignore': '*.secret\nsub/code/local/\n',
      'sub/.gitignore': '*.bak\n',
      'sub/code/keep.py': '',
      'sub/code/x.secret': '',
      'sub/code/y.bak': '',
      'sub/code/local/z.py': '',
      'sub/code/deeper/local/w.py': 'kept: the parent rule is anchored to sub/code/local',
    });
    const r = await buildSnapshot(join(repo, 'sub', 'code'));
    assert.deepEqual(r.entries.map((e) => e.path), ['deeper/local/w.py', 'keep.py']);
    assert.equal(r.ignoreSource, '.gitignore (2 files)');
  });

  it('ignores parent folders entirely outside a git repository', async () => {
    const top = tmp();
    write(top, { '.gitignore': '*.py\n', 'code/a.py': '' });
    const r = await buildSnapshot(join(top, 'code'));
    assert.deepEqual(r.entries.map((e) => e.path), ['a.py']);
    assert.equal(r.ignoreSource, 'none');
  });

  it('applies .git/info/exclude with the lowest precedence', async () => {
    const root = tmp();
    gitInit(root);
    writeFileSync(join(root, '.git', 'info', 'exclude'), '# git init writes comments here\n*.tmp\n');
    write(root, { '.gitignore': '!important.tmp\n', 'other.tmp': '', 'important.tmp': '', 'sub/x.tmp': '' });
    const r = await buildSnapshot(root);
    assert.deepEqual(r.entries.map((e) => e.path), ['.gitignore', 'important.tmp']);
    assert.equal(r.ignoreSource, '.gitignore, .git/info/exclude');
    // And for a code folder below the repository root, relative to the root.
    writeFileSync(join(root, '.git', 'info', 'exclude'), 'sub/only/\n');
    write(root, { 'sub/only/a': '', 'sub/b': '' });
    assert.deepEqual(await paths(join(root, 'sub')), ['b', 'x.tmp']);
  });

  it('never includes .git, as a folder or a file, at any depth', async () => {
    const root = tmp();
    gitInit(root);
    write(root, { 'a.py': '', 'vendor/lib/.git': 'gitdir: ../../.git/modules/lib\n', 'vendor/lib/b.py': '', '.github/workflows/ci.yml': '' });
    mkdirSync(join(root, 'nested', '.git'), { recursive: true });
    write(root, { 'nested/.git/HEAD': 'x', 'nested/c.py': '' });
    assert.deepEqual(await paths(root), ['.github/workflows/ci.yml', 'a.py', 'nested/c.py', 'vendor/lib/b.py']);
  });

  it('does not descend into an ignored folder: a negated file inside stays out, as in git', async () => {
    const root = tmp();
    write(root, { '.gitignore': 'build/\n!build/keep.txt\nlogs\n!logs/important\n', 'build/keep.txt': '', 'build/x.o': '', 'logs/important': '', 'main.c': '' });
    assert.deepEqual(await paths(root), ['.gitignore', 'main.c']);
  });

  it('lets a deeper file re-include a folder a shallower file ignored', async () => {
    const root = tmp();
    write(root, { '.gitignore': 'sub/gen/\n', 'sub/.gitignore': '!gen/\n', 'sub/gen/a.py': '', 'sub/gen/deep/b.py': '' });
    assert.deepEqual(await paths(root), ['.gitignore', 'sub/.gitignore', 'sub/gen/a.py', 'sub/gen/deep/b.py']);
  });

  it('keeps names with spaces and non-ASCII characters, sorted by UTF-8 bytes', async () => {
    const root = tmp();
    write(root, { 'with space.py': '', 'ünï.py': '', 'a-b': '', 'a/b': '', 'z\u{1F600}': '', 'z\uFFFD': '' });
    assert.deepEqual(await paths(root), ['a-b', 'a/b', 'with space.py', 'z\uFFFD', 'z\u{1F600}', 'ünï.py'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

// ---- the oracle: git itself -----------------------------------------------------------------

describe('agreement with git ls-files --exclude-standard', () => {
  function oracleTree(): string {
    const root = tmp();
    gitInit(root);
    writeFileSync(join(root, '.git', 'info', 'exclude'), '*.excl\n');
    write(root, {
      '.gitignore': [
        '# comment',
        '*.log',
        '!important.log',
        'build/',
        '!build/keep.txt',
        '/only-root.txt',
        'docs/**/*.tmp',
        '**/cache',
        'data/*',
        '!data/keep/',
        '*_gen/',
        '\\#hash.txt',
        'trailing.txt   ',
        'sub/x/',
        'ignored-dir',
        '!special.excl',
        '[Ab]bc.py',
        'q?.py',
      ].join('\n') + '\n',
      'a.py': '',
      'Abc.py': '',
      'abc.py': '',
      'bbc.py': '',
      'q1.py': '',
      'q12.py': '',
      'b.log': '',
      'important.log': '',
      'logs/deep/c.log': '',
      'logs/deep/important.log': '',
      'build/out.o': '',
      'build/keep.txt': '',
      'only-root.txt': '',
      'sub/only-root.txt': '',
      'docs/c.tmp': '',
      'docs/a/b/c.tmp': '',
      'docs/a/b/c.md': '',
      'cache/x': '',
      'src/cache': '',
      'src/main.py': '',
      'data/a.csv': '',
      'data/keep/k.csv': '',
      'data/keep2/k.csv': '',
      'foo_gen/x.py': '',
      'bar_gen': 'a file',
      '#hash.txt': '',
      'trailing.txt': '',
      'sub/.gitignore': '!x/\n*.txt\n!keep.txt\n',
      'sub/x/file.py': '',
      'sub/a.txt': '',
      'sub/keep.txt': '',
      'sub/deeper/.gitignore': '!*.txt\n',
      'sub/deeper/z.txt': '',
      'ignored-dir/f': '',
      'z.excl': '',
      'special.excl': '',
      'sub/y.excl': '',
      'with space.py': '',
      'ünï.py': '',
    });
    symlinkSync('a.py', join(root, 'link-to-a'));
    symlinkSync('src', join(root, 'link-to-src'));
    return root;
  }

  function gitListing(cwd: string): string[] {
    return sorted(git(cwd, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean));
  }

  it('includes exactly the files git lists, at the repository root', async () => {
    const root = oracleTree();
    const ours = await paths(root);
    assert.deepEqual(ours, gitListing(root));
    assert.ok(ours.includes('sub/x/file.py') && ours.includes('data/keep/k.csv') && !ours.includes('build/keep.txt'));
  });

  it('includes exactly the files git lists, for a code folder below the root', async () => {
    const root = oracleTree();
    assert.deepEqual(await paths(join(root, 'sub')), gitListing(join(root, 'sub')));
    assert.deepEqual(await paths(join(root, 'docs')), gitListing(join(root, 'docs')));
  });

  it('still agrees with git on cached builds after files, folders and ignore files change', async () => {
    const root = oracleTree();
    const cacheDir = join(tmp(), 'cache');
    backdate(root, 3600, true);
    for (const code of [root, join(root, 'sub')]) assert.deepEqual(await paths(code, { cacheDir }), gitListing(code));
    assert.deepEqual(await paths(root, { cacheDir }), gitListing(root), 'an unchanged tree from the cache');
    write(root, { 'src/new.py': '', 'src/new.log': '', 'logs/deep/more.log': '', 'data/keep/new.csv': '', 'sub/x/y/z.py': '', 'fresh/a.txt': '' });
    rmSync(join(root, 'src', 'main.py'));
    rmSync(join(root, 'docs', 'a'), { recursive: true });
    write(root, { 'sub/deeper/.gitignore': '*.txt\n!z.txt\n', 'sub/deeper/w.txt': '' });
    writeFileSync(join(root, '.git', 'info', 'exclude'), '*.excl\nfresh/\n');
    for (const code of [root, join(root, 'sub')]) assert.deepEqual(await paths(code, { cacheDir }), gitListing(code), 'changes seen at once');
    backdate(root, 1800, true);
    for (const code of [root, join(root, 'sub')]) assert.deepEqual(await paths(code, { cacheDir }), gitListing(code), 'changes seen once old');
    writeFileSync(join(root, '.gitignore'), '*.py\n');
    age(join(root, '.gitignore'), 900);
    for (const code of [root, join(root, 'sub')]) assert.deepEqual(await paths(code, { cacheDir }), gitListing(code), 'a root .gitignore rewritten');
  });
});

// ---- entries: symlinks, specials, modes ------------------------------------------------------

describe('entries', () => {
  it('stores symlinks as links, never following them, and warns about links leaving the folder', async () => {
    const root = tmp();
    write(root, { 'a.py': 'print(1)\n', 'lib/util.py': 'x = 1\n' });
    symlinkSync('a.py', join(root, 'to-file'));
    symlinkSync('lib', join(root, 'to-dir'));
    symlinkSync('/etc/passwd', join(root, 'abs'));
    symlinkSync('../../outside', join(root, 'lib', 'escape'));
    symlinkSync('../a.py', join(root, 'lib', 'up-but-inside'));
    symlinkSync('missing', join(root, 'dangling-inside'));
    const r = await buildSnapshot(root);
    assert.deepEqual(r.entries.map((e) => e.path), ['a.py', 'abs', 'dangling-inside', 'lib/escape', 'lib/up-but-inside', 'lib/util.py', 'to-dir', 'to-file']);
    const toDir = r.entries.find((e) => e.path === 'to-dir')!;
    assert.deepEqual(toDir, { path: 'to-dir', mode: 0o777, size: 3, sha256: sha('lib'), link: 'lib' });
    assert.equal(r.entries.find((e) => e.path === 'to-file')!.link, 'a.py');
    assert.equal(r.fileCount, 8);
    assert.equal(r.totalBytes, 'print(1)\n'.length + 'x = 1\n'.length, 'links carry no content bytes');
    assert.deepEqual(sorted(r.warnings), [
      'symlink abs points outside the code folder; it is stored as a link and will dangle',
      'symlink lib/escape points outside the code folder; it is stored as a link and will dangle',
    ]);
  });

  it('skips sockets and fifos with a warning', async () => {
    const root = tmp();
    write(root, { 'a.py': '' });
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    try {
      const r = await buildSnapshot(root);
      assert.deepEqual(r.entries.map((e) => e.path), ['a.py']);
      assert.deepEqual(r.warnings, ['skipped pipe: a fifo cannot be part of a snapshot', 'skipped sock: a socket cannot be part of a snapshot']);
    } finally {
      server.close();
    }
  });

  it('records 0o755 when any execute bit is set, else 0o644, and hashes contents', async () => {
    const root = tmp();
    write(root, { 'run.sh': '#!/bin/sh\n', 'owner-only': 'x', 'plain.txt': 'hello', 'private': 'p' });
    chmodSync(join(root, 'run.sh'), 0o755);
    chmodSync(join(root, 'owner-only'), 0o744);
    chmodSync(join(root, 'private'), 0o600);
    const r = await buildSnapshot(root);
    const byPath = Object.fromEntries(r.entries.map((e) => [e.path, e]));
    assert.equal(byPath['run.sh']!.mode, 0o755);
    assert.equal(byPath['owner-only']!.mode, 0o755);
    assert.equal(byPath['private']!.mode, 0o644);
    assert.deepEqual(byPath['plain.txt'], { path: 'plain.txt', mode: 0o644, size: 5, sha256: sha('hello') });
  });

  it('refuses a missing code folder or a file', async () => {
    const root = tmp();
    write(root, { f: '' });
    await assert.rejects(buildSnapshot(join(root, 'nope')), (e: CairnError) => e.code === 'NotFound');
    await assert.rejects(buildSnapshot(join(root, 'f')), (e: CairnError) => e.code === 'BadRequest');
  });
});

// ---- size and count ------------------------------------------------------------------------

describe('size and count limits', () => {
  function sizedTree(): string {
    const root = tmp();
    const sizes: Record<string, number> = { 'data/x.bin': 5000, 'b.bin': 3000, 'c.bin': 2500, 'd.bin': 1200, 'e.bin': 900, 'f.py': 10, 'g.py': 5 };
    for (const [p, n] of Object.entries(sizes)) write(root, { [p]: 'x'.repeat(n) });
    return root;
  }

  it('warns past the file count or size, naming the five largest entries', async () => {
    const root = sizedTree();
    const quiet = await buildSnapshot(root);
    assert.deepEqual(quiet.warnings, []);
    const r = await buildSnapshot(root, { warnFiles: 5 });
    assert.deepEqual(r.warnings, [
      'snapshot is 12.6 KB in 7 files (warning past 300 MB or 5 files); largest: data/x.bin 5.0 KB, b.bin 3.0 KB, c.bin 2.5 KB, d.bin 1.2 KB, e.bin 900 B; list what the job does not need in .amlignore',
    ]);
    const bytes = await buildSnapshot(root, { warnBytes: 10_000 });
    assert.match(bytes.warnings[0]!, /^snapshot is 12\.6 KB in 7 files \(warning past 10 KB or 2,000 files\); largest: data\/x\.bin/);
  });

  it('refuses past the hard limits with PayloadTooLarge, before hashing', async () => {
    const root = sizedTree();
    await assert.rejects(buildSnapshot(root, { maxFiles: 3 }), (e: CairnError) => {
      assert.ok(e instanceof CairnError);
      assert.equal(e.code, 'PayloadTooLarge');
      assert.equal(e.message, 'snapshot is 12.6 KB in 7 files (refused: over the limit of 3 files); largest: data/x.bin 5.0 KB, b.bin 3.0 KB, c.bin 2.5 KB, d.bin 1.2 KB, e.bin 900 B; list what the job does not need in .amlignore');
      return true;
    });
    await assert.rejects(buildSnapshot(root, { maxBytes: 1000, maxFiles: 100 }), /refused: over the limit of 1 KB or 100 files/);
    const ok = await buildSnapshot(root, { maxBytes: 12_615, maxFiles: 7 });
    assert.equal(ok.totalBytes, 12_615);
  });
});

// ---- stat cache ----------------------------------------------------------------------------

describe('stat cache', () => {
  function cachedTree(): { root: string; cacheDir: string } {
    const root = tmp();
    write(root, { 'a.py': 'aaaa', 'b/c.py': 'cccccc', 'b/d.txt': 'dd' });
    backdate(root);
    return { root, cacheDir: join(tmp(), 'cache') };
  }

  it('reads nothing on an unchanged tree and gives the same manifest', async () => {
    const { root, cacheDir } = cachedTree();
    const first = await buildSnapshot(root, { cacheDir });
    assert.equal(first.readBytes, 12);
    assert.ok(existsSync(cachePath(cacheDir, first.root)), 'one cache file named by the folder path hash');
    const second = await buildSnapshot(root, { cacheDir });
    assert.equal(second.readBytes, 0);
    assert.equal(manifestId(second.entries), manifestId(first.entries));
    assert.deepEqual(second.entries, first.entries);
  });

  it('re-reads only a changed file, including a same-size change with a moved mtime', async () => {
    const { root, cacheDir } = cachedTree();
    const first = await buildSnapshot(root, { cacheDir });
    writeFileSync(join(root, 'b', 'c.py'), 'changed, longer');
    age(join(root, 'b', 'c.py'), 1800);
    const second = await buildSnapshot(root, { cacheDir });
    assert.equal(second.readBytes, 'changed, longer'.length);
    assert.notEqual(manifestId(second.entries), manifestId(first.entries));
    assert.equal(second.entries.find((e) => e.path === 'b/c.py')!.sha256, sha('changed, longer'));

    writeFileSync(join(root, 'a.py'), 'AAAA'); // same size
    age(join(root, 'a.py'), 1000);
    const third = await buildSnapshot(root, { cacheDir });
    assert.equal(third.readBytes, 4);
    assert.equal(third.entries.find((e) => e.path === 'a.py')!.sha256, sha('AAAA'));
    assert.equal((await buildSnapshot(root, { cacheDir })).readBytes, 0);
  });

  it('does not trust a file modified moments ago (racy), and drops deleted files', async () => {
    const { root, cacheDir } = cachedTree();
    await buildSnapshot(root, { cacheDir });
    writeFileSync(join(root, 'a.py'), 'fresh!');
    assert.equal((await buildSnapshot(root, { cacheDir })).readBytes, 6);
    assert.equal((await buildSnapshot(root, { cacheDir })).readBytes, 6, 'still within the racy window: hashed again');
    backdate(root);
    assert.equal((await buildSnapshot(root, { cacheDir })).readBytes, 12 - 4 + 6);
    unlinkSync(join(root, 'b', 'd.txt'));
    const r = await buildSnapshot(root, { cacheDir });
    assert.equal(r.readBytes, 0);
    assert.deepEqual(r.entries.map((e) => e.path), ['a.py', 'b/c.py']);
  });

  it('ignores a corrupt or foreign cache file and replaces it', async () => {
    const { root, cacheDir } = cachedTree();
    const first = await buildSnapshot(root, { cacheDir });
    const file = cachePath(cacheDir, first.root);
    for (const junk of ['{not json', JSON.stringify({ version: 2, root: '/elsewhere', paths: [], nums: [], shas: '' }), JSON.stringify({ version: 2, root: first.root, paths: ['a.py'], nums: [4, 0, 0, 0], shas: 'zz'.repeat(32) })]) {
      writeFileSync(file, junk);
      const r = await buildSnapshot(root, { cacheDir });
      assert.equal(r.readBytes, 12);
      assert.deepEqual(r.entries, first.entries);
      assert.equal((await buildSnapshot(root, { cacheDir })).readBytes, 0, 'rewritten as a valid cache');
    }
    assert.deepEqual(readdirSync(cacheDir), [file.slice(cacheDir.length + 1)], 'no temporary files left behind');
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x20; // a name, a hash or a number: the checksum catches each
    for (const junk of [good.subarray(0, good.length - 1), good.subarray(0, 20), flipped, Buffer.alloc(0)]) {
      writeFileSync(file, junk);
      const r = await buildSnapshot(root, { cacheDir });
      assert.equal(r.readBytes, 12);
      assert.deepEqual(r.entries, first.entries);
      assert.equal((await buildSnapshot(root, { cacheDir })).readBytes, 0, 'rewritten as a valid cache');
    }
  });

  it('keeps one cache per code folder', async () => {
    const a = cachedTree();
    const b = cachedTree();
    await buildSnapshot(a.root, { cacheDir: a.cacheDir });
    assert.equal((await buildSnapshot(b.root, { cacheDir: a.cacheDir })).readBytes, 12);
    assert.equal((await buildSnapshot(a.root, { cacheDir: a.cacheDir })).readBytes, 0);
    assert.equal(readdirSync(a.cacheDir).length, 2);
  });
});

// ---- folder cache --------------------------------------------------------------------------

describe('folder cache', () => {
  /** A repository with nested folders and ignore files, every time an hour old, built once into a fresh cache. */
  async function cachedRepo(): Promise<{ root: string; cacheDir: string; opts: SnapshotOptions }> {
    const top = tmp();
    const root = join(top, 'repo');
    mkdirSync(root);
    gitInit(root);
    writeFileSync(join(root, '.git', 'info', 'exclude'), '*.excl\n');
    write(root, {
      '.gitignore': '*.log\n',
      'a.py': 'a',
      'run.log': '',
      'x.excl': '',
      'pkg/b.py': 'b',
      'pkg/c.tmp': '',
      'pkg/.gitignore': '*.tmp\n',
      'pkg/sub/d.py': 'd',
      'pkg/sub/e.log': '',
      'other/f.py': 'f',
    });
    backdate(root, 3600, true);
    const opts = { cacheDir: join(top, 'cache') };
    await buildSnapshot(root, opts);
    return { root, cacheDir: opts.cacheDir, opts };
  }

  /** Builds twice, the second time with nothing changed: the second build must list no folder. */
  async function settled(root: string, opts: SnapshotOptions): Promise<string[]> {
    const first = await paths(root, opts);
    const listed = walkCounters.listed;
    assert.deepEqual(await paths(root, opts), first);
    assert.equal(walkCounters.listed, listed, 'an unchanged, settled tree lists no folder');
    return first;
  }

  const base = ['.gitignore', 'a.py', 'other/f.py', 'pkg/.gitignore', 'pkg/b.py', 'pkg/sub/d.py'];

  it('lists no folder and reads no file on an unchanged tree', async () => {
    const { root, opts } = await cachedRepo();
    const listed = walkCounters.listed;
    const reused = walkCounters.reused;
    const r = await buildSnapshot(root, opts);
    assert.deepEqual(r.entries.map((e) => e.path), base);
    assert.equal(r.readBytes, 0);
    assert.equal(r.ignoreSource, '.gitignore (2 files), .git/info/exclude');
    assert.equal(walkCounters.listed - listed, 0);
    assert.equal(walkCounters.reused - reused, 4, 'every folder from the cache');
    assert.deepEqual(r.entries, (await buildSnapshot(root)).entries, 'the same manifest as without a cache');
  });

  it('sees a file added to or removed from a cached folder', async () => {
    const { root, opts } = await cachedRepo();
    write(root, { 'pkg/sub/new.py': 'n', 'pkg/sub/new.log': '' });
    assert.deepEqual(await paths(root, opts), [...base, 'pkg/sub/new.py'].sort(comparePaths));
    backdate(root, 1800, true);
    await settled(root, opts);
    unlinkSync(join(root, 'pkg', 'b.py'));
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'other/f.py', 'pkg/.gitignore', 'pkg/sub/d.py', 'pkg/sub/new.py']);
  });

  it('sees a change of content in a cached folder, whose times do not move', async () => {
    const { root, opts } = await cachedRepo();
    const before = lstatSync(join(root, 'pkg')).mtimeMs;
    writeFileSync(join(root, 'pkg', 'b.py'), 'B');
    age(join(root, 'pkg', 'b.py'), 600);
    assert.equal(lstatSync(join(root, 'pkg')).mtimeMs, before);
    const r = await buildSnapshot(root, opts);
    assert.equal(r.entries.find((e) => e.path === 'pkg/b.py')!.sha256, sha('B'));
    assert.equal(r.readBytes, 1);
  });

  it('applies an edited ignore file of the folder, even one of the same size and mtime', async () => {
    const { root, opts } = await cachedRepo();
    const gi = join(root, 'pkg', '.gitignore');
    const { mtime } = lstatSync(gi);
    writeFileSync(gi, '*.py\n'); // as long as '*.tmp\n', and put back to the same mtime: only ctime tells
    utimesSync(gi, mtime, mtime);
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'other/f.py', 'pkg/.gitignore', 'pkg/c.tmp']);
    rmSync(gi);
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'other/f.py', 'pkg/b.py', 'pkg/c.tmp', 'pkg/sub/d.py']);
    write(root, { 'pkg/.amlignore': 'sub/\n' });
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'other/f.py', 'pkg/.amlignore', 'pkg/b.py', 'pkg/c.tmp']);
  });

  it('applies an edited ignore file of a parent folder, inside and outside the code folder', async () => {
    const { root, opts } = await cachedRepo();
    writeFileSync(join(root, '.gitignore'), '*.log\nsub/\n');
    age(join(root, '.gitignore'), 60);
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'other/f.py', 'pkg/.gitignore', 'pkg/b.py']);
    // The code folder `pkg`: the repository root's .gitignore is a parent's.
    const code = join(root, 'pkg');
    assert.deepEqual(await settled(code, opts), ['.gitignore', 'b.py']);
    writeFileSync(join(root, '.gitignore'), '*.log\n');
    age(join(root, '.gitignore'), 30);
    assert.deepEqual(await paths(code, opts), ['.gitignore', 'b.py', 'sub/d.py']);
    write(root, { '.amlignore': 'b.py\n' }); // a new ignore file in the parent takes over from .gitignore
    assert.deepEqual(await paths(code, opts), ['.gitignore', 'sub/d.py', 'sub/e.log']);
  });

  it('applies an edited .git/info/exclude', async () => {
    const { root, opts } = await cachedRepo();
    const exclude = join(root, '.git', 'info', 'exclude');
    writeFileSync(exclude, 'other/\n');
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'pkg/.gitignore', 'pkg/b.py', 'pkg/sub/d.py', 'x.excl']);
    age(exclude, 60);
    await settled(root, opts);
    writeFileSync(exclude, 'd.py\n');
    age(exclude, 30);
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'other/f.py', 'pkg/.gitignore', 'pkg/b.py', 'x.excl']);
  });

  it('sees a folder replaced by a file and a file by a folder', async () => {
    const { root, opts } = await cachedRepo();
    rmSync(join(root, 'pkg', 'sub'), { recursive: true });
    writeFileSync(join(root, 'pkg', 'sub'), 'now a file');
    unlinkSync(join(root, 'a.py'));
    write(root, { 'a.py/inner.py': 'now a folder', 'a.py/inner.log': '' });
    backdate(root, 1800, true);
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py/inner.py', 'other/f.py', 'pkg/.gitignore', 'pkg/b.py', 'pkg/sub']);
    assert.deepEqual(await settled(root, opts), ['.gitignore', 'a.py/inner.py', 'other/f.py', 'pkg/.gitignore', 'pkg/b.py', 'pkg/sub']);
  });

  it('sees a folder renamed, and one swapped for another under the same name', async () => {
    const { root, opts } = await cachedRepo();
    renameSync(join(root, 'pkg'), join(root, 'lib'));
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'lib/.gitignore', 'lib/b.py', 'lib/sub/d.py', 'other/f.py']);
    backdate(root, 1800, true);
    await settled(root, opts);
    // Same name, same (backdated) times: another folder all the same.
    renameSync(join(root, 'other'), join(root, 'old'));
    mkdirSync(join(root, 'other'));
    write(root, { 'other/g.py': 'g' });
    backdate(root, 1800, true);
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'a.py', 'lib/.gitignore', 'lib/b.py', 'lib/sub/d.py', 'old/f.py', 'other/g.py']);
  });

  it('does not trust a folder or an ignore file changed within the racy window', async () => {
    const root = tmp();
    write(root, { '.gitignore': '*.log\n', 'sub/a.py': '', 'sub/b.log': '' });
    const opts = { cacheDir: join(tmp(), 'cache') };
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'sub/a.py']);
    let listed = walkCounters.listed;
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'sub/a.py']);
    assert.equal(walkCounters.listed - listed, 2, 'folders changed moments ago are listed again');
    write(root, { 'sub/c.py': '' });
    writeFileSync(join(root, '.gitignore'), '*.py\n');
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'sub/b.log']);
    backdate(root, 3600, true);
    await paths(root, opts);
    listed = walkCounters.listed;
    assert.deepEqual(await paths(root, opts), ['.gitignore', 'sub/b.log']);
    assert.equal(walkCounters.listed - listed, 0, 'trusted once old enough');
  });
});

// ---- manifest id ---------------------------------------------------------------------------

describe('manifestId', () => {
  const entries: ManifestEntry[] = [
    { path: 'b.py', mode: 0o644, size: 1, sha256: sha('b') },
    { path: 'a/x', mode: 0o755, size: 2, sha256: sha('xx') },
    { path: 'link', mode: 0o777, size: 3, sha256: sha('a/x'), link: 'a/x' },
  ];

  it('is the sha256 of the canonical JSON, sorted by path', () => {
    const canonical = JSON.stringify({ entries: [entries[1], entries[0], entries[2]] });
    assert.equal(manifestId(entries), sha(canonical));
  });

  it('does not depend on entry order or key order, and does depend on content', () => {
    const shuffled = [entries[2]!, entries[0]!, entries[1]!];
    const rekeyed = entries.map((e) => (e.link ? { link: e.link, sha256: e.sha256, size: e.size, mode: e.mode, path: e.path } : { sha256: e.sha256, mode: e.mode, path: e.path, size: e.size }));
    assert.equal(manifestId(shuffled), manifestId(entries));
    assert.equal(manifestId(rekeyed), manifestId(entries));
    assert.notEqual(manifestId([{ ...entries[0]!, mode: 0o755 }, entries[1]!, entries[2]!]), manifestId(entries));
  });

  it('orders paths by UTF-8 bytes', () => {
    const ps = ['z\u{1F600}', 'z\uFFFD', 'a/b', 'a-b', 'a', 'A'];
    assert.deepEqual(sorted(ps), [...ps].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

// ---- git facts -----------------------------------------------------------------------------

describe('readGitFacts', () => {
  function repoWithCommit(): string {
    const root = tmp();
    gitInit(root);
    write(root, { 'a.py': 'print(1)\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'first');
    return root;
  }

  it('reads branch, commit, remote without credentials, and a clean tree', async () => {
    const root = repoWithCommit();
    git(root, 'remote', 'add', 'origin', 'https://user:s3cret@example.com/team/repo.git');
    const head = git(root, 'rev-parse', 'HEAD').trim();
    assert.deepEqual(await readGitFacts(root), { repository_url: 'https://example.com/team/repo.git', branch: 'main', commit: head, dirty: false });
    mkdirSync(join(root, 'sub'));
    assert.deepEqual(await readGitFacts(join(root, 'sub')), { repository_url: 'https://example.com/team/repo.git', branch: 'main', commit: head, dirty: false });
  });

  it('is dirty with a modified tracked file, not with an untracked one', async () => {
    const root = repoWithCommit();
    write(root, { 'new.py': '' });
    assert.equal((await readGitFacts(root))!.dirty, false);
    write(root, { 'a.py': 'print(2)\n' });
    assert.equal((await readGitFacts(root))!.dirty, true);
  });

  it('omits the branch on a detached HEAD', async () => {
    const root = repoWithCommit();
    git(root, 'checkout', '-q', '--detach');
    const facts = await readGitFacts(root);
    assert.deepEqual(facts, { commit: git(root, 'rev-parse', 'HEAD').trim(), dirty: false });
  });

  it('omits the commit in a repository with no commits, and keeps the branch to be', async () => {
    const root = tmp();
    gitInit(root);
    const facts = await readGitFacts(root);
    assert.equal(facts?.commit, undefined);
    assert.equal(facts?.dirty, false);
    assert.match(facts?.branch ?? '', /^\S+$/);
  });

  it('returns null outside a repository and for a missing folder', async () => {
    const root = tmp();
    assert.equal(await readGitFacts(root), null);
    assert.equal(await readGitFacts(join(root, 'missing')), null);
  });

  it('strips credentials from remote URLs', () => {
    assert.equal(stripCredentials('https://user:pw@example.com/a.git'), 'https://example.com/a.git');
    assert.equal(stripCredentials('https://ghp_token@github.com/a/b'), 'https://github.com/a/b');
    assert.equal(stripCredentials('ssh://git:pw@host:22/a.git'), 'ssh://git@host:22/a.git');
    assert.equal(stripCredentials('ssh://git@host/a.git'), 'ssh://git@host/a.git');
    assert.equal(stripCredentials('git@github.com:a/b.git'), 'git@github.com:a/b.git');
    assert.equal(stripCredentials('/srv/repos/a.git'), '/srv/repos/a.git');
  });
});
