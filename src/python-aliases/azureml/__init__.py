"""Alias (cairn-azure-aliases): azureml.* is Cairn's cairn.azureml.*, over a Cairn server."""

import cairn_azure_aliases

cairn_azure_aliases.notice("azureml.core", "Cairn's shape (cairn.azureml.core)")
