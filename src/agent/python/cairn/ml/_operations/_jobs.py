"""ml_client.jobs: create_or_update, get, list, stream, begin_cancel, download, show_services (command, sweep and pipeline jobs)."""

import os
import re
import shutil
import sys
import tempfile
import time

from cairn.client import CairnError, NotFound, ServerUnreachable
from cairn.client._files import parse_file

from .._poller import LROPoller
from .._util import refuse_unknown, unsupported
from ..constants import ListViewType
from ..entities._job import CommandJob, Job, studio_url
from ..entities._pipeline import PipelineJob
from ..entities._sweep import SweepJob

TERMINAL = ("Completed", "Failed", "Canceled")
SWEEP_POLL_SECONDS = 0.5


class JobException(CairnError):
    """jobs.stream of a job that ended Failed (Azure's JobException): code JobFailed, the job's reason."""


class JobOperations(object):
    def __init__(self, ml):
        self._ml = ml
        self._c = ml._client

    def _job(self, wire):
        if wire.get("type") == "sweep":
            return SweepJob._from_wire(wire, self._c.url)
        if wire.get("type") == "pipeline":
            return PipelineJob._from_wire(wire, self._c.url)
        return CommandJob._from_wire(wire, self._c.url)

    def create_or_update(self, job, *, description=None, compute=None, tags=None, experiment_name=None, skip_validation=False, **kwargs):
        """Submits a command job (from command(...) or load_job) or a sweep (from
        command(...)(x=Uniform(...)).sweep(...), SweepJob(...) or load_job) and answers it as the
        server made it: a CommandJob (status Queued) or a SweepJob (status Running), with its name
        and studio_url. The code folder, local data inputs and an inline environment's build folder
        are uploaded first (only what the server lacks); a refusal (unknown compute, bad field, a
        search space the sampling algorithm cannot draw from) raises before anything is created.
        A sweep's warnings (a grid smaller than max_total_trials, ...) are warned as CairnWarning.
        A pipeline (a PipelineJob from load_job, or built from its steps' YAML fields) has each
        step's code folder uploaded, and answers as a PipelineJob (status Running) whose steps run
        as their inputs become ready; the whole graph is checked before anything is created."""
        kwargs.pop("polling", None)
        refuse_unknown("jobs.create_or_update", kwargs)
        if not isinstance(job, (CommandJob, SweepJob, PipelineJob)):
            what = type(job).__name__
            raise unsupported("jobs.create_or_update(%s)" % what, "Cairn runs command, sweep and pipeline jobs")
        spec = job._to_spec()
        if description is not None:
            spec["description"] = description
        if compute is not None:
            spec["compute"] = compute
        if tags:
            spec["tags"] = dict(spec.get("tags") or {}, **tags)
        if experiment_name is not None:
            spec["experiment_name"] = experiment_name
        if isinstance(job, PipelineJob):
            return self._job(self._c.jobs.submit(self._pipeline_parsed(job, spec)))
        return self._job(self._c.jobs.create(spec))

    def _pipeline_parsed(self, job, spec):
        """What submitting a pipeline uploads: what load_job found (its steps' code and build
        folders; its local inputs, wherever they point now), or the server's reading of the fields."""
        if job._loaded is None:
            return parse_file(self._c._http, self._c._ws, "job", spec=spec, base_dir=os.getcwd())
        local = dict((k, os.path.abspath(v["path"])) for k, v in (spec.get("inputs") or {}).items()
                     if isinstance(v, dict) and isinstance(v.get("path"), str) and not re.match(r"^(azureml:|https?://|runs:/)", v["path"].strip(), re.I))
        return dict(job._loaded, spec=spec, input_paths=local)

    def get(self, name):
        """The job; NotFound (a LookupError) with the server's message when there is none."""
        if not isinstance(name, str):
            raise unsupported("jobs.get(%r)" % (name,), "give the job's name")
        return self._job(self._c.jobs.get(name))

    def list(self, *, parent_job_name=None, list_view_type=ListViewType.ACTIVE_ONLY, **kwargs):
        """Jobs newest first (all of them, as Azure pages through all; max_results to stop sooner).
        Sweeps are listed, their trials are not: parent_job_name=SWEEP lists that sweep's trials
        (CommandJobs; NotFound when there is no such job, ValidationError for a command job).
        Cairn's filters as `cairn job list`: status, experiment_name, compute, tags, search."""
        if list_view_type == ListViewType.ARCHIVED_ONLY:
            return []  # Cairn never archives jobs
        kwargs.pop("schedule_defined", None)
        refuse_unknown("jobs.list", kwargs, ("max_results", "status", "experiment_name", "compute", "tags", "search"))
        if "max_results" not in kwargs:
            kwargs["all"] = True
        if parent_job_name is not None:
            kwargs["parent"] = parent_job_name
        return [self._job(j) for j in self._c.jobs.list(**kwargs)]

    def stream(self, name, *, out=None):
        """Prints the job's output as it comes until the job ends, framed as azure-ai-ml frames it;
        raises JobException when it ends Failed. `out`: where to print (Cairn's; default stdout).
        A sweep prints a line each time one of its trials changes status (its values, and the
        primary metric's last value once it ended), a pipeline each time one of its steps does
        (and whether it was reused); then how the sweep or pipeline ended."""
        out = out or sys.stdout
        url = studio_url(self._c.url, name)
        kind = self._c.jobs.get(name).get("type")
        log = {"sweep": "azureml-logs/hyperdrive.txt", "pipeline": "logs/azureml/executionlogs.txt"}.get(kind, "logs/std_log.txt")
        out.write("RunId: %s\nWeb View: %s\n\nStreaming %s\n%s\n\n" % (name, url, log, "=" * (10 + len(log))))
        out.flush()
        final = self._follow_children(name, out, kind) if kind in ("sweep", "pipeline") else self._c.jobs.stream(name, out=out)
        out.write("\nExecution Summary\n=================\nRunId: %s\nWeb View: %s\n\n" % (name, url))
        out.flush()
        if final.get("status") == "Failed":
            raise JobException("JobFailed", "job '%s' ended Failed: %s" % (name, final.get("status_reason") or "see its logs"), 0)

    def _follow_children(self, name, out, kind):
        """A sweep's or a pipeline's own progress, polled (neither has a log of its own): one line
        per trial or step status change, then its final status and reason. Rides out a restarting
        server as stream does."""
        seen = {}
        failures = 0
        while True:
            try:
                job = self._c.jobs.get(name)
                failures = 0
            except ServerUnreachable:
                failures += 1
                if failures > 60:
                    raise
                time.sleep(0.5)
                continue
            changes = _trial_lines(job) if kind == "sweep" else _step_lines(job)
            for key, status, line in changes:
                if seen.get(key) == status:
                    continue
                seen[key] = status
                out.write(line + "\n")
            out.flush()
            if job["status"] in TERMINAL:
                out.write("%s %s %s: %s\n" % (kind, name, job["status"], job.get("status_reason") or ""))
                out.flush()
                return job
            # The view lists every trial: a big sweep is looked at less often.
            time.sleep(SWEEP_POLL_SECONDS if len(changes) < 200 else 4 * SWEEP_POLL_SECONDS)

    def begin_cancel(self, name, **kwargs):
        """Asks the job to stop (CancelRequested); the poller follows it to Canceled (or to the end it
        reached first). A job that has ended already raises JobAlreadyFinished here."""
        kwargs.pop("polling", None)
        refuse_unknown("jobs.begin_cancel", kwargs)
        self._c.jobs.cancel(name)

        def check():
            status = self._c.jobs.get(name)["status"]
            return (status in TERMINAL), ("Succeeded" if status in TERMINAL else "InProgress"), None

        return LROPoller(check)

    def cancel(self, name):
        """Older azure-ai-ml's cancel: asks the job to stop and returns without waiting."""
        self._c.jobs.cancel(name)

    def download(self, name, *, download_path=".", output_name=None, all=False):
        """Azure's layout: the job's default artifacts (outputs/ and the logs) into
        download_path/artifacts/, a named output into download_path/named-outputs/NAME/ (with
        all=True, both). Every file is checked against its sha256.

        A sweep, as Azure's: its best trial's files as above (what output_name and all ask for), then,
        unless output_name was given, the sweep's own logs into download_path/hd-artifacts/. A sweep
        no trial of which has logged the primary metric yet has no best trial: then output_name
        raises NotFound, and only the sweep's own files come.

        A pipeline: its outputs (output_name: that one) into download_path/named-outputs/NAME/,
        each read from the step that made it (the job it was reused from, when it was reused)."""
        root = os.path.abspath(os.fspath(download_path))
        os.makedirs(root, exist_ok=True)
        job = self._c.jobs.get(name)
        if job.get("type") == "pipeline":
            outputs = [o["name"] for o in (job.get("pipeline") or {}).get("outputs") or [] if o.get("job_name")]
            for out in [output_name] if output_name is not None else outputs:
                self._download_into(name, root, None, out, False)
            return
        if job.get("type") == "sweep":
            best = (job.get("sweep") or {}).get("best")
            if best:
                self.download(best["name"], download_path=root, output_name=output_name, all=all)
            elif output_name is not None:
                raise NotFound("NotFound", "sweep '%s' has no best trial yet (no trial has logged %s), so no output '%s' to download" % (
                    name, ((job.get("sweep") or {}).get("objective") or {}).get("primary_metric", "its primary metric"), output_name), 404)
            if output_name is not None:
                return
            self._download_into(name, root, "hd-artifacts", None, False)
            return
        self._download_into(name, root, "artifacts", output_name, all)

    def _download_into(self, name, root, artifacts, output_name, all):
        tmp = tempfile.mkdtemp(prefix=".cairn-download-", dir=root)  # same file system: files move by rename
        try:
            got = self._c.jobs.download(name, tmp, output_name=output_name, all=all)
            if output_name is not None:
                _move_tree(os.path.join(got, "outputs", output_name), os.path.join(root, "named-outputs", output_name))
                return
            if all:
                for out in (self._c.jobs.get(name).get("outputs") or {}):
                    src = os.path.join(got, "outputs", out)
                    if os.path.isdir(src):
                        shutil.copytree(src, os.path.join(root, "named-outputs", out), dirs_exist_ok=True)
            _move_tree(got, os.path.join(root, artifacts))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def show_services(self, name, node_index=0):
        """{"Studio": JobService, "Tracking": JobService}: the job's page and MLflow's address."""
        return self.get(name).services

    def archive(self, name):
        raise unsupported("jobs.archive", "Cairn keeps every job in its history; filter lists with status or tags instead")

    def restore(self, name):
        raise unsupported("jobs.restore", "Cairn never archives jobs")

    def validate(self, job, **kwargs):
        raise unsupported("jobs.validate", "the server checks a job when it is submitted and creates nothing when it refuses it")


