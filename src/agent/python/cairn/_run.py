"""Azure ML's Run.get_context() shape on top of the module-level functions."""

import io
import os
import threading
import uuid

from . import _api


class Experiment(object):
    """What is known of the run's experiment: name from MLFLOW_EXPERIMENT_NAME, id from MLFLOW_EXPERIMENT_ID."""

    def __init__(self, name, id):
        self.name = name
        self.id = id

    def __str__(self):
        return self.name or self.id or ""

    def __repr__(self):
        return "Experiment(name=%r, id=%r)" % (self.name, self.id)


class Run(object):
    """A job's run. Get it with Run.get_context(); never construct it yourself."""

    _context = None
    _context_lock = threading.Lock()

    def __init__(self, run_id, experiment, offline):
        self.id = run_id
        self.experiment = experiment
        self._offline = offline
        self._steps = {}
        self._steps_lock = threading.Lock()

    @classmethod
    def get_context(cls, allow_offline=True, **kwargs):
        """The run of the job this process belongs to; outside a job an offline run that prints."""
        with cls._context_lock:
            if cls._context is None:
                cfg = _api.config()
                experiment = Experiment(cfg.experiment_name, cfg.experiment_id)
                if cfg.online:
                    cls._context = Run(cfg.run_id, experiment, False)
                else:
                    cls._context = Run("OfflineRun_" + str(uuid.uuid4()), experiment, True)
            run = cls._context
        if run._offline and not allow_offline:
            raise RuntimeError("cairn: not running inside a Cairn job (%s)" % _api.config().offline_reason)
        return run

    @property
    def display_name(self):
        return self.id

    @property
    def parent(self):
        return None

    def __repr__(self):
        return "Run(id=%r, experiment=%r%s)" % (self.id, str(self.experiment), ", offline" if self._offline else "")

    def log(self, name, value, description="", step=None):
        """A metric value; without `step`, successive values of one name get steps 0, 1, 2, ..."""
        with self._steps_lock:
            if step is not None:
                return _api.log_metric(name, value, step=step)
            step = self._steps.get(name, 0)
            if _api.log_metric(name, value, step=step):
                self._steps[name] = step + 1

    def log_list(self, name, value, description=""):
        """Each value of the list as the next step of metric `name`."""
        for item in list(value):
            self.log(name, item)

    def log_row(self, name, description=None, **kwargs):
        """Each column as the next step of metric `name.column`."""
        for column, value in kwargs.items():
            self.log("%s.%s" % (name, column), value)

    def log_table(self, name, value, description=""):
        """A dict of columns: each column's values as successive steps of metric `name.column`."""
        for column, values in dict(value).items():
            self.log_list("%s.%s" % (name, column), values)

    def tag(self, key, value=None):
        _api.set_tag(key, "" if value is None else value)

    def set_tags(self, tags):
        _api.set_tags(tags)

    def upload_file(self, name, path_or_stream):
        """Uploads a local file (or the bytes of a readable stream) as the artifact file `name`."""
        try:
            if hasattr(path_or_stream, "read"):
                return _api.log_bytes(path_or_stream.read(), name, "upload_file")
            _api.log_file_as(path_or_stream, name)
        except Exception as err:
            _api.eprint("cairn: upload_file %r failed (%s: %s)" % (name, type(err).__name__, err))

    def upload_folder(self, name, path):
        """Uploads the contents of folder `path` under the artifact folder `name`."""
        _api.log_artifacts(path, name)

    def log_image(self, name, path=None, plot=None, description=""):
        """An image file (path) or a matplotlib figure (plot) as the artifact images/<name>.png."""
        try:
            if path is not None:
                ext = os.path.splitext(os.fspath(path))[1] or ".png"
                with open(path, "rb") as handle:
                    data = handle.read()
            elif plot is not None:
                ext, buffer = ".png", io.BytesIO()
                (plot.gcf() if hasattr(plot, "gcf") else plot).savefig(buffer, format="png")
                data = buffer.getvalue()
            else:
                return _api.eprint("cairn: log_image %r: give a path or a plot" % (name,))
            base = str(name)
            _api.log_bytes(data, "images/" + (base if base.endswith(ext) else base + ext), "image")
        except Exception as err:
            _api.eprint("cairn: log_image %r failed (%s: %s)" % (name, type(err).__name__, err))

    def flush(self, timeout_seconds=300):
        return _api.flush(timeout_seconds)

    def complete(self, _set_status=True):
        """Delivers what is queued (up to CAIRN_FLUSH_TIMEOUT); the job's status is Cairn's to set."""
        _api.flush()
