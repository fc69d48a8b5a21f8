from cairn.ml.sweep import *  # noqa: F401,F403
from cairn.ml.sweep import __all__  # noqa: F401
