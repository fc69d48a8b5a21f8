"""Sweep jobs as azure-ai-ml shapes them (azure.ai.ml.sweep): the search space's distributions, the
sampling algorithms, the early termination policies, the objective and limits, and SweepJob.

A sweep runs one command many times (its trials), each with values drawn from the search space;
`${{search_space.x}}` in the trial's command is the value trial draws for x. The v2 builder:

    job = command(code="./src", command="python train.py --lr ${{inputs.lr}}", inputs={"lr": 0.01}, compute="local")
    sweep_job = job(lr=Uniform(min_value=0.01, max_value=0.1)).sweep(primary_metric="acc", goal="Maximize")

Calling the command with search-space objects binds those inputs to them; `.sweep(...)` makes the
sweep, whose trial command reads `${{search_space.lr}}` where it read `${{inputs.lr}}` (as Azure
does when it submits). Each entity goes to the server as the Azure ML v2 sweep YAML's fields.
"""

from cairn.client import ValidationError

from .._util import Entity, compact, plain, refuse, refuse_unknown, unsupported
from ._io import inputs_to_spec, outputs_to_spec
from ._job import _JOB_REFUSED, CommandJob, Job, QueueSettings


def invalid(message):
    """A value Azure's SDK would refuse too (a bad goal, an unknown algorithm): raised before anything is sent."""
    return ValidationError("ValidationError", message, 0)


def _kind(owner, expected, kwargs):
    """Azure's constructors take `type=` through kwargs; it may only say what the class is."""
    t = kwargs.pop("type", None)
    if t is not None and str(t).lower() != expected:
        raise invalid("%s(type=%r): a %s is type %r" % (owner, t, owner, expected))
    refuse_unknown(owner, kwargs)


# --- search space -------------------------------------------------------------------------------


class SweepDistribution(Entity):
    """A search-space parameter's distribution (`search_space.x` in the YAML)."""

    type = None
    _search_space = True  # how a command's input bound to one is told apart from a value

    def _to_spec(self):
        return compact(dict([("type", self.type)] + [(k, plain(getattr(self, k, None))) for k in self._FIELDS]))

    def __eq__(self, other):
        return isinstance(other, SweepDistribution) and self._to_spec() == other._to_spec()

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%r" % (k, getattr(self, k, None)) for k in self._FIELDS))

    @classmethod
    def _from_wire(cls, d):
        if isinstance(d, SweepDistribution):
            return d
        if not isinstance(d, dict):
            raise invalid("a search space parameter must be a distribution (Choice, Uniform, ...) or its YAML mapping, not %r" % (d,))
        klass = DISTRIBUTIONS.get(str(d.get("type", "")).lower())
        if klass is None:
            raise invalid("unknown distribution %r; expected one of %s" % (d.get("type"), ", ".join(sorted(DISTRIBUTIONS))))
        return klass(**dict((k, v) for k, v in d.items() if k != "type"))


class Choice(SweepDistribution):
    """One of `values` (strings, numbers or booleans)."""

    type = "choice"
    _FIELDS = ("values",)

    def __init__(self, values=None, **kwargs):
        _kind("Choice", self.type, kwargs)
        if values is not None and not isinstance(values, (str, bytes, dict)):
            values = list(values)
        for v in values or []:
            if isinstance(v, dict):
                raise unsupported("Choice(values=[{...}])", "nested search spaces (a choice of mappings of distributions) are not supported; choose among strings, numbers or booleans")
        self.values = values


class Randint(SweepDistribution):
    """A whole number from 0 to upper - 1."""

    type = "randint"
    _FIELDS = ("upper",)

    def __init__(self, upper=None, **kwargs):
        _kind("Randint", self.type, kwargs)
        self.upper = upper


class Uniform(SweepDistribution):
    type = "uniform"
    _FIELDS = ("min_value", "max_value")

    def __init__(self, min_value=None, max_value=None, **kwargs):
        _kind(type(self).__name__, self.type, kwargs)
        self.min_value = min_value
        self.max_value = max_value


