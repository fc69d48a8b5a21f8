from cairn.azureml.core.run import *  # noqa: F401,F403
from cairn.azureml.core.run import __all__  # noqa: F401
