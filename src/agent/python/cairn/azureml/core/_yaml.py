"""The little YAML a conda environment file uses, read and written with the standard library.

Cairn's Python client has no YAML dependency, and conda files use a small part of YAML: block
mappings and sequences, flow lists (``[a, b]``) and maps (``{pip: [a]}``), quoted and plain
scalars, comments. Scalars stay strings (conda reads ``3.8`` as the text "3.8" too); anything
beyond this subset (anchors, block scalars, tags, documents) is refused with the line number.
"""

import json
import re

__all__ = ["loads", "dumps"]


class YamlError(ValueError):
    pass


def _strip_comment(line):
    """The line without its comment: '#' at the start or after a space, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text, lineno):
    t = text.strip()
    if t == "" or t in ("~", "null", "Null", "NULL"):
        return None
    if t[0] == '"':
        try:
            return json.loads(t)
        except ValueError:
            raise YamlError("line %d: a double-quoted string that does not end: %s" % (lineno, t))
    if t[0] == "'":
        if len(t) < 2 or t[-1] != "'":
            raise YamlError("line %d: a single-quoted string that does not end: %s" % (lineno, t))
        return t[1:-1].replace("''", "'")
    if t[0] in "[{":
        value, rest = _flow(t, 0, lineno)
        if t[rest:].strip():
            raise YamlError("line %d: unexpected text after %s" % (lineno, t[:rest]))
        return value
    if t[0] in "&*!|>%@`":
        raise YamlError("line %d: '%s' is YAML this reader does not take (anchors, tags, block scalars)" % (lineno, t[0]))
    return t


def _flow(t, i, lineno):
    """A flow list or map starting at t[i]; returns (value, index after it)."""
    close = "]" if t[i] == "[" else "}"
    out = [] if close == "]" else {}
    i += 1
    while True:
        while i < len(t) and t[i] in " ,":
            i += 1
        if i >= len(t):
            raise YamlError("line %d: '%s' is not closed" % (lineno, t[0]))
        if t[i] == close:
            return out, i + 1
        if t[i] in "[{":
            item, i = _flow(t, i, lineno)
        else:
            m = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|[^,\[\]{}]+').match(t, i)
            item, i = _scalar(m.group(0), lineno), m.end()
            if close == "}":
                key, _, val = (item or "").partition(":")
                item = None
                if val.strip():
                    out[key.strip()] = _scalar(val, lineno)
                else:
                    while i < len(t) and t[i] == " ":
                        i += 1
                    if i < len(t) and t[i] in "[{":
                        out[key.strip()], i = _flow(t, i, lineno)
                    else:
                        out[key.strip()] = None
                continue
        out.append(item)


_KEY = re.compile(r'^("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s#\'"][^:]*?)\s*:(\s+(.*))?$')


def loads(text):
    """Parses the conda-file subset of YAML into dicts, lists and strings."""
    lines = []
    for n, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlError("line %d: indented with a tab (YAML takes spaces)" % n)
        line = _strip_comment(raw)
        if line.strip() in ("", "---"):
            continue
        lines.append((len(line) - len(line.lstrip(" ")), line.strip(), n))
    if not lines:
        return None
    value, at = _block(lines, 0, lines[0][0])
    if at != len(lines):
        raise YamlError("line %d: unexpected indentation" % lines[at][2])
    return value


def _block(lines, at, indent):
    """The block (mapping or sequence) whose entries sit at `indent`, from lines[at]."""
    if lines[at][1].startswith("- ") or lines[at][1] == "-":
        out = []
        while at < len(lines) and lines[at][0] == indent and (lines[at][1].startswith("- ") or lines[at][1] == "-"):
            _, text, n = lines[at]
            rest = text[1:].strip()
            if not rest:
                if at + 1 < len(lines) and lines[at + 1][0] > indent:
                    item, at = _block(lines, at + 1, lines[at + 1][0])
                else:
                    item, at = None, at + 1
            elif _KEY.match(rest) and not rest.startswith(("[", "{", '"', "'")):
                # "- key: value" opens a mapping whose keys line up with `key`.
                inner = indent + (len(text) - len(rest))
                sub = [(inner, rest, n)]
                j = at + 1
                while j < len(lines) and lines[j][0] >= inner:
                    sub.append(lines[j])
                    j += 1
                item, used = _block(sub, 0, inner)
                if used != len(sub):
                    raise YamlError("line %d: unexpected indentation" % sub[used][2])
                at = j
            else:
                item, at = _scalar(rest, n), at + 1
            out.append(item)
        return out, at
    out = {}
    while at < len(lines) and lines[at][0] == indent:
        _, text, n = lines[at]
        m = _KEY.match(text)
        if not m or text.startswith("- "):
            raise YamlError("line %d: expected 'key: value' (found %s)" % (n, text))
        key = _scalar(m.group(1), n)
        if m.group(3) is not None and m.group(3).strip():
            out[key], at = _scalar(m.group(3), n), at + 1
        elif at + 1 < len(lines) and (lines[at + 1][0] > indent or (lines[at + 1][0] == indent and lines[at + 1][1].startswith("- "))):
            out[key], at = _block(lines, at + 1, lines[at + 1][0])
        else:
            out[key], at = None, at + 1
    return out, at


_PLAIN = re.compile(r"^[A-Za-z0-9_./+=<>!~*-][^#:]*$")
_NOT_PLAIN = re.compile(r"^(true|false|yes|no|on|off|null|~|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$", re.I)


def _dump_scalar(v):
    if v is None:
        return "null"
    s = str(v)
    if _PLAIN.match(s) and not _NOT_PLAIN.match(s) and not s.endswith(" ") and not s.startswith("- "):
        return s
    return json.dumps(s)


def dumps(value, indent=0):
    """Block YAML for dicts, lists and scalars (what serialize_to_string writes)."""
    pad = " " * indent
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:" % (pad, _dump_scalar(k)))
                out.append(dumps(v, indent if isinstance(v, list) else indent + 2))
            else:
                out.append("%s%s: %s" % (pad, _dump_scalar(k), "[]" if v == [] else "{}" if v == {} else _dump_scalar(v)))
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict) and v:
                first = dumps(v, indent + 2).split("\n")
                out.append("%s- %s" % (pad, first[0].lstrip()))
                out.extend(first[1:])
            else:
                out.append("%s- %s" % (pad, _dump_scalar(v)))
    else:
        out.append(pad + _dump_scalar(value))
    return "\n".join(line for line in out if line != "")
