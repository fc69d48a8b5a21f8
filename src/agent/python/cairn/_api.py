"""The module-level functions. Each one queues and returns; none raises (see the package docstring)."""

import atexit
import functools
import os
import sys
import threading
import time

from . import _config
from ._config import eprint


class _Offline(object):
    online = False
    pid = None


_OFFLINE = _Offline()
_lock = threading.Lock()
_cfg = None
_client = None
_warned = set()


def config():
    global _cfg
    if _cfg is None:
        with _lock:
            if _cfg is None:
                _cfg = _config.Config()
    return _cfg


def client():
    """This process's sender, created at first use (and again in a forked child)."""
    global _client
    current = _client
    if current is not None and (current is _OFFLINE or current.pid == os.getpid()):
        return current
    cfg = config()
    with _lock:
        current = _client
        if current is None or (current is not _OFFLINE and current.pid != os.getpid()):
            current = _OFFLINE
            if cfg.online:
                try:
                    # The sender (and http.client, ssl, urllib with it) loads only when something is sent:
                    # `import cairn` stays cheap for scripts that log nothing or only offline.
                    from ._client import Client

                    current = Client(cfg)
                except Exception as err:
                    eprint("cairn: cannot send to %s (%s: %s); logging offline" % (cfg.tracking_uri, type(err).__name__, err))
            _client = current
        return current


def _after_fork_in_child():
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by another thread at fork time


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _warn_once(tag, message):
    if tag in _warned:
        return
    _warned.add(tag)
    eprint(message)


def _never_raises(fn, fallback=None):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            _warn_once(("internal", fn.__name__), "cairn: %s failed (%s: %s)" % (fn.__name__, type(err).__name__, err))
            return fallback
    return wrapper


def _offline(what):
    eprint("cairn (offline): " + what)


def _metric(key, value, step, timestamp):
    """The queue entry for one metric, or None (after a warning) when the value is unusable."""
    key = str(key)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        _warn_once(("value", key), "cairn: metric %r: %r is not a number; dropped (not repeated for this key)" % (key, value))
        return None
    try:
        step = 0 if step is None else int(step)
        timestamp = int(time.time() * 1000) if timestamp is None else int(timestamp)
    except (TypeError, ValueError, OverflowError):
        _warn_once(("step", key), "cairn: metric %r: step %r / timestamp %r must be integers; dropped" % (key, step, timestamp))
        return None
    return ("m", key, number, timestamp, step)


def _send_metrics(entries):
    entries = [e for e in entries if e is not None]
    if not entries:
        return False
    c = client()
    if c.online:
        c.add(entries)
    else:
        for e in entries:
            _offline("metric %s=%r step=%d" % (e[1], e[2], e[4]))
    return True


@_never_raises
def log_metric(key, value, step=None, timestamp=None):
    """Logs one metric value (float()-coerced); step defaults to 0, timestamp (ms) to now."""
    return _send_metrics([_metric(key, value, step, timestamp)])


@_never_raises
def log_metrics(metrics, step=None, timestamp=None):
    """Logs a dict of metrics with one step and timestamp."""
    if timestamp is None:
        timestamp = int(time.time() * 1000)
    return _send_metrics([_metric(k, v, step, timestamp) for k, v in dict(metrics).items()])


def _params(items):
    c = client()
    for key, value in items:
        key, value = str(key), str(value)
        if c.online:
            c.add_param(key, value)
        else:
            _offline("param %s=%s" % (key, value))


@_never_raises
def log_param(key, value):
    """Logs a param (str()-coerced). Changing a param's value is refused by the server, with a warning."""
    _params([(key, value)])


@_never_raises
def log_params(params):
    _params(dict(params).items())


def _tags(items):
    c = client()
    entries = [("t", str(k), str(v)) for k, v in items]
    if c.online:
        c.add(entries)
    else:
        for e in entries:
            _offline("tag %s=%s" % (e[1], e[2]))


@_never_raises
def set_tag(key, value):
    _tags([(key, value)])


@_never_raises
def set_tags(tags):
    _tags(dict(tags).items())


