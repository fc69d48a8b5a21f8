"""Input and Output: a job's data and literal inputs and its outputs, as azure-ai-ml writes them.

A data input (`uri_folder`, `uri_file`, `mltable`, `custom_model`, `mlflow_model`) has a path: a
local file or folder (uploaded at submit, only what the server lacks), `azureml:NAME:VERSION`,
`azureml://datastores/NAME/paths/...` of a Cairn datastore, `azureml://jobs/JOB/outputs/NAME`, an
http(s) URL or `runs:/...`. A literal input (`string`, `integer`, `number`, `boolean`) gives the
value `${{inputs.x}}` stands for in the command.
"""

from .._util import Entity, compact, plain, refuse, unsupported

LITERAL_TYPES = ("string", "integer", "number", "boolean")

_INPUT_REFUSED = {
    "datastore": "Cairn reads the datastore from the path: write azureml://datastores/NAME/paths/PATH",
}
# Bounds and allowed values describe a component's input; a job's input is one value.
_COMPONENT_ONLY = ("min", "max", "enum")


class Input(Entity):
    def __init__(self, *, type="uri_folder", path=None, mode=None, optional=None, default=None, min=None, max=None, enum=None, description=None, datastore=None, **kwargs):
        refuse("Input", dict(datastore=datastore), _INPUT_REFUSED)
        refuse("Input", kwargs, dict((k, "not an Input argument Cairn takes") for k in kwargs))
        self.type = type
        self.path = plain(path)
        self.mode = mode
        self.optional = optional
        self.default = default
        self.description = description
        self.min = min
        self.max = max
        self.enum = list(enum) if enum is not None else None

    @property
    def is_literal(self):
        return self.type in LITERAL_TYPES

    def _to_spec(self):
        for k in _COMPONENT_ONLY:
            if getattr(self, k) is not None:
                raise unsupported("Input(%s=...) of a job" % k, "bounds and allowed values describe a component's inputs (CommandComponent); a job's input is one value: check it in your script")
        if self.is_literal:
            # Cairn's literal input: {type, default, description}; ${{inputs.x}} reads the default.
            return compact({"type": self.type, "default": self.default, "description": self.description})
        return compact({"type": self.type, "path": self.path, "mode": self.mode, "description": self.description})

    def _to_component_spec(self):
        """The input as a component declares it: its type, default, optional, bounds and allowed values."""
        return compact({"type": self.type, "description": self.description, "optional": self.optional, "default": self.default,
                        "min": self.min, "max": self.max, "enum": self.enum, "mode": self.mode})

    @classmethod
    def _from_wire(cls, v):
        """A job's input as the server shows it: a plain value (`lr: 0.1`), a literal or a data input."""
        if not isinstance(v, dict):
            return v
        if v.get("type") in LITERAL_TYPES or "value" in v or "default" in v:
            return cls(type=v.get("type") or "string", default=v.get("value", v.get("default")), description=v.get("description"))
        return cls(type=v.get("type"), path=v.get("path"), mode=v.get("mode"), description=v.get("description"))

    def __repr__(self):
        if self.is_literal:
            return "Input(type=%r, default=%r)" % (self.type, self.default)
        return "Input(type=%r, path=%r%s)" % (self.type, self.path, ", mode=%r" % self.mode if self.mode else "")


class Output(Entity):
    """An output: a folder the job writes (`${{outputs.x}}` is its path), kept with the job; with
    `path` also written to azureml://datastores/NAME/paths/PATH, with `name` (and `version`)
    registered as a data or model asset when the job completes."""

    def __init__(self, *, type="uri_folder", path=None, mode=None, description=None, name=None, version=None, **kwargs):
        refuse("Output", kwargs, dict((k, "not an Output argument Cairn takes") for k in kwargs))
        self.type = type
        self.path = plain(path)
        self.mode = mode
        self.description = description
        self.name = name
        self.version = version

    _FIELDS = ("type", "mode", "path", "name", "version", "description")

    @classmethod
    def _from_wire(cls, v):
        v = v or {}
        return cls(type=v.get("type") or "uri_folder", path=v.get("path"), mode=v.get("mode"), description=v.get("description"), name=v.get("name"), version=v.get("version"))

    def __repr__(self):
        return "Output(type=%r%s)" % (self.type, "".join(", %s=%r" % (k, getattr(self, k)) for k in ("path", "mode", "name", "version") if getattr(self, k)))


def inputs_to_spec(inputs):
    """command()'s inputs: Input objects, dicts (Azure reads them as Input), or plain literals."""
    out = {}
    for key, v in (inputs or {}).items():
        if v is None:
            continue  # azure-ai-ml drops None job inputs too
        if isinstance(v, dict):
            v = Input(**v)
        out[key] = v._to_spec() if isinstance(v, Input) else v
    return out


def outputs_to_spec(outputs):
    out = {}
    for key, v in (outputs or {}).items():
        if isinstance(v, dict) and v:
            v = Output(**v)
        out[key] = v._to_spec() if isinstance(v, Output) else None
    return out
