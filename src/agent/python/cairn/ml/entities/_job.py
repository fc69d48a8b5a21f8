"""Command jobs as azure-ai-ml shapes them: `command(...)` builds a Command, `jobs.create_or_update`
sends it as the Azure ML v2 job YAML fields (the server's wire JSON) and answers a CommandJob built
from the server's job: its name, status (Queued ... Completed, Failed, Canceled), studio_url."""

import copy
import os
from urllib.parse import quote

from cairn.client import ValidationError

from .._util import Entity, SystemData, compact, plain, refuse, refuse_unknown, unsupported
from ._io import Input, Output, inputs_to_spec, outputs_to_spec

# --- distributions, resources, limits, queue settings --------------------------------------------


class _Distribution(Entity):
    type = None

    def _to_spec(self):
        return compact(dict([("type", self.type)] + [(k, getattr(self, k)) for k in self._FIELDS]))


class PyTorchDistribution(_Distribution):
    type = "pytorch"
    _FIELDS = ("process_count_per_instance",)

    def __init__(self, *, process_count_per_instance=None, **kwargs):
        refuse_unknown("PyTorchDistribution", kwargs)
        self.process_count_per_instance = process_count_per_instance


class MpiDistribution(PyTorchDistribution):
    type = "mpi"


class TensorFlowDistribution(_Distribution):
    type = "tensorflow"
    _FIELDS = ("worker_count", "parameter_server_count")

    def __init__(self, *, parameter_server_count=0, worker_count=None, **kwargs):
        refuse_unknown("TensorFlowDistribution", kwargs)
        self.parameter_server_count = parameter_server_count
        self.worker_count = worker_count


class RayDistribution(_Distribution):
    def __init__(self, **kwargs):
        raise unsupported("RayDistribution", "Cairn starts PyTorch, MPI and TensorFlow processes; start Ray from your command instead")


def _distribution(d):
    if not d:
        return None
    cls = {"pytorch": PyTorchDistribution, "mpi": MpiDistribution, "tensorflow": TensorFlowDistribution}.get(str(d.get("type", "")).lower())
    if cls is None:
        raise unsupported("distribution type %r" % d.get("type"), "Cairn runs pytorch, mpi and tensorflow distributions")
    return cls(**dict((k, v) for k, v in d.items() if k != "type"))


_RESOURCE_REFUSED = {
    "locations": "Cairn has no regions; the compute decides where the job runs",
    "properties": "resource properties are Azure's; Cairn has none",
    "docker_args": "Cairn builds the container engine's command itself",
}


class JobResourceConfiguration(Entity):
    """instance_count nodes of the compute's size; instance_type: a size for a job without a compute."""

    _FIELDS = ("instance_count", "instance_type", "shm_size")

    def __init__(self, *, instance_count=None, instance_type=None, shm_size=None, locations=None, properties=None, docker_args=None, max_instance_count=None, **kwargs):
        refuse("JobResourceConfiguration", dict(locations=locations, properties=properties, docker_args=docker_args, max_instance_count=max_instance_count),
               dict(_RESOURCE_REFUSED, max_instance_count="elastic training is not supported; give instance_count"))
        refuse_unknown("JobResourceConfiguration", kwargs)
        self.instance_count = instance_count
        self.instance_type = instance_type
        self.shm_size = shm_size


class CommandJobLimits(Entity):
    _FIELDS = ("timeout",)

    def __init__(self, *, timeout=None):
        self.timeout = timeout


class QueueSettings(Entity):
    _FIELDS = ("priority",)

    def __init__(self, *, job_tier=None, priority=None, **kwargs):
        refuse("QueueSettings", dict(job_tier=job_tier), dict(job_tier="job tiers are Azure's; Cairn orders a compute's queue by priority (low, medium, high)"))
        refuse_unknown("QueueSettings", kwargs)
        self.priority = priority


class JobService(object):
    """An endpoint of a job: Cairn shows two, Studio (the job's page) and Tracking (MLflow's API)."""

    def __init__(self, *, endpoint=None, type=None, status=None, port=None, nodes=None, properties=None):
        self.endpoint = endpoint
        self.type = type
        self.job_service_type = type
        self.status = status
        self.port = port
        self.nodes = nodes
        self.properties = properties

    def __repr__(self):
        return "JobService(type=%r, endpoint=%r)" % (self.type, self.endpoint)


