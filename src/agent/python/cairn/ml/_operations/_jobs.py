"""ml_client.jobs: create_or_update, get, list, stream, begin_cancel, download, show_services."""

import os
import shutil
import sys
import tempfile

from cairn.client import CairnError

from .._poller import LROPoller
from .._util import refuse_unknown, unsupported
from ..constants import ListViewType
from ..entities._job import CommandJob, Job, studio_url

TERMINAL = ("Completed", "Failed", "Canceled")


class JobException(CairnError):
    """jobs.stream of a job that ended Failed (Azure's JobException): code JobFailed, the job's reason."""


class JobOperations(object):
    def __init__(self, ml):
        self._ml = ml
        self._c = ml._client

    def _job(self, wire):
        return CommandJob._from_wire(wire, self._c.url)

    def create_or_update(self, job, *, description=None, compute=None, tags=None, experiment_name=None, skip_validation=False, **kwargs):
        """Submits a command job (from command(...) or load_job) and answers it as the server made
        it: a CommandJob with its name, status Queued and studio_url. The code folder, local data
        inputs and an inline environment's build folder are uploaded first (only what the server
        lacks); a refusal (unknown compute, bad field) raises before anything is created."""
        kwargs.pop("polling", None)
        refuse_unknown("jobs.create_or_update", kwargs)
        if not isinstance(job, CommandJob):
            what = type(job).__name__
            raise unsupported("jobs.create_or_update(%s)" % what, "Cairn runs command jobs; sweep and pipeline jobs are not supported yet")
        spec = job._to_spec()
        if description is not None:
            spec["description"] = description
        if compute is not None:
            spec["compute"] = compute
        if tags:
            spec["tags"] = dict(spec.get("tags") or {}, **tags)
        if experiment_name is not None:
            spec["experiment_name"] = experiment_name
        return self._job(self._c.jobs.create(spec))

    def get(self, name):
        """The job; NotFound (a LookupError) with the server's message when there is none."""
        if not isinstance(name, str):
            raise unsupported("jobs.get(%r)" % (name,), "give the job's name")
        return self._job(self._c.jobs.get(name))

    def list(self, *, parent_job_name=None, list_view_type=ListViewType.ACTIVE_ONLY, **kwargs):
        """Jobs newest first (all of them, as Azure pages through all; max_results to stop sooner).
        Cairn's filters as `cairn job list`: status, experiment_name, compute, tags, search."""
        if parent_job_name is not None:
            raise unsupported("jobs.list(parent_job_name=...)", "child jobs belong to sweep and pipeline jobs, which Cairn has not yet")
        if list_view_type == ListViewType.ARCHIVED_ONLY:
            return []  # Cairn never archives jobs
        kwargs.pop("schedule_defined", None)
        refuse_unknown("jobs.list", kwargs, ("max_results", "status", "experiment_name", "compute", "tags", "search"))
        if "max_results" not in kwargs:
            kwargs["all"] = True
        return [self._job(j) for j in self._c.jobs.list(**kwargs)]

    def stream(self, name, *, out=None):
        """Prints the job's output as it comes until the job ends, framed as azure-ai-ml frames it;
        raises JobException when it ends Failed. `out`: where to print (Cairn's; default stdout)."""
        out = out or sys.stdout
        url = studio_url(self._c.url, name)
        out.write("RunId: %s\nWeb View: %s\n\nStreaming logs/std_log.txt\n==========================\n\n" % (name, url))
        out.flush()
        final = self._c.jobs.stream(name, out=out)
        out.write("\nExecution Summary\n=================\nRunId: %s\nWeb View: %s\n\n" % (name, url))
        out.flush()
        if final.get("status") == "Failed":
            raise JobException("JobFailed", "job '%s' ended Failed: %s" % (name, final.get("status_reason") or "see its logs"), 0)

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
        all=True, both). Every file is checked against its sha256."""
        root = os.path.abspath(os.fspath(download_path))
        os.makedirs(root, exist_ok=True)
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
            _move_tree(got, os.path.join(root, "artifacts"))
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
