"""ml_client.components: create_or_update, get, list, archive, restore. Versions never change once
made; a pipeline step uses one as `component: azureml:NAME:VERSION` (or `azureml:NAME@latest`)."""

from .._util import refuse_unknown, unsupported
from ..constants import ListViewType
from ..entities._component import CommandComponent
from ._assets import _REGISTRIES, _one


class ComponentOperations(object):
    def __init__(self, ml):
        self._c = ml._client

    def create_or_update(self, component, version=None, **kwargs):
        """Registers a version (the next number when none is given); the same content again answers
        with its existing version, other content under a taken version is refused. The code folder
        (relative to the current folder) is uploaded first, only what the server lacks."""
        refuse_unknown("components.create_or_update", kwargs, ("skip_validation",))
        if not isinstance(component, CommandComponent):
            raise unsupported("components.create_or_update(%s)" % type(component).__name__, "give a CommandComponent (load_component or CommandComponent(...)): only command components are supported")
        if not component.name:
            raise unsupported("components.create_or_update(CommandComponent without name)", "a registered component needs a name")
        spec = component._to_spec()
        if version is not None:
            spec["version"] = str(version)
        return CommandComponent._from_wire(self._c.components.create(spec))

    def get(self, name, version=None, label=None):
        """A version, or with neither version nor label the latest; archived versions only by exact version."""
        v, l = _one(version, label)
        return CommandComponent._from_wire(self._c.components.get(name, version=v, label=l))

    def list(self, name=None, *, list_view_type=ListViewType.ACTIVE_ONLY, **kwargs):
        """The latest version of each component; with `name`, every version of it, newest first."""
        refuse_unknown("components.list", kwargs)
        found = self._c.components.list(name=name, include_archived=list_view_type != ListViewType.ACTIVE_ONLY)
        if list_view_type == ListViewType.ARCHIVED_ONLY:
            found = [c for c in found if c.get("archived")]
        return [CommandComponent._from_wire(c) for c in found]

    def _version(self, name, version, label):
        v, l = _one(version, label)
        return v if l is None else self.get(name, label=l).version

    def archive(self, name, version=None, label=None, **kwargs):
        """One version, or without version and label every version of the name."""
        self._c.components.archive(name, version=self._version(name, version, label))

    def restore(self, name, version=None, label=None, **kwargs):
        self._c.components.restore(name, version=self._version(name, version, label))

    def validate(self, component, **kwargs):
        """Checks the component as registering it would (types, command, code folder) without creating anything; raises the one-line error."""
        if not isinstance(component, CommandComponent):
            raise unsupported("components.validate(%s)" % type(component).__name__, "give a CommandComponent")
        from cairn.client._files import parse_file

        parse_file(self._c._http, self._c._ws, "component", spec=component._to_spec())
        return component

    def share(self, *args, **kwargs):
        raise unsupported("components.share", _REGISTRIES)

    def download(self, *args, **kwargs):
        raise unsupported("components.download", "a component's code is a snapshot on the server: `cairn component show -n NAME:VERSION` names it; run a job with it to get its files")
