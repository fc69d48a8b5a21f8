from cairn.azureml.core.compute import *  # noqa: F401,F403
from cairn.azureml.core.compute import __all__  # noqa: F401
