"""Job, environment, component, compute, data and model files read by the server's parse route, which runs the
CLI's own parsers (Python's standard library has no YAML parser). The server never reads this
machine's files: it answers `{need: [...]}` for paths it has to know about (the code folder, data
inputs, a conda file, a key file), and this module describes them and asks again.
"""

import errno
import json
import os
import stat

from ._errors import CairnError, ValidationError

_MAX_TEXT = 1024 * 1024


def _describe(path, read):
    try:
        st = os.stat(path)
    except OSError:
        return {"kind": "missing"}
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
    fact = {"kind": kind}
    if read and kind == "file":
        try:
            if st.st_size > _MAX_TEXT:
                raise OSError(errno.EFBIG, "file is over 1 MiB")
            with open(path, "rb") as f:
                fact["text"] = f.read().decode("utf-8", "replace")
        except OSError as e:
            code = errno.errorcode.get(e.errno or 0, "EIO")
            fact["error"] = code
            fact["message"] = "%s: %s, open '%s'" % (code, (e.strerror or str(e)).lower(), path)
    return fact


def _plain(value, what):
    """The spec as JSON, refusing values JSON cannot carry, by field."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        raise ValidationError("ValidationError", "%s: %s (give plain dicts, lists, strings, numbers and booleans)" % (what, e), 400)


def parse_file(http, ws, kind, path=None, spec=None, base_dir=None, sets=None, mode=None):
    """The server's reading of a file (`path`) or of fields (`spec`, paths relative to `base_dir`).

    Returns the route's answer: {kind, spec, code_dir?, input_paths?, build_dir?, local_path?}.
    """
    req = {"kind": kind, "home": os.path.expanduser("~"), "cwd": os.getcwd()}
    if path is not None:
        file = os.path.abspath(os.fspath(path))
        what = {"job": "job", "environment": "environment", "component": "component", "compute": "compute", "data": "data asset", "model": "model"}[kind]
        try:
            with open(file, "rb") as f:
                text = f.read().decode("utf-8")
        except FileNotFoundError:
            raise ValidationError("ValidationError", "cannot read %s file %s: no such file" % (what, file), 400)
        except (OSError, UnicodeDecodeError) as e:
            raise ValidationError("ValidationError", "cannot read %s file %s: %s" % (what, file, getattr(e, "strerror", None) or e), 400)
        req["file"] = file
        req["text"] = text
    else:
        fields = dict((k, v) for k, v in spec.items() if v is not None)
        req["spec"] = _plain(fields, kind)
        req["base_dir"] = os.path.abspath(base_dir or os.getcwd())
    if sets:
        req["sets"] = list(sets)
    if mode:
        req["mode"] = mode
    files = {}
    req["files"] = files
    # Each round describes every path the last one named; a file names paths two levels deep at most.
    for _ in range(8):
        r = http.json("POST", ws + "/files/parse", req)
        if "need" not in r:
            return r
        for n in r["need"]:
            files[n["path"]] = _describe(n["path"], n.get("read", False))
    raise CairnError("Internal", "the server kept asking about more files while reading %s" % (path or kind), 500)


def set_value(key, value):
    """An `a.b=value` override the parser reads as YAML: JSON text is YAML, so any plain value goes as JSON."""
    return "%s=%s" % (key, json.dumps(value))