# --- jobs ---------------------------------------------------------------------------------------

_JOB_REFUSED = {
    "identity": "Cairn has no managed or user identities; every job gets a short-lived token of its own, scoped to the job",
    "services": "interactive job services (ssh, jupyter, tensorboard, vscode) are not supported yet",
    "properties": "job properties are not supported; use tags",
    "locations": _RESOURCE_REFUSED["locations"],
    "docker_args": _RESOURCE_REFUSED["docker_args"],
    "job_tier": "job tiers are Azure's; give priority (low, medium, high)",
}

# Job fields sent under their own names. Cairn's own: python_path (an interpreter on the node),
# max_retries (attempts a preempted job may still get).
_SPEC_FIELDS = ("name", "display_name", "description", "tags", "experiment_name", "command", "compute", "environment_variables", "python_path", "max_retries")


class Job(Entity):
    """What every job has; jobs.get and jobs.list answer CommandJob or SweepJob (a sweep's trials
    are command jobs)."""

    type = "command"

    def __init__(self, *, name=None, display_name=None, description=None, tags=None, experiment_name=None, compute=None, **kwargs):
        self.name = name
        self.display_name = display_name
        self.description = description
        self.tags = dict(tags or {})
        self.experiment_name = experiment_name
        self.compute = compute
        self.status = None
        self.creation_context = None
        self.id = None
        self.studio_url = None
        self.services = None
        self.properties = {}
        self._wire = None  # the server's job as it answered, for what Azure's shape has no place for

    @property
    def status_reason(self):
        """Why the job is in its status (Cairn's words: an exit code, a timeout, a cancel...)."""
        return (self._wire or {}).get("status_reason")

    @property
    def log_files(self):
        return None

    def _take_server_fields(self, d, server_url):
        """What the server says of any job: its status, id and creation_context, studio_url (its page
        in the Cairn studio) and services Studio and Tracking (the MLflow address)."""
        self.status = d.get("status")
        self.id = d.get("id")
        self.creation_context = SystemData._from_wire(d.get("creation_context"))
        self.studio_url = studio_url(server_url, self.name)
        self.services = {
            "Studio": JobService(endpoint=self.studio_url, type="Studio"),
            "Tracking": JobService(endpoint=server_url, type="Tracking"),
        }

    @property
    def parent_job_name(self):
        """A sweep trial's sweep (Azure's parent_job_name); None for other jobs."""
        return (self._wire or {}).get("parent_job_name")


class CommandJob(Job):
    def __init__(self, *, command=None, code=None, environment=None, environment_variables=None, inputs=None, outputs=None, distribution=None,
                 resources=None, limits=None, queue_settings=None, identity=None, services=None, python_path=None, max_retries=None, **kwargs):
        refuse("CommandJob", dict(identity=identity, services=services, properties=kwargs.pop("properties", None) or None), _JOB_REFUSED)
        tags, name = kwargs.pop("tags", None), kwargs.pop("name", None)
        base = dict((k, kwargs.pop(k, None)) for k in ("display_name", "description", "experiment_name", "compute"))
        refuse_unknown(type(self).__name__, kwargs)
        super().__init__(name=name, tags=tags, **base)
        self.command = command
        self.code = plain(code)
        self.environment = environment
        self.environment_variables = dict(environment_variables or {})
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.distribution = _distribution(distribution) if isinstance(distribution, dict) else distribution
        self.resources = JobResourceConfiguration(**resources) if isinstance(resources, dict) else resources
        self.limits = CommandJobLimits(**limits) if isinstance(limits, dict) else limits
        self.queue_settings = QueueSettings(**queue_settings) if isinstance(queue_settings, dict) else queue_settings
        self.python_path = python_path
        self.max_retries = max_retries

    def _to_spec(self):
        """The job as the server's wire JSON (Azure ML v2 job YAML fields); `code`, local data and
        conda/build paths are relative to the current folder, as azure-ai-ml reads them."""
        spec = compact(dict((k, plain(getattr(self, k, None))) for k in _SPEC_FIELDS))
        spec["type"] = "command"
        if not spec.get("tags"):
            spec.pop("tags", None)
        if not spec.get("environment_variables"):
            spec.pop("environment_variables", None)
        if self.code is not None:
            spec["code"] = self.code
        env = self.environment
        if env is not None:
            spec["environment"] = env if isinstance(env, str) else plain(env)
        for key, v in self.inputs.items():
            if getattr(v, "_search_space", False) is True:
                raise ValidationError("ValidationError", "input %r is a search space (%r): run the job as a sweep, job.sweep(primary_metric=..., goal=...), and submit that" % (key, v), 0)
        if self.inputs:
            spec["inputs"] = inputs_to_spec(self.inputs)
        if self.outputs:
            spec["outputs"] = outputs_to_spec(self.outputs)
        for key in ("distribution", "resources", "limits", "queue_settings"):
            v = plain(getattr(self, key))
            if v:
                spec[key] = v
        return spec

    @classmethod
    def _from_spec(cls, d):
        """A job from its YAML fields (a loaded file, or the server's job)."""
        return cls(
            name=d.get("name"), display_name=d.get("display_name"), description=d.get("description"), tags=d.get("tags"),
            experiment_name=d.get("experiment_name"), compute=d.get("compute"), command=d.get("command"), code=d.get("code"),
            environment=_environment_from_wire(d.get("environment")), environment_variables=d.get("environment_variables"),
            inputs=dict((k, Input._from_wire(v)) for k, v in (d.get("inputs") or {}).items()),
            outputs=dict((k, Output._from_wire(v)) for k, v in (d.get("outputs") or {}).items()),
            distribution=d.get("distribution"), resources=d.get("resources"), limits=d.get("limits"),
            queue_settings=d.get("queue_settings"), python_path=d.get("python_path"), max_retries=d.get("max_retries"),
        )

    @classmethod
    def _from_wire(cls, d, server_url):
        """The server's job (GET /jobs/NAME) as azure-ai-ml's CommandJob: its status as the server
        says it, studio_url its page in the Cairn studio, services Studio and Tracking (MLflow)."""
        job = cls._from_spec(d)
        job._take_server_fields(d, server_url)
        job._wire = d
        return job


