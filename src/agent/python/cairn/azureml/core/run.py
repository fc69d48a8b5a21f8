"""azureml.core.Run: a submitted run is a Cairn job (its name is the run id, as in Azure ML).

Inside a job, ``Run.get_context()`` is the in-job run of the ``cairn`` module (``run.log(...)``
sends metrics with the job's own token). From outside, a Run follows the job: statuses are the
server's (Queued, Preparing, Running, Finalizing, Completed, Failed, Canceled...), metrics and
files are the job's, and the studio shows the same job at ``get_portal_url()``.
"""

import json
import os
import shutil
import sys
import tempfile

from ..exceptions import ActivityFailedException, UserErrorException

__all__ = ["Run"]

_TERMINAL = ("Completed", "Failed", "Canceled")


class Run(object):
    def __init__(self, experiment, run_id, outputs=None, **kwargs):
        self.experiment = experiment
        self._client = experiment.workspace._client
        self._job = kwargs.get("_job") or self._client.jobs.get(run_id)
        self.id = self._job["name"]

    # -- finding runs ------------------------------------------------------------------------

    @staticmethod
    def get_context(allow_offline=True, used_for_context_manager=False, **kwargs):
        """The run of the job this process is (the cairn module's; an offline run that prints elsewhere)."""
        import cairn

        return cairn.Run.get_context(allow_offline=allow_offline)

    @staticmethod
    def get(workspace, run_id):
        from .experiment import Experiment

        job = workspace._client.jobs.get(run_id)
        return Run(Experiment(workspace, job["experiment_name"]), job["name"], _job=job)

    # -- what it is --------------------------------------------------------------------------

    @property
    def name(self):
        return self._job["name"]

    @property
    def display_name(self):
        return self._job.get("display_name")

    @property
    def type(self):
        return "azureml.scriptrun"

    @property
    def status(self):
        return self.get_status()

    def _refresh(self):
        self._job = self._client.jobs.get(self.id)
        return self._job

    def get_status(self):
        return self._refresh()["status"]

    def get_tags(self):
        return dict(self._job.get("tags") or {})

    def get_portal_url(self):
        """The job's page in the studio."""
        return "%s/jobs/%s" % (self._client.url.rstrip("/"), self.id)

    def get_details(self):
        """Azure's details keys, from the job as the server shows it (``cairn_job``: the whole of it)."""
        j = self._refresh()
        details = {
            "runId": j["name"],
            "target": j.get("compute"),
            "status": j["status"],
            "startTimeUtc": j.get("start_time"),
            "endTimeUtc": j.get("end_time"),
            "properties": {"exit_code": j.get("exit_code"), "snapshot_id": j.get("snapshot_id"), "attempt": j.get("attempt")},
            "inputDatasets": j.get("data_inputs") or [],
            "outputDatasets": j.get("named_outputs") or [],
            "runDefinition": {"command": j.get("command"), "environment": j.get("environment"), "compute": j.get("compute")},
            "logFiles": {},
            "submittedBy": (j.get("creation_context") or {}).get("created_by"),
            "cairn_job": j,
        }
        if j["status"] in ("Failed", "Canceled") and j.get("status_reason"):
            details["error"] = {"error": {"code": j["status"], "message": j["status_reason"]}}
        return details

    def get_details_with_logs(self):
        details = self.get_details()
        details["logFiles"] = {"std_log.txt": "\n".join(line.get("text", "") for line in self._client.jobs.logs(self.id))}
        return details

    # -- following it ------------------------------------------------------------------------

    def wait_for_completion(self, show_output=False, wait_post_processing=False, raise_on_error=True):
        """Waits until the run ends; show_output streams its log (stdout and stderr) as it comes."""
        if show_output:
            out = sys.stdout
            out.write("RunId: %s\nWeb View: %s\n\nStreaming the log of %s\n%s\n\n" % (self.id, self.get_portal_url(), self.id, "=" * 60))
            out.flush()
            self._job = self._client.jobs.stream(self.id, out=out)
            out.write("\nExecution Summary\n=================\nRunId: %s\nWeb View: %s\nStatus: %s\n\n" % (self.id, self.get_portal_url(), self._job["status"]))
            out.flush()
        else:
            self._job = self._client.jobs.wait_for_completion(self.id)
        if self._job["status"] not in _TERMINAL:
            self._refresh()
        if raise_on_error and self._job["status"] == "Failed":
            raise ActivityFailedException(
                json.dumps({"error": {"code": "Failed", "message": self._job.get("status_reason") or "the run failed"}}, indent=2),
                code="Failed",
            )
        return self.get_details()

    def cancel(self):
        self._job = self._client.jobs.cancel(self.id)

    # -- metrics and files -------------------------------------------------------------------

    def get_metrics(self, name=None, recursive=False, run_type=None, populate=False):
        """{name: value} for a metric logged once, {name: [values...]} for one logged many times."""
        out = {}
        for key, points in (self._client.jobs.metrics(self.id) or {}).items():
            if name is not None and key != name:
                continue
            values = [p.get("value") for p in points] if isinstance(points, list) else [points]
            out[key] = values[0] if len(values) == 1 else values
        return out

    def log(self, name, value, description="", step=None):
        """Logs from inside this run's own job (through the cairn module); elsewhere refused, saying how."""
        if os.environ.get("CAIRN_JOB_NAME") == self.id:
            return self.get_context().log(name, value, description=description, step=step)
        raise UserErrorException(
            "run %s: metrics are logged by the run itself (Run.get_context().log(...) in its script, with the job's own token), not from another process" % self.id,
            code="Unsupported",
        )

    def _download_all(self):
        tmp = tempfile.mkdtemp(prefix="cairn-run-")
        root = self._client.jobs.download(self.id, tmp, all=True)
        return tmp, root if root and os.path.isdir(root) else os.path.join(tmp, self.id)

    def get_file_names(self):
        """The run's files: ``outputs/...``, what it logged, and ``logs/std_log.txt``, ``stdout.txt``, ``stderr.txt``."""
        names = set(a["path"] for a in self._client.jobs.artifacts(self.id))
        names.update(["logs/std_log.txt", "logs/stdout.txt", "logs/stderr.txt"])
        return sorted(names)

    def download_file(self, name, output_file_path=None, _validate_checksum=False):
        """One file of the run (``outputs/model.pkl``, ``logs/std_log.txt``...) to output_file_path (default: its base name here)."""
        tmp, root = self._download_all()
        try:
            src = os.path.join(root, *name.split("/"))
            if not os.path.isfile(src):
                raise UserErrorException("run %s has no file %r" % (self.id, name), code="NotFound")
            dest = output_file_path or os.path.basename(name)
            if os.path.isdir(dest):
                dest = os.path.join(dest, os.path.basename(name))
            shutil.copyfile(src, dest)
            return dest
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def download_files(self, prefix=None, output_directory=None, output_paths=None, batch_size=100, append_prefix=True, timeout_seconds=None):
        """Every file under prefix (default: all) into output_directory (default: here), keeping their paths."""
        tmp, root = self._download_all()
        written = []
        try:
            for folder, _, files in os.walk(root):
                for f in files:
                    rel = os.path.relpath(os.path.join(folder, f), root).replace(os.sep, "/")
                    if prefix and not rel.startswith(prefix):
                        continue
                    target_rel = rel if append_prefix or not prefix else rel[len(prefix):].lstrip("/")
                    dest = os.path.join(output_directory or ".", *target_rel.split("/"))
                    if not os.path.isdir(os.path.dirname(dest) or "."):
                        os.makedirs(os.path.dirname(dest))
                    shutil.copyfile(os.path.join(folder, f), dest)
                    written.append(dest)
            return written
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def __repr__(self):
        return "Run(Experiment: %s, Id: %s, Type: %s, Status: %s)" % (self.experiment.name, self.id, self.type, self._job.get("status"))
