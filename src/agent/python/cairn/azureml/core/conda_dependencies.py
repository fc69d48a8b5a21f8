"""azureml.core.conda_dependencies.CondaDependencies: a conda environment file, built in code.

What it holds becomes the ``conda_file`` of a Cairn environment: nodes with conda, mamba or
micromamba create it; nodes without build a venv with a matching Python and pip-install the pip
section (conda-only packages then fail the job, naming them). Unlike Azure, ``create`` adds no
``azureml-defaults`` (jobs already have the ``cairn`` module) and pins no Python unless asked.
"""

import copy
import io
import os
import re

from . import _yaml

__all__ = ["CondaDependencies"]

_DEFAULT_CHANNELS = ["anaconda", "conda-forge"]


def _name_of(spec):
    """'numpy>=1.2' -> 'numpy'; 'conda-forge::numpy=1' -> 'numpy'."""
    m = re.match(r"^\s*(?:[\w.-]+::)?([A-Za-z0-9_.-]+)", spec)
    return (m.group(1) if m else spec).lower().replace("_", "-")


class CondaDependencies(object):
    DEFAULT_NAME = "project_environment"

    def __init__(self, conda_dependencies_file_path=None, _underlying_structure=None):
        if conda_dependencies_file_path is not None:
            with io.open(os.path.expanduser(conda_dependencies_file_path), encoding="utf-8") as f:
                text = f.read()
            try:
                data = _yaml.loads(text)
            except ValueError as e:
                raise ValueError("%s: %s" % (conda_dependencies_file_path, e))
        elif _underlying_structure is not None:
            data = copy.deepcopy(_underlying_structure)
        else:
            data = {"name": self.DEFAULT_NAME, "dependencies": ["python"], "channels": list(_DEFAULT_CHANNELS)}
        if not isinstance(data, dict):
            raise ValueError("a conda file is a mapping with dependencies: [...] (found %r)" % (data,))
        data.setdefault("dependencies", [])
        if not isinstance(data["dependencies"], list):
            raise ValueError("dependencies must be a list of packages (and at most one '- pip: [...]' entry)")
        data["dependencies"] = [str(d) if isinstance(d, (int, float)) else d for d in data["dependencies"]]
        self._conda = data

    @staticmethod
    def create(pip_indexurl=None, pip_packages=None, conda_packages=None, python_version=None, pin_sdk_version=True):
        """A new file with these packages. python_version: e.g. '3.11' (default: none pinned)."""
        cd = CondaDependencies()
        if python_version:
            cd.set_python_version(python_version)
        for p in conda_packages or []:
            cd.add_conda_package(p)
        if pip_indexurl:
            cd.set_pip_option("--index-url " + pip_indexurl)
        for p in pip_packages or []:
            cd.add_pip_package(p)
        return cd

    # -- the pip section ------------------------------------------------------------------

    def _pip_list(self, create=False):
        for d in self._conda["dependencies"]:
            if isinstance(d, dict) and "pip" in d:
                if d["pip"] is None:
                    d["pip"] = []
                return d["pip"]
        if not create:
            return []
        if not any(isinstance(d, str) and _name_of(d) == "pip" for d in self._conda["dependencies"]):
            self._conda["dependencies"].append("pip")
        section = {"pip": []}
        self._conda["dependencies"].append(section)
        return section["pip"]

    def add_pip_package(self, pip_package):
        """Adds (or replaces the version of) a pip requirement."""
        pip = self._pip_list(create=True)
        name = _name_of(pip_package)
        pip[:] = [p for p in pip if p.startswith("-") or _name_of(p) != name] + [pip_package]

    def remove_pip_package(self, pip_package):
        pip = self._pip_list()
        name = _name_of(pip_package)
        pip[:] = [p for p in pip if p.startswith("-") or _name_of(p) != name]

    def set_pip_option(self, pip_option):
        """A pip option line such as '--extra-index-url URL' (replaces one with the same flag)."""
        pip = self._pip_list(create=True)
        flag = pip_option.split()[0]
        pip[:] = [pip_option] + [p for p in pip if not p.startswith(flag)]

    @property
    def pip_packages(self):
        return iter([p for p in self._pip_list() if not p.startswith("-")])

    @property
    def pip_options(self):
        return iter([p for p in self._pip_list() if p.startswith("-")])

    # -- conda packages, channels, python ----------------------------------------------------

    def add_conda_package(self, conda_package):
        name = _name_of(conda_package)
        deps = self._conda["dependencies"]
        keep = [d for d in deps if not (isinstance(d, str) and _name_of(d) == name)]
        at = next((i for i, d in enumerate(keep) if isinstance(d, dict)), len(keep))
        keep.insert(at, conda_package)
        deps[:] = keep

    def remove_conda_package(self, conda_package):
        name = _name_of(conda_package)
        deps = self._conda["dependencies"]
        deps[:] = [d for d in deps if not (isinstance(d, str) and _name_of(d) == name)]

    @property
    def conda_packages(self):
        return iter([d for d in self._conda["dependencies"] if isinstance(d, str) and _name_of(d) != "python"])

    def add_channel(self, channel):
        channels = self._conda.setdefault("channels", [])
        if channel not in channels:
            channels.append(channel)

    def remove_channel(self, channel):
        self._conda["channels"] = [c for c in self._conda.get("channels") or [] if c != channel]

    @property
    def conda_channels(self):
        return iter(self._conda.get("channels") or [])

    def set_python_version(self, version):
        self.add_conda_package("python=" + str(version))

    def get_python_version(self):
        for d in self._conda["dependencies"]:
            if isinstance(d, str) and _name_of(d) == "python":
                m = re.match(r"^\s*python\s*=*\s*([0-9][^=\s]*)", d, re.I)
                return m.group(1) if m else None
        return None

    def _installs_something(self):
        """False for a file naming only an unpinned python, pip and pip options: nothing to build."""
        if self.get_python_version() is not None:
            return True
        for d in self._conda["dependencies"]:
            if isinstance(d, str) and _name_of(d) in ("python", "pip"):
                continue
            if isinstance(d, dict) and not [p for p in d.get("pip") or [] if not str(p).startswith("-")]:
                continue
            return True
        return False

    # -- serialization -------------------------------------------------------------------

    def _as_dict(self):
        """The conda file as Cairn's environment spec takes it (conda_file, parsed)."""
        return copy.deepcopy(self._conda)

    def serialize_to_string(self):
        return "# Conda environment specification, as Cairn sends it (conda_file).\n" + _yaml.dumps(self._conda) + "\n"

    def save(self, path=None):
        """Writes the file (default: ./conda_dependencies.yml); returns its path."""
        path = path or "conda_dependencies.yml"
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            os.makedirs(folder)
        with io.open(path, "w", encoding="utf-8") as f:
            f.write(self.serialize_to_string())
        return path

    def save_to_file(self, base_directory, conda_file_path=None):
        return self.save(os.path.join(base_directory, conda_file_path or "conda_dependencies.yml"))

    def __eq__(self, other):
        return isinstance(other, CondaDependencies) and other._conda == self._conda

    def __repr__(self):
        return "CondaDependencies(%r)" % (self._conda,)
