"""MLClient: azure-ai-ml's entry point, connected to a Cairn server instead of an Azure workspace.

Where it connects: `url=` and `token=` (Cairn's keyword arguments), else CAIRN_SERVER and
CAIRN_TOKEN, else the local server on 127.0.0.1:$CAIRN_PORT (7667), as the CLI. The workspace:
`workspace=` (Cairn's), else "default". Azure's credential, subscription_id, resource_group_name and
workspace_name are accepted so that Azure's MLClient(...) line still runs, and are not used: they
name an Azure workspace, which Cairn cannot reach (ml_client.subscription_id and friends show them).
"""

import io
import json
import os

from cairn.client import Client

from ._operations import (
    UNSUPPORTED_GROUPS,
    ComponentOperations,
    ComputeOperations,
    DataOperations,
    EnvironmentOperations,
    JobOperations,
    ModelOperations,
    UnsupportedOperations,
)
from ._util import refuse_unknown, unsupported

from ..client._config_file import find_config as _find_config
# Azure's MLClient keyword arguments about its HTTP pipeline and telemetry: no Cairn meaning, no effect.
_AZURE_CLIENT_KWARGS = ("cloud", "show_progress", "enable_telemetry", "user_agent", "logging_enable", "logging_body", "retry_total",
                        "connection_timeout", "read_timeout", "transport", "per_call_policies", "per_retry_policies", "credential_scopes")


def find_config(path=None, file_name=None):
    """The config file from_config reads (the client package's search, shared with cairn.azureml), or None."""
    try:
        return _find_config(path, file_name)
    except LookupError as e:
        raise unsupported("MLClient.from_config(path=%r)" % path, "%s" % e)


def read_config(file):
    """(server, workspace) of a config file: Cairn's {"server", "workspace"}; an Azure config file's
    subscription_id, resource_group and workspace_name are read past (they name an Azure workspace)."""
    with io.open(file, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except ValueError as e:
            raise unsupported("MLClient.from_config", "%s is not JSON: %s" % (file, e))
    if not isinstance(data, dict):
        raise unsupported("MLClient.from_config", '%s must hold an object like {"server": "http://127.0.0.1:7667", "workspace": "default"}' % file)
    return data.get("server"), data.get("workspace")


def default_client(path=None, file_name=None, url=None, token=None, workspace=None, timeout=30):
    """The connection MLClient.from_config() makes (and load_* use): config file, then the CLI's defaults."""
    file = find_config(path, file_name)
    server, ws = read_config(file) if file else (None, None)
    return Client(url=url or server, token=token, workspace=workspace or ws or "default", timeout=timeout)


class MLClient(object):
    def __init__(self, credential=None, subscription_id=None, resource_group_name=None, workspace_name=None, registry_name=None, **kwargs):
        if registry_name is not None:
            raise unsupported("MLClient(registry_name=...)", UNSUPPORTED_GROUPS["registries"])
        client = kwargs.pop("_client", None)
        url, token, workspace, timeout = (kwargs.pop(k, d) for k, d in (("url", None), ("token", None), ("workspace", None), ("timeout", 30)))
        for k in _AZURE_CLIENT_KWARGS:
            kwargs.pop(k, None)
        refuse_unknown("MLClient", kwargs)
        self._credential = credential
        self._azure = {"subscription_id": subscription_id, "resource_group_name": resource_group_name, "workspace_name": workspace_name}
        self._client = client or Client(url=url, token=token, workspace=workspace or "default", timeout=timeout)
        self.jobs = JobOperations(self)
        self.compute = ComputeOperations(self)
        self.environments = EnvironmentOperations(self)
        self.data = DataOperations(self)
        self.models = ModelOperations(self)
        self.components = ComponentOperations(self)
        for group in UNSUPPORTED_GROUPS:
            setattr(self, group, UnsupportedOperations(group))

    @classmethod
    def from_config(cls, credential=None, *, path=None, file_name=None, **kwargs):
        """Reads .cairn/config.json ({"server": URL, "workspace": NAME}), or an Azure config.json
        (its Azure ids are not used), from `path` or the current folder up; without one, the CLI's
        defaults. The token is CAIRN_TOKEN (or token=), never a config file's."""
        url, token, workspace, timeout = (kwargs.pop(k, d) for k, d in (("url", None), ("token", None), ("workspace", None), ("timeout", 30)))
        client = default_client(path, file_name, url, token, workspace, timeout)
        return cls(credential, _client=client, **kwargs)

    @property
    def workspace_name(self):
        """The Cairn workspace everything goes to."""
        return self._client.workspace

    @property
    def subscription_id(self):
        return self._azure["subscription_id"]

    @property
    def resource_group_name(self):
        return self._azure["resource_group_name"]

    @property
    def server(self):
        """The Cairn server's address (Cairn's)."""
        return self._client.url

    def create_or_update(self, entity, **kwargs):
        """Azure's generic create: a job, environment, data or model goes to its operations."""
        from .entities import Data, Environment, Job, Model

        for kind, ops in ((Job, self.jobs), (Environment, self.environments), (Data, self.data), (Model, self.models)):
            if isinstance(entity, kind):
                return ops.create_or_update(entity, **kwargs)
        raise unsupported("ml_client.create_or_update(%s)" % type(entity).__name__, "Cairn creates jobs, environments, data and models here (computes with begin_create_or_update)")

    def begin_create_or_update(self, entity, **kwargs):
        from .entities import Compute

        if isinstance(entity, Compute):
            return self.compute.begin_create_or_update(entity, **kwargs)
        raise unsupported("ml_client.begin_create_or_update(%s)" % type(entity).__name__, "Cairn's long-running creates are computes; workspaces and endpoints are not offered")

    def close(self):
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "MLClient(server=%r, workspace=%r)" % (self._client.url, self._client.workspace)
