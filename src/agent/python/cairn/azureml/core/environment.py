"""azureml.core.Environment: how a run's interpreter and packages are prepared.

Mapped onto Cairn's environments (README, Environments):

* user-managed (``python.user_managed_dependencies = True``): the node's Python as is; an absolute
  ``python.interpreter_path`` becomes the job's ``python_path`` (first on PATH as python/python3).
* system-managed (the default): ``python.conda_dependencies`` becomes the environment's
  ``conda_file``, built once per content on each node. One that names nothing to install (an
  unpinned python, no packages) runs with the node's Python, since there is nothing to build.
* ``docker.base_image``: the run happens in that image (docker or podman on the node), with the
  conda file built on top when system-managed. Azure's default base image is not applied.

``register(ws)`` makes a Cairn environment version; ``Environment.get(ws, name)`` reads one back.
A registered user-managed interpreter path is kept in the tag ``azureml.interpreter_path``.
"""

import copy
import io
import os

from .conda_dependencies import CondaDependencies
from ..exceptions import UserErrorException

__all__ = ["Environment", "PythonSection", "DockerSection", "DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE"]

# Azure's names, for code that reads them; Cairn never applies them on its own.
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
_INTERPRETER_TAG = "azureml.interpreter_path"
_USER_MANAGED_TAG = "azureml.user_managed"


class PythonSection(object):
    def __init__(self):
        self.user_managed_dependencies = False
        self.interpreter_path = "python"
        self.conda_dependencies = CondaDependencies()
        self.conda_dependencies_file = None
        self.base_conda_environment = None


class DockerSection(object):
    def __init__(self):
        self.base_image = None
        self.base_dockerfile = None
        self.base_image_registry = None
        self.shm_size = None
        self.arguments = []
        self._enabled = None

    @property
    def enabled(self):
        return self.base_image is not None if self._enabled is None else self._enabled

    @enabled.setter
    def enabled(self, value):
        # Azure deprecated the switch: an image is used when base_image is set. False with an image is refused at submit.
        self._enabled = bool(value)