class LogUniform(Uniform):
    """exp(uniform(min_value, max_value)): min_value and max_value are exponents."""

    type = "loguniform"


class QUniform(Uniform):
    type = "quniform"
    _FIELDS = ("min_value", "max_value", "q")

    def __init__(self, min_value=None, max_value=None, q=None, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        self.q = q


class QLogUniform(QUniform):
    type = "qloguniform"


class Normal(SweepDistribution):
    type = "normal"
    _FIELDS = ("mu", "sigma")

    def __init__(self, mu=None, sigma=None, **kwargs):
        _kind(type(self).__name__, self.type, kwargs)
        self.mu = mu
        self.sigma = sigma


class LogNormal(Normal):
    """exp(normal(mu, sigma))."""

    type = "lognormal"


class QNormal(Normal):
    type = "qnormal"
    _FIELDS = ("mu", "sigma", "q")

    def __init__(self, mu=None, sigma=None, q=None, **kwargs):
        super().__init__(mu=mu, sigma=sigma, **kwargs)
        self.q = q


class QLogNormal(QNormal):
    type = "qlognormal"


DISTRIBUTIONS = dict((c.type, c) for c in (Choice, Randint, Uniform, LogUniform, QUniform, QLogUniform, Normal, LogNormal, QNormal, QLogNormal))


def is_search_space(value):
    return getattr(value, "_search_space", False) is True


# --- sampling algorithms ------------------------------------------------------------------------

SAMPLING_NAMES = ("random", "grid", "bayesian")


class SamplingAlgorithm(Entity):
    type = None

    def _to_spec(self):
        return compact(dict([("type", self.type)] + [(k, plain(getattr(self, k, None))) for k in self._FIELDS]))

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%r" % (k, getattr(self, k)) for k in self._FIELDS if getattr(self, k) is not None))


class RandomSamplingAlgorithm(SamplingAlgorithm):
    """rule: "random" (default) or "sobol"; seed: the same seed draws the same values; logbase: the
    base of the log distributions (a number, or "e", the default)."""

    type = "random"
    _FIELDS = ("seed", "rule", "logbase")

    def __init__(self, *, rule=None, seed=None, logbase=None, **kwargs):
        refuse_unknown("RandomSamplingAlgorithm", kwargs)
        self.rule = rule.lower() if isinstance(rule, str) else rule
        self.seed = seed
        self.logbase = logbase


class GridSamplingAlgorithm(SamplingAlgorithm):
    """Every combination of the choices (the search space may hold only Choice)."""

    type = "grid"

    def __init__(self, **kwargs):
        refuse_unknown("GridSamplingAlgorithm", kwargs)


class BayesianSamplingAlgorithm(SamplingAlgorithm):
    """Values chosen from the results so far (Choice, Uniform and QUniform only; no early termination).
    `seed` is Cairn's: the same seed and the same results draw the same values."""

    type = "bayesian"
    _FIELDS = ("seed",)

    def __init__(self, *, seed=None, **kwargs):
        refuse_unknown("BayesianSamplingAlgorithm", kwargs)
        self.seed = seed


_SAMPLING_CLASSES = {"random": RandomSamplingAlgorithm, "grid": GridSamplingAlgorithm, "bayesian": BayesianSamplingAlgorithm}


def _sampling(value):
    """A SamplingAlgorithm, or the name of one (any case), as Azure takes it."""
    if value is None or isinstance(value, SamplingAlgorithm):
        return value
    if isinstance(value, str):
        if value.lower() not in SAMPLING_NAMES:
            raise invalid("unsupported sampling algorithm: %r (random, grid or bayesian)" % value)
        return value.lower()
    if isinstance(value, dict):
        t = str(value.get("type", "")).lower()
        if t not in _SAMPLING_CLASSES:
            raise invalid("unsupported sampling algorithm: %r (random, grid or bayesian)" % value.get("type"))
        return _SAMPLING_CLASSES[t](**dict((k, v) for k, v in value.items() if k != "type"))
    raise invalid("unsupported sampling algorithm of type %s: give 'random', 'grid', 'bayesian' or a SamplingAlgorithm" % type(value).__name__)


# --- early termination --------------------------------------------------------------------------


class EarlyTerminationPolicy(Entity):
    """Stops trials that do badly. Each time a trial logs the primary metric is one interval:
    policies judge trials every `evaluation_interval` intervals (0 reads as 1, as in Azure), after
    the first `delay_evaluation`."""

    type = None
    _FIELDS = ("evaluation_interval", "delay_evaluation")

    def __init__(self, *, delay_evaluation=0, evaluation_interval=0):
        self.delay_evaluation = delay_evaluation
        self.evaluation_interval = evaluation_interval

    def _to_spec(self):
        return compact(dict([("type", self.type)] + [(k, plain(getattr(self, k, None))) for k in self._FIELDS]))

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%r" % (k, getattr(self, k)) for k in self._FIELDS if getattr(self, k) is not None))


class BanditPolicy(EarlyTerminationPolicy):
    """Stops a trial whose metric falls short of the best by more than the slack: a ratio
    (slack_factor) or an amount (slack_amount), one of them (0 is Azure's "not given")."""

    type = "bandit"
    _FIELDS = ("slack_factor", "slack_amount", "evaluation_interval", "delay_evaluation")

    def __init__(self, *, delay_evaluation=0, evaluation_interval=0, slack_amount=0, slack_factor=0, **kwargs):
        refuse_unknown("BanditPolicy", kwargs)
        super().__init__(delay_evaluation=delay_evaluation, evaluation_interval=evaluation_interval)
        self.slack_factor = slack_factor
        self.slack_amount = slack_amount

    def _to_spec(self):
        spec = super()._to_spec()
        for k in ("slack_factor", "slack_amount"):
            if not spec.get(k):
                spec.pop(k, None)
        return spec


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Stops a trial whose best is below the median of the other trials' running averages."""

    type = "median_stopping"

    def __init__(self, *, delay_evaluation=0, evaluation_interval=1, **kwargs):
        refuse_unknown("MedianStoppingPolicy", kwargs)
        super().__init__(delay_evaluation=delay_evaluation, evaluation_interval=evaluation_interval)


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """Stops the lowest truncation_percentage percent of the trials at each evaluation.
    `exclude_finished_jobs` (Cairn's, as the YAML's): leave finished trials out of the ranking."""

    type = "truncation_selection"
    _FIELDS = ("truncation_percentage", "evaluation_interval", "delay_evaluation", "exclude_finished_jobs")

    def __init__(self, *, delay_evaluation=0, evaluation_interval=0, truncation_percentage=0, exclude_finished_jobs=None, **kwargs):
        refuse_unknown("TruncationSelectionPolicy", kwargs)
        super().__init__(delay_evaluation=delay_evaluation, evaluation_interval=evaluation_interval)
        self.truncation_percentage = truncation_percentage
        self.exclude_finished_jobs = exclude_finished_jobs


_POLICIES = {"bandit": BanditPolicy, "median_stopping": MedianStoppingPolicy, "truncation_selection": TruncationSelectionPolicy}


def _policy(value):
    """A policy, its name (bandit, median_stopping, truncation_selection: Azure's defaults) or its YAML mapping."""
    if value is None or isinstance(value, EarlyTerminationPolicy):
        return value
    if isinstance(value, str):
        key = value.lower().replace("_", "")
        for name, cls in _POLICIES.items():
            if name.replace("_", "") == key:
                return cls()
        raise invalid("unsupported early termination policy: %r (bandit, median_stopping or truncation_selection)" % value)
    if isinstance(value, dict):
        cls = _POLICIES.get(str(value.get("type", "")).lower())
        if cls is None:
            raise invalid("unsupported early termination policy: %r (bandit, median_stopping or truncation_selection)" % value.get("type"))
        return cls(**dict((k, v) for k, v in value.items() if k != "type"))
    raise invalid("unsupported early termination policy of type %s" % type(value).__name__)


# --- objective and limits -----------------------------------------------------------------------

GOALS = ("maximize", "minimize")


class Objective(Entity):
    """The metric trials log (`primary_metric`) and whether higher or lower is better (`goal`:
    maximize or minimize, any case)."""

    _FIELDS = ("primary_metric", "goal")

    def __init__(self, goal=None, primary_metric=None, **kwargs):
        refuse_unknown("Objective", kwargs)
        self.goal = goal
        self.primary_metric = primary_metric

    @property
    def goal(self):
        return self._goal

    @goal.setter
    def goal(self, value):
        if value is not None and (not isinstance(value, str) or value.lower() not in GOALS):
            raise invalid("unsupported goal %r: the objective's goal is maximize or minimize" % (value,))
        self._goal = value.lower() if value is not None else None

    def __repr__(self):
        return "Objective(goal=%r, primary_metric=%r)" % (self.goal, self.primary_metric)


class SweepJobLimits(Entity):
    """max_total_trials, max_concurrent_trials; timeout: seconds the whole sweep may run (then its
    trials are cancelled); trial_timeout: seconds each trial may run."""

    _FIELDS = ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout")

    def __init__(self, *, max_concurrent_trials=None, max_total_trials=None, timeout=None, trial_timeout=None, **kwargs):
        refuse_unknown("SweepJobLimits", kwargs)
        self.max_concurrent_trials = max_concurrent_trials
        self.max_total_trials = max_total_trials
        self.timeout = timeout
        self.trial_timeout = trial_timeout

    def __repr__(self):
        return "SweepJobLimits(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self._FIELDS)


# --- the sweep job ------------------------------------------------------------------------------

_SWEEP_REFUSED = dict(
    _JOB_REFUSED,
    resources="Cairn runs each trial with its own resources: give them to the command (instance_count, instance_type) that becomes the trial",
)

# What a sweep's trial runs, from its command job (the YAML's `trial:` fields).
_TRIAL_FIELDS = ("command", "code", "environment", "environment_variables", "resources", "distribution", "python_path")


class SweepJob(Job):
    """A sweep (azure-ai-ml's SweepJob): `trial` (a CommandJob, or command()'s Command) is what each
    trial runs; search_space, sampling_algorithm, objective, early_termination and limits as the
    YAML's. From the server (jobs.get, create_or_update) it also has Cairn's view of its trials:
    `trials` (best first), `best_trial`, `progress` and `warnings`, and Azure's
    properties["best_child_run_id"]."""

    type = "sweep"

    def __init__(self, *, name=None, description=None, tags=None, display_name=None, experiment_name=None, identity=None, inputs=None, outputs=None,
                 compute=None, limits=None, sampling_algorithm=None, search_space=None, objective=None, trial=None, early_termination=None,
                 queue_settings=None, resources=None, **kwargs):
        owner = type(self).__name__
        refuse(owner, dict(identity=identity, resources=resources, properties=kwargs.pop("properties", None) or None), _SWEEP_REFUSED)
        refuse_unknown(owner, kwargs)
        super().__init__(name=name, description=description, tags=tags, display_name=display_name, experiment_name=experiment_name, compute=compute)
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.trial = CommandJob._from_spec(trial) if isinstance(trial, dict) else trial
        self.search_space = dict((k, SweepDistribution._from_wire(v)) for k, v in (search_space or {}).items())
        self.sampling_algorithm = sampling_algorithm
        self.objective = Objective(**objective) if isinstance(objective, dict) else objective
        self.early_termination = early_termination
        self.limits = SweepJobLimits(**limits) if isinstance(limits, dict) else limits
        self.queue_settings = QueueSettings(**queue_settings) if isinstance(queue_settings, dict) else queue_settings

    @property
    def sampling_algorithm(self):
        return self._sampling_algorithm

    @sampling_algorithm.setter
    def sampling_algorithm(self, value):
        self._sampling_algorithm = _sampling(value)

    @property
    def early_termination(self):
        return self._early_termination

    @early_termination.setter
    def early_termination(self, value):
        self._early_termination = _policy(value)

    def set_limits(self, *, max_concurrent_trials=None, max_total_trials=None, timeout=None, trial_timeout=None, **kwargs):
        """Azure's: sets the limits given, leaves the others as they are."""
        refuse_unknown("%s.set_limits" % type(self).__name__, kwargs)
        if self.limits is None:
            self.limits = SweepJobLimits()
        for k, v in (("max_concurrent_trials", max_concurrent_trials), ("max_total_trials", max_total_trials), ("timeout", timeout), ("trial_timeout", trial_timeout)):
            if v is not None:
                setattr(self.limits, k, v)

    def set_objective(self, *, goal=None, primary_metric=None):
        if self.objective is None:
            self.objective = Objective()
        if goal:
            self.objective.goal = goal
        if primary_metric:
            self.objective.primary_metric = primary_metric

    def set_resources(self, **kwargs):
        raise unsupported("%s.set_resources" % type(self).__name__, _SWEEP_REFUSED["resources"])

    # Cairn's view of a sweep read from the server.
    @property
    def _view(self):
        return (self._wire or {}).get("sweep") or {}

    @property
    def trials(self):
        """The trials (dicts: name, index, status, params, value, intervals, stopped_early, ...), best first."""
        return list(self._view.get("trials") or [])

    @property
    def best_trial(self):
        """The best trial so far (a dict as in `trials`), or None when no trial has logged the metric."""
        return self._view.get("best")

    @property
    def progress(self):
        """How many trials there are in all, made, queued, running, completed, failed, canceled, stopped early."""
        return self._view.get("progress")

    @property
    def warnings(self):
        return list(self._view.get("warnings") or [])

    def _trial_spec(self):
        trial = self.trial
        owner = type(self).__name__
        if trial is None:
            raise invalid("%s has no trial: give trial=command(...) (the command each trial runs)" % owner)
        if not isinstance(trial, CommandJob):
            raise unsupported("%s(trial=%s)" % (owner, type(trial).__name__), "a sweep's trial is a command job (command(...) or CommandJob); a component as the trial is for a sweep step of a pipeline file (load_job)")
        if trial.max_retries is not None:
            raise unsupported("%s(trial=...max_retries)" % owner, "a trial's fields are %s" % ", ".join(_TRIAL_FIELDS))
        spec = {}
        for k in _TRIAL_FIELDS:
            v = getattr(trial, k, None)
            v = v if isinstance(v, str) else plain(v)
            if v not in (None, {}, []):
                spec[k] = v
        return spec

    def _to_spec(self):
        """The sweep as the server's wire JSON (the Azure ML v2 sweep YAML's fields). What the sweep
        leaves out comes from its trial, as Azure does: compute, inputs, outputs, and the trial's
        limits.timeout as limits.trial_timeout."""
        owner = type(self).__name__
        trial = self.trial
        spec = compact(dict((k, plain(getattr(self, k, None))) for k in ("name", "display_name", "description", "experiment_name", "compute")))
        spec["type"] = "sweep"
        if self.tags:
            spec["tags"] = dict(self.tags)
        spec["trial"] = self._trial_spec()
        if not spec.get("compute") and getattr(trial, "compute", None):
            spec["compute"] = trial.compute
        inputs = self.inputs
        if not inputs and isinstance(trial, CommandJob):
            inputs = dict((k, v) for k, v in trial.inputs.items() if not is_search_space(v))
        for k, v in inputs.items():
            if is_search_space(v):
                raise invalid("%s input %r is a search space (%r): give it in search_space" % (owner, k, v))
        if inputs:
            spec["inputs"] = inputs_to_spec(inputs)
        outputs = self.outputs or (trial.outputs if isinstance(trial, CommandJob) else {})
        if outputs:
            spec["outputs"] = outputs_to_spec(outputs)
        spec["search_space"] = dict((k, SweepDistribution._from_wire(v)._to_spec()) for k, v in self.search_space.items())
        algorithm = self.sampling_algorithm or "random"
        spec["sampling_algorithm"] = algorithm if isinstance(algorithm, str) else algorithm._to_spec()
        if self.objective is None:
            raise invalid("%s has no objective: give primary_metric and goal (sweep(primary_metric=..., goal=...) or set_objective)" % owner)
        spec["objective"] = self.objective._to_spec()
        if self.early_termination is not None:
            spec["early_termination"] = self.early_termination._to_spec()
        limits = plain(self.limits) or {}
        trial_timeout = getattr(getattr(trial, "limits", None), "timeout", None)
        if trial_timeout and not limits.get("trial_timeout"):
            limits["trial_timeout"] = trial_timeout
        if limits:
            spec["limits"] = limits
        queue = plain(self.queue_settings)
        if queue:
            spec["queue_settings"] = queue
        return spec

    @classmethod
    def _from_spec(cls, d):
        """A sweep from its YAML fields (a loaded file, or the server's job)."""
        from ._io import Input, Output

        return cls(
            name=d.get("name"), display_name=d.get("display_name"), description=d.get("description"), tags=d.get("tags"),
            experiment_name=d.get("experiment_name"), compute=d.get("compute"),
            inputs=dict((k, Input._from_wire(v)) for k, v in (d.get("inputs") or {}).items()),
            outputs=dict((k, Output._from_wire(v)) for k, v in (d.get("outputs") or {}).items()),
            trial=CommandJob._from_spec(d.get("trial") or {}), search_space=d.get("search_space"), sampling_algorithm=d.get("sampling_algorithm"),
            objective=d.get("objective"), early_termination=d.get("early_termination"), limits=d.get("limits"), queue_settings=d.get("queue_settings"),
        )

    @classmethod
    def _from_wire(cls, d, server_url):
        """The server's sweep (GET /jobs/NAME) as azure-ai-ml's SweepJob: its status, its limits as
        the server settled them, its page in the Cairn studio, and its trials as the server ranks them."""
        job = cls._from_spec(d)
        view = d.get("sweep") or {}
        if view.get("limits"):
            job.limits = SweepJobLimits(**view["limits"])
        job._take_server_fields(d, server_url)
        if view.get("best"):
            job.properties["best_child_run_id"] = view["best"]["name"]
        job._wire = d
        return job


class Sweep(SweepJob):
    """What Command.sweep builds (azure-ai-ml's sweep node): a SweepJob whose trial command reads
    `${{search_space.x}}` where it read `${{inputs.x}}`, for each search-space parameter x, when it
    is submitted (as Azure's does)."""

    def _trial_spec(self):
        spec = super()._trial_spec()
        command = spec.get("command")
        if command:
            for key in self.search_space:
                command = command.replace("${{inputs.%s}}" % key, "${{search_space.%s}}" % key)
            spec["command"] = command
        return spec


__all__ = [
    "BanditPolicy", "BayesianSamplingAlgorithm", "Choice", "EarlyTerminationPolicy", "GridSamplingAlgorithm", "LogNormal", "LogUniform",
    "MedianStoppingPolicy", "Normal", "Objective", "QLogNormal", "QLogUniform", "QNormal", "QUniform", "Randint", "RandomSamplingAlgorithm",
    "SamplingAlgorithm", "Sweep", "SweepDistribution", "SweepJob", "SweepJobLimits", "TruncationSelectionPolicy", "Uniform",
]
