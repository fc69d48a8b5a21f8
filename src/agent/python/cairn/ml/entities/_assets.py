"""Environment (with BuildContext), Data and Model: versioned assets in azure-ai-ml's shapes.

Paths (a conda file, a build folder, a data or model path) are relative to the current folder, as
azure-ai-ml reads them; they are read or uploaded when the asset is created (only what the server
lacks). After get/list, conda_file is the conda file's content (a dict), as Azure shows it.
"""

from .._util import Entity, SystemData, plain, refuse, refuse_unknown, unsupported

_ENV_REFUSED = {
    "inference_config": "inference environments are not supported: Cairn runs training jobs",
    "datastore": "Cairn keeps a build context in its own store; leave datastore out",
    "properties": "environment properties are not supported; use tags",
}


class BuildContext(Entity):
    """A folder with a Dockerfile: the image is built on the node (docker or podman)."""

    _FIELDS = ("path", "dockerfile_path")

    def __init__(self, *, dockerfile_path=None, path=None, uri=None, **kwargs):
        refuse_unknown("BuildContext", kwargs)
        self.path = plain(path if path is not None else uri)
        self.dockerfile_path = dockerfile_path

    def __repr__(self):
        return "BuildContext(path=%r, dockerfile_path=%r)" % (self.path, self.dockerfile_path)


class Environment(Entity):
    """image, conda_file (with or without image), build, or none of them (the node's own python)."""

    _FIELDS = ("name", "version", "description", "tags", "image", "conda_file", "build")

    def __init__(self, *, name=None, version=None, description=None, image=None, build=None, conda_file=None, tags=None, properties=None, datastore=None, **kwargs):
        os_type = kwargs.pop("os_type", None)
        if os_type is not None and str(os_type).lower() != "linux":
            refuse("Environment", dict(os_type=os_type), dict(os_type="only linux environments run on Cairn nodes"))
        refuse("Environment", dict(inference_config=kwargs.pop("inference_config", None), datastore=datastore, properties=properties or None), _ENV_REFUSED)
        refuse_unknown("Environment", kwargs)
        self.name = name
        self.version = None if version is None else str(version)
        self.description = description
        self.image = image
        self.build = BuildContext(**build) if isinstance(build, dict) else build
        self.conda_file = plain(conda_file)
        self.tags = dict(tags or {})
        self.properties = {}
        self.creation_context = None
        self.id = None
        self.latest_version = None
        self.is_archived = False
        self._wire = None

    def _to_spec(self):
        spec = Entity._to_spec(self)
        if not spec.get("tags"):
            spec.pop("tags", None)
        if spec.get("build") and not spec["build"].get("dockerfile_path"):
            spec["build"].pop("dockerfile_path", None)
        return spec

    @classmethod
    def _from_wire(cls, d):
        build = d.get("build")
        env = cls(name=d.get("name"), version=d.get("version"), description=d.get("description"), image=d.get("image"),
                  conda_file=d.get("conda_file"), tags=d.get("tags"),
                  build=BuildContext(path=build.get("path"), dockerfile_path=build.get("dockerfile_path")) if build else None)
        env.creation_context = SystemData._from_wire(d.get("creation_context"))
        env.is_archived = bool(d.get("archived"))
        if env.name and env.version:
            env.id = "azureml:%s:%s" % (env.name, env.version)
        env._wire = d
        return env


_ASSET_REFUSED = {
    "datastore": "write the datastore into the path: azureml://datastores/NAME/paths/PATH",
    "flavors": "Cairn reads an MLflow model's flavors from its MLmodel file; leave flavors out",
    "utc_time_created": "the server records when a version is made",
}


class _Asset(Entity):
    _FIELDS = ("name", "version", "type", "path", "description", "tags", "properties", "stage")
    _DEFAULT_TYPE = None

    def __init__(self, *, name=None, version=None, description=None, tags=None, properties=None, type=None, path=None, datastore=None,
                 stage=None, flavors=None, utc_time_created=None, job_name=None, **kwargs):
        owner = type_name = self.__class__.__name__
        refuse(owner, dict(datastore=datastore, flavors=flavors, utc_time_created=utc_time_created), _ASSET_REFUSED)
        refuse_unknown(type_name, kwargs)
        if job_name is not None and path is None:
            # Azure fills the path from the job's default artifacts; Cairn's outputs have names.
            raise unsupported("%s(job_name=...) without path" % owner, "give path='azureml://jobs/%s/outputs/NAME' (the job's named output)" % job_name)
        self.name = name
        self.version = None if version is None else str(version)
        self.description = description
        self.tags = dict(tags or {})
        self.properties = dict(properties or {})
        self.type = type or self._DEFAULT_TYPE
        self.path = plain(path)
        self.stage = stage
        self.job_name = job_name
        self.creation_context = None
        self.id = None
        self._wire = None

    def _to_spec(self):
        spec = Entity._to_spec(self)
        for k in ("tags", "properties"):
            if not spec.get(k):
                spec.pop(k, None)
        return spec

    @classmethod
    def _from_wire(cls, d):
        a = cls(name=d.get("name"), version=d.get("version"), description=d.get("description"), tags=d.get("tags"), properties=d.get("properties"),
                type=d.get("type"), path=d.get("path"), stage=d.get("stage"), job_name=d.get("job") or d.get("produced_by"))
        a.id = d.get("id")
        a.creation_context = SystemData._from_wire({"created_at": d.get("created_at"), "created_by": d.get("created_by")})
        a._wire = d
        return a


class Data(_Asset):
    """A data asset version: uri_folder (default), uri_file or mltable."""

    _DEFAULT_TYPE = "uri_folder"

    def __init__(self, *, stage=None, job_name=None, **kwargs):
        refuse("Data", dict(stage=stage, job_name=job_name), dict(stage="stages are for models", job_name="give the job's output as path: azureml://jobs/JOB/outputs/NAME"))
        super().__init__(**kwargs)


class Model(_Asset):
    """A model version: custom_model (default) or mlflow_model; path a local file or folder, a job's
    output (azureml://jobs/JOB/outputs/NAME) or an MLflow run's artifacts (runs:/RUN/PATH)."""

    _DEFAULT_TYPE = "custom_model"
