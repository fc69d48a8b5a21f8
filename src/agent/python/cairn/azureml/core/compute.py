"""azureml.core.compute: ComputeTarget, AmlCompute, ComputeInstance, RemoteCompute.

* ``ComputeTarget.create(ws, name, AmlCompute.provisioning_configuration(...))``: a Cairn
  ``amlcompute`` cluster (nodes from the server's default provider, ``local`` unless
  ``provider=`` says otherwise); ``ComputeInstance.provisioning_configuration`` a ``computeinstance``.
* ``ComputeTarget.attach(ws, name, RemoteCompute.attach_configuration(...))``: a ``virtualmachine``
  attached over SSH, as ``cairn compute attach`` does: the host key is pinned on first contact
  unless ``host_key='SHA256:...'`` gives it; the key file is read here and its text sent.
* ``ComputeTarget(workspace=ws, name=name)``: the existing compute, as its own class, or
  ComputeTargetException (the articles' try/except pattern).

Every server error becomes ComputeTargetException carrying the server's ``code`` and ``status``,
with the client's typed error as ``inner_exception``. Azure-only settings (VNets, regions,
identities, resource ids) are refused before anything is sent.
"""

import re
import sys
import time

from ._keys import read_private_key
from ..exceptions import ComputeTargetException

__all__ = ["ComputeTarget", "AmlCompute", "ComputeInstance", "RemoteCompute", "ComputeTargetException"]


def _call(fn, *args, **kwargs):
    """A client call whose server errors become ComputeTargetException with the server's code."""
    from cairn.client import CairnError

    try:
        return fn(*args, **kwargs)
    except CairnError as e:
        raise ComputeTargetException._from(e)


def _refuse(**given):
    named = sorted(k for k, v in given.items() if v not in (None, "", False, "NotSpecified"))
    if named:
        raise ComputeTargetException(
            "%s: Azure-only setting%s with no Cairn meaning (Cairn has no Azure VNets, regions, identities or resource ids); remove %s"
            % (", ".join(named), "s" if len(named) > 1 else "", "them" if len(named) > 1 else "it"),
            code="Unsupported",
        )


def _put(spec, **fields):
    for k, v in fields.items():
        if v is not None:
            spec[k] = v
    return spec


class ComputeTargetProvisioningConfiguration(object):
    def __init__(self, spec):
        self._spec_fields = spec

    def _spec(self, name):
        return dict(self._spec_fields, name=name)

    def validate_configuration(self):
        """Azure validates locally here; the server validates at create (nothing is made on bad input)."""


class ComputeTargetAttachConfiguration(ComputeTargetProvisioningConfiguration):
    pass


