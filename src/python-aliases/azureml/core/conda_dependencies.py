from cairn.azureml.core.conda_dependencies import *  # noqa: F401,F403
from cairn.azureml.core.conda_dependencies import __all__  # noqa: F401
