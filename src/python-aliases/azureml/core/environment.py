from cairn.azureml.core.environment import *  # noqa: F401,F403
from cairn.azureml.core.environment import __all__  # noqa: F401
