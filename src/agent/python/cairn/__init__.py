"""cairn: log metrics, params, tags and artifacts from a Cairn job (standard library only).

Cairn puts this package on every job's PYTHONPATH. It speaks the MLflow tracking REST API to the
Cairn server, from a background thread, so logging never waits for the network.

MLflow style::

    import cairn
    cairn.log_metric("loss", 0.25, step=3)          # step defaults to 0, timestamp (ms) to now
    cairn.log_metrics({"loss": 0.25, "acc": 0.9}, step=3)
    cairn.log_param("lr", 0.01); cairn.log_params({"batch": 32})
    cairn.set_tag("model", "resnet"); cairn.set_tags({"data": "v2"})
    cairn.log_artifact("plots/roc.png")              # -> roc.png
    cairn.log_artifact("outputs", "final")           # a folder, recursively -> final/outputs/...
    cairn.log_artifacts("outputs", "final")          # a folder's contents -> final/...
    cairn.log_text("notes", "notes/summary.txt")
    cairn.flush(timeout=30)                          # True once everything queued was handled

Azure ML style::

    run = cairn.Run.get_context()                    # offline run (prints) outside a job
    run.log("loss", 0.25)                            # steps 0, 1, 2... per name
    run.log_list("lr", [0.1, 0.05]); run.log_row("eval", f1=0.8)   # metric eval.f1
    run.tag("stage", "tune"); run.set_tags({"a": "b"}); run.upload_file("m/model.pt", "model.pt")
    run.id; run.experiment.name; run.flush()

Values: metrics are coerced with float() (NaN and +/-Infinity are allowed); params and tags with
str(). A metric value that float() rejects is a warning on stderr and is dropped; no logging call
raises (except Run.get_context(allow_offline=False) outside a job).

Delivery: each call appends to an in-memory queue; a daemon thread sends log-batch requests
(at most 1000 metrics, 100 params, 100 tags each) about every second, or at once when 1000
entries wait, and uploads artifacts in the order they were logged. Connection errors, 408, 429
and 5xx are retried with backoff (0.5 s doubling to 30 s) for as long as the process lives.
Other 4xx answers are final: the server's message is printed once and the entry dropped; a batch
refused with 400 is split until the offending entry is alone, so the rest still arrives (logging
a param again with another value is such a refusal). At most CAIRN_MAX_BUFFER entries wait;
beyond that new ones are dropped and counted. At exit the queue is flushed for up to
CAIRN_FLUSH_TIMEOUT seconds; what could not be delivered is counted on stderr. log_artifact
copies files of up to 256 MiB in total aside at call time, so later changes to them are not
uploaded; bigger ones are read when their turn comes. A forked child starts with an empty queue.

Environment (read once, at first use):
    MLFLOW_TRACKING_URI   server, e.g. http://127.0.0.1:7667   (fallback CAIRN_SERVER_URL)
    MLFLOW_RUN_ID         the job's run                        (fallback CAIRN_JOB_ID)
    MLFLOW_TRACKING_TOKEN sent as "Authorization: Bearer ..."  (fallback CAIRN_JOB_TOKEN)
    MLFLOW_EXPERIMENT_ID  for artifact URLs; asked of the server (runs/get) when missing
    MLFLOW_EXPERIMENT_NAME  shown as Run.experiment.name
    MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH   for https servers
    CAIRN_FLUSH_TIMEOUT   seconds to deliver at exit and for flush() without timeout (10)
    CAIRN_MAX_BUFFER      entries that may wait to be sent (100000)
    CAIRN_SEND_INTERVAL   seconds between sends of a partial batch (1)
Without a tracking URI or a run id, nothing is sent: each call prints what it would log to stderr,
e.g. "cairn (offline): metric loss=0.25 step=3".

The client of a Cairn server (submit and follow jobs, computes, environments, data, models) is
``cairn.Client`` (see cairn.client); it and its error classes load on first use, so that
``import cairn`` in a job stays as cheap as the logging module alone.
"""

from ._api import (
    flush,
    log_artifact,
    log_artifacts,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    set_tag,
    set_tags,
)
from ._run import Experiment, Run

__all__ = [
    "Experiment",
    "Run",
    "flush",
    "log_artifact",
    "log_artifacts",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "set_tag",
    "set_tags",
]

# Names of cairn.client offered here too, loaded on first access (PEP 562): the client pulls in
# http.client and friends, which a job that only logs metrics should not pay for at import.
_CLIENT_NAMES = frozenset(
    """Client CairnError CairnWarning AuthError ValidationError BadRequest PathEscapesRoot MissingBlobs
    UnknownCompute UnknownEnvironment UnknownAsset UnknownDatastore DatastoreDenied PayloadTooLarge NotFound
    Unauthorized Forbidden Conflict AlreadyExists JobAlreadyFinished ComputeBusy Unsupported ServerUnreachable
    SshUnreachable SshAuthFailed HostKeyMismatch HostCheckFailed DamagedContent NotBuilt DatastoreUnreachable
    Internal Timeout""".split()
)


def __getattr__(name):
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError("module 'cairn' has no attribute %r" % (name,))


def __dir__():
    return sorted(set(globals()) | _CLIENT_NAMES)
