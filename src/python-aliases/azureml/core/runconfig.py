from cairn.azureml.core.runconfig import *  # noqa: F401,F403
from cairn.azureml.core.runconfig import __all__  # noqa: F401
