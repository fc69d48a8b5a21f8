"""Git facts about a code folder (remote URL, branch, commit, dirty), recorded on the job as the CLI
records them (src/snapshot/git-facts.ts). None outside a repository or without git; never raises."""

import os
import re
import subprocess


def _in_repo(d):
    d = os.path.abspath(d)
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return True
        parent = os.path.dirname(d)
        if parent == d:
            return False
        d = parent


def _env():
    # GIT_DIR and friends (inside a hook, say) would make `-C dir` describe another repository;
    # a prompt would hang the submit on a credential helper.
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE"):
        env.pop(k, None)
    return env


def _git(folder, args):
    try:
        r = subprocess.run(["git", "-C", folder] + args, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


def strip_credentials(url):
    """A URL like https://user:token@host/repo would leak the token to every reader of the job."""
    m = re.match(r"^([a-z][a-z0-9+.-]*://)([^/?#]*)@", url, re.I)
    if not m:
        return url
    scheme, userinfo = m.group(1), m.group(2)
    rest = url[m.end():]
    if re.match(r"^https?://$", scheme, re.I):
        return scheme + rest
    colon = userinfo.find(":")
    return url if colon < 0 else "%s%s@%s" % (scheme, userinfo[:colon], rest)


def read_git_facts(folder):
    try:
        if not _in_repo(folder):
            return None
        status = _git(folder, ["status", "--porcelain=v2", "--branch", "--untracked-files=no"])
        if status is None:
            return None
        facts = {}
        remote = _git(folder, ["config", "--get", "remote.origin.url"])
        if remote and remote.strip():
            facts["repository_url"] = strip_credentials(remote.strip())
        dirty = False
        for line in status.splitlines():
            if line.startswith("# branch.oid "):
                oid = line[13:]
                if re.match(r"^[0-9a-f]{40,64}$", oid):
                    facts["commit"] = oid
            elif line.startswith("# branch.head "):
                if line[14:] != "(detached)":
                    facts["branch"] = line[14:]
            elif not line.startswith("#"):
                dirty = True
        facts["dirty"] = dirty
        return facts
    except Exception:
        return None