def _trial_lines(job):
    """A sweep's trials: (key, status, line), the line with its values and, once it ended, its primary metric."""
    view = job.get("sweep") or {}
    metric = (view.get("objective") or {}).get("primary_metric", "metric")
    lines = []
    for t in sorted(view.get("trials") or [], key=lambda t: t["index"]):
        params = ", ".join("%s=%s" % (k, v) for k, v in sorted(t["params"].items()))
        value = " %s=%s" % (metric, t["value"]) if t["status"] in TERMINAL and t.get("value") is not None else ""
        early = " (stopped early)" if t.get("stopped_early") else ""
        lines.append((t["name"], t["status"], "trial %s (%s): %s%s%s" % (t["name"], params, t["status"], early, value)))
    return lines


def _step_lines(job):
    """A pipeline's steps that have a job, or were skipped: (key, status, line), reuse and failures said."""
    lines = []
    for s in (job.get("pipeline") or {}).get("steps") or []:
        if s["status"] == "NotStarted":
            continue
        how = " (reused from %s)" % s["reused_from"] if s.get("reused_from") else ""
        why = ": %s" % s["status_reason"] if s.get("status_reason") and s["status"] in ("Failed", "Canceled", "Skipped") and not how else ""
        lines.append((s["name"], s["status"], "step %s (%s): %s%s%s" % (s["name"], s.get("job_name") or "-", s["status"], how, why)))
    return lines


def _move_tree(src, dst):
    """Moves every file under src to the same place under dst (files already there are replaced)."""
    if not os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
        return
    for folder, _, files in os.walk(src):
        target = os.path.join(dst, os.path.relpath(folder, src))
        os.makedirs(target, exist_ok=True)
        for f in files:
            os.replace(os.path.join(folder, f), os.path.join(target, f))


__all__ = ["JobOperations", "JobException", "Job"]
