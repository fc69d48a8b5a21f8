from cairn.azureml.core.compute_target import *  # noqa: F401,F403
from cairn.azureml.core.compute_target import __all__  # noqa: F401
