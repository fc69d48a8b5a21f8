import { execFile, spawn } from 'node:child_process';
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
 * Only whether status prints anything matters, and a big dirty tree can print megabytes, so the
 * first byte answers and the process is stopped there.
 */
function isDirty(dir: string, env: NodeJS.ProcessEnv): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: boolean | undefined) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    try {
      const child = spawn('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { env, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
      const timer = setTimeout(() => {
        child.kill();
        done(undefined);
      }, TIMEOUT_MS);
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.length) {
          done(true);
          child.kill();
        }
      });
      child.on('error', () => done(undefined));
      child.on('close', (code) => {
        clearTimeout(timer);
        done(code === 0 ? false : undefined);
      });
    } catch {
      done(undefined);
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

/** Facts about the git checkout holding `dir`, recorded on a job; null outside a repository or without git. Never throws. */
export async function readGitFacts(dir: string): Promise<GitFacts | null> {
  try {
    const env = gitEnv();
    const [top, commit, branch, remote, dirty] = await Promise.all([
      git(dir, ['rev-parse', '--show-toplevel'], env),
      git(dir, ['rev-parse', '--verify', '-q', 'HEAD'], env),
      git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'], env),
      git(dir, ['config', '--get', 'remote.origin.url'], env),
      isDirty(dir, env),
    ]);
    if (!top) return null;
    const facts: GitFacts = {};
    if (remote) facts.repository_url = stripCredentials(remote);
    if (branch && branch !== 'HEAD') facts.branch = branch;
    if (commit && /^[0-9a-f]{40,64}$/.test(commit)) facts.commit = commit;
    if (dirty !== undefined) facts.dirty = dirty;
    return facts;
  } catch {
    return null;
  }
}
