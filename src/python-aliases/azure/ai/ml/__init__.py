"""Alias (cairn-azure-aliases): azure.ai.ml is Cairn's cairn.ml, over a Cairn server."""

import cairn_azure_aliases

cairn_azure_aliases.notice("azure.ai.ml", "Cairn's shape (cairn.ml)")

from cairn.ml import *  # noqa: E402,F401,F403
from cairn.ml import __all__  # noqa: E402,F401
