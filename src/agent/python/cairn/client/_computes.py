"""Compute targets (Azure ML's `ml_client.compute`): create and attach (from a dict or a compute
YAML file), get, list, nodes, sizes, update, start/stop/restart, delete/detach, and waiting for a
change to settle. Changes answer at once with the compute in its new state; `wait` follows it."""

import re
import time
import warnings

from ._errors import NotFound, Timeout
from ._files import parse_file
from ._http import q
from ._upload import CairnWarning

CHANGING = ("Creating", "Updating", "Deleting")
CHANGING_POWER = ("Starting", "Stopping", "Restarting")


def compute_name(name):
    """`azureml:name` and `name` are the same compute, as in Azure ML YAML."""
    return re.sub(r"^azureml:", "", name)


def is_changing(view):
    return view.get("provisioning_state") in CHANGING or view.get("state") in CHANGING_POWER


def _merge(into, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


class Computes(object):
    def __init__(self, client):
        self._c = client
        self._http = client._http

    def _url(self, name="", rest=""):
        return "%s/computes%s%s" % (self._c._ws, "/" + q(compute_name(name)) if name else "", rest)

    def _send(self, spec, attach, secrets, host_key):
        mode = "attach" if attach else "create"
        if isinstance(spec, dict):
            parsed = parse_file(self._http, self._c._ws, "compute", spec=spec, mode=mode)
        else:
            parsed = parse_file(self._http, self._c._ws, "compute", path=spec, mode=mode)
        body_spec = parsed["spec"]
        if secrets:
            _merge(body_spec, secrets)
        body = {"spec": body_spec, "attach": attach}
        if host_key:
            body["host_key"] = host_key
        view = self._http.json("POST", self._url(), body)
        for w in view.get("warnings") or []:
            warnings.warn(w, CairnWarning, stacklevel=3)
        return view

    def create(self, spec):
        """Creates a compute (amlcompute, computeinstance, ...) from a dict or a compute YAML file;
        answers at once with provisioning_state Creating (see `wait`)."""
        return self._send(spec, False, None, None)

    def attach(self, spec, secrets=None, host_key=None):
        """Attaches a machine or cluster you have (virtualmachine, slurm). `secrets` (e.g.
        {"ssh_settings": {"admin_password": ...}}) are merged into the spec as it is sent, never kept;
        `host_key` pins the host's SSH key (SHA256:...), else the key shown on first contact is pinned."""
        return self._send(spec, True, secrets, host_key)

    def get(self, name):
        return self._http.json("GET", self._url(name))

    def list(self, type=None):
        return self._http.json("GET", self._url(), query={"type": type.lower() if type else None})

    def list_nodes(self, name):
        return self._http.json("GET", self._url(name, "/nodes"))

    def list_sizes(self, type=None, provider=None):
        return self._http.json("GET", self._c._ws + "/compute-sizes", query={"type": type.lower() if type else None, "provider": provider})

    def update(self, name, changes):
        """A JSON merge patch: nested dicts merge, None removes a field; fields a compute keeps for life are refused."""
        return self._http.json("PATCH", self._url(name), {"patch": changes})

    def _action(self, name, action, force):
        return self._http.json("POST", self._url(name, "/" + action), query={"force": True} if force else None)

    def start(self, name):
        return self._action(name, "start", False)

    def stop(self, name, force=False):
        return self._action(name, "stop", force)

    def restart(self, name, force=False):
        return self._action(name, "restart", force)

    def delete(self, name, force=False, wait=False):
        """Deletes the compute (its nodes go); refused with ComputeBusy while jobs run on it, unless `force`."""
        self._http.json("DELETE", self._url(name), query={"mode": "delete", "force": bool(force)})
        if wait:
            self.wait(name, until="gone")

    def detach(self, name, force=False, wait=False):
        """Removes an attached compute from the workspace; the machine itself is left alone."""
        self._http.json("DELETE", self._url(name), query={"mode": "detach", "force": bool(force)})
        if wait:
            self.wait(name, until="gone")

    def wait(self, name, until="settled", timeout=None, poll=0.25):
        """Polls until `until`: "settled" (no create, update, delete, start, stop or restart under way;
        a Failed one too: check provisioning_state), "running" (settled, and nodes or state say it
        runs), or "gone" (deleted: returns None). Raises Timeout after `timeout` seconds (default 30 min)."""
        if until not in ("settled", "running", "gone"):
            raise ValueError("until must be settled, running or gone")
        limit = 1800 if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            try:
                v = self.get(name)
            except NotFound:
                if until == "gone":
                    return None
                raise
            if not is_changing(v):
                # "gone" answers a compute that settled instead of going (the delete was refused or undone).
                if until != "running" or v.get("provisioning_state") == "Failed" or v.get("state") in (None, "Running"):
                    return v
            if until == "gone" and v.get("provisioning_errors"):
                return v  # the delete failed; the server tries again
            if time.monotonic() >= deadline:
                what = v.get("state") or v.get("provisioning_state")
                raise Timeout("Timeout", "compute '%s' is still %s after %d s" % (compute_name(name), what, limit), 504)
            time.sleep(poll)
