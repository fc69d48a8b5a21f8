"""Snapshots of a folder, byte for byte the CLI's (src/snapshot/): the same files, modes and hashes,
so the same folder gets the same snapshot id from Python and from `cairn job create`.

An entry is {path, mode, size, sha256} (+ link for a symlink: mode 0o777, the target's bytes
hashed); files are 0o755 when any execute bit is set, else 0o644 (data files keep their own bits).
`.git` is never taken; special files are skipped with a warning. The manifest's canonical JSON
(entries sorted by the paths' UTF-8 bytes, keys in that order, no spaces) hashes to the id.
Unlike the CLI there is no stat cache: every file is hashed on each upload.
"""

import hashlib
import json
import os
import stat

from ._errors import CairnError, PathEscapesRoot, PayloadTooLarge, ValidationError
from ._ignore import choose_rule_files, is_ignored, load_folder_rules, outer_rules

WARN_BYTES = 300000000
WARN_FILES = 2000
_RULE_NAMES = (".amlignore", ".cairnignore", ".gitignore")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class Snapshot(object):
    def __init__(self, root, entries, warnings):
        self.root = root
        self.entries = entries
        self.warnings = warnings
        self.total_bytes = sum(e["size"] for e in entries if "link" not in e)

    def canonical_json(self):
        return canonical_json(self.entries)


def canonical_json(entries):
    """What the snapshot id hashes and what is sent: JSON.stringify({entries}) of sorted, canonical entries."""
    ordered = sorted(entries, key=lambda e: e["path"].encode("utf-8"))
    canon = []
    for e in ordered:
        c = {"path": e["path"], "mode": e["mode"], "size": e["size"], "sha256": e["sha256"]}
        if "link" in e:
            c["link"] = e["link"]
        canon.append(c)
    return json.dumps({"entries": canon}, separators=(",", ":"), ensure_ascii=False)


def sha256_file(path, flags=os.O_RDONLY):
    h = hashlib.sha256()
    size = 0
    fd = os.open(path, flags)
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            h.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return h.hexdigest(), size


def _utf8(path):
    try:
        return path.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("ValidationError", "%r is not a UTF-8 file name: rename it or list it in .amlignore" % path, 400)


def check_relative_path(p, what="code path"):
    b = _utf8(p)
    why = None
    if len(b) > 1024:
        why = "is longer than 1024 bytes"
    elif "\\" in p:
        why = "contains a backslash"
    else:
        for seg in p.split("/"):
            if len(seg.encode("utf-8")) > 255:
                why = "has a name longer than 255 bytes ('%s...')" % seg[:40]
    if why:
        shown = p if len(p) <= 120 else p[:100] + "..."
        raise PathEscapesRoot("PathEscapesRoot", "%s '%s' %s" % (what, shown, why), 400)
    return p


def _link_stays_inside(link_path, target):
    if target.startswith("/"):
        return False
    parts = link_path.split("/")[:-1]
    for seg in target.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if not parts:
                return False
            parts.pop()
        else:
            parts.append(seg)
    return True


def _kind_of(mode):
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def build_snapshot(folder, data=False, max_bytes=None, max_files=None):
    """The manifest of a folder: `data` takes every file (no ignore files apply, as Azure ML uploads data)."""
    try:
        root = os.path.realpath(folder)
        st = os.stat(root)
    except OSError:
        raise CairnError("NotFound", "code folder %s does not exist" % folder, 404)
    if not stat.S_ISDIR(st.st_mode):
        raise CairnError("BadRequest", "code folder %s is not a folder" % folder, 400)
    entries = []
    pending = []
    warnings = []

    def visit(rel_dir, abs_dir, rules):
        try:
            listing = list(os.scandir(abs_dir))
        except FileNotFoundError:
            return  # deleted while we walk
        except OSError as e:
            raise CairnError("BadRequest", "cannot read folder '%s' of the code folder: %s" % (rel_dir or ".", e.strerror or e), 400)
        if not data:
            present = set(d.name for d in listing if d.name in _RULE_NAMES and d.is_file(follow_symlinks=False))
            names = choose_rule_files(present)
            if names:
                rules = [load_folder_rules(abs_dir, names, "", len(rel_dir))] + rules
        for d in listing:
            name = d.name
            if name == ".git":
                continue
            rel = rel_dir + name
            try:
                lst = os.lstat(d.path)
            except FileNotFoundError:
                continue  # deleted since listed
            mode = lst.st_mode
            is_dir = stat.S_ISDIR(mode)
            if is_ignored(rules, rel, is_dir):
                continue
            if is_dir:
                visit(rel + "/", d.path, rules)
            elif stat.S_ISREG(mode):
                check_relative_path(rel)
                e = {"path": rel, "mode": (mode & 0o777) if data else (0o755 if mode & 0o111 else 0o644), "size": lst.st_size, "sha256": ""}
                entries.append(e)
                pending.append((e, d.path))
            elif stat.S_ISLNK(mode):
                check_relative_path(rel)
                target = os.readlink(d.path)
                t = _utf8(target)
                if not _link_stays_inside(rel, target):
                    warnings.append("symlink %s points outside the code folder; it is stored as a link and will dangle" % rel)
                entries.append({"path": rel, "mode": 0o777, "size": len(t), "sha256": hashlib.sha256(t).hexdigest(), "link": target})
            else:
                warnings.append("skipped %s: a %s cannot be part of a snapshot" % (rel, _kind_of(mode)))

    visit("", root, [] if data else outer_rules(root))
    total = sum(e["size"] for e, _ in pending)
    if (max_bytes is not None and total > max_bytes) or (max_files is not None and len(entries) > max_files):
        raise PayloadTooLarge("PayloadTooLarge", _size_note(total, entries, "refused: over the limit of %s" % _limits(max_bytes, max_files)), 413)
    gone = False
    for e, path in pending:
        try:
            e["sha256"], e["size"] = sha256_file(path, _OPEN_FLAGS)
        except FileNotFoundError:
            gone = True  # deleted since the walk
        except OSError as err:
            raise CairnError("BadRequest", "cannot read '%s' of the code folder: %s" % (e["path"], err.strerror or err), 400)
    if gone:
        entries = [e for e in entries if e["sha256"]]
    snap = Snapshot(root, entries, sorted(warnings))
    if snap.total_bytes > WARN_BYTES or len(entries) > WARN_FILES:
        snap.warnings.append(_size_note(snap.total_bytes, entries, "warning past 300 MB or 2,000 files"))
    return snap


def _human(n):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1000.0


def _limits(max_bytes, max_files):
    parts = []
    if max_bytes is not None:
        parts.append(_human(max_bytes))
    if max_files is not None:
        parts.append("{:,} files".format(max_files))
    return " or ".join(parts)


def _size_note(total, entries, note):
    files = [e for e in entries if "link" not in e]
    top = sorted(files, key=lambda e: (-e["size"], e["path"]))[:5]
    largest = ", ".join("%s %s" % (e["path"], _human(e["size"])) for e in top)
    return "snapshot is %s in {:,} files (%s); largest: %s; list what the job does not need in .amlignore".format(len(entries)) % (_human(total), note, largest)
