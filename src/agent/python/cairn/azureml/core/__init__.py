"""azureml.core's names over a Cairn server (see cairn.azureml)."""

from .workspace import Workspace
from .experiment import Experiment
from .environment import Environment
from .runconfig import RunConfiguration
from .script_run_config import ScriptRunConfig
from .run import Run
from .compute import ComputeTarget

__all__ = ["Workspace", "Experiment", "Environment", "RunConfiguration", "ScriptRunConfig", "Run", "ComputeTarget"]

# azureml.core names Cairn does not offer through these shapes: say where to go instead of a bare ImportError.
_ELSEWHERE = {
    "Dataset": "data assets: cairn.ml's Data, or `cairn data create`",
    "Datastore": "datastores: `cairn datastore create -f ds.yml`",
    "Model": "models: cairn.ml's Model, or `cairn model create`",
    "ScriptRun": "Run (a submitted run is a Run)",
    "Webservice": "nothing: Cairn does not serve models",
}


def __getattr__(name):
    where = _ELSEWHERE.get(name)
    if where:
        raise ImportError("cairn.azureml.core does not offer %s; for %s" % (name, where))
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
