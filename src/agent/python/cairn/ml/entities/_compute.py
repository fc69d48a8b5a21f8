"""Compute targets in azure-ai-ml's shapes: AmlCompute (a cluster of nodes between min and max
instances), ComputeInstance (one node for one person) and VirtualMachineCompute (a machine you have,
attached over SSH). Their nodes come from a Cairn node provider (`provider=`, Cairn's own argument;
the server's default is `local`: agent processes on the server's machine)."""

import re

from .._util import Entity, SystemData, plain, refuse, refuse_unknown, unsupported

_NO_AZURE = {
    "location": "Cairn has no Azure regions; the provider decides where nodes run",
    "identity": "Cairn has no managed identities; each job gets a token of its own",
    "network_settings": "Cairn has no Azure virtual networks; nodes are reached the way their provider says",
    "resource_id": "Cairn attaches a machine by its address: give address='HOST' (Cairn's argument) instead of an Azure resource id",
    "create_on_behalf_of": "creating a compute instance for another user is not supported",
    "setup_scripts": "setup scripts are not supported; prepare the node in its provider, or in a job's environment",
    "custom_applications": "custom applications are not supported",
}


class AmlComputeSshSettings(Entity):
    _FIELDS = ("admin_username", "admin_password", "ssh_key_value")

    def __init__(self, *, admin_username=None, admin_password=None, ssh_key_value=None):
        self.admin_username = admin_username
        self.admin_password = admin_password
        self.ssh_key_value = ssh_key_value


class ComputeInstanceSshSettings(Entity):
    _FIELDS = ("ssh_key_value",)

    def __init__(self, *, ssh_key_value=None, **kwargs):
        self.ssh_key_value = ssh_key_value
        self.admin_username = kwargs.get("admin_username")
        self.ssh_port = kwargs.get("ssh_port")


class VirtualMachineSshSettings(Entity):
    """How Cairn logs in to an attached machine: a password, or a private key (file or text)."""

    _FIELDS = ("admin_username", "admin_password", "ssh_port", "ssh_private_key_file", "ssh_key_value")

    def __init__(self, *, admin_username=None, admin_password=None, ssh_port=22, ssh_private_key_file=None, ssh_key_value=None):
        self.admin_username = admin_username
        self.admin_password = admin_password
        self.ssh_port = ssh_port
        self.ssh_private_key_file = plain(ssh_private_key_file)
        self.ssh_key_value = ssh_key_value


class _Generic(Entity):
    """Azure's small schedule classes: attributes that go to the wire under their own names."""

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self._FIELDS = tuple(kwargs)


class CronTrigger(_Generic):
    def __init__(self, *, expression, start_time=None, time_zone=None):
        super().__init__(type="cron", expression=expression, start_time=start_time, time_zone=time_zone)


class RecurrencePattern(_Generic):
    def __init__(self, *, hours=None, minutes=None, week_days=None, month_days=None):
        super().__init__(hours=hours, minutes=minutes, week_days=week_days, month_days=month_days)


class RecurrenceTrigger(_Generic):
    def __init__(self, *, frequency, interval=1, schedule=None, start_time=None, time_zone=None):
        super().__init__(type="recurrence", frequency=frequency, interval=interval, schedule=schedule, start_time=start_time, time_zone=time_zone)


class ComputeStartStopSchedule(_Generic):
    def __init__(self, *, trigger=None, action=None, state="enabled", **kwargs):
        refuse_unknown("ComputeStartStopSchedule", kwargs)
        super().__init__(action=action, state=state, trigger=trigger)


class ComputeSchedules(_Generic):
    def __init__(self, *, compute_start_stop=None):
        super().__init__(compute_start_stop=list(compute_start_stop or []))


