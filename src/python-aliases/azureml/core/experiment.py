from cairn.azureml.core.experiment import *  # noqa: F401,F403
from cairn.azureml.core.experiment import __all__  # noqa: F401
