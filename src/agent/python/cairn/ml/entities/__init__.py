"""azure.ai.ml.entities' names for what Cairn has (see cairn.ml for what is and is not offered)."""

from .._util import SystemData
from ._assets import BuildContext, Data, Environment, Model
from ._component import CommandComponent
from ._compute import (
    AmlCompute,
    AmlComputeNodeInfo,
    AmlComputeSshSettings,
    Compute,
    ComputeInstance,
    ComputeInstanceSshSettings,
    ComputeSchedules,
    ComputeStartStopSchedule,
    CronTrigger,
    RecurrencePattern,
    RecurrenceTrigger,
    VirtualMachineCompute,
    VirtualMachineSshSettings,
)
from ._io import Input, Output
from ._pipeline import PipelineJob, PipelineJobSettings
from ._sweep import Choice, LogNormal, LogUniform, Normal, QLogNormal, QLogUniform, QNormal, QUniform, Randint, Sweep, Uniform
from ._job import (
    Command,
    CommandJob,
    CommandJobLimits,
    Job,
    JobResourceConfiguration,
    JobService,
    MpiDistribution,
    PyTorchDistribution,
    QueueSettings,
    RayDistribution,
    TensorFlowDistribution,
)

__all__ = [
    "AmlCompute", "AmlComputeNodeInfo", "AmlComputeSshSettings", "BuildContext", "Command", "CommandComponent", "CommandJob", "CommandJobLimits", "Compute",
    "ComputeInstance", "ComputeInstanceSshSettings", "ComputeSchedules", "ComputeStartStopSchedule", "CronTrigger", "Data", "Environment",
    "Input", "Job", "JobResourceConfiguration", "JobService", "Model", "MpiDistribution", "Output", "PipelineJob", "PipelineJobSettings",
    "PyTorchDistribution", "QueueSettings",
    "RayDistribution", "RecurrencePattern", "RecurrenceTrigger", "SystemData", "TensorFlowDistribution", "VirtualMachineCompute",
    "VirtualMachineSshSettings",
    # the search space's distributions and the sweep builder, as azure.ai.ml.entities has them
    "Choice", "LogNormal", "LogUniform", "Normal", "QLogNormal", "QLogUniform", "QNormal", "QUniform", "Randint", "Sweep", "Uniform",
]
