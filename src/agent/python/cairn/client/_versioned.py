"""What registered environments and components share: `NAME`, `NAME:VERSION` and `NAME@latest`
references, and get, list, archive and restore of their versions."""

import re

from ._errors import ValidationError
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


class Versioned(object):
    """A group of versioned things under `/workspaces/WS/<_PATH>`: `_WHAT` names one in messages."""

    _PATH = None
    _WHAT = None

    def __init__(self, client):
        self._c = client
        self._http = client._http

    def _url(self, name="", rest=""):
        return "%s/%s%s%s" % (self._c._ws, self._PATH, "/" + q(name) if name else "", rest)

    def _target(self, ref, version=None, label=None):
        return versioned_target(ref, self._WHAT, version, label)

    def get(self, name, version=None, label=None):
        """One version: `version`, or the latest (`label="latest"`, the default); archived versions only by exact version."""
        n, v, l = self._target(name, version, label)
        query = {"version": v} if v is not None else {"label": l or "latest"}
        return self._http.json("GET", self._url(n), query=query)

    def list(self, name=None, include_archived=False):
        """The latest version of each; with `name`, every version of it, newest first."""
        query = {"name": self._target(name)[0] if name else None, "include_archived": True if include_archived else None}
        return self._http.json("GET", self._url(), query=query)

    def _set_archived(self, name, version, action):
        n, v, l = self._target(name, version)
        if l is not None:
            raise ValidationError("ValidationError", "%s takes a version, or none for every version of '%s'; not a label" % (action, n), 400)
        return self._http.json("POST", self._url(n, "/" + action), query={"version": v})

    def archive(self, name, version=None):
        """Archives one version, or every version of the name: they leave lists and @latest, stay usable by exact version."""
        return self._set_archived(name, version, "archive")

    def restore(self, name, version=None):
        return self._set_archived(name, version, "restore")
