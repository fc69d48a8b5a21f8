"""The operation groups of MLClient; Azure's groups that Cairn has no counterpart for answer every
call with Unsupported naming the feature (never a silent no-op)."""

from .._util import unsupported
from ._assets import DataOperations, EnvironmentOperations, ModelOperations
from ._components import ComponentOperations
from ._compute import ComputeOperations
from ._jobs import JobException, JobOperations

# Azure's other groups, and why Cairn has none.
UNSUPPORTED_GROUPS = {
    "workspaces": "a Cairn workspace is a name on the server, not an Azure resource: there is nothing to create, get or delete from Python (MLClient(workspace=NAME) picks one)",
    "online_endpoints": "online endpoints (model serving) are not part of Cairn: it trains and tracks, it does not serve",
    "online_deployments": "online deployments (model serving) are not part of Cairn: it trains and tracks, it does not serve",
    "batch_endpoints": "batch endpoints are not supported; submit a command job that scores the data",
    "batch_deployments": "batch deployments are not supported; submit a command job that scores the data",
    "registries": "Azure ML registries have no Cairn counterpart: every asset lives in its workspace",
    "schedules": "job schedules are not supported yet",
    "datastores": "datastores are managed with `cairn datastore create|list|show` (s3, sftp, local_folder; Azure storage kinds cannot be reached)",
    "connections": "workspace connections are Azure resources; Cairn has none",
    "feature_stores": "feature stores are not supported",
    "feature_sets": "feature stores are not supported",
    "feature_store_entities": "feature stores are not supported",
    "serverless_endpoints": "serverless endpoints are not supported: Cairn does not serve models",
    "marketplace_subscriptions": "Azure Marketplace has no Cairn counterpart",
    "indexes": "indexes are not supported",
    "evaluators": "evaluators are not supported",
    "workspace_outbound_rules": "Azure managed networks have no Cairn counterpart",
    "virtual_clusters": "Azure virtual clusters have no Cairn counterpart",
}


class UnsupportedOperations(object):
    """ml_client.<group> for a group Cairn has not: any method call raises Unsupported."""

    def __init__(self, group):
        self._group = group

    def __getattr__(self, method):
        if method.startswith("__"):
            raise AttributeError(method)
        group = self._group

        def refuse(*args, **kwargs):
            raise unsupported("ml_client.%s.%s" % (group, method), UNSUPPORTED_GROUPS[group])

        return refuse

    def __repr__(self):
        return "<ml_client.%s: not offered by Cairn>" % self._group


__all__ = ["ComponentOperations", "ComputeOperations", "DataOperations", "EnvironmentOperations", "JobException", "JobOperations", "ModelOperations", "UnsupportedOperations", "UNSUPPORTED_GROUPS"]
