"""Data and model assets (Azure ML's `ml_client.data` and `ml_client.models`): named, immutable
versions of content. A local path is uploaded first (only what the server lacks); other paths
(azureml://datastores/..., azureml://jobs/JOB/outputs/NAME, runs:/..., http URLs) the server reads."""

import os

from ._download import download_asset
from ._errors import ValidationError
from ._files import parse_file
from ._http import q


class Assets(object):
    def __init__(self, client, kind):
        self._c = client
        self._http = client._http
        self.kind = kind  # "data" or "model"
        self._plural = "data" if kind == "data" else "models"

    def _url(self, name="", rest=""):
        return "%s/%s%s%s" % (self._c._ws, self._plural, "/" + q(name) if name else "", rest)

    def create(self, spec, local_path=None):
        """Registers a version from a dict (name, version, type, path, description, tags...) or a
        data/model YAML file. A local `path` (relative to the current folder, or to the file) is
        uploaded; `local_path` uploads that file or folder instead of what `path` names."""
        if isinstance(spec, dict):
            parsed = parse_file(self._http, self._c._ws, self.kind, spec=spec)
        else:
            parsed = parse_file(self._http, self._c._ws, self.kind, path=spec)
        body = {"spec": parsed["spec"]}
        src = os.path.abspath(os.fspath(local_path)) if local_path is not None else parsed.get("local_path")
        if src:
            if not os.path.exists(src):
                raise ValidationError("ValidationError", "path '%s' does not exist (looked in %s)" % (parsed["spec"].get("path"), src), 400)
            body.update(self._c._uploader.data(src))
        return self._http.json("POST", self._url(), body)

    def get(self, name, version=None, label=None):
        """One version, or the latest (label "latest", the default) that is not archived."""
        return self._http.json("GET", self._url(name), query={"version": None if version is None else str(version), "label": label})

    def list(self, name=None, archived=None, max_results=None):
        """Latest version of each; with `name` every version. archived: "true", "false" (default) or "all"."""
        if isinstance(archived, bool):
            archived = "true" if archived else "false"
        r = self._http.json("GET", self._url(), query={"name": name, "archived": archived, "max_results": max_results})
        return r.get(self._plural, [])

    def archive(self, name, version=None):
        """Archives a version (or every version of the name); returns how many changed."""
        return self._http.json("POST", self._url(name, "/archive"), query={"version": None if version is None else str(version)})["changed"]

    def restore(self, name, version=None):
        return self._http.json("POST", self._url(name, "/restore"), query={"version": None if version is None else str(version)})["changed"]

    def download(self, name, version=None, dest="."):
        """The version's files into dest/<name> (Azure's layout); returns that folder, or the file of a uri_file."""
        return download_asset(self._http, self._url(name), name, None if version is None else str(version), dest)
