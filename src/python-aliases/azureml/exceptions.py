from cairn.azureml.exceptions import *  # noqa: F401,F403
from cairn.azureml.exceptions import __all__  # noqa: F401
