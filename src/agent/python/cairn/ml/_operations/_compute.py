"""ml_client.compute: begin_create_or_update (create, or attach a VirtualMachineCompute), get, list,
list_nodes, list_sizes, begin_update, begin_start/stop/restart, begin_delete (Delete or Detach).

Each begin_* sends its request at once (a refusal raises there, and nothing is created) and returns
an LROPoller that follows the change until the compute settles, as Azure's pollers do."""

from cairn.client import NotFound, error_class

from .._poller import LROPoller
from .._util import refuse_unknown, unsupported
from ..entities._compute import AmlComputeNodeInfo, Compute

CHANGING = ("Creating", "Updating", "Deleting")
CHANGING_POWER = ("Starting", "Stopping", "Restarting")


def _failure(view, what):
    errs = view.get("provisioning_errors") or []
    code = errs[0]["code"] if errs else "Internal"
    message = errs[0]["message"] if errs else "compute '%s' ended %s" % (view.get("name"), what)
    return error_class(code)(code, message, 0)


class ComputeOperations(object):
    def __init__(self, ml):
        self._c = ml._client

    def get(self, name):
        return Compute._from_wire(self._c.computes.get(name))

    def list(self, *, compute_type=None):
        """Every compute of the workspace (`local` included), or those of one type."""
        return [Compute._from_wire(v) for v in self._c.computes.list(type=compute_type)]

    def list_nodes(self, name):
        return [AmlComputeNodeInfo._from_wire(n) for n in self._c.computes.list_nodes(name)]

    def list_sizes(self, *, location=None, compute_type=None):
        """The sizes the node providers offer (dicts as the server sends them); location: Azure's, refused."""
        if location is not None:
            raise unsupported("compute.list_sizes(location=...)", "Cairn has no Azure regions; sizes come from the node providers")
        return self._c.computes.list_sizes(type=compute_type)

    def _settle(self, name, result_of):
        """A poller that ends when the compute is no longer changing; Failed raises its first error."""

        def check():
            v = self._c.computes.get(name)
            if v.get("provisioning_state") in CHANGING or v.get("state") in CHANGING_POWER:
                return False, "InProgress", None
            if v.get("provisioning_state") == "Failed":
                raise _failure(v, "Failed")
            return True, "Succeeded", result_of(v)

        return LROPoller(check)

    def begin_create_or_update(self, compute, **kwargs):
        """Creates an AmlCompute or ComputeInstance (nodes from its provider; `local` by default) or
        attaches a VirtualMachineCompute; .result() is the Compute once provisioning settled."""
        refuse_unknown("compute.begin_create_or_update", kwargs)
        if not isinstance(compute, Compute) or compute.type is None:
            raise unsupported("compute.begin_create_or_update(%s)" % type(compute).__name__, "give an AmlCompute, ComputeInstance or VirtualMachineCompute")
        spec = compute._to_spec()
        if compute.type == "virtualmachine":
            view = self._c.computes.attach(spec, host_key=spec.pop("host_key", None))
        else:
            view = self._c.computes.create(spec)
        return self._settle(view["name"], Compute._from_wire)

    def begin_attach(self, compute, **kwargs):
        return self.begin_create_or_update(compute, **kwargs)

    def begin_update(self, compute):
        """Changes what a compute lets change (min/max instances, idle times, description, tags...):
        the fields set on `compute`; a field the compute keeps for life is refused by the server."""
        # Azure's way is get, change an attribute, begin_update: only what differs from the server's
        # view is sent, so the fields a compute keeps for life go along unchanged without a refusal.
        now = self._c.computes.get(compute.name)
        patch = dict((k, v) for k, v in compute._to_spec().items() if k not in ("name", "type") and now.get(k) != v)
        view = self._c.computes.update(compute.name, patch)
        return self._settle(view["name"], Compute._from_wire)

    def _power(self, name, action):
        getattr(self._c.computes, action)(name)
        return self._settle(name, lambda v: None)

    def begin_start(self, name):
        return self._power(name, "start")

    def begin_stop(self, name):
        return self._power(name, "stop")

    def begin_restart(self, name):
        return self._power(name, "restart")

    def begin_delete(self, name, *, action="Delete"):
        """Delete: the compute and its nodes go; Detach: an attached machine leaves the workspace
        (the machine itself is left alone). Refused with ComputeBusy while jobs run on it."""
        if str(action).lower() not in ("delete", "detach"):
            raise unsupported("compute.begin_delete(action=%r)" % (action,), "action is Delete or Detach")
        if str(action).lower() == "detach":
            self._c.computes.detach(name)
        else:
            self._c.computes.delete(name)

        def check():
            try:
                v = self._c.computes.get(name)
            except NotFound:
                return True, "Succeeded", None
            if v.get("provisioning_state") != "Deleting":
                raise _failure(v, "not deleted (%s)" % v.get("provisioning_state"))
            return False, "InProgress", None

        return LROPoller(check)

    def list_usage(self, *, location=None):
        raise unsupported("compute.list_usage", "Azure subscription quotas have no Cairn meaning; see the nodes with list_nodes")

    def enable_sso(self, *, name, enable_sso=True, **kwargs):
        raise unsupported("compute.enable_sso", "Azure single sign-on has no Cairn meaning")