def studio_url(server_url, name):
    """The job's page in the Cairn studio the server serves at its own address."""
    return "%s/jobs/%s" % (server_url.rstrip("/"), quote(name, safe=""))


def _environment_from_wire(env):
    if isinstance(env, dict):
        from ._assets import Environment

        return Environment._from_wire(env)
    return env


class Command(CommandJob):
    """What command() builds (azure-ai-ml's builder): a CommandJob with Azure's setters."""

    def set_resources(self, *, instance_type=None, instance_count=None, locations=None, properties=None, docker_args=None, shm_size=None, **kwargs):
        refuse("Command.set_resources", dict(locations=locations, properties=properties, docker_args=docker_args), _RESOURCE_REFUSED)
        refuse_unknown("Command.set_resources", kwargs)
        r = self.resources or JobResourceConfiguration()
        r.instance_type = instance_type if instance_type is not None else r.instance_type
        r.instance_count = instance_count if instance_count is not None else r.instance_count
        r.shm_size = shm_size if shm_size is not None else r.shm_size
        self.resources = r

    def set_limits(self, *, timeout=None, **kwargs):
        refuse_unknown("Command.set_limits", kwargs)
        self.limits = CommandJobLimits(timeout=timeout)

    def set_queue_settings(self, *, job_tier=None, priority=None):
        self.queue_settings = QueueSettings(job_tier=job_tier, priority=priority)

    def __call__(self, *args, **kwargs):
        """A new Command with some inputs given other values, as Azure's: `job(lr=Uniform(...))`
        binds inputs to search-space objects before `.sweep(...)`. Inputs are given by name, and
        only inputs the command has; everything else is copied (the original stays as it was)."""
        if args:
            raise unsupported("calling a command with positional arguments", "give its inputs by name, as job(lr=Uniform(min_value=0.01, max_value=0.1)); pipeline steps are not supported")
        unknown = sorted(k for k in kwargs if k not in self.inputs)
        if unknown:
            raise ValidationError("ValidationError", "the command has no input %r (its inputs: %s); declare it in command(inputs={...})" % (unknown[0], ", ".join(sorted(self.inputs)) or "none"), 0)
        wire, self._wire = self._wire, None
        try:
            node = copy.deepcopy(self)
        finally:
            self._wire = wire
        for k, v in kwargs.items():
            node.inputs[k] = v
        return node

    def sweep(self, *, primary_metric=None, goal=None, sampling_algorithm="random", compute=None, max_concurrent_trials=None, max_total_trials=None,
              timeout=None, trial_timeout=None, early_termination_policy=None, search_space=None, identity=None, queue_settings=None,
              job_tier=None, priority=None, **kwargs):
        """A sweep of this command (azure-ai-ml's Command.sweep): inputs bound to search-space
        objects (`job(lr=Uniform(...))`) and `search_space` make the search space, the other inputs
        stay inputs; the command is copied as the trial, reading `${{search_space.x}}` where it read
        `${{inputs.x}}`. goal: maximize or minimize (any case); sampling_algorithm: random, grid,
        bayesian or a SamplingAlgorithm; timeout: seconds for the whole sweep; trial_timeout: each trial's."""
        from ._sweep import Objective, Sweep, is_search_space

        refuse("Command.sweep", dict(identity=identity, job_tier=job_tier), _JOB_REFUSED)
        refuse_unknown("Command.sweep", kwargs)
        if primary_metric is None or goal is None:
            raise ValidationError("ValidationError", "Command.sweep needs primary_metric (the metric trials log) and goal (maximize or minimize)", 0)
        objective = Objective(goal=goal, primary_metric=primary_metric)
        space = dict((k, v) for k, v in self.inputs.items() if is_search_space(v))
        space.update(search_space or {})
        inputs = dict((k, v) for k, v in self.inputs.items() if not is_search_space(v))
        queue = copy.deepcopy(queue_settings or self.queue_settings)
        if priority is not None:
            queue = queue or QueueSettings()
            queue.priority = priority
        wire, self._wire = self._wire, None
        try:
            trial = copy.deepcopy(self)
        finally:
            self._wire = wire
        trial.inputs = {}
        trial.outputs = {}
        node = Sweep(trial=trial, compute=self.compute if compute is None else compute, objective=objective, sampling_algorithm=sampling_algorithm,
                     inputs=inputs, outputs=copy.deepcopy(self.outputs), search_space=space, early_termination=early_termination_policy, name=self.name,
                     description=self.description, display_name=self.display_name, tags=copy.deepcopy(self.tags), experiment_name=self.experiment_name,
                     queue_settings=queue)
        node.set_limits(max_total_trials=max_total_trials, max_concurrent_trials=max_concurrent_trials, timeout=timeout, trial_timeout=trial_timeout)
        return node


