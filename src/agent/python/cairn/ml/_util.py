"""What every cairn.ml entity and operation shares: the Unsupported error for Azure-only features,
conversion of entities to the server's wire JSON (the Azure ML v2 YAML shape), and `dump`."""

import io
import json
import os

from cairn.client import Unsupported


def unsupported(what, why):
    """The typed error for something Azure ML takes that Cairn cannot honour: raised before anything
    is sent, so nothing is half-created. status 0: the client decided, the server was not asked."""
    return Unsupported("Unsupported", "%s: %s" % (what, why), 0)


def refuse(owner, given, reasons):
    """Raises Unsupported for the first Azure-only argument that was given (not None).

    `reasons`: {argument: why Cairn cannot honour it}; `given`: {argument: value}."""
    for key in sorted(given):
        if given[key] is not None and key in reasons:
            raise unsupported("%s(%s=...)" % (owner, key), reasons[key])


def refuse_unknown(owner, kwargs, known=()):
    """Keyword arguments neither Azure's nor Cairn's: a clear error rather than a silent drop."""
    extra = sorted(k for k in kwargs if k not in known)
    if extra:
        raise unsupported("%s(%s=...)" % (owner, extra[0]), "not an argument Cairn takes (azure-ai-ml's arguments Cairn honours are listed in the README, section Python SDK)")


def plain(value):
    """Entities, lists and dicts as plain JSON values (entities by their `_to_spec`)."""
    if hasattr(value, "_to_spec"):
        return value._to_spec()
    if isinstance(value, dict):
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "__fspath__"):
        return os.fspath(value)
    return value


def compact(d):
    """The dict without None values (a field left out means the server's default)."""
    return dict((k, v) for k, v in d.items() if v is not None)


class Entity(object):
    """Base of the entities: `_FIELDS` are attributes that go to the wire under the same name."""

    _FIELDS = ()

    def _to_spec(self):
        return compact(dict((k, plain(getattr(self, k, None))) for k in self._FIELDS))

    def _to_dict(self):
        return self._to_spec()

    def dump(self, dest, **kwargs):
        """Writes the entity's YAML to `dest` (a path or a text stream). JSON is YAML, and the
        standard library writes JSON: the file reads back with load_* and `cairn ... create -f`."""
        text = json.dumps(self._to_dict(), indent=2, sort_keys=False) + "\n"
        if hasattr(dest, "write"):
            dest.write(text)
            return
        with io.open(os.fspath(dest), "w", encoding="utf-8") as f:
            f.write(text)

    def __repr__(self):
        shown = ", ".join("%s=%r" % (k, getattr(self, k)) for k in ("name", "version", "type", "status") if getattr(self, k, None) is not None)
        return "%s(%s)" % (type(self).__name__, shown)


class SystemData(object):
    """Azure's creation_context: who made a resource and when (ISO 8601 text, as the server sends it)."""

    def __init__(self, created_at=None, created_by=None, created_by_type="User", last_modified_at=None, last_modified_by=None, last_modified_by_type=None):
        self.created_at = created_at
        self.created_by = created_by
        self.created_by_type = created_by_type
        self.last_modified_at = last_modified_at
        self.last_modified_by = last_modified_by
        self.last_modified_by_type = last_modified_by_type

    @classmethod
    def _from_wire(cls, d):
        if not d:
            return None
        return cls(created_at=d.get("created_at"), created_by=d.get("created_by"), last_modified_at=d.get("last_modified_at", d.get("created_at")))

    def __repr__(self):
        return "SystemData(created_at=%r, created_by=%r)" % (self.created_at, self.created_by)
