"""azure.ai.ml.constants' names for the values Cairn takes (plain strings, as Azure's are)."""


class AssetTypes(object):
    URI_FILE = "uri_file"
    URI_FOLDER = "uri_folder"
    MLTABLE = "mltable"
    CUSTOM_MODEL = "custom_model"
    MLFLOW_MODEL = "mlflow_model"
    # Azure's serving formats: Cairn registers no such models; a job or asset naming them is refused.
    TRITON_MODEL = "triton_model"


class InputOutputModes(object):
    RO_MOUNT = "ro_mount"
    RW_MOUNT = "rw_mount"
    DOWNLOAD = "download"
    UPLOAD = "upload"
    DIRECT = "direct"
    EVAL_MOUNT = "eval_mount"
    EVAL_DOWNLOAD = "eval_download"


class ListViewType(object):
    """Which versions a list shows: the active ones (default), only archived ones, or all."""

    ACTIVE_ONLY = "ActiveOnly"
    ARCHIVED_ONLY = "ArchivedOnly"
    ALL = "All"


class JobType(object):
    COMMAND = "command"
    SWEEP = "sweep"


class ComputeType(object):
    AMLCOMPUTE = "amlcompute"
    COMPUTEINSTANCE = "computeinstance"
    VIRTUALMACHINE = "virtualmachine"
    KUBERNETES = "kubernetes"
    # Cairn's own: an existing Slurm cluster, and the server's own machine.
    SLURM = "slurm"
    LOCAL = "local"


class ComputeTier(object):
    DEDICATED = "dedicated"
    LOWPRIORITY = "low_priority"


class TimeZone(object):
    """A few of Azure's Windows time zone names; the server takes any Windows or IANA name."""

    UTC = "UTC"
    PACIFIC_STANDARD_TIME = "Pacific Standard Time"
    EASTERN_STANDARD_TIME = "Eastern Standard Time"
    CENTRAL_EUROPE_STANDARD_TIME = "Central Europe Standard Time"
    W_EUROPE_STANDARD_TIME = "W. Europe Standard Time"