class Environment(object):
    def __init__(self, name, _skip_validation=False):
        self.name = name
        self.version = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self.environment_variables = {}
        self.tags = {}
        self.description = None
        self.inferencing_stack_version = None
        self._registered = None  # the spec as the server has it, when this object came from it

    # -- constructors --------------------------------------------------------------------------

    @staticmethod
    def from_conda_specification(name, file_path):
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(file_path)
        return env

    @staticmethod
    def from_pip_requirements(name, file_path, pip_version=None):
        env = Environment(name)
        cd = CondaDependencies()
        if pip_version:
            cd.add_conda_package("pip=" + pip_version)
        with io.open(os.path.expanduser(file_path), encoding="utf-8") as f:
            for line in f:
                line = line.split(" #")[0].strip()
                if line and not line.startswith("#"):
                    (cd.set_pip_option if line.startswith("-") else cd.add_pip_package)(line)
        env.python.conda_dependencies = cd
        return env

    @staticmethod
    def from_docker_image(name, image, container_registry=None, conda_specification=None, pip_requirements=None):
        if container_registry is not None:
            raise UserErrorException("container_registry (Azure registry credentials) is not supported: the node's docker or podman pulls the image with its own login", code="Unsupported")
        env = Environment.from_conda_specification(name, conda_specification) if conda_specification else Environment.from_pip_requirements(name, pip_requirements) if pip_requirements else Environment(name)
        env.docker.base_image = image
        env.python.user_managed_dependencies = not (conda_specification or pip_requirements)
        return env

    @staticmethod
    def from_existing_conda_environment(name, conda_environment_name):
        raise UserErrorException(
            "from_existing_conda_environment is not offered: export it with `conda env export -n %s > env.yml` and use Environment.from_conda_specification(%r, 'env.yml')" % (conda_environment_name, name),
            code="Unsupported",
        )

    @staticmethod
    def from_dockerfile(name, dockerfile, conda_specification=None, pip_requirements=None):
        raise UserErrorException(
            "from_dockerfile is not offered by cairn.azureml: register the build folder with `cairn environment create --name %s --build-context DIR` and use Environment.get(ws, %r)" % (name, name),
            code="Unsupported",
        )

    # -- the Cairn spec ----------------------------------------------------------------------

    def _spec(self):
        """The environment as Cairn's API takes it (no name or version): image and/or conda_file."""
        if self.docker.base_dockerfile:
            raise UserErrorException("docker.base_dockerfile is not offered by cairn.azureml: register the build folder with `cairn environment create --build-context DIR` and use Environment.get(ws, name)", code="Unsupported")
        if self.docker.base_image_registry is not None and getattr(self.docker.base_image_registry, "address", None):
            raise UserErrorException("docker.base_image_registry is not supported: the node's docker or podman pulls images with its own login", code="Unsupported")
        if self.docker._enabled is False and self.docker.base_image:
            raise UserErrorException("docker.enabled is False but docker.base_image is set: clear base_image to run without a container", code="ValidationError")
        spec = {}
        if self.docker.base_image:
            spec["image"] = self.docker.base_image
        if not self.python.user_managed_dependencies:
            cd = self.python.conda_dependencies
            if self.python.conda_dependencies_file:
                cd = CondaDependencies(self.python.conda_dependencies_file)
            if cd is not None and cd._installs_something():
                spec["conda_file"] = cd._as_dict()
        return spec

    def _python_path(self):
        """An absolute interpreter of a user-managed environment: the job's python_path."""
        p = self.python.interpreter_path
        return p if self.python.user_managed_dependencies and p and os.path.isabs(p) else None

    def _interpreter(self):
        """The word the run's command starts with."""
        if self._python_path() or self._spec():
            return "python"  # python_path's interpreter, a venv, a conda env or an image: `python` is theirs
        p = self.python.interpreter_path
        # The node's own Python: Azure's default 'python' may be missing there (Debian has only python3).
        return "python3" if not p or p == "python" else p

    def _job_fields(self):
        """environment / python_path for a job: a reference when this is a registered version, unchanged."""
        fields = {}
        spec = self._spec()
        if self.version is not None and self._registered is not None and self._registered == spec:
            fields["environment"] = "%s:%s" % (self.name, self.version)
        elif spec:
            fields["environment"] = spec
        if self._python_path():
            fields["python_path"] = self._python_path()
        return fields

    # -- the workspace -------------------------------------------------------------------------

    def register(self, workspace):
        """A new version of this environment in the workspace (the same content answers with the existing version)."""
        spec = self._spec()
        body = dict(spec, name=self.name)
        tags = dict(self.tags or {})
        if self.python.user_managed_dependencies:
            tags[_USER_MANAGED_TAG] = "true"
            if self._python_path():
                tags[_INTERPRETER_TAG] = self._python_path()
        if tags:
            body["tags"] = tags
        if self.description:
            body["description"] = self.description
        view = workspace._client.environments.create(body)
        return Environment._from_view(view, self)

    @staticmethod
    def get(workspace, name, version=None, label=None):
        view = workspace._client.environments.get(name, version=version, label=label)
        return Environment._from_view(view)

    @staticmethod
    def list(workspace):
        """{name: Environment} with the latest version of each."""
        return dict((v["name"], Environment._from_view(v)) for v in workspace._client.environments.list())

    @staticmethod
    def _from_view(view, like=None):
        env = copy.deepcopy(like) if like is not None else Environment(view["name"])
        env.name = view["name"]
        env.version = str(view["version"])
        env.tags = dict(view.get("tags") or {})
        env.description = view.get("description")
        env.docker.base_image = view.get("image")
        user_managed = env.tags.get(_USER_MANAGED_TAG) == "true" or (like is None and not view.get("conda_file"))
        env.python.user_managed_dependencies = user_managed if like is None else like.python.user_managed_dependencies
        if view.get("conda_file"):
            env.python.conda_dependencies = CondaDependencies(_underlying_structure=view["conda_file"])
        if like is None and env.tags.get(_INTERPRETER_TAG):
            env.python.interpreter_path = env.tags[_INTERPRETER_TAG]
        # Submitting this object unchanged refers to the registered version (a build environment
        # too, which this object cannot express); a changed one goes inline.
        env._registered = {k: view[k] for k in ("image", "conda_file") if view.get(k)}
        if env._spec() != env._registered:
            env._registered = None
        return env

    def clone(self, new_name):
        env = copy.deepcopy(self)
        env.name, env.version, env._registered = new_name, None, None
        return env

    def __repr__(self):
        return "Environment(Name: %s, Version: %s)" % (self.name, self.version)
