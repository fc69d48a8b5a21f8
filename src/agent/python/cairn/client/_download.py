"""Downloads: a job's files (the layout of `cairn job download`, src/cli/download.ts) and asset content."""

import hashlib
import os

from ._errors import CairnError, PathEscapesRoot

_CHUNK = 1 << 20


def safe_join(root, rel):
    """root/rel for a relative POSIX path from the server, refused when it would leave root."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise PathEscapesRoot("PathEscapesRoot", "path '%s' is not a plain relative path" % rel, 400)
    return os.path.join(root, *parts)


def fetch_to(http, path, query, dest, sha256=None):
    """Streams one file to `dest` through a temporary name; with `sha256`, checked before it takes its name."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    part = dest + ".cairn-partial"
    h = hashlib.sha256()
    n = 0
    res = http.open("GET", path, query=query)
    try:
        with open(part, "wb") as f:
            while True:
                chunk = res.read(_CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
                f.write(chunk)
        if sha256 is not None and h.hexdigest() != sha256:
            raise CairnError("Internal", "'%s' arrived damaged: sha256 %s, expected %s" % (os.path.basename(dest), h.hexdigest(), sha256), 500)
        os.replace(part, dest)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    finally:
        res.close()
        res._cairn_conn.close()
    return n


def log_files(lines):
    """logs/std_log.txt (both streams in order), stdout.txt, stderr.txt; logs/attempt-N/ when it ran more than once."""

    def three(prefix, ls):
        def text(keep):
            return "".join(l["text"] + "\n" for l in ls if keep(l))

        return [
            (prefix + "/std_log.txt", text(lambda l: True)),
            (prefix + "/stdout.txt", text(lambda l: l["stream"] == "stdout")),
            (prefix + "/stderr.txt", text(lambda l: l["stream"] == "stderr")),
        ]

    files = three("logs", lines)
    attempts = sorted(set(l["attempt"] for l in lines))
    if len(attempts) > 1:
        for a in attempts:
            files.extend(three("logs/attempt-%d" % a, [l for l in lines if l["attempt"] == a]))
    return files


def download_job(jobs, name, path, output_name, everything):
    job = jobs.get(name)
    root = os.path.join(os.path.abspath(path), job["name"])
    if job.get("type") == "pipeline":
        _download_pipeline(jobs, job, root, output_name)
        os.makedirs(root, exist_ok=True)
        return root
    # A pipeline step that was reused ran nothing: the job it was reused from holds its files.
    holder = (job.get("child") or {}).get("reused_from") or job["name"]
    arts = jobs.artifacts(holder)
    if output_name is not None:
        where = "outputs/" + output_name
        arts = [a for a in arts if a["path"] == where or a["path"].startswith(where + "/")]
        if not arts:
            raise CairnError("NotFound", "job '%s' has no output '%s' (yet: outputs are collected when it ends)" % (job["name"], output_name), 404)
    elif not everything:
        arts = [a for a in arts if a["path"].startswith("outputs/")]
    for a in arts:
        fetch_to(jobs._http, jobs._url(holder, "/artifacts/content"), {"path": a["path"]}, safe_join(root, a["path"]), a["sha256"])
    if output_name is None:
        taken = set(a["path"] for a in arts)
        for rel, text in log_files(jobs.logs(job["name"])):
            if rel in taken:
                continue  # the job logged an artifact there: it keeps the path, as the CLI does
            dest = safe_join(root, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text)
    os.makedirs(root, exist_ok=True)
    return root


def _download_pipeline(jobs, job, root, output_name):
    """A pipeline's files are its outputs, each read from the step output bound to it, into outputs/NAME."""
    outputs = (job.get("pipeline") or {}).get("outputs") or []
    if not outputs:
        raise CairnError("ValidationError", "pipeline '%s' declares no outputs; download a step's job instead" % job["name"], 400)
    want = [o for o in outputs if output_name is None or o["name"] == output_name]
    if not want:
        raise CairnError("NotFound", "pipeline '%s' has no output '%s' (it has: %s)" % (job["name"], output_name, ", ".join(o["name"] for o in outputs)), 404)
    for o in want:
        if not o.get("job_name"):
            if output_name is not None:
                raise CairnError("NotFound", "pipeline '%s' has not made output '%s' yet: step '%s' has not completed" % (job["name"], o["name"], o["step"]), 404)
            continue
        where = "outputs/" + o["output"]
        for a in jobs.artifacts(o["job_name"]):
            if a["path"] == where or a["path"].startswith(where + "/"):
                rel = "outputs/" + o["name"] + a["path"][len(where):]
                fetch_to(jobs._http, jobs._url(o["job_name"], "/artifacts/content"), {"path": a["path"]}, safe_join(root, rel), a["sha256"])


def download_asset(http, url, name, version, dest):
    """A data or model version's files into dest/<name>; returns that folder, or the file of a uri_file."""
    query = {"version": version} if version else None
    m = http.json("GET", url + "/manifest", query=query)
    root = os.path.join(os.path.abspath(dest), name)
    for e in m["entries"]:
        target = safe_join(root, e["path"])
        if "link" in e:
            continue
        qq = dict(query or {})
        qq["path"] = e["path"]
        fetch_to(http, url + "/content", qq, target, e["sha256"])
    os.makedirs(root, exist_ok=True)
    return os.path.join(root, m["file"]) if m.get("file") else root

