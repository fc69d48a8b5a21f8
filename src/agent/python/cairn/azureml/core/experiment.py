"""azureml.core.Experiment: a name that groups runs (Cairn's experiment_name; an MLflow experiment)."""

from ..exceptions import UserErrorException

__all__ = ["Experiment"]


class Experiment(object):
    def __init__(self, workspace, name, _skip_name_validation=False, _id=None, _archived_time=None, _create_in_cloud=True, _experiment_dto=None, **kwargs):
        self.workspace = workspace
        self.name = name
        self.id = _id

    def submit(self, config, tags=None, **kwargs):
        """Submits a ScriptRunConfig; answers at once with the Run (Queued)."""
        from .run import Run

        if kwargs:
            raise UserErrorException("Experiment.submit: unexpected argument%s %s" % ("s" if len(kwargs) > 1 else "", ", ".join(sorted(kwargs))), code="ValidationError")
        if not hasattr(config, "_job"):
            raise UserErrorException("Experiment.submit takes a ScriptRunConfig (found %s)" % type(config).__name__, code="ValidationError")
        job = self.workspace._client.jobs.create(config._job(self.name, tags))
        return Run(self, job["name"], _job=job)

    def get_runs(self, type=None, tags=None, properties=None, include_children=False):
        """This experiment's runs, newest first."""
        from .run import Run

        for job in self.workspace._client.jobs.list(experiment_name=self.name):
            if not _tags_match(job.get("tags") or {}, tags):
                continue
            yield Run(self, job["name"], _job=job)

    def __repr__(self):
        return "Experiment(Name: %s, Workspace: %s)" % (self.name, self.workspace.name)


def _tags_match(have, want):
    """Azure's tags filter: a tag name that must be present, or {name: value} pairs."""
    if not want:
        return True
    if isinstance(want, str):
        return want in have
    return all(k in have and str(have[k]) == str(v) for k, v in want.items())
