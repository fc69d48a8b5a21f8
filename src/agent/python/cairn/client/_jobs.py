"""Jobs: create (from an Azure ML v2 job file or a dict), get, list, cancel, logs, stream, wait,
download and metrics. Answers are the server's JSON objects as dicts, as `cairn job show -o json`.
"""

import os
import re
import sys
import warnings

from ._download import download_job
from ._files import parse_file, set_value
from ._git import read_git_facts
from ._http import q
from ._stream import follow
from ._upload import CairnWarning

TERMINAL = ("Completed", "Failed", "Canceled")


def experiment_of_folder(folder):
    """The experiment a folder's jobs go to by default (as `cairn job create` and az ml): its name."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(os.path.abspath(folder)))
    name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:255]
    return name or "Default"


class Jobs(object):
    def __init__(self, client):
        self._c = client
        self._http = client._http

    def _url(self, name="", rest=""):
        return "%s/jobs%s%s" % (self._c._ws, "/" + q(name) if name else "", rest)

    def create(self, spec_or_path, code=None, name=None, compute=None, experiment_name=None, sets=None, display_name=None, force_rerun=False):
        """Submits a command, sweep or pipeline job and returns it (a command job Queued, a sweep
        or a pipeline Running).

        `spec_or_path`: a job YAML file, or a dict of its fields (`code`, a conda file or a build
        folder relative to the current folder). `code`, `name`, `compute`, `experiment_name` and
        `display_name` override the file's fields; `sets` are `a.b=value` overrides as `--set`.
        The code folder, local data inputs and an inline environment's build folder are uploaded
        first (only what the server lacks); nothing is created when anything is refused. A sweep
        (`type: sweep`) has its code and environment under `trial` (`code=` goes there for a dict;
        for a file, give `sets=["trial.code=..."]`); its warnings are warned as CairnWarning.
        A pipeline (`type: pipeline`) uploads each step's code folder (a component file's too) and
        its local inputs; `force_rerun` runs every step, reusing none (as `--force-rerun`).
        """
        over = {"name": name, "compute": compute, "experiment_name": experiment_name, "display_name": display_name}
        if isinstance(spec_or_path, dict):
            spec = dict(spec_or_path)
            if code is not None:
                if spec.get("type") == "sweep":  # a sweep's code is its trials'
                    spec["trial"] = dict(spec.get("trial") or {}, code=os.fspath(code))
                else:
                    spec["code"] = os.fspath(code)
            for k, v in over.items():
                if v is not None:
                    spec[k] = v
            parsed = parse_file(self._http, self._c._ws, "job", spec=spec, sets=sets)
        else:
            more = [set_value(k, v) for k, v in over.items() if v is not None]
            if code is not None:
                more.append(set_value("code", os.path.abspath(os.fspath(code))))
            parsed = parse_file(self._http, self._c._ws, "job", path=spec_or_path, sets=list(sets or []) + more)
        return self.submit(parsed, force_rerun=force_rerun)

    def submit(self, parsed, force_rerun=False):
        """Uploads what a parsed job needs and creates it (for callers that parsed already)."""
        spec = parsed["spec"]
        if not spec.get("experiment_name"):
            spec["experiment_name"] = experiment_of_folder(os.getcwd())
        up = self._c._uploader
        body = {"spec": spec}
        if spec.get("type") == "pipeline":
            self._pipeline_uploads(parsed, body, force_rerun)
        code_dir = parsed.get("code_dir")
        if code_dir:
            git = read_git_facts(code_dir)
            body["snapshot_id"] = up.folder(code_dir)
            body["code_folder_name"] = os.path.basename(code_dir.rstrip("/")) or code_dir
            if git:
                body["git"] = git
        # A sweep's environment is its trials': spec.trial.environment.
        holder = spec.get("trial") if spec.get("type") == "sweep" and isinstance(spec.get("trial"), dict) else spec
        env = holder.get("environment")
        if isinstance(env, dict) and env.get("build") and parsed.get("build_dir"):
            env["build"]["snapshot_id"] = up.folder(parsed["build_dir"])
        inputs = parsed.get("input_paths") or {}
        if inputs:
            body["input_uploads"] = dict((k, up.data(p)) for k, p in sorted(inputs.items()))
        job = self._http.json("POST", self._url(), body)
        said = list((job.get("environment_details") or {}).get("warnings") or [])
        said += [w for w in ((job.get("sweep") or {}).get("warnings") or []) if w not in said]
        for w in said:
            warnings.warn(w, CairnWarning, stacklevel=3)
        return job

    def _pipeline_uploads(self, parsed, body, force_rerun):
        """A pipeline's steps' code folders (a component file's too) and inline environments' build
        folders, uploaded as the CLI uploads them; git facts from the first step's code."""
        up = self._c._uploader
        spec = body["spec"]
        code = parsed.get("step_code_dirs") or {}
        body["step_code"] = {}
        for step, folder in sorted(code.items()):
            body["step_code"][step] = {"snapshot_id": up.folder(folder), "code_folder_name": os.path.basename(folder.rstrip("/")) or folder}
        if code:
            git = read_git_facts(code[sorted(code)[0]])
            if git:
                body["git"] = git
        for step, folder in sorted((parsed.get("step_build_dirs") or {}).items()):
            s = spec["jobs"][step]
            holder = s["component"] if isinstance(s.get("component"), dict) else s["trial"] if isinstance(s.get("trial"), dict) else s
            holder["environment"]["build"]["snapshot_id"] = up.folder(folder)
        if force_rerun:
            body["force_rerun"] = True

    def get(self, name):
        return self._http.json("GET", self._url(name))

    def list(self, **filters):
        """Newest first. Filters as `cairn job list`: all, status (a name or a list), experiment_name,
        compute, max_results, search, tags ({key: value} or "k=v,k2"), parent (a sweep's or a
        pipeline's name: its trials or steps, which other lists leave out)."""
        query = dict(filters)
        st = query.get("status")
        if isinstance(st, (list, tuple)):
            query["status"] = ",".join(st)
        tags = query.get("tags")
        if isinstance(tags, dict):
            query["tags"] = ",".join(k if v is None else "%s=%s" % (k, v) for k, v in tags.items())
        if isinstance(query.get("compute"), str):
            query["compute"] = re.sub(r"^azureml:", "", query["compute"])
        return self._http.json("GET", self._url(), query=query)

    def cancel(self, name):
        return self._http.json("POST", self._url(name, "/cancel"))

    def logs(self, name, after=0):
        """Every stored log line after `after` (a line's `seq`): dicts with seq, attempt, rank, stream, ts, text."""
        out = []
        while True:
            page = self._http.json("GET", self._url(name, "/logs"), query={"after": after})
            out.extend(page["lines"])
            if not page["lines"]:
                return out
            after = page["next"]

    def stream(self, name, out=sys.stdout, after=0, on_line=None, on_status=None, timeout=None):
        """Prints the job's log lines (text only) to `out` as they come until it ends; returns the final job.
        Reconnects by itself when the connection drops (a restarting server)."""
        write = None
        if out is not None:
            def write(line):
                out.write(line["text"] + "\n")
                out.flush()
        return follow(self._http, self._url(name, "/stream"), after, write, on_line, on_status, timeout)

    def wait_for_completion(self, name, show_output=False, timeout=None, out=None):
        """Azure ML's `run.wait_for_completion`: the final job; with show_output its lines are printed.
        Raises Timeout past `timeout` seconds (the job keeps running)."""
        return self.stream(name, out=(out or sys.stdout) if show_output else None, timeout=timeout)

    def download(self, name, path=".", output_name=None, all=False):
        """Writes the job's files into `path/<job name>/` and returns that folder. Default: `outputs/`
        and the logs (logs/std_log.txt, stdout.txt, stderr.txt); `all`: every artifact too;
        `output_name`: only that named output (outputs/<name>). Each file is checked against its sha256."""
        return download_job(self, name, path, output_name, all)

    def artifacts(self, name):
        return self._http.json("GET", self._url(name, "/artifacts"))

    def tracking(self, name):
        """The job's MLflow run: run_id, experiment_id, params, tags and each metric's last value."""
        return self._http.json("GET", self._url(name, "/metrics"))

    def metrics(self, name):
        """Every metric's whole series in logging order: {key: [{value, step, timestamp}, ...]}."""
        out = {}
        for key in sorted(self.tracking(name)["metrics"]):
            points = []
            start = 0
            while start is not None:
                page = self._http.json("GET", self._url(name, "/metrics/" + q(key)), query={"start": start, "max_points": 25000})
                for v, s, t in zip(page["values"], page["steps"], page["timestamps"]):
                    points.append({"value": float(v), "step": s, "timestamp": t})
                nxt = page.get("next_start")
                if nxt is not None and nxt <= start:
                    break
                start = nxt
            out[key] = points
        return out

