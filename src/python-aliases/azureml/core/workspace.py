from cairn.azureml.core.workspace import *  # noqa: F401,F403
from cairn.azureml.core.workspace import __all__  # noqa: F401
