"""Alias (cairn-azure-aliases): stand-ins for azure.identity's credentials, so Azure's
`MLClient(DefaultAzureCredential(), ...)` line runs unchanged. Cairn does not use them: the
token is $CAIRN_TOKEN. Asking one for an Azure token says so. Do not install this shim beside
Microsoft's azure-identity: both own this module."""

import cairn_azure_aliases

cairn_azure_aliases.notice("azure.identity", "Cairn's stand-in (credentials are not used: the token is $CAIRN_TOKEN)")

__all__ = [
    "AzureCliCredential", "ChainedTokenCredential", "ClientSecretCredential", "DefaultAzureCredential", "DeviceCodeCredential",
    "EnvironmentCredential", "InteractiveBrowserCredential", "ManagedIdentityCredential",
]


class _StandIn(object):
    def __init__(self, *args, **kwargs):
        pass

    def get_token(self, *scopes, **kwargs):
        raise RuntimeError("cairn-azure-aliases: %s is a stand-in and has no Azure token; Cairn authenticates with $CAIRN_TOKEN" % type(self).__name__)

    def close(self):
        pass


class DefaultAzureCredential(_StandIn):
    pass


class AzureCliCredential(_StandIn):
    pass


class InteractiveBrowserCredential(_StandIn):
    pass


class ManagedIdentityCredential(_StandIn):
    pass


class ClientSecretCredential(_StandIn):
    pass


class EnvironmentCredential(_StandIn):
    pass


class DeviceCodeCredential(_StandIn):
    pass


class ChainedTokenCredential(_StandIn):
    pass
