"""cairn.azureml: the shapes of Azure ML's v1 Python SDK (azureml-core) over a Cairn server.

The Azure ML articles' code runs after changing its import prefix (``azureml.core`` ->
``cairn.azureml.core``) and how the Workspace is obtained::

    from cairn.azureml.core import Workspace, Experiment, ScriptRunConfig, Environment
    from cairn.azureml.core.compute import ComputeTarget, AmlCompute, RemoteCompute
    ws = Workspace.from_config()          # .cairn/config.json, else CAIRN_SERVER/CAIRN_TOKEN/local

Every call goes through ``cairn.client.Client``: the Python client, the CLI and the studio see the
same jobs and computes. What Azure has and Cairn has not (subscriptions, resource groups, regions,
VNets, managed identities) is refused with an error saying so, never ignored.
Standard library only, Python 3.8+.
"""
