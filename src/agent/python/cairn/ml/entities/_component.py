"""CommandComponent as azure-ai-ml shapes it (azure.ai.ml.entities.CommandComponent): a reusable,
versioned command with typed inputs and outputs, registered in the workspace and used by pipeline
steps (`component: azureml:NAME:VERSION`).

    train = load_component("train.yml")           # or CommandComponent(name=..., inputs=..., command=...)
    registered = ml_client.components.create_or_update(train)
    ml_client.components.get("train", version=registered.version)

`inputs` declare types, defaults, `optional`, and bounds (`min`, `max`, `enum`); `outputs` their
types; `command` may hold `$[[ ... ]]` sections, kept only when a step gives the inputs they use.
Paths (`code`, an inline environment's conda file or build folder) are relative to the current
folder; the code folder is uploaded when the component is registered (only what the server lacks).
"""

from .._util import Entity, SystemData, compact, plain, refuse, refuse_unknown
from ._io import Input, Output

_COMPONENT_REFUSED = {
    "additional_includes": "additional_includes are not supported yet: put what the command needs in the code folder",
    "properties": "user properties are not supported yet; use tags",
    "instance_count": "write it as resources={'instance_count': N}",
}


def _component_input(v):
    if isinstance(v, Input):
        return v._to_component_spec()
    if isinstance(v, dict):
        return Input(**v)._to_component_spec()
    raise TypeError("a component's input is an Input or a dict of its fields (type, default, optional, ...), not %r" % (v,))


class CommandComponent(Entity):
    type = "command"

    def __init__(self, *, name=None, version=None, display_name=None, description=None, tags=None, command=None, code=None, environment=None,
                 inputs=None, outputs=None, resources=None, distribution=None, is_deterministic=True, additional_includes=None, properties=None,
                 instance_count=None, **kwargs):
        refuse("CommandComponent", dict(additional_includes=additional_includes or None, properties=properties or None, instance_count=instance_count), _COMPONENT_REFUSED)
        refuse_unknown("CommandComponent", kwargs)
        self.name = name
        self.version = None if version is None else str(version)
        self.display_name = display_name
        self.description = description
        self.tags = dict(tags or {})
        self.command = command
        self.code = plain(code)
        self.environment = environment
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.resources = resources
        self.distribution = distribution
        self.is_deterministic = is_deterministic
        self.id = None
        self.creation_context = None
        self.is_archived = False
        self._wire = None

    def _to_spec(self):
        """The component as the server's wire JSON (the Azure ML v2 component YAML's fields)."""
        spec = compact(dict((k, plain(getattr(self, k))) for k in ("name", "version", "display_name", "description", "command", "code")))
        spec["type"] = "command"
        if self.tags:
            spec["tags"] = dict(self.tags)
        if self.environment is not None:
            spec["environment"] = self.environment if isinstance(self.environment, str) else plain(self.environment)
        if self.inputs:
            spec["inputs"] = dict((k, _component_input(v)) for k, v in self.inputs.items())
        if self.outputs:
            spec["outputs"] = dict((k, compact({"type": o.type, "mode": o.mode, "description": o.description}) if isinstance(o, Output) else o) for k, o in self.outputs.items())
        for key in ("resources", "distribution"):
            v = plain(getattr(self, key))
            if v:
                spec[key] = v
        if self.is_deterministic is False:
            spec["is_deterministic"] = False
        return spec

    def _to_dict(self):
        return self._to_spec()

    @classmethod
    def _from_spec(cls, d):
        from ._job import _environment_from_wire

        return cls(
            name=d.get("name"), version=d.get("version"), display_name=d.get("display_name"), description=d.get("description"), tags=d.get("tags"),
            command=d.get("command"), code=d.get("code"), environment=_environment_from_wire(d.get("environment")),
            inputs=dict((k, Input(**v)) for k, v in (d.get("inputs") or {}).items()),
            outputs=dict((k, Output._from_wire(v)) for k, v in (d.get("outputs") or {}).items()),
            resources=d.get("resources"), distribution=d.get("distribution"), is_deterministic=d.get("is_deterministic", True),
        )

    @classmethod
    def _from_wire(cls, d):
        """A registered version as the server shows it: its id (azureml:NAME:VERSION), who made it and when, whether it is archived."""
        c = cls._from_spec(d)
        c.creation_context = SystemData._from_wire(d.get("creation_context"))
        c.is_archived = bool(d.get("archived"))
        if c.name and c.version:
            c.id = "azureml:%s:%s" % (c.name, c.version)
        c._wire = d
        return c


__all__ = ["CommandComponent"]
