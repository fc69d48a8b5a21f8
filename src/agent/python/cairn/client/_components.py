"""Registered command components (Azure ML's `ml_client.components`): create from a component YAML
file or a dict (code and an inline environment's files as paths), get a version or the latest,
list, archive and restore. Versions never change: the same content again answers with its version;
other content under a taken version is refused."""

import re
import warnings

from ._errors import ValidationError
from ._files import parse_file, set_value
from ._upload import CairnWarning
from ._versioned import Versioned


class Components(Versioned):
    _PATH = "components"
    _WHAT = "component"

    def create(self, spec_or_path, name=None, version=None):
        """Registers a version from a component YAML file (type: command) or a dict written like one
        (paths relative to the current folder); its code folder, and an inline environment's build
        folder, are uploaded first (only what the server lacks). Without a version the server gives
        the next number, or the latest when nothing changed. The server's warnings are warned as
        CairnWarning."""
        if isinstance(spec_or_path, dict):
            spec = dict(spec_or_path)
            if name is not None:
                spec["name"] = name
            if version is not None:
                spec["version"] = str(version)
            if isinstance(spec.get("name"), str):
                spec["name"] = re.sub(r"^azureml:", "", spec["name"])
            parsed = parse_file(self._http, self._c._ws, "component", spec=spec)
            where = "the component"
        else:
            overrides = (("name", None if name is None else re.sub(r"^azureml:", "", name)), ("version", None if version is None else str(version)))
            parsed = parse_file(self._http, self._c._ws, "component", path=spec_or_path, sets=[set_value(k, v) for k, v in overrides if v is not None])
            where = str(spec_or_path)
        if not parsed["spec"].get("name"):
            raise ValidationError("ValidationError", "a component to register needs a name: add name: to %s or give name=" % where, 400)
        return self.register(parsed)

    def register(self, parsed):
        """Registers what the parse route read: uploads the code folder and an inline environment's build folder, then creates the version."""
        spec = parsed["spec"]
        up = self._c._uploader
        env = spec.get("environment")
        if isinstance(env, dict) and env.get("build") and parsed.get("build_dir"):
            env["build"]["snapshot_id"] = up.folder(parsed["build_dir"])
        body = {"spec": spec}
        if parsed.get("code_dir"):
            body["snapshot_id"] = up.folder(parsed["code_dir"])
        created = self._http.json("POST", self._url(), body)
        for w in created.pop("warnings", None) or []:
            warnings.warn(w, CairnWarning, stacklevel=3)
        return created