class ComputeTarget(object):
    """A compute of the workspace. ``type``: Azure's name for its kind ('AmlCompute', 'ComputeInstance', 'VirtualMachine')."""

    _cairn_type = None
    _azure_type = None

    def __new__(cls, workspace=None, name=None, **kwargs):
        if workspace is None or name is None:
            return super(ComputeTarget, cls).__new__(cls)
        view = _get(workspace, name)
        target_cls = _class_for(view.get("type"))
        if not issubclass(target_cls, cls):
            raise ComputeTargetException("compute %r is a %s, not a %s" % (name, view.get("type"), cls.__name__), code="Conflict")
        obj = super(ComputeTarget, cls).__new__(target_cls)
        obj._set(workspace, view)
        return obj

    def __init__(self, workspace=None, name=None, **kwargs):
        pass  # __new__ did the work, as Azure's ComputeTarget(workspace, name) does

    def _set(self, workspace, view):
        self.workspace = workspace
        self._view = view
        self.name = view["name"]

    @property
    def type(self):
        return self._azure_type or str(self._view.get("type", "")).capitalize()

    @property
    def provisioning_state(self):
        return self._view.get("provisioning_state")

    @property
    def provisioning_errors(self):
        return self._view.get("provisioning_errors") or []

    @property
    def tags(self):
        return self._view.get("tags")

    @property
    def description(self):
        return self._view.get("description")

    location = None
    cluster_resource_id = None

    # -- making and finding ----------------------------------------------------------------------

    @staticmethod
    def create(workspace, name, provisioning_configuration):
        view = _call(workspace._client.computes.create, provisioning_configuration._spec(name))
        return _wrap(workspace, view)

    @staticmethod
    def attach(workspace, name, attach_configuration):
        spec = attach_configuration._spec(name)
        host_key = spec.pop("host_key", None)
        view = _call(workspace._client.computes.attach, spec, host_key=host_key)
        return _wrap(workspace, view)

    @staticmethod
    def list(workspace):
        return [_wrap(workspace, v) for v in _call(workspace._client.computes.list)]

    def refresh_state(self):
        self._view = _get(self.workspace, self.name)

    def serialize(self):
        """The compute as the server shows it (its YAML fields and read-only state)."""
        return dict(self._view)

    def get_status(self):
        self.refresh_state()
        return self.provisioning_state

    # -- waiting ---------------------------------------------------------------------------------

    def wait_for_completion(self, show_output=False, is_delete_operation=False, timeout_in_minutes=30, **kwargs):
        """Follows provisioning until it settles; show_output prints each state as it changes."""
        deadline = time.time() + timeout_in_minutes * 60
        last = None
        while True:
            if is_delete_operation:
                from cairn.client import CairnError, NotFound

                try:
                    self._view = self.workspace._client.computes.get(self.name)
                except NotFound:
                    if show_output:
                        print("Deleted")
                    return
                except CairnError as e:
                    raise ComputeTargetException._from(e)
            else:
                self.refresh_state()
            line = self._progress_line()
            if show_output and line != last:
                print(line)
                sys.stdout.flush()
            last = line
            if not is_delete_operation and self._settled(kwargs):
                break
            if time.time() > deadline:
                raise ComputeTargetException("compute %r is still %s after %s minutes" % (self.name, self.provisioning_state, timeout_in_minutes), code="Timeout")
            time.sleep(0.25)
        if self.provisioning_state == "Failed":
            errors = "; ".join(e.get("message", "") for e in self.provisioning_errors)
            if show_output:
                print("Provisioning errors: %s" % errors)
            raise ComputeTargetException(
                "Compute object provisioning polling reached non-successful terminal state, current provisioning state: Failed\nProvisioning operation error: %s" % errors,
                code=(self.provisioning_errors[0].get("code") if self.provisioning_errors else "ProvisioningFailed"),
            )
        if show_output:
            self._print_done()

    def _progress_line(self):
        return self.provisioning_state

    def _settled(self, options):
        return self.provisioning_state not in ("Creating", "Updating", "Deleting") and self._view.get("state") not in ("Starting", "Stopping", "Restarting")

    def _print_done(self):
        if self._view.get("host_key"):
            print("host key of %s: %s (pinned)" % (self._view.get("address", self.name), self._view["host_key"]))
        print("%s wait for completion finished" % self.type)

    # -- removing --------------------------------------------------------------------------------

    def delete(self):
        _call(self.workspace._client.computes.delete, self.name)

    def detach(self):
        _call(self.workspace._client.computes.detach, self.name)

    def __repr__(self):
        return "%s(workspace=%r, name=%r, provisioning_state=%r)" % (self.__class__.__name__, self.workspace.name, self.name, self.provisioning_state)


def _get(workspace, name):
    from cairn.client import CairnError, NotFound

    try:
        return workspace._client.computes.get(name)
    except NotFound as e:
        raise ComputeTargetException._from(e, "ComputeTargetNotFound: ")
    except CairnError as e:
        raise ComputeTargetException._from(e)


def _class_for(cairn_type):
    return {"amlcompute": AmlCompute, "computeinstance": ComputeInstance, "virtualmachine": RemoteCompute}.get(cairn_type, ComputeTarget)


def _wrap(workspace, view):
    obj = object.__new__(_class_for(view.get("type")))
    obj._set(workspace, view)  # the server's warnings (a password, say) were shown by cairn.client as CairnWarning
    return obj


