"""Uploads, with the CLI's protocol (src/sdk/upload.ts): a snapshot the server has already costs
one request; otherwise it is asked which contents it lacks, only those are sent (PUT
blobs/<sha256>), then the manifest. Data inputs and asset paths go the same way (a file as a
one-file snapshot); an environment's build folder as a code folder, its ignore files applying.
"""

import hashlib
import json
import os
import stat
import threading
import warnings

from ._errors import NotFound
from ._http import q
from ._snapshot import build_snapshot, sha256_file

PARALLEL_UPLOADS = 4


class CairnWarning(UserWarning):
    """What the CLI prints as `warning: ...` (a big snapshot, a symlink that will dangle, ...)."""


class Uploader(object):
    def __init__(self, http, ws_path):
        self.http = http
        self.ws = ws_path
        # What this client sent, for callers and tests: blobs and their bytes.
        self.blobs_sent = 0
        self.bytes_sent = 0
        self._lock = threading.Lock()

    def _limits(self):
        env = os.environ
        mb, mf = env.get("CAIRN_SNAPSHOT_MAX_BYTES"), env.get("CAIRN_SNAPSHOT_MAX_FILES")
        return (int(mb) if mb else None), (int(mf) if mf else None)

    def folder(self, path, data=False):
        """Uploads what the server lacks of a folder; returns the snapshot id."""
        max_bytes, max_files = self._limits()
        snap = build_snapshot(path, data=data, max_bytes=max_bytes, max_files=max_files)
        for w in snap.warnings:
            warnings.warn(w, CairnWarning, stacklevel=4)
        body = snap.canonical_json().encode("utf-8")
        sid = hashlib.sha256(body).hexdigest()
        try:
            self.http.json("GET", "%s/snapshots/%s" % (self.ws, sid))
            return sid
        except NotFound:
            pass
        self._missing([(e["sha256"], os.path.join(snap.root, e["path"]), e["size"]) for e in snap.entries if "link" not in e])
        _, _, raw = self.http.request("POST", self.ws + "/snapshots", body, {"content-type": "application/json"})
        return json.loads(raw.decode("utf-8"))["id"]

    def data(self, path):
        """A local data path as content the server keeps: {snapshot_id} for a folder, {snapshot_id, file} for a file."""
        abs_path = os.path.abspath(path)
        st = os.stat(abs_path)
        if stat.S_ISDIR(st.st_mode):
            return {"snapshot_id": self.folder(abs_path, data=True)}
        sha, size = sha256_file(abs_path)
        self._missing([(sha, abs_path, size)])
        name = os.path.basename(abs_path)
        snap = self.http.json("POST", self.ws + "/snapshots", {"entries": [{"path": name, "mode": st.st_mode & 0o777, "size": size, "sha256": sha}]})
        return {"snapshot_id": snap["id"], "file": name}

    def _missing(self, files):
        """Asks which contents the server lacks and sends each once."""
        if not files:
            return
        shas = sorted(set(f[0] for f in files))
        missing = set(self.http.json("POST", self.ws + "/blobs/missing", {"sha256": shas})["missing"])
        todo = []
        for sha, path, size in files:
            if sha in missing:
                missing.discard(sha)
                todo.append((sha, path, size))
        if len(todo) <= 2:
            for t in todo:
                self._put(*t)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=PARALLEL_UPLOADS) as pool:
            for f in [pool.submit(self._put, *t) for t in todo]:
                f.result()

    def _put(self, sha, path, size):
        # The file goes as it is read (a data file may be bigger than memory); the server checks the hash.
        with open(path, "rb") as f:
            self.http.request("PUT", "%s/blobs/%s" % (self.ws, q(sha)), f, {"content-type": "application/octet-stream", "content-length": str(size)})
        with self._lock:
            self.blobs_sent += 1
            self.bytes_sent += size
