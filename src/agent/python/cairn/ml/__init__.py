"""cairn.ml: azure-ai-ml (Azure ML SDK v2) shapes over a Cairn server.

::

    from cairn.ml import MLClient, command, Input, Output
    ml_client = MLClient()               # or MLClient(DefaultAzureCredential(), sub, rg, ws): Azure's ids are not used
    job = command(code="./src", command="python train.py --data ${{inputs.data}} --lr ${{inputs.lr}}",
                  inputs={"data": Input(type="uri_folder", path="./data"), "lr": 0.05},
                  outputs={"model": Output(type="uri_folder")}, environment="azureml:my-env:1", compute="cpu-cluster")
    returned = ml_client.jobs.create_or_update(job)
    ml_client.jobs.stream(returned.name)

    # a sweep (cairn.ml.sweep has azure.ai.ml.sweep's names): bind inputs to search-space objects
    from cairn.ml.sweep import Uniform
    sweep_job = job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="Maximize", max_total_trials=8)
    returned = ml_client.jobs.create_or_update(sweep_job)    # a SweepJob
    trials = ml_client.jobs.list(parent_job_name=returned.name)

What Azure has and Cairn cannot honour raises cairn.client.Unsupported naming it, before anything
is sent; the server's refusals raise its typed errors (NotFound, UnknownCompute, ...) with its code
and message. The README (section Python SDK) lists what is and is not offered.
"""

from ._load import load_component, load_compute, load_data, load_environment, load_job, load_model
from ._ml_client import MLClient
from ._operations import JobException
from ._poller import LROPoller
from .entities import Input, MpiDistribution, Output, PyTorchDistribution, TensorFlowDistribution
from .entities._job import command

__all__ = [
    "Input", "JobException", "LROPoller", "MLClient", "MpiDistribution", "Output", "PyTorchDistribution", "TensorFlowDistribution",
    "command", "load_component", "load_compute", "load_data", "load_environment", "load_job", "load_model",
]
