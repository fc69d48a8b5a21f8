"""azureml.core.ScriptRunConfig: what to run (a script and its arguments, or a command), from
which folder, on which compute and with which environment; Experiment.submit makes it a Cairn
command job whose ``code`` is ``source_directory`` (snapshotted with .amlignore/.gitignore rules,
only what the server lacks is uploaded)."""

import shlex

from .runconfig import RunConfiguration
from ..exceptions import UserErrorException

__all__ = ["ScriptRunConfig"]

_DEFAULT_DURATION = 2592000  # Azure's default (30 days): not sent, so the job has no timeout of ours


class ScriptRunConfig(object):
    MAX_DURATION_SECONDS_DEFAULT = _DEFAULT_DURATION

    def __init__(self, source_directory, script=None, arguments=None, run_config=None, _telemetry_values=None, compute_target=None, environment=None, distributed_job_config=None, resume_from=None, max_run_duration_seconds=_DEFAULT_DURATION, command=None, docker_runtime_config=None):
        if script and command:
            raise UserErrorException("give script or command, not both", code="ValidationError")
        if distributed_job_config is not None:
            raise UserErrorException("distributed_job_config is not offered by cairn.azureml: use cairn.ml's command(distribution=..., instance_count=...) or a job file with distribution:", code="Unsupported")
        if resume_from is not None:
            raise UserErrorException("resume_from (Azure's checkpoint store) is not offered: pass the earlier run's output as an input of the new job", code="Unsupported")
        self.source_directory = source_directory
        self.script = script
        self.command = command
        self.arguments = list(arguments or [])
        self.run_config = run_config if run_config is not None else RunConfiguration()
        if compute_target is not None:
            self.run_config.target = compute_target
        if environment is not None:
            self.run_config.environment = environment
        if max_run_duration_seconds != _DEFAULT_DURATION:
            self.run_config.max_run_duration_seconds = max_run_duration_seconds
        if docker_runtime_config is not None:
            self.run_config.docker = docker_runtime_config

    def _command(self, interpreter):
        if self.command:
            return self.command if isinstance(self.command, str) else " ".join(shlex.quote(str(c)) for c in self.command)
        script = self.script or self.run_config.script
        if not script:
            raise UserErrorException("give script (a file in source_directory) or command", code="ValidationError")
        args = self.arguments or self.run_config.arguments
        return " ".join([interpreter, shlex.quote(script)] + [shlex.quote(str(a)) for a in args])

    def _job(self, experiment_name, tags=None):
        """The Cairn job (a dict, as cairn.client's jobs.create takes it)."""
        rc = self.run_config
        env = rc.environment
        if rc.docker.use_docker is False and env.docker.base_image:
            raise UserErrorException("DockerConfiguration(use_docker=False) with an environment whose docker.base_image is set: clear one of them", code="ValidationError")
        job = {"type": "command", "command": self._command(env._interpreter()), "code": self.source_directory, "experiment_name": experiment_name}
        job.update(rc._target_fields())
        job.update(env._job_fields())
        variables = dict(env.environment_variables or {})
        variables.update(rc.environment_variables or {})
        if variables:
            job["environment_variables"] = dict((k, str(v)) for k, v in variables.items())
        if rc.max_run_duration_seconds:
            job["limits"] = {"timeout": int(rc.max_run_duration_seconds)}
        if rc.node_count and rc.node_count > 1 and "compute" in job:
            job["resources"] = {"instance_count": int(rc.node_count)}
        if tags:
            job["tags"] = dict((k, str(v)) for k, v in tags.items())
        return job
