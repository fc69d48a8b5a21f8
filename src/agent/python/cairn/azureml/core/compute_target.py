"""azureml.core.compute_target: where the articles import ComputeTargetException from."""

from .compute import ComputeTarget, ComputeTargetException

__all__ = ["ComputeTarget", "ComputeTargetException"]
