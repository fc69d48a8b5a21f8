import { execFile, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { GitFacts } from '../protocol/snapshot.ts';

const TIMEOUT_MS = 10_000;

/**
 * The user's shell may carry GIT_DIR and friends (inside a hook, say); they would make `-C dir`
 * describe some other repository. Prompts would hang a submit on a credential helper.
 */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_NAMESPACE']) delete env[k];
  return env;
}

function git(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile('git', ['-C', dir, ...args], { env, timeout: TIMEOUT_MS, windowsHide: true }, (err, stdout) => {
        resolve(err ? null : String(stdout).trim());
      });
    } catch {
      resolve(null);
    }
  });
}

/**
 * Commit, branch and dirtiness from one `git status --porcelain=v2 --branch`: its headers come
 * first, and the first change line answers "dirty", so the process is stopped there (a big dirty
 * tree can print megabytes). Null outside a repository. One process instead of four matters:
 * each spawn costs a big Node process several milliseconds.
 */
function statusFacts(dir: string, env: NodeJS.ProcessEnv): Promise<{ oid?: string; head?: string; dirty: boolean } | null> {
  return new Promise((resolve) => {
    let settled = false;
    let buf = '';
    const facts: { oid?: string; head?: string; dirty: boolean } = { dirty: false };
    const done = (v: typeof facts | null) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    try {
      const child = spawn('git', ['-C', dir, 'status', '--porcelain=v2', '--branch', '--untracked-files=no'], { env, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
      const timer = setTimeout(() => {
        child.kill();
        done(null);
      }, TIMEOUT_MS);
      child.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('# branch.oid ')) facts.oid = line.slice(13);
          else if (line.startsWith('# branch.head ')) facts.head = line.slice(14);
          else if (!line.startsWith('#')) {
            facts.dirty = true;
            clearTimeout(timer);
            child.kill();
            return done(facts);
          }
        }
      });
      child.on('error', () => done(null));
      child.on('close', (code) => {
        clearTimeout(timer);
        done(code === 0 || facts.dirty ? facts : null);
      });
    } catch {
      done(null);
    }
  });
}

/**
 * Job records outlive tokens: a URL like https://user:token@host/repo would leak the token to
 * everyone who can read the job. Over http(s) the whole user part goes, since a token often
 * stands alone where the user name would be; elsewhere (ssh://git@host) only a password goes.
 */
export function stripCredentials(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  if (!m) return url;
  const [whole, scheme, userinfo] = m as unknown as [string, string, string];
  const rest = url.slice(whole.length);
  if (/^https?:\/\/$/i.test(scheme)) return scheme + rest;
  const colon = userinfo.indexOf(':');
  return colon < 0 ? url : `${scheme}${userinfo.slice(0, colon)}@${rest}`;
}

/** The repository's git dir (following a worktree's `.git` file) and its common dir, or null. */
function gitDirs(dir: string): { common: string } | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const dotGit = join(d, '.git');
    try {
      const st = statSync(dotGit);
      let gitDir = dotGit;
      if (st.isFile()) {
        const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
        if (!m) return null;
        gitDir = resolve(d, m[1]!.trim());
      }
      let common = gitDir;
      try {
        common = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
      } catch {}
      return { common };
    } catch {
      if (dirname(d) === d) return null;
    }
  }
}

/**
 * remote.origin.url read from the repository's config file: a spawn of `git config` costs a big
 * Node process tens of milliseconds. Configs with include directives go to git itself.
 */
async function originUrl(dir: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = gitDirs(dir);
  if (!dirs) return null;
  let text: string;
  try {
    text = readFileSync(join(dirs.common, 'config'), 'utf8');
  } catch {
    return null;
  }
  if (/^\s*\[\s*include/im.test(text)) return git(dir, ['config', '--get', 'remote.origin.url'], env);
  let inOrigin = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const section = /^\[\s*remote\s+"([^"]*)"\s*\]/i.exec(line);
    if (section) inOrigin = section[1] === 'origin';
    else if (line.startsWith('[')) inOrigin = false;
    else if (inOrigin) {
      const kv = /^url\s*=\s*(.*)$/i.exec(line);
      if (kv) return kv[1]!.replace(/^"(.*)"$/, '$1').trim();
    }
  }
  return null;
}

/** Facts about the git checkout holding `dir`, recorded on a job; null outside a repository or without git. Never throws. */
export async function readGitFacts(dir: string): Promise<GitFacts | null> {
  try {
    // Outside any checkout (no .git up the tree, GIT_DIR being ignored) git has nothing to say: skip its process.
    if (!gitDirs(dir)) return null;
    const env = gitEnv();
    const [status, remote] = await Promise.all([statusFacts(dir, env), originUrl(dir, env)]);
    if (!status) return null;
    const facts: GitFacts = {};
    if (remote) facts.repository_url = stripCredentials(remote);
    if (status.head && status.head !== '(detached)') facts.branch = status.head;
    if (status.oid && /^[0-9a-f]{40,64}$/.test(status.oid)) facts.commit = status.oid;
    facts.dirty = status.dirty;
    return facts;
  } catch {
    return null;
  }
}
