from cairn.ml.entities import *  # noqa: F401,F403
from cairn.ml.entities import __all__  # noqa: F401
