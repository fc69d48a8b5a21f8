"""azure.ai.ml.sweep's names: the search space's distributions, the sampling algorithms, the early
termination policies, Objective, SweepJobLimits and SweepJob (see entities/_sweep.py).

::

    from cairn.ml import MLClient, command
    from cairn.ml.sweep import Uniform, Choice, BanditPolicy
    job = command(code="./src", command="python train.py --lr ${{inputs.lr}} --layers ${{inputs.layers}}",
                  inputs={"lr": 0.01, "layers": 2}, compute="local")
    sweep_job = job(lr=Uniform(min_value=0.01, max_value=0.1), layers=Choice(values=[1, 2, 3])).sweep(
        primary_metric="acc", goal="Maximize", sampling_algorithm="random", max_total_trials=8, max_concurrent_trials=2,
        early_termination_policy=BanditPolicy(slack_factor=0.1))
    returned = MLClient().jobs.create_or_update(sweep_job)
"""

from .entities._sweep import (
    BanditPolicy,
    BayesianSamplingAlgorithm,
    Choice,
    GridSamplingAlgorithm,
    LogNormal,
    LogUniform,
    MedianStoppingPolicy,
    Normal,
    Objective,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    Randint,
    RandomSamplingAlgorithm,
    SamplingAlgorithm,
    SweepJob,
    SweepJobLimits,
    TruncationSelectionPolicy,
    Uniform,
)

__all__ = [
    "SweepJob", "SweepJobLimits", "Choice", "Normal", "LogNormal", "QNormal", "QLogNormal", "Randint", "Uniform", "QUniform", "LogUniform",
    "QLogUniform", "BanditPolicy", "MedianStoppingPolicy", "TruncationSelectionPolicy", "SamplingAlgorithm", "RandomSamplingAlgorithm",
    "GridSamplingAlgorithm", "BayesianSamplingAlgorithm", "Objective",
]
