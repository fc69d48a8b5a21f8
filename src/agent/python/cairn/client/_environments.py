"""Registered environments (Azure ML's `ml_client.environments`): create from an environment YAML
file or a dict (a conda file and a build folder as paths), get a version or the latest, list,
archive and restore. Versions never change: the same content again answers with its version."""

import re

from ._files import parse_file
from ._versioned import Versioned


class Environments(Versioned):
    _PATH = "environments"
    _WHAT = "environment"

    def create(self, spec_or_path, name=None, version=None):
        """Registers a version from an environment YAML file or a dict (image, conda_file as a path or
        inline, build: {path, dockerfile_path}); a build folder is uploaded first (its ignore files
        apply). Without a version the server gives the next number, or the latest when nothing changed."""
        if isinstance(spec_or_path, dict):
            spec = dict(spec_or_path)
            if name is not None:
                spec["name"] = name
            if version is not None:
                spec["version"] = str(version)
            if isinstance(spec.get("name"), str):
                spec["name"] = re.sub(r"^azureml:", "", spec["name"])
            build = spec.get("build")
            if isinstance(build, dict) and build.get("snapshot_id"):
                return self._http.json("POST", self._url(), spec)  # uploaded already: the server checks it
            parsed = parse_file(self._http, self._c._ws, "environment", spec=spec)
        else:
            from ._files import set_value

            sets = [set_value(k, v) for k, v in (("name", name), ("version", None if version is None else str(version))) if v is not None]
            parsed = parse_file(self._http, self._c._ws, "environment", path=spec_or_path, sets=sets)
        return self.register(parsed)

    def register(self, parsed):
        env = parsed["spec"]
        if env.get("build") and parsed.get("build_dir"):
            env["build"]["snapshot_id"] = self._c._uploader.folder(parsed["build_dir"])
        return self._http.json("POST", self._url(), env)