class Compute(Entity):
    """What every compute shows: name, type, provisioning_state (Creating, Succeeded, Failed,
    Updating, Deleting), provisioning_errors, created_on, id; `state` for one that can stop."""

    type = None

    def __init__(self, *, name=None, description=None, tags=None, location=None, resource_id=None, **kwargs):
        refuse(type(self).__name__, dict(location=location, resource_id=resource_id), _NO_AZURE)
        self.name = name
        self.description = description
        self.tags = dict(tags or {})
        self.location = None
        self.resource_id = None
        self.provisioning_state = None
        self.provisioning_errors = None
        self.created_on = None
        self.id = None
        self.state = None
        self.creation_context = None
        self._wire = None

    def _to_spec(self):
        spec = Entity._to_spec(self)
        spec["type"] = self.type
        if not spec.get("tags"):
            spec.pop("tags", None)
        return spec

    @classmethod
    def _from_wire(cls, d):
        """The server's compute view as the entity of its type (a plain Compute for Cairn's own types)."""
        kind = {"amlcompute": AmlCompute, "computeinstance": ComputeInstance, "virtualmachine": VirtualMachineCompute}.get(d.get("type"))
        if kind is None:
            c = Compute(name=d.get("name"), description=d.get("description"), tags=d.get("tags"))
            c.type = d.get("type")
        else:
            c = kind._from_fields(d)
        c.provisioning_state = d.get("provisioning_state")
        c.provisioning_errors = d.get("provisioning_errors")
        c.created_on = d.get("created_on")
        c.id = d.get("id")
        c.state = d.get("state")
        c.creation_context = SystemData._from_wire({"created_at": d.get("created_on"), "last_modified_at": d.get("last_modified_on")})
        c._wire = d
        return c


def _ssh(cls, d):
    return cls(**dict((k, v) for k, v in (d or {}).items() if k in cls._FIELDS)) if d else None


class AmlCompute(Compute):
    type = "amlcompute"
    _FIELDS = ("name", "description", "tags", "size", "tier", "min_instances", "max_instances", "idle_time_before_scale_down",
               "ssh_public_access_enabled", "ssh_settings", "enable_node_public_ip", "provider")

    def __init__(self, *, name, description=None, size=None, tags=None, ssh_public_access_enabled=None, ssh_settings=None, min_instances=None,
                 max_instances=None, network_settings=None, idle_time_before_scale_down=None, identity=None, tier=None, enable_node_public_ip=None,
                 location=None, provider=None, **kwargs):
        refuse("AmlCompute", dict(network_settings=network_settings, identity=identity), _NO_AZURE)
        refuse_unknown("AmlCompute", kwargs)
        super().__init__(name=name, description=description, tags=tags, location=location)
        self.size = size
        self.tier = tier.lower().replace("lowpriority", "low_priority") if isinstance(tier, str) else tier
        self.min_instances = min_instances
        self.max_instances = max_instances
        self.idle_time_before_scale_down = idle_time_before_scale_down
        self.ssh_public_access_enabled = ssh_public_access_enabled
        self.ssh_settings = ssh_settings
        self.enable_node_public_ip = enable_node_public_ip
        self.provider = provider

    @property
    def current_node_count(self):
        return (self._wire or {}).get("current_node_count")

    @classmethod
    def _from_fields(cls, d):
        return cls(name=d.get("name"), description=d.get("description"), tags=d.get("tags"), size=d.get("size"), tier=d.get("tier"),
                   min_instances=d.get("min_instances"), max_instances=d.get("max_instances"), idle_time_before_scale_down=d.get("idle_time_before_scale_down"),
                   ssh_public_access_enabled=d.get("ssh_public_access_enabled"), ssh_settings=_ssh(AmlComputeSshSettings, d.get("ssh_settings")),
                   enable_node_public_ip=d.get("enable_node_public_ip"), provider=d.get("provider"))


def _minutes(iso):
    """Azure's idle_time_before_shutdown ('PT30M', 'PT1H30M') in minutes."""
    m = re.match(r"^PT(?:(\d+)H)?(?:(\d+)M)?$", str(iso).strip().upper())
    if not m or not (m.group(1) or m.group(2)):
        raise unsupported("ComputeInstance(idle_time_before_shutdown=%r)" % (iso,), "expected an ISO 8601 duration like 'PT30M', or give idle_time_before_shutdown_minutes")
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


