"""Registered environments (Azure ML's `ml_client.environments`): create from an environment YAML
file or a dict (a conda file and a build folder as paths), get a version or the latest, list,
archive and restore. Versions never change: the same content again answers with its version."""

import re

from ._errors import ValidationError
from ._files import parse_file
from ._http import q


def versioned_target(ref, what, version=None, label=None):
    """`name`, `azureml:name`, `name:version`, `name@latest` of an environment or component: (name, version, label)."""
    raw = re.sub(r"^azureml:", "", ref)
    if raw.startswith("//") or "/" in raw:
        raise ValidationError("ValidationError", "'%s' is not %s name of this workspace: write name, name:version or name@latest (registry URIs name Azure ML registries)" % (ref, "an environment" if what == "environment" else "a " + what), 400)
    name, v, l = raw, None, None
    if "@" in raw:
        name, l = raw.split("@", 1)
    elif ":" in raw:
        name, v = raw.split(":", 1)
    if (v is not None and version is not None and v != str(version)) or (l is not None and label is not None and l != label):
        raise ValidationError("ValidationError", "'%s' already names %s; give the version or label once" % (ref, "version " + v if v is not None else "label " + l), 400)
    version = str(version) if version is not None else v
    label = label if label is not None else l
    if version is not None and label is not None:
        raise ValidationError("ValidationError", "give a version or a label, not both", 400)
    return name, version, label


def environment_target(ref, version=None, label=None):
    """`name`, `azureml:name`, `name:version`, `name@latest`: (name, version, label)."""
    return versioned_target(ref, "environment", version, label)


class Environments(object):
    def __init__(self, client):
        self._c = client
        self._http = client._http

    def _url(self, name="", rest=""):
        return "%s/environments%s%s" % (self._c._ws, "/" + q(name) if name else "", rest)

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

    def get(self, name, version=None, label=None):
        """One version: `version`, or the latest (`label="latest"`, the default)."""
        n, v, l = environment_target(name, version, label)
        query = {"version": v} if v is not None else {"label": l or "latest"}
        return self._http.json("GET", self._url(n), query=query)

    def list(self, name=None, include_archived=False):
        """The latest version of each environment; with `name`, every version of it, newest first."""
        query = {"name": environment_target(name)[0] if name else None, "include_archived": True if include_archived else None}
        return self._http.json("GET", self._url(), query=query)

    def _set_archived(self, name, version, action):
        n, v, l = environment_target(name, version)
        if l is not None:
            raise ValidationError("ValidationError", "%s takes a version, or none for every version of '%s'; not a label" % (action, n), 400)
        return self._http.json("POST", self._url(n, "/" + action), query={"version": v})

    def archive(self, name, version=None):
        """Archives one version, or every version of the name: they leave lists and @latest, stay usable by version."""
        return self._set_archived(name, version, "archive")

    def restore(self, name, version=None):
        return self._set_archived(name, version, "restore")
