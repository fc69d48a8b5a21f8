"""azureml.core.Workspace: a Cairn server and one of its workspaces.

How a Workspace is obtained (the one line of the articles that changes besides the imports):

* ``Workspace.from_config(path=None)`` reads a Cairn config file ``{"server": URL, "workspace":
  NAME}`` (both optional). Without ``path`` it looks for ``.cairn/config.json``, then
  ``.azureml/config.json``, in the current folder and each folder above it, as Azure looks for its
  own; ``path`` may name the file or a folder holding it (``config.json`` there counts too).
  Without any file it uses the CLI's defaults: ``CAIRN_SERVER``, else the local server on
  ``127.0.0.1:$CAIRN_PORT`` (7667), and workspace ``default``. ``ws.write_config()`` writes one.
* ``Workspace.get(name)`` / ``Workspace(workspace_name=name)``: that workspace on the default server.
* The token is always ``CAIRN_TOKEN`` (never in a config file, which may be committed).

Azure subscriptions, resource groups, regions and Azure credentials have no Cairn meaning: passing
them raises UserErrorException saying so. A workspace is a name on the server, made on first use.
"""

import io
import json
import os

from ..exceptions import UserErrorException, WorkspaceException

__all__ = ["Workspace"]

from ...client._config_file import find_config as _find_config
_KEYS = ("server", "workspace", "workspace_name")
_AZURE_KEYS = ("subscription_id", "resource_group", "location", "tenant_id")


def _refuse_azure(**given):
    """Raises for Azure-only arguments that were given (not None)."""
    named = [k for k, v in given.items() if v is not None and v is not False]
    if not named:
        return
    what = ", ".join(sorted(named))
    raise UserErrorException(
        "%s: Cairn has no Azure subscriptions, resource groups, regions or Azure logins; a workspace is a name on a "
        "Cairn server. Use Workspace.from_config() (reads .cairn/config.json, else $CAIRN_SERVER or the local server) "
        "or Workspace.get(name), and $CAIRN_TOKEN for the token" % what,
        code="Unsupported",
    )


def find_config(path=None, file_name=None):
    """The config file from_config would read, or None (the search is the client package's, shared with cairn.ml)."""
    try:
        return _find_config(path, file_name)
    except LookupError as e:
        raise UserErrorException("%s" % e, code="NotFound")


def read_config(file):
    """(server, workspace) from a Cairn config file; Azure's own config files are refused, saying why."""
    try:
        with io.open(file, encoding="utf-8") as f:
            data = json.load(f)
    except ValueError as e:
        raise UserErrorException("%s is not JSON: %s" % (file, e), code="ValidationError")
    if not isinstance(data, dict):
        raise UserErrorException('%s must hold a JSON object like {"server": "http://127.0.0.1:7667", "workspace": "default"}' % file, code="ValidationError")
    azure = [k for k in _AZURE_KEYS if k in data]
    if azure:
        raise UserErrorException(
            '%s is an Azure ML workspace config (%s): Cairn has no Azure subscriptions or resource groups. Write '
            '{"server": "http://HOST:7667", "workspace": "default"} to .cairn/config.json instead (ws.write_config() does)' % (file, ", ".join(azure)),
            code="Unsupported",
        )
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise UserErrorException("%s: unknown field%s %s; a Cairn config file has server and workspace (the token comes from $CAIRN_TOKEN)" % (file, "s" if len(unknown) > 1 else "", ", ".join(repr(k) for k in unknown)), code="ValidationError")
    return data.get("server"), data.get("workspace") or data.get("workspace_name")


class Workspace(object):
    def __init__(self, subscription_id=None, resource_group=None, workspace_name=None, auth=None, _location=None, _disable_service_check=False, _workspace_id=None, sku="basic", tags=None, _cloud="AzureCloud", server=None, token=None):
        _refuse_azure(subscription_id=subscription_id, resource_group=resource_group, auth=auth, location=_location, workspace_id=_workspace_id, tags=tags)
        from cairn.client import Client

        self._name = workspace_name or "default"
        self._client = Client(url=server, token=token, workspace=self._name)
        if not _disable_service_check:
            # Azure checks the workspace here; Cairn checks the server answers (and the token works).
            self._client.computes.list()

    @staticmethod
    def from_config(path=None, auth=None, _logger=None, _file_name=None, server=None, token=None):
        _refuse_azure(auth=auth)
        file = find_config(path, _file_name)
        cfg_server, cfg_ws = read_config(file) if file else (None, None)
        ws = Workspace(workspace_name=cfg_ws, server=server or cfg_server, token=token)
        ws._config_file = file
        return ws

    @staticmethod
    def get(name, auth=None, subscription_id=None, resource_group=None, location=None, cloud="AzureCloud", id=None, server=None, token=None):
        _refuse_azure(auth=auth, subscription_id=subscription_id, resource_group=resource_group, location=location, id=id)
        return Workspace(workspace_name=name, server=server, token=token)

    @staticmethod
    def create(name, auth=None, subscription_id=None, resource_group=None, location=None, create_resource_group=True, sku="basic", **kwargs):
        _refuse_azure(auth=auth, subscription_id=subscription_id, resource_group=resource_group, location=location)
        raise UserErrorException(
            "Workspace.create: a Cairn workspace needs no creating, it is a name on the server made on first use: use Workspace.get(%r)" % (name,),
            code="Unsupported",
        )

    @staticmethod
    def list(subscription_id=None, auth=None, resource_group=None):
        raise UserErrorException("Workspace.list lists an Azure subscription's workspaces; Cairn has no subscriptions: use Workspace.get(name)", code="Unsupported")

    def delete(self, delete_dependent_resources=False, no_wait=False):
        raise UserErrorException("a Cairn workspace is not deleted from Python: delete its computes, jobs' outputs and assets with the CLI", code="Unsupported")

    # -- what the articles read --------------------------------------------------------------

    @property
    def name(self):
        return self._name

    @property
    def server(self):
        return self._client.url

    # Azure's facts that Cairn has not: None, so `print(ws.subscription_id)` in a notebook still runs.
    subscription_id = None
    resource_group = None
    location = None
    sku = None
    tags = None

    @property
    def compute_targets(self):
        """{name: ComputeTarget} of every compute of the workspace."""
        from .compute import ComputeTarget

        return dict((c.name, c) for c in ComputeTarget.list(self))

    @property
    def environments(self):
        from .environment import Environment

        return Environment.list(self)

    def get_mlflow_tracking_uri(self):
        """The server speaks MLflow's tracking API at its own address."""
        return self._client.url

    def get_details(self):
        return {"name": self._name, "server": self._client.url, "id": "/workspaces/%s" % self._name}

    def write_config(self, path=None, file_name=None):
        """Writes path/.cairn/config.json (path: the current folder) with this server and workspace; returns its path."""
        folder = os.path.join(os.path.abspath(path or "."), ".cairn")
        if not os.path.isdir(folder):
            os.makedirs(folder)
        file = os.path.join(folder, file_name or "config.json")
        with io.open(file, "w", encoding="utf-8") as f:
            f.write(json.dumps({"server": self._client.url, "workspace": self._name}, indent=2) + "\n")
        return file

    def __repr__(self):
        return "Workspace(name=%r, server=%r)" % (self._name, self._client.url)
