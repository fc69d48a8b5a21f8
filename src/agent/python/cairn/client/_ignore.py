"""Ignore files, as the CLI reads them (src/snapshot/ignore-rules.ts), so both upload the same files.

Per folder: ``.amlignore`` and ``.cairnignore`` (both, in that order) when either exists, else
``.gitignore``; the code folder's parents up to the git repository's top and
``.git/info/exclude`` apply too. Git's precedence: the deepest file with a matching rule decides,
and within a file the last matching rule. Patterns follow gitignore(5): ``#`` comments, ``!``
negation, a trailing ``/`` for folders only, a slash at the start or middle anchors to the file's
folder, ``*``, ``?``, ``[...]`` (never matching ``/``), ``**/``, ``/**/`` and a trailing ``/**``,
backslash escapes and escaped trailing spaces. Case-sensitive, except on macOS and Windows (git's
defaults there, as the CLI).
"""

import os
import re
import sys

NO_MATCH, IGNORED, KEPT = 0, 1, 2
_FLAGS = re.IGNORECASE if sys.platform in ("darwin", "win32") else 0
_EXCLUDE = ".git/info/exclude"


def choose_rule_files(present):
    """Which ignore files of a folder count, given the names present (regular files only)."""
    own = [n for n in (".amlignore", ".cairnignore") if n in present]
    if own:
        return own
    return [".gitignore"] if ".gitignore" in present else []


def _class(body, i):
    """A bracket expression starting at body[i] == '[': (regex, next index), or None when unclosed."""
    j = i + 1
    neg = j < len(body) and body[j] in "!^"
    if neg:
        j += 1
    start = j
    if j < len(body) and body[j] == "]":
        j += 1  # a leading ] is a member
    while j < len(body) and body[j] != "]":
        j += 2 if body[j] == "\\" else 1
    if j >= len(body):
        return None
    members = ""
    k = start
    while k < j:
        c = body[k]
        if c == "\\" and k + 1 < j:
            k += 1
            c = body[k]
            members += re.escape(c)
        elif c == "-" and members and k + 1 < j:
            members += "-"
        else:
            members += "\\" + c if c in "\\^[]" else c
        k += 1
    return "(?!/)[%s%s]" % ("^" if neg else "", members), j + 1


def _glob(body):
    out = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(body[i + 1]))
            i += 2
        elif c == "*":
            j = i
            while j < n and body[j] == "*":
                j += 1
            at_start = i == 0 or body[i - 1] == "/"
            if j - i >= 2 and at_start and (j == n or body[j] == "/"):
                if j == n:
                    # trailing "/**": everything inside, never the folder itself
                    out.append(".+" if i > 0 else ".*")
                else:
                    out.append("(?:.*/)?")  # "**/": zero or more folders
                    j += 1
            else:
                out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls = _class(body, i)
            if cls is None:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(cls[0])
                i = cls[1]
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def compile_line(line):
    """One line of an ignore file: (regex, negative, folders_only), or None for blanks and comments."""
    if not line or line.startswith("#"):
        return None
    # Trailing spaces go, unless escaped with a backslash (then that one space stays).
    stripped = line.rstrip(" ")
    if stripped != line and stripped.endswith("\\") and not stripped.endswith("\\\\"):
        stripped += " "
    line = stripped
    negative = line.startswith("!")
    if negative:
        line = line[1:]
    folders_only = line.endswith("/")
    line = line.rstrip("/") if folders_only else line
    if not line:
        return None
    anchored = "/" in line
    if line.startswith("/"):
        line = line[1:]
    if line.startswith("**/"):
        anchored = True  # "**/" already matches at any depth
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + _glob(line) + "$", _FLAGS | re.DOTALL), negative, folders_only


def compile_rules(text):
    """Compiles the text of one or more ignore files (later lines win) into test(path, is_dir)."""
    rules = [r for r in (compile_line(l) for l in re.split(r"\r?\n", text)) if r is not None]
    rules.reverse()

    def test(path, is_dir):
        for rx, negative, folders_only in rules:
            if folders_only and not is_dir:
                continue
            if rx.match(path):
                return KEPT if negative else IGNORED
        return NO_MATCH

    return test


class FolderRules(object):
    """The rules of one folder: a path relative to the code folder becomes one relative to the rules'
    folder by dropping `strip` leading characters (rules inside) or prepending `prefix` (outside)."""

    __slots__ = ("test", "prefix", "strip")

    def __init__(self, test, prefix, strip):
        self.test, self.prefix, self.strip = test, prefix, strip


def load_folder_rules(abs_dir, names, prefix, strip):
    text = ""
    for n in names:
        try:
            with open(os.path.join(abs_dir, n), "r", encoding="utf-8", errors="replace") as f:
                text += f.read() + "\n"
        except OSError as e:
            from ._errors import BadRequest

            raise BadRequest("BadRequest", "cannot read ignore file %s: %s" % (os.path.join(abs_dir, n), e.strerror or e), 400)
    return FolderRules(compile_rules(text), prefix, strip)


def is_ignored(rules, rel, is_dir):
    """Git's precedence over the rules, deepest first; `rel` relative to the code folder, no trailing /."""
    for r in rules:
        p = rel[r.strip:] if r.strip else r.prefix + rel
        v = r.test(p, is_dir)
        if v != NO_MATCH:
            return v == IGNORED
    return False


def _regular(path):
    try:
        import stat

        return stat.S_ISREG(os.lstat(path).st_mode)  # git does not follow a symlinked .gitignore
    except OSError:
        return False


def find_repo(d):
    """(top, exclude file) of the git repository holding folder `d` (a real path), or None."""
    while True:
        dot = os.path.join(d, ".git")
        if os.path.isdir(dot) and not os.path.islink(dot):
            return d, os.path.join(dot, "info", "exclude")
        if _regular(dot):
            try:
                with open(dot, "r", encoding="utf-8") as f:
                    m = re.search(r"^gitdir:\s*(.+?)\s*$", f.read(), re.M)
                if m:
                    git_dir = os.path.normpath(os.path.join(d, m.group(1)))
                    common = git_dir
                    try:
                        with open(os.path.join(git_dir, "commondir"), "r", encoding="utf-8") as f:
                            common = os.path.normpath(os.path.join(git_dir, f.read().strip()))
                    except OSError:
                        pass
                    return d, os.path.join(common, "info", "exclude")
            except OSError:
                pass
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def outer_rules(root):
    """Rules from outside the code folder, deepest first: parents up to the repository top, then
    .git/info/exclude. Outside a git repository there are none (no root to stop at)."""
    repo = find_repo(root)
    if repo is None:
        return []
    top, exclude = repo
    rules = []
    if top != root:
        d = os.path.dirname(root)
        while True:
            present = set(n for n in (".amlignore", ".cairnignore", ".gitignore") if _regular(os.path.join(d, n)))
            names = choose_rule_files(present)
            if names:
                rules.append(load_folder_rules(d, names, os.path.relpath(root, d) + "/", 0))
            if d == top or os.path.dirname(d) == d:
                break
            d = os.path.dirname(d)
    if _regular(exclude):
        try:
            with open(exclude, "r", encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""  # unreadable: git skips it too
        if any(l.strip() and not l.startswith("#") for l in text.splitlines()):
            prefix = "" if top == root else os.path.relpath(root, top) + "/"
            rules.append(FolderRules(compile_rules(text), prefix, 0))
    return rules
