"""Alias of cairn.azureml.core (cairn-azure-aliases)."""

from cairn.azureml.core import *  # noqa: F401,F403
from cairn.azureml.core import __all__, __getattr__  # noqa: F401
