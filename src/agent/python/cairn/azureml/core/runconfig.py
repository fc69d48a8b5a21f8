"""azureml.core.runconfig: RunConfiguration and its sections.

``target``: a compute's name ('local', a cluster, an attached machine) or a ComputeTarget, or
the string 'amlcompute' for a run-based cluster: then ``amlcompute.vm_size`` (required) and
``node_count`` make the job serverless in Cairn (no compute, ``resources.instance_type``): it gets
a cluster of that size for itself, deleted when it ends.
"""

from .environment import Environment
from ..exceptions import UserErrorException

__all__ = ["RunConfiguration", "AmlComputeConfiguration", "DockerConfiguration", "HistoryConfiguration"]

RUN_BASED = "amlcompute"


class AmlComputeConfiguration(object):
    """The run-based cluster a run gets for itself."""

    def __init__(self):
        self.vm_size = None
        self.vm_priority = None
        self.cluster_max_node_count = None
        self._retain_cluster = False
        self._name = None


class DockerConfiguration(object):
    """use_docker=False with an environment that names an image is refused at submit."""

    def __init__(self, use_docker=None, shm_size=None, shared_volumes=None, arguments=None):
        self.use_docker = use_docker
        self.shm_size = shm_size
        self.shared_volumes = shared_volumes
        self.arguments = arguments or []


class HistoryConfiguration(object):
    def __init__(self):
        self.output_collection = True
        self.snapshot_project = True


class RunConfiguration(object):
    def __init__(self, script=None, arguments=None, framework=None, communicator=None, conda_dependencies=None, _history_enabled=None, _path=None, _name=None, command=None):
        self.script = script
        self.arguments = list(arguments or [])
        self.command = command
        self.target = "local"
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.node_count = 1
        self.max_run_duration_seconds = None
        self.environment_variables = {}
        self.amlcompute = AmlComputeConfiguration()
        self.docker = DockerConfiguration()
        self.history = HistoryConfiguration()
        self.data = {}
        self.output_data = {}
        # System-managed as in Azure; with nothing to install it runs with the node's own Python.
        self.environment = Environment("DefaultEnvironment")
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies

    def _target_fields(self):
        """compute, or resources for a run-based cluster."""
        target = self.target
        name = getattr(target, "name", target)
        if name is None or name == "":
            return {"compute": "local"}
        if str(name).lower() != RUN_BASED or hasattr(target, "name"):
            return {"compute": str(name).replace("azureml:", "", 1)}
        if not self.amlcompute.vm_size:
            raise UserErrorException("run_config.target is 'amlcompute' (a run-based cluster): set run_config.amlcompute.vm_size, e.g. 'STANDARD_D2_V2'", code="ValidationError")
        if self.amlcompute.vm_priority not in (None, "dedicated"):
            raise UserErrorException("run_config.amlcompute.vm_priority %r is not offered for run-based clusters: create a low-priority cluster with AmlCompute.provisioning_configuration(vm_priority='lowpriority') and target it" % self.amlcompute.vm_priority, code="Unsupported")
        resources = {"instance_type": self.amlcompute.vm_size}
        if self.node_count and self.node_count > 1:
            resources["instance_count"] = int(self.node_count)
        return {"resources": resources}
