from cairn.ml.constants import *  # noqa: F401,F403
