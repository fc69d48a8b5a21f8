"""ml_client.environments, ml_client.data and ml_client.models: create_or_update, get, list,
archive, restore (and models.download). Versions never change once made."""

import os

from .._util import refuse_unknown, unsupported
from ..constants import ListViewType
from ..entities._assets import Data, Environment, Model

_REGISTRIES = "Azure ML registries have no Cairn counterpart: every asset lives in its workspace"


def _one(version, label):
    if version is not None and label is not None:
        raise unsupported("version and label together", "give a version or a label, not both")
    return None if version is None else str(version), label


def _archived(list_view_type):
    """Cairn's archived filter for Azure's ListViewType."""
    return {ListViewType.ACTIVE_ONLY: "false", ListViewType.ARCHIVED_ONLY: "true", ListViewType.ALL: "all"}.get(list_view_type, list_view_type)


class EnvironmentOperations(object):
    def __init__(self, ml):
        self._c = ml._client

    def create_or_update(self, environment, **kwargs):
        """Registers a version (the next number when none is given); the same content again answers
        with its existing version. A conda file or build folder is read from the current folder."""
        refuse_unknown("environments.create_or_update", kwargs)
        if not isinstance(environment, Environment):
            raise unsupported("environments.create_or_update(%s)" % type(environment).__name__, "give an Environment")
        if not environment.name:
            raise unsupported("environments.create_or_update(Environment without name)", "a registered environment needs a name")
        return Environment._from_wire(self._c.environments.create(environment._to_spec()))

    def get(self, name, version=None, label=None):
        """A version, or with neither version nor label the latest (Azure asks for one of them)."""
        v, l = _one(version, label)
        return Environment._from_wire(self._c.environments.get(name, version=v, label=l))

    def list(self, name=None, *, list_view_type=ListViewType.ACTIVE_ONLY):
        """The latest version of each environment; with `name`, every version of it."""
        envs = self._c.environments.list(name=name, include_archived=list_view_type != ListViewType.ACTIVE_ONLY)
        if list_view_type == ListViewType.ARCHIVED_ONLY:
            envs = [e for e in envs if e.get("archived")]
        return [Environment._from_wire(e) for e in envs]

    def archive(self, name, version=None, label=None, **kwargs):
        v, l = _one(version, label)
        self._c.environments.archive(name, version=v if l is None else self.get(name, label=l).version)

    def restore(self, name, version=None, label=None, **kwargs):
        v, l = _one(version, label)
        self._c.environments.restore(name, version=v if l is None else self.get(name, label=l).version)

    def share(self, *args, **kwargs):
        raise unsupported("environments.share", _REGISTRIES)


class _AssetOperations(object):
    _ENTITY = None
    _KIND = None

    def __init__(self, ml):
        self._c = ml._client
        self._ops = getattr(ml._client, "data" if self._KIND == "data" else "models")

    def create_or_update(self, asset, **kwargs):
        """Registers a version; a local path (relative to the current folder) is uploaded first,
        only what the server lacks."""
        refuse_unknown("%s.create_or_update" % self._KIND, kwargs)
        if not isinstance(asset, self._ENTITY):
            raise unsupported("%s.create_or_update(%s)" % (self._KIND, type(asset).__name__), "give a %s" % self._ENTITY.__name__)
        return self._ENTITY._from_wire(self._ops.create(asset._to_spec()))

    def get(self, name, version=None, label=None):
        v, l = _one(version, label)
        return self._ENTITY._from_wire(self._ops.get(name, version=v, label=l))

    def list(self, name=None, *, list_view_type=ListViewType.ACTIVE_ONLY, **kwargs):
        refuse_unknown("%s.list" % self._KIND, kwargs, ("max_results",))
        return [self._ENTITY._from_wire(a) for a in self._ops.list(name=name, archived=_archived(list_view_type), max_results=kwargs.get("max_results"))]

    def _version(self, name, version, label):
        v, l = _one(version, label)
        return v if l is None else self.get(name, label=l).version

    def archive(self, name, version=None, label=None, **kwargs):
        self._ops.archive(name, version=self._version(name, version, label))

    def restore(self, name, version=None, label=None, **kwargs):
        self._ops.restore(name, version=self._version(name, version, label))

    def share(self, *args, **kwargs):
        raise unsupported("%s.share" % self._KIND, _REGISTRIES)


class DataOperations(_AssetOperations):
    _ENTITY = Data
    _KIND = "data"

    def import_data(self, *args, **kwargs):
        raise unsupported("data.import_data", "importing from external databases is not supported; register a Cairn datastore (s3, sftp, local_folder) and point a data asset at it")

    def mount(self, *args, **kwargs):
        raise unsupported("data.mount", "mounting assets on this machine is not supported; a job gets its inputs mounted or downloaded by its node")

    def list_materialization_status(self, *args, **kwargs):
        raise unsupported("data.list_materialization_status", "data imports are not supported")


class ModelOperations(_AssetOperations):
    _ENTITY = Model
    _KIND = "models"

    def list(self, name=None, stage=None, *, list_view_type=ListViewType.ACTIVE_ONLY, **kwargs):
        models = _AssetOperations.list(self, name, list_view_type=list_view_type, **kwargs)
        return [m for m in models if stage is None or m.stage == stage]

    def download(self, name, version, download_path="."):
        """The version's files into download_path/NAME/ (Azure's layout); each checked by sha256."""
        self._ops.download(name, version=str(version), dest=os.fspath(download_path))

    def package(self, *args, **kwargs):
        raise unsupported("models.package", "packaging models for online endpoints is not supported: Cairn trains, it does not serve")

    begin_package = package