class ComputeInstance(Compute):
    type = "computeinstance"
    _FIELDS = ("name", "description", "tags", "size", "ssh_public_access_enabled", "ssh_settings", "idle_time_before_shutdown_minutes",
               "schedules", "enable_node_public_ip", "provider")
    # Azure's switches whose default Cairn matches; another value is refused by name.
    _AZURE_DEFAULTS = {"enable_sso": True, "enable_root_access": True, "release_quota_on_stop": False, "enable_os_patching": False}

    def __init__(self, *, name, description=None, size=None, tags=None, ssh_public_access_enabled=None, create_on_behalf_of=None, network_settings=None,
                 ssh_settings=None, schedules=None, identity=None, idle_time_before_shutdown=None, idle_time_before_shutdown_minutes=None,
                 setup_scripts=None, enable_node_public_ip=None, custom_applications=None, location=None, provider=None, **kwargs):
        refuse("ComputeInstance", dict(create_on_behalf_of=create_on_behalf_of, network_settings=network_settings, identity=identity,
                                       setup_scripts=setup_scripts, custom_applications=custom_applications), _NO_AZURE)
        for key, default in sorted(self._AZURE_DEFAULTS.items()):
            if key in kwargs and kwargs.pop(key) != default:
                raise unsupported("ComputeInstance(%s=...)" % key, "Cairn's compute instances always behave as %s=%r" % (key, default))
        refuse_unknown("ComputeInstance", kwargs)
        super().__init__(name=name, description=description, tags=tags, location=location)
        self.size = size
        self.ssh_public_access_enabled = ssh_public_access_enabled
        self.ssh_settings = ssh_settings
        self.schedules = schedules
        if idle_time_before_shutdown is not None and idle_time_before_shutdown_minutes is None:
            idle_time_before_shutdown_minutes = _minutes(idle_time_before_shutdown)
        self.idle_time_before_shutdown_minutes = idle_time_before_shutdown_minutes
        self.enable_node_public_ip = enable_node_public_ip
        self.provider = provider

    @classmethod
    def _from_fields(cls, d):
        return cls(name=d.get("name"), description=d.get("description"), tags=d.get("tags"), size=d.get("size"),
                   ssh_public_access_enabled=d.get("ssh_public_access_enabled"), ssh_settings=_ssh(ComputeInstanceSshSettings, d.get("ssh_settings")),
                   schedules=d.get("schedules"), idle_time_before_shutdown_minutes=d.get("idle_time_before_shutdown_minutes"),
                   enable_node_public_ip=d.get("enable_node_public_ip"), provider=d.get("provider"))


class VirtualMachineCompute(Compute):
    """A machine you have, attached over SSH. Cairn's arguments: `address` (host name or IP, in
    place of Azure's resource_id), `host_key` (its SHA256 fingerprint, else pinned on first contact),
    `max_concurrent_jobs`, `work_dir`."""

    type = "virtualmachine"
    _FIELDS = ("name", "description", "tags", "address", "ssh_settings", "host_key", "max_concurrent_jobs", "work_dir")

    def __init__(self, *, name, description=None, resource_id=None, tags=None, ssh_settings=None, address=None, host_key=None,
                 max_concurrent_jobs=None, work_dir=None, **kwargs):
        refuse_unknown("VirtualMachineCompute", kwargs)
        super().__init__(name=name, description=description, tags=tags, resource_id=resource_id)
        self.address = address
        self.ssh_settings = ssh_settings
        self.host_key = host_key
        self.max_concurrent_jobs = max_concurrent_jobs
        self.work_dir = work_dir

    @property
    def public_key_data(self):
        return None

    @classmethod
    def _from_fields(cls, d):
        return cls(name=d.get("name"), description=d.get("description"), tags=d.get("tags"), address=d.get("address"),
                   ssh_settings=_ssh(VirtualMachineSshSettings, d.get("ssh_settings")), host_key=d.get("host_key"),
                   max_concurrent_jobs=d.get("max_concurrent_jobs"), work_dir=d.get("work_dir"))


# Cairn's node states as Azure's node_state words.
_NODE_STATES = {"ready": "idle", "starting": "preparing", "provisioning": "preparing", "deleting": "leaving", "preempting": "preempted",
                "lost": "unusable", "unhealthy": "unusable", "failed": "unusable"}


class AmlComputeNodeInfo(object):
    """One node of a compute (ml_client.compute.list_nodes): node_id, node_state (idle, running,
    preparing, leaving, preempted, unusable), the job on it, and how to log in when SSH is on."""

    def __init__(self):
        self.node_id = None
        self.private_ip_address = None
        self.public_ip_address = None
        self.port = None
        self.node_state = None
        self.run_id = None
        self.current_job_name = None
        self._wire = None

    @classmethod
    def _from_wire(cls, n):
        i = cls()
        i.node_id = n.get("label") or n.get("name")
        job = n.get("current_job")
        state = n.get("state")
        i.node_state = "running" if job or (n.get("busy_slots") or 0) > 0 else _NODE_STATES.get(state, state)
        i.run_id = i.current_job_name = job
        m = re.search(r"-p\s*(\d+)\s+\S+@(\S+)", n.get("connection") or "")
        if m:
            i.port, i.public_ip_address = int(m.group(1)), m.group(2)
            i.private_ip_address = m.group(2)
        i._wire = n
        return i

    def __repr__(self):
        return "AmlComputeNodeInfo(node_id=%r, node_state=%r, current_job_name=%r)" % (self.node_id, self.node_state, self.current_job_name)