class _Status(object):
    """A status object whose serialize() gives the dict."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def serialize(self):
        return dict(self.__dict__)

    def __repr__(self):
        return "%s(%s)" % (self.__class__.__name__, ", ".join("%s=%r" % kv for kv in sorted(self.__dict__.items())))


class AmlComputeStatus(_Status):
    pass


class ComputeInstanceStatus(_Status):
    pass


class NodeStateCounts(_Status):
    pass


class AmlCompute(ComputeTarget):
    """A compute cluster: nodes between min_nodes and max_nodes, scaled by Cairn's autoscaler."""

    _cairn_type = "amlcompute"
    _azure_type = "AmlCompute"

    @staticmethod
    def provisioning_configuration(vm_size="", vm_priority="dedicated", min_nodes=0, max_nodes=None, idle_seconds_before_scaledown=None, admin_username=None, admin_user_password=None, admin_user_ssh_key=None, vnet_resourcegroup_name=None, vnet_name=None, subnet_name=None, tags=None, description=None, remote_login_port_public_access="NotSpecified", identity_type=None, identity_id=None, compute_location=None, enable_node_public_ip=True, location=None, provider=None):
        """idle_seconds_before_scaledown: Cairn's default (120 s) when left out, not Azure's 1800."""
        _refuse(vnet_resourcegroup_name=vnet_resourcegroup_name, vnet_name=vnet_name, subnet_name=subnet_name, identity_type=identity_type, identity_id=identity_id, compute_location=compute_location, location=location)
        if vm_priority not in ("dedicated", "lowpriority", "low_priority"):
            raise ComputeTargetException("vm_priority must be 'dedicated' or 'lowpriority' (found %r)" % (vm_priority,), code="ValidationError")
        spec = _put({"type": "amlcompute"}, size=vm_size or None, tier="dedicated" if vm_priority == "dedicated" else "low_priority", min_instances=min_nodes, max_instances=max_nodes, idle_time_before_scale_down=idle_seconds_before_scaledown, tags=tags, description=description, provider=provider)
        ssh = _put({}, admin_username=admin_username, admin_password=admin_user_password, ssh_key_value=admin_user_ssh_key)
        if remote_login_port_public_access == "Enabled" or (ssh and remote_login_port_public_access != "Disabled"):
            spec["ssh_public_access_enabled"] = True
        if ssh:
            spec["ssh_settings"] = ssh
        if enable_node_public_ip is False:
            spec["enable_node_public_ip"] = False
        return ComputeTargetProvisioningConfiguration(spec)

    def _progress_line(self):
        nodes = self._view.get("current_node_count")
        return "%s%s" % (self.provisioning_state, "" if nodes is None else " (nodes: %d, min %s, max %s)" % (nodes, self._view.get("min_instances"), self._view.get("max_instances")))

    def wait_for_completion(self, show_output=False, min_node_count=None, timeout_in_minutes=20, is_delete_operation=False):
        return ComputeTarget.wait_for_completion(self, show_output=show_output, is_delete_operation=is_delete_operation, timeout_in_minutes=timeout_in_minutes, min_node_count=min_node_count)

    def _settled(self, options):
        want = options.get("min_node_count")
        done = ComputeTarget._settled(self, options)
        return done and (want is None or self.provisioning_state == "Failed" or (self._view.get("current_node_count") or 0) >= want)

    def _print_done(self):
        print("AmlCompute wait for completion finished\n\nMinimum number of nodes requested have been provisioned")

    def get_status(self):
        self.refresh_state()
        v = self._view
        nodes = v.get("nodes") or []
        counts = {"idle_node_count": 0, "running_node_count": 0, "preparing_node_count": 0, "unusable_node_count": 0, "leaving_node_count": 0, "preempted_node_count": 0}
        for n in nodes:
            state = str(n.get("state", ""))
            key = "running_node_count" if n.get("current_job") else {"ready": "idle_node_count", "idle": "idle_node_count", "starting": "preparing_node_count", "creating": "preparing_node_count", "deleting": "leaving_node_count", "preempted": "preempted_node_count"}.get(state, "unusable_node_count")
            counts[key] += 1
        return AmlComputeStatus(
            current_node_count=v.get("current_node_count", len(nodes)),
            node_state_counts=NodeStateCounts(**counts),
            allocation_state="Steady" if ComputeTarget._settled(self, {}) else "Resizing",
            scale_settings={"minimum_node_count": v.get("min_instances"), "maximum_node_count": v.get("max_instances"), "node_idle_time_before_scale_down": v.get("idle_time_before_scale_down")},
            vm_size=v.get("size"),
            vm_priority="dedicated" if v.get("tier", "dedicated") == "dedicated" else "lowpriority",
            provisioning_state=v.get("provisioning_state"),
            provisioning_errors=v.get("provisioning_errors") or [],
            scaling_history=v.get("scaling_history") or [],
        )

    def update(self, min_nodes=None, max_nodes=None, idle_seconds_before_scaledown=None):
        changes = _put({}, min_instances=min_nodes, max_instances=max_nodes, idle_time_before_scale_down=idle_seconds_before_scaledown)
        self._view = _call(self.workspace._client.computes.update, self.name, changes)

    def list_nodes(self):
        return _call(self.workspace._client.computes.list_nodes, self.name)


def _minutes(iso):
    """'PT30M', 'PT1H', 'PT90S' -> whole minutes."""
    m = re.match(r"^P(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)$", str(iso or ""))
    if not m or not any(m.groups()):
        raise ComputeTargetException("idle_time_before_shutdown must be an ISO 8601 duration like 'PT30M' (found %r)" % (iso,), code="ValidationError")
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 60 + mi + s // 60


