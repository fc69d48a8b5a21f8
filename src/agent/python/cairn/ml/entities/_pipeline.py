"""Pipeline jobs as azure-ai-ml shapes them (azure.ai.ml.entities.PipelineJob).

A pipeline comes from an Azure ML v2 pipeline YAML through load_job (its steps' code folders and
component files found as the CLI finds them), or is built from its steps' YAML fields:

    pipeline_job = load_job("pipeline.yml")
    pipeline_job.settings.default_compute = "cpu-cluster"
    returned = ml_client.jobs.create_or_update(pipeline_job, experiment_name="pipes")
    ml_client.jobs.stream(returned.name)
    steps = ml_client.jobs.list(parent_job_name=returned.name)

`jobs` holds each step as its YAML fields (a dict): a command written inline, a `component:`
reference or file (or a registered CommandComponent, sent as its azureml:NAME:VERSION), or a
`type: sweep` step. azure-ai-ml's @pipeline decorator (azure.ai.ml.dsl)
is not offered: write the pipeline's YAML, or its fields.
"""

from .._util import Entity, compact, plain, refuse_unknown, unsupported
from ._component import CommandComponent
from ._io import Input, Output, inputs_to_spec, outputs_to_spec
from ._job import Job


def _step_spec(name, step):
    """A step's YAML fields; a registered CommandComponent in `component` becomes its azureml:NAME:VERSION."""
    if isinstance(step, dict) and isinstance(step.get("component"), CommandComponent):
        component = step["component"]
        if not component.id:
            raise unsupported("step %r: component=CommandComponent(name=%r) that is not registered" % (name, component.name),
                              "register it first (ml_client.components.create_or_update) and use what that returns, or give its YAML file's path")
        step = dict(step, component=component.id)
    return plain(step)


class PipelineJobSettings(Entity):
    """settings: the compute and datastore of steps that name none, whether the other steps go on
    when one fails, and whether every step runs again (no reuse)."""

    _FIELDS = ("default_compute", "default_datastore", "continue_on_step_failure", "force_rerun")

    def __init__(self, *, default_compute=None, default_datastore=None, continue_on_step_failure=None, force_rerun=None, **kwargs):
        refuse_unknown("PipelineJobSettings", kwargs)
        self.default_compute = default_compute
        self.default_datastore = default_datastore
        self.continue_on_step_failure = continue_on_step_failure
        self.force_rerun = force_rerun


class PipelineJob(Job):
    type = "pipeline"

    def __init__(self, *, jobs=None, inputs=None, outputs=None, settings=None, **kwargs):
        tags, name = kwargs.pop("tags", None), kwargs.pop("name", None)
        base = dict((k, kwargs.pop(k, None)) for k in ("display_name", "description", "experiment_name", "compute"))
        refuse_unknown("PipelineJob", kwargs)
        super().__init__(name=name, tags=tags, **base)
        self.jobs = dict(jobs or {})
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.settings = PipelineJobSettings(**settings) if isinstance(settings, dict) else (settings or PipelineJobSettings())
        # What load_job found to upload (steps' code and build folders, local inputs): the server's reading of the file.
        self._loaded = None

    def _to_spec(self):
        """The pipeline as the server's wire JSON (the Azure ML v2 pipeline YAML's fields)."""
        spec = compact(dict((k, plain(getattr(self, k, None))) for k in ("name", "display_name", "description", "experiment_name", "compute")))
        spec["type"] = "pipeline"
        if self.tags:
            spec["tags"] = dict(self.tags)
        if self.inputs:
            spec["inputs"] = inputs_to_spec(self.inputs)
        if self.outputs:
            spec["outputs"] = outputs_to_spec(self.outputs)
        settings = plain(self.settings)
        if settings:
            spec["settings"] = settings
        spec["jobs"] = dict((name, _step_spec(name, step)) for name, step in self.jobs.items())
        return spec

    @classmethod
    def _from_spec(cls, d):
        return cls(
            name=d.get("name"), display_name=d.get("display_name"), description=d.get("description"), tags=d.get("tags"),
            experiment_name=d.get("experiment_name"), compute=d.get("compute"),
            inputs=dict((k, Input._from_wire(v)) for k, v in (d.get("inputs") or {}).items()),
            outputs=dict((k, Output._from_wire(v)) for k, v in (d.get("outputs") or {}).items()),
            settings=d.get("settings") or {}, jobs=d.get("jobs") or {},
        )

    @classmethod
    def _from_wire(cls, d, server_url):
        """The server's pipeline (GET /jobs/NAME): its status, its page in the Cairn studio, and
        `steps` (Cairn's): each step's job, status and reuse, in the order they can run."""
        job = cls._from_spec(d)
        job._take_server_fields(d, server_url)
        job._wire = d
        return job

    @property
    def steps(self):
        """Each step as the server shows it (name, job_name, status, reused_from, depends_on, ...)."""
        return list(((self._wire or {}).get("pipeline") or {}).get("steps") or [])


__all__ = ["PipelineJob", "PipelineJobSettings"]