def clean_artifact_path(path):
    """'a/./b/' -> 'a/b'; None or '' -> ''; None back for a path that climbs out ('..')."""
    if path is None:
        return ""
    parts = [p for p in str(os.fspath(path)).replace(os.sep, "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts)


def _join(prefix, name):
    return prefix + "/" + name if prefix else name


def _walk(folder, prefix):
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.isfile(full):
                rel = os.path.relpath(full, folder).replace(os.sep, "/")
                files.append((full, _join(prefix, rel)))
    return files


def _upload(files):
    c = client()
    if c.online:
        c.add_artifacts(files)
    else:
        for local, remote in files:
            _offline("artifact %s -> %s" % (local, remote))


@_never_raises
def log_artifact(local_path, artifact_path=None):
    """Uploads a file, or a folder recursively, as <artifact_path>/<its name>[/...]."""
    prefix = clean_artifact_path(artifact_path)
    if prefix is None:
        return _warn_once(("path", artifact_path), "cairn: artifact path %r leaves the run's folder; ignored" % (artifact_path,))
    local = os.fspath(local_path)
    if os.path.isdir(local):
        _upload(_walk(local, _join(prefix, os.path.basename(os.path.abspath(local)))))
    elif os.path.isfile(local):
        _upload([(local, _join(prefix, os.path.basename(local)))])
    else:
        eprint("cairn: log_artifact: no such file or folder: %s" % local)


@_never_raises
def log_artifacts(local_dir, artifact_path=None):
    """Uploads the contents of a folder under artifact_path (MLflow's log_artifacts)."""
    prefix = clean_artifact_path(artifact_path)
    if prefix is None:
        return _warn_once(("path", artifact_path), "cairn: artifact path %r leaves the run's folder; ignored" % (artifact_path,))
    local = os.fspath(local_dir)
    if not os.path.isdir(local):
        return eprint("cairn: log_artifacts: not a folder: %s" % local)
    _upload(_walk(local, prefix))


def log_file_as(local_path, artifact_file):
    path = clean_artifact_path(artifact_file)
    local = os.fspath(local_path)
    if not path:
        return eprint("cairn: upload_file: invalid artifact file name %r; ignored" % (artifact_file,))
    if not os.path.isfile(local):
        return eprint("cairn: upload_file: no such file: %s" % local)
    _upload([(local, path)])


def log_bytes(data, artifact_file, label):
    path = clean_artifact_path(artifact_file)
    if not path:
        return eprint("cairn: %s: invalid artifact file name %r; ignored" % (label, artifact_file))
    c = client()
    if c.online:
        c.add_data(path, bytes(data))
    else:
        _offline("%s -> %s (%d bytes)" % (label, path, len(data)))


@_never_raises
def log_text(text, artifact_file):
    """Uploads a string (UTF-8) as the artifact file artifact_file, e.g. 'notes/summary.txt'."""
    data = text if isinstance(text, (bytes, bytearray)) else str(text).encode("utf-8")
    log_bytes(data, artifact_file, "text")


@functools.partial(_never_raises, fallback=False)
def flush(timeout=None):
    """Waits until everything queued before the call has been handled by the server.

    True when nothing queued before the call is still waiting: each entry was accepted, or refused
    for good (a 4xx, already reported on stderr). False when `timeout` seconds (default
    CAIRN_FLUSH_TIMEOUT, 10) passed first; the entries stay queued and are still retried."""
    c = client()
    if not c.online:
        return True
    if timeout is None:
        timeout = c.cfg.flush_timeout
    return c.flush(float(timeout))


def _at_exit():
    c = _client
    if c is None or c is _OFFLINE or c.pid != os.getpid():
        return
    timeout = c.cfg.flush_timeout
    try:
        ok = c.flush(timeout)
    except KeyboardInterrupt:
        ok = False
    if not ok:
        eprint("cairn: gave up after %gs: %d entries not delivered to %s (%s)"
               % (timeout, c.pending(), c.cfg.tracking_uri, c.last_error or "the server did not answer in time"))
    if c.dropped:
        eprint("cairn: %d entries were dropped because %d were already waiting to be sent (CAIRN_MAX_BUFFER)"
               % (c.dropped, c.cfg.max_buffer))
    c.close()


atexit.register(_at_exit)