def command(*, name=None, description=None, tags=None, properties=None, display_name=None, command=None, experiment_name=None, environment=None,
            environment_variables=None, distribution=None, compute=None, inputs=None, outputs=None, instance_count=None, instance_type=None,
            locations=None, docker_args=None, shm_size=None, timeout=None, code=None, identity=None, is_deterministic=True, services=None,
            job_tier=None, priority=None, python_path=None, max_retries=None, **kwargs):
    """azure-ai-ml's command(): a command job to submit with ml_client.jobs.create_or_update.

    `code`: a local folder (uploaded at submit, ignore files apply); `inputs`: Input(...) objects,
    dicts or literals; `${{inputs.x}}` and `${{outputs.y}}` in `command` are resolved by the server.
    `is_deterministic` is taken as Azure takes it and changes nothing here: a job submitted on its own
    always runs; reuse is for a pipeline file's steps and components. Cairn's own arguments:
    `python_path` (an interpreter on the node) and `max_retries` (attempts after a preemption)."""
    refuse("command", dict(properties=properties, identity=identity, services=services, locations=locations, docker_args=docker_args, job_tier=job_tier), _JOB_REFUSED)
    refuse_unknown("command", kwargs)
    if command is None:
        raise unsupported("command(command=None)", "a command job needs its command; a registered component runs as a step of a pipeline file (load_job), not called as a function")
    if isinstance(distribution, dict):
        distribution = _distribution(distribution)
    job = Command(name=name, description=description, tags=tags, display_name=display_name, command=command, experiment_name=experiment_name,
                  environment=environment, environment_variables=environment_variables, distribution=distribution, compute=compute,
                  inputs=inputs, outputs=outputs, code=os.fspath(code) if code is not None else None, python_path=python_path, max_retries=max_retries)
    if instance_count is not None or instance_type is not None or shm_size is not None:
        job.set_resources(instance_count=instance_count, instance_type=instance_type, shm_size=shm_size)
    if timeout is not None:
        job.set_limits(timeout=timeout)
    if priority is not None:
        job.set_queue_settings(priority=priority)
    return job
