"""The ordered in-memory queue and its background sender thread (one per process).

Queue entries, oldest first:
  ("m", key, value, timestamp_ms, step)   metric
  ("p", key, value)                       param
  ("t", key, value)                       tag
  ("a", remote_path, local_path, data, is_temp_copy)   artifact (local_path or data bytes)
Only the sender removes entries, always from the head, so `done` (entries removed so far) and
`enqueued` (entries accepted so far) are positions in one sequence and flush() waits for `done`
to pass the `enqueued` it saw.
"""

import collections
import itertools
import json
import math
import mimetypes
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

from ._config import eprint
from ._transport import Result, Transport

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ENTITIES = 1000
BACKOFF_START = 0.5
BACKOFF_CAP = 30.0
FLUSH_RETRY_CAP = 1.0  # while someone waits in flush(), retry at least this often
SNAPSHOT_MAX_BYTES = 256 * 1024 * 1024  # log_artifact copies up to this much at call time
MAX_REFUSAL_MESSAGES = 20
BATCH_PATH = "/api/2.0/mlflow/runs/log-batch"


def wire_float(value):
    """MLflow's JSON for doubles: finite numbers as numbers, the rest as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _quote_path(path):
    return "/".join(urllib.parse.quote(seg, safe="") for seg in path.split("/"))


class Client(object):
    online = True

    def __init__(self, cfg):
        self.cfg = cfg
        self.pid = os.getpid()
        self.transport = Transport(cfg)
        self.cond = threading.Condition(threading.Lock())
        self.q = collections.deque()
        self.enqueued = 0
        self.done = 0
        self.delivered = 0
        self.refused = 0
        self.dropped = 0
        self.flush_waiters = 0
        self.split_limit = None  # while isolating the entry a 400 was about: (batch size, up to position)
        self.params = {}  # key -> value already queued, so identical re-logs are skipped
        self.experiment_id = cfg.experiment_id
        self.failures = 0
        self.last_error = None
        self.outage_reported = False
        self.refusal_messages = set()
        self.refusals_hidden = False
        self.crash_reported = False
        self.spool = None
        self.spool_count = 0
        self.thread = None
        self._start_thread()

    # ---- producer side (the training code's threads) -------------------------------------

    def add(self, entries):
        """Appends entries unless the buffer is full; returns how many were accepted."""
        first_drop = False
        with self.cond:
            room = self.cfg.max_buffer - len(self.q)
            take = entries if room >= len(entries) else entries[:max(room, 0)]
            before = len(self.q)
            self.q.extend(take)
            self.enqueued += len(take)
            if len(take) < len(entries):
                first_drop = self.dropped == 0
                self.dropped += len(entries) - len(take)
            if before < MAX_ENTITIES <= len(self.q):
                self.cond.notify()
        if first_drop:
            eprint("cairn: %d entries are waiting to be sent (the limit, CAIRN_MAX_BUFFER); dropping new ones "
                   "until the server catches up; the total dropped is printed at exit" % self.cfg.max_buffer)
        if self.thread is None or not self.thread.is_alive():
            self._start_thread()
        return len(take)

    def add_param(self, key, value):
        with self.cond:
            if self.params.get(key) == value:
                return
        if self.add([("p", key, value)]):
            with self.cond:
                self.params.setdefault(key, value)

    def add_artifacts(self, files):
        """files: [(local_path, remote_path)]; copies them aside first when small enough."""
        total = 0
        for local, _ in files:
            try:
                total += os.path.getsize(local)
            except OSError:
                pass
        entries = []
        for local, remote in files:
            copy = self._snapshot(local) if total <= SNAPSHOT_MAX_BYTES else None
            entries.append(("a", remote, copy or local, None, copy is not None))
        accepted = self.add(entries)
        for entry in entries[accepted:]:
            self._discard(entry)

    def add_data(self, remote, data):
        self.add([("a", remote, None, data, False)])

    def _snapshot(self, local):
        try:
            with self.cond:
                if self.spool is None:
                    self.spool = tempfile.mkdtemp(prefix="cairn-artifacts-")
                self.spool_count += 1
                target = os.path.join(self.spool, str(self.spool_count))
            shutil.copyfile(local, target)
            return target
        except Exception:
            return None  # upload it from where it is

    # ---- flush / exit ---------------------------------------------------------------------

    def pending(self):
        with self.cond:
            return self.enqueued - self.done

    def flush(self, timeout):
        deadline = time.monotonic() + max(0.0, timeout)
        with self.cond:
            target = self.enqueued
            if self.done >= target:
                return True
            self.flush_waiters += 1
            self.cond.notify_all()
        try:
            if self.thread is None or not self.thread.is_alive():
                self._start_thread()
            if self.thread is None or not self.thread.is_alive():
                return self._pump(target, deadline)  # no thread can be started (interpreter exit)
            with self.cond:
                while self.done < target:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self.cond.wait(left)
                return True
        finally:
            with self.cond:
                self.flush_waiters -= 1

    def _pump(self, target, deadline):
        while True:
            with self.cond:
                if self.done >= target:
                    return True
            if time.monotonic() >= deadline:
                return False
            delay = self._step()
            if isinstance(delay, float):
                time.sleep(max(0.0, min(delay, FLUSH_RETRY_CAP, deadline - time.monotonic())))

    def close(self):
        spool, self.spool = self.spool, None
        if spool:
            shutil.rmtree(spool, ignore_errors=True)

    # ---- the sender -----------------------------------------------------------------------

    def _start_thread(self):
        try:
            thread = threading.Thread(target=self._loop, name="cairn-sender", daemon=True)
            thread.start()
            self.thread = thread
        except Exception:
            self.thread = None

    def _loop(self):
        while True:
            try:
                self._cycle()
            except Exception as err:  # never let the thread die; keep the data and try later
                if not self.crash_reported:
                    self.crash_reported = True
                    eprint("cairn: internal error in the sender (%s: %s); retrying" % (type(err).__name__, err))
                time.sleep(1.0)

    def _cycle(self):
        with self.cond:
            deadline = time.monotonic() + self.cfg.send_interval
            while len(self.q) < MAX_ENTITIES and self.flush_waiters == 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
        first = True
        while True:
            with self.cond:
                if not self.q:
                    return
                due = (first or len(self.q) >= MAX_ENTITIES or self.flush_waiters > 0
                       or self.split_limit is not None or self.q[0][0] == "a")
            if not due:
                return
            result = self._step()
            first = False
            if isinstance(result, float):
                self._backoff(result)
                first = True

    def _backoff(self, delay):
        start = time.monotonic()
        with self.cond:
            while True:
                wait = min(delay, FLUSH_RETRY_CAP) if self.flush_waiters else delay
                left = start + wait - time.monotonic()
                if left <= 0:
                    return
                self.cond.wait(left)

    def _step(self):
        """Sends the head of the queue once: None when empty, True after progress, else a delay."""
        with self.cond:
            if not self.q:
                return None
            limit = MAX_ENTITIES
            if self.split_limit is not None:
                size, end = self.split_limit
                if self.done < end:
                    limit = min(size, end - self.done)
                else:
                    self.split_limit = None
            head = list(itertools.islice(self.q, 0, limit))
        if head[0][0] == "a":
            count, result = 1, self._upload(head[0])
        else:
            count, body = self._batch(head)
            result = self.transport.request("POST", BATCH_PATH, body, {"Content-Type": "application/json"})
        if result.ok:
            if self.outage_reported:
                eprint("cairn: the tracking server answers again; sending what was waiting")
            self.failures, self.last_error, self.outage_reported = 0, None, False
            self._complete(count, True)
            return True
        if result.retry:
            self.failures += 1
            self.last_error = result.describe()
            if not self.outage_reported:
                self.outage_reported = True
                eprint("cairn: cannot deliver to %s (%s); retrying in the background"
                       % (self.cfg.tracking_uri, self.last_error))
            base = min(BACKOFF_CAP, BACKOFF_START * (2 ** min(self.failures - 1, 16)))
            delay = base * (0.5 + 0.5 * random.random())
            if result.retry_after is not None:
                delay = min(BACKOFF_CAP, max(delay, result.retry_after))
            return float(delay)
        if count > 1 and result.status in (400, 413):
            # One bad entry (a changed param, an invalid key) fails the whole request: halve the
            # batch until the culprit is alone, so everything else still gets delivered.
            with self.cond:
                self.split_limit = ((count + 1) // 2, self.done + count)
            return True
        self._refusal(head[:count], result)
        self._complete(count, False)
        return True

    def _batch(self, head):
        metrics, params, tags = [], [], []
        param_keys, tag_keys = set(), set()
        count = 0
        for entry in head:
            kind = entry[0]
            if kind == "m":
                if len(metrics) >= MAX_METRICS:
                    break
                metrics.append({"key": entry[1], "value": wire_float(entry[2]), "timestamp": entry[3], "step": entry[4]})
            elif kind == "p":
                if len(params) >= MAX_PARAMS or entry[1] in param_keys:
                    break  # MLflow refuses a batch that names a param twice
                param_keys.add(entry[1])
                params.append({"key": entry[1], "value": entry[2]})
            elif kind == "t":
                if len(tags) >= MAX_TAGS or entry[1] in tag_keys:
                    break
                tag_keys.add(entry[1])
                tags.append({"key": entry[1], "value": entry[2]})
            else:
                break
            count += 1
        payload = {"run_id": self.cfg.run_id, "metrics": metrics, "params": params, "tags": tags}
        return count, json.dumps(payload, allow_nan=False).encode("utf-8")

    def _upload(self, entry):
        _, remote, local, data, _ = entry
        if self.experiment_id is None:
            result = self.transport.request("GET", "/api/2.0/mlflow/runs/get?run_id=" + urllib.parse.quote(self.cfg.run_id, safe=""))
            if not result.ok:
                return result
            try:
                self.experiment_id = str(result.json()["run"]["info"]["experiment_id"])
            except Exception:
                return Result(message="runs/get did not name the run's experiment")
        path = "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/%s" % (
            urllib.parse.quote(self.experiment_id, safe=""), urllib.parse.quote(self.cfg.run_id, safe=""), _quote_path(remote))
        headers = {"Content-Type": mimetypes.guess_type(remote)[0] or "application/octet-stream"}
        if data is not None:
            return self.transport.request("PUT", path, data, headers, timeout=60.0)
        try:
            handle = open(local, "rb")
        except OSError as err:
            return Result(message="cannot read %s: %s" % (local, err))
        try:
            headers["Content-Length"] = str(os.fstat(handle.fileno()).st_size)
            return self.transport.request("PUT", path, handle, headers, timeout=60.0)
        finally:
            handle.close()

    def _refusal(self, entries, result):
        if len(entries) == 1:
            e = entries[0]
            what = {"m": "metric", "p": "param", "t": "tag", "a": "artifact"}[e[0]] + " %r" % e[1]
        else:
            what = "%d entries" % len(entries)
        message = result.message or result.describe()
        with self.cond:
            self.refused += len(entries)
            if message in self.refusal_messages:
                return
            if len(self.refusal_messages) >= MAX_REFUSAL_MESSAGES:
                if self.refusals_hidden:
                    return
                self.refusals_hidden = True
                line = "cairn: the server refused more entries; further messages are not shown"
            else:
                self.refusal_messages.add(message)
                detail = ""
                if result.status:
                    detail = " (HTTP %d%s)" % (result.status, " " + result.error_code if result.error_code else "")
                verb = "server refused" if result.status else "could not send"
                line = "cairn: %s %s%s: %s" % (verb, what, detail, message)
        eprint(line)

    def _complete(self, count, delivered):
        removed = []
        with self.cond:
            for _ in range(count):
                removed.append(self.q.popleft())
            self.done += count
            if delivered:
                self.delivered += count
            self.cond.notify_all()
        for entry in removed:
            self._discard(entry)

    def _discard(self, entry):
        if entry[0] == "a" and entry[4]:
            try:
                os.remove(entry[2])
            except OSError:
                pass

