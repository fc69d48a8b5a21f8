from cairn.azureml.core.script_run_config import *  # noqa: F401,F403
from cairn.azureml.core.script_run_config import __all__  # noqa: F401
