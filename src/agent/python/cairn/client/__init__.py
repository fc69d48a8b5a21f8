"""cairn.client: the Python client of a Cairn server (standard library only, Python 3.8+).

::

    from cairn.client import Client, NotFound
    c = Client()                                  # CAIRN_SERVER, CAIRN_TOKEN, else http://127.0.0.1:$CAIRN_PORT (7667)
    job = c.jobs.create("job.yml")                # or a dict: {"command": "python train.py", "code": "./src", ...}
    c.jobs.wait_for_completion(job["name"], show_output=True)
    c.jobs.metrics(job["name"])                   # {"loss": [{"value": .., "step": .., "timestamp": ..}, ...]}
    c.computes.create({"type": "amlcompute", "name": "cpu-cluster", "max_instances": 2, "provider": {"type": "local"}})

Every call returns the server's JSON as dicts and lists (the shapes of `cairn ... -o json`);
every refusal raises the typed error of the server's code (cairn.client._errors). Files
(job, environment, component, compute, data, model YAML) are read by the server's parsers, so they mean and
refuse exactly what they do for the CLI; code folders and local data are uploaded with the CLI's
snapshot protocol (same ignore files, same hashes, only what the server lacks). The client never
starts a server.
"""

import os

from ._errors import *  # noqa: F401,F403  (one class per server error code)
from ._errors import AuthError, CairnError, error_class  # noqa: F401
from ._http import Http, q
from ._upload import CairnWarning, Uploader

DEFAULT_PORT = 7667
DEFAULT_WORKSPACE = "default"


def default_url(env=None):
    """Where the CLI looks for its server: $CAIRN_SERVER, else the local default port ($CAIRN_PORT or 7667)."""
    env = os.environ if env is None else env
    if env.get("CAIRN_SERVER"):
        return env["CAIRN_SERVER"]
    try:
        port = int(env.get("CAIRN_PORT") or 0) or DEFAULT_PORT
    except ValueError:
        port = DEFAULT_PORT
    return "http://127.0.0.1:%d" % port


class Client(object):
    """A connection to one workspace of a Cairn server.

    url: $CAIRN_SERVER, else http://127.0.0.1:$CAIRN_PORT (7667), as the CLI. token: $CAIRN_TOKEN.
    timeout: seconds to wait for each answer. Safe to share between threads.
    """

    def __init__(self, url=None, token=None, workspace=DEFAULT_WORKSPACE, timeout=30):
        self._http = Http(url or default_url(), token if token is not None else (os.environ.get("CAIRN_TOKEN") or None), timeout)
        self.url = self._http.url
        self.workspace = workspace or DEFAULT_WORKSPACE
        self._ws = "/api/v1/workspaces/" + q(self.workspace)
        self._uploader = Uploader(self._http, self._ws)
        from ._assets import Assets
        from ._components import Components
        from ._computes import Computes
        from ._environments import Environments
        from ._jobs import Jobs

        self.jobs = Jobs(self)
        self.computes = Computes(self)
        self.environments = Environments(self)
        self.components = Components(self)
        self.data = Assets(self, "data")
        self.models = Assets(self, "model")

    def __repr__(self):
        return "Client(url=%r, workspace=%r)" % (self.url, self.workspace)

    def health(self):
        """{"status": "ok", ...}: whether the server is up (an admin also learns its version and where it runs)."""
        return self._http.json("GET", "/api/v1/health")

    @property
    def uploaded(self):
        """What this client has uploaded so far: {"blobs": n, "bytes": n} (content the server lacked)."""
        return {"blobs": self._uploader.blobs_sent, "bytes": self._uploader.bytes_sent}

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
