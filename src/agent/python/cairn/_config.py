"""Settings read from the job's environment, once per process (see the package docstring)."""

import os
import sys

DEFAULT_FLUSH_TIMEOUT = 10.0
DEFAULT_MAX_BUFFER = 100000
DEFAULT_SEND_INTERVAL = 1.0


def _env(*names):
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def _number(name, default, conv, minimum):
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = conv(raw)
        if value != value or value < minimum:
            raise ValueError(raw)
        return value
    except (TypeError, ValueError):
        try:
            sys.stderr.write("cairn: ignoring %s=%r (not a number >= %s); using %s\n" % (name, raw, minimum, default))
        except Exception:
            pass
        return default


class Config(object):
    def __init__(self):
        self.tracking_uri = _env("MLFLOW_TRACKING_URI", "CAIRN_SERVER_URL")
        self.run_id = _env("MLFLOW_RUN_ID", "CAIRN_JOB_ID")
        self.experiment_id = _env("MLFLOW_EXPERIMENT_ID")
        self.experiment_name = _env("MLFLOW_EXPERIMENT_NAME")
        self.token = _env("MLFLOW_TRACKING_TOKEN", "CAIRN_JOB_TOKEN")
        self.insecure_tls = (_env("MLFLOW_TRACKING_INSECURE_TLS") or "").lower() in ("1", "true", "yes")
        self.ca_path = _env("MLFLOW_TRACKING_SERVER_CERT_PATH")
        self.flush_timeout = _number("CAIRN_FLUSH_TIMEOUT", DEFAULT_FLUSH_TIMEOUT, float, 0.0)
        self.max_buffer = _number("CAIRN_MAX_BUFFER", DEFAULT_MAX_BUFFER, int, 1)
        self.send_interval = _number("CAIRN_SEND_INTERVAL", DEFAULT_SEND_INTERVAL, float, 0.01)
        uri = (self.tracking_uri or "").lower()
        if self.tracking_uri and not (uri.startswith("http://") or uri.startswith("https://")):
            self.offline_reason = "tracking URI %r is not http(s)" % self.tracking_uri
        elif not self.tracking_uri:
            self.offline_reason = "MLFLOW_TRACKING_URI is not set"
        elif not self.run_id:
            self.offline_reason = "MLFLOW_RUN_ID is not set"
        else:
            self.offline_reason = None
        self.online = self.offline_reason is None
        if self.tracking_uri:
            self.tracking_uri = self.tracking_uri.rstrip("/")


def eprint(message):
    """A line to stderr that never raises (a closed stderr must not break the user's script)."""
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except Exception:
        pass