class ComputeInstance(ComputeTarget):
    """One node for one person: start, stop, restart, idle shutdown."""

    _cairn_type = "computeinstance"
    _azure_type = "ComputeInstance"

    @staticmethod
    def provisioning_configuration(vm_size="", ssh_public_access=False, admin_user_ssh_public_key=None, vnet_resourcegroup_name=None, vnet_name=None, subnet_name=None, tags=None, description=None, assigned_user_object_id=None, assigned_user_tenant_id=None, idle_time_before_shutdown=None, idle_time_before_shutdown_minutes=None, setup_script=None, location=None, identity_type=None, identity_id=None, enable_node_public_ip=True, provider=None):
        _refuse(vnet_resourcegroup_name=vnet_resourcegroup_name, vnet_name=vnet_name, subnet_name=subnet_name, assigned_user_object_id=assigned_user_object_id, assigned_user_tenant_id=assigned_user_tenant_id, location=location, identity_type=identity_type, identity_id=identity_id)
        if setup_script:
            raise ComputeTargetException("setup_script is not offered: run setup as the first step of your job's command", code="Unsupported")
        minutes = idle_time_before_shutdown_minutes if idle_time_before_shutdown_minutes is not None else _minutes(idle_time_before_shutdown) if idle_time_before_shutdown else None
        spec = _put({"type": "computeinstance"}, size=vm_size or None, idle_time_before_shutdown_minutes=minutes, tags=tags, description=description, provider=provider)
        if ssh_public_access:
            spec["ssh_public_access_enabled"] = True
        if admin_user_ssh_public_key:
            spec["ssh_settings"] = {"ssh_key_value": admin_user_ssh_public_key}
        if enable_node_public_ip is False:
            spec["enable_node_public_ip"] = False
        return ComputeTargetProvisioningConfiguration(spec)

    def get_status(self):
        self.refresh_state()
        v = self._view
        return ComputeInstanceStatus(state=v.get("state"), vm_size=v.get("size"), provisioning_state=v.get("provisioning_state"), errors=v.get("provisioning_errors") or [], nodes=v.get("nodes") or [])

    def _power(self, verb, wait_for_completion, show_output):
        self._view = _call(getattr(self.workspace._client.computes, verb), self.name)
        if wait_for_completion:
            self.wait_for_completion(show_output=show_output)

    def start(self, wait_for_completion=True, show_output=True):
        self._power("start", wait_for_completion, show_output)

    def stop(self, wait_for_completion=True, show_output=True):
        self._power("stop", wait_for_completion, show_output)

    def restart(self, wait_for_completion=True, show_output=True):
        self._power("restart", wait_for_completion, show_output)

    def _progress_line(self):
        return "%s%s" % (self.provisioning_state, " (%s)" % self._view["state"] if self._view.get("state") else "")


class RemoteCompute(ComputeTarget):
    """A machine you already have, attached over SSH (Cairn's virtualmachine)."""

    _cairn_type = "virtualmachine"
    _azure_type = "VirtualMachine"

    @staticmethod
    def attach_configuration(resource_id=None, address=None, ssh_port=22, username="", password="", private_key_file="", private_key_passphrase="", host_key=None, max_concurrent_jobs=None, work_dir=None):
        _refuse(resource_id=resource_id)
        if not address:
            raise ComputeTargetException("give address: the machine's host name or IP address", code="ValidationError")
        if not username:
            raise ComputeTargetException("give username: the user Cairn logs in as over SSH", code="ValidationError")
        if password and private_key_file:
            raise ComputeTargetException("give password or private_key_file, not both", code="ValidationError")
        if private_key_passphrase and not private_key_file:
            raise ComputeTargetException("private_key_passphrase goes with private_key_file", code="ValidationError")
        ssh = {"admin_username": username, "ssh_port": int(ssh_port)}
        if password:
            ssh["admin_password"] = password
        elif private_key_passphrase:
            ssh["ssh_key_value"] = read_private_key(private_key_file, private_key_passphrase)
        elif private_key_file:
            # Read by cairn.client as the CLI reads it (relative to here, ~ is home); the path is kept on the compute.
            ssh["ssh_private_key_file"] = private_key_file
        else:
            raise ComputeTargetException("give password or private_key_file so Cairn can log in", code="ValidationError")
        spec = _put({"type": "virtualmachine", "address": address, "ssh_settings": ssh}, host_key=host_key, max_concurrent_jobs=max_concurrent_jobs, work_dir=work_dir)
        return ComputeTargetAttachConfiguration(spec)
