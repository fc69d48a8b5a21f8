"""load_job, load_component, load_compute, load_environment, load_data, load_model: azure-ai-ml's YAML loaders.

The standard library has no YAML parser, so a file is read by the Cairn server's own parsers (the
CLI's), through the connection MLClient.from_config() would make (a config file, CAIRN_SERVER, else
the local server): the file means, and is refused, exactly as `cairn ... create -f` reads it. Paths
in it (code, local data, a build folder) become absolute, so the entity submits from any folder.
"""

import json
import os

from cairn.client._files import parse_file

from ._ml_client import default_client
from ._util import unsupported
from .entities import CommandComponent, CommandJob, Compute, Data, Environment, Model
from .entities._pipeline import PipelineJob
from .entities._sweep import SweepJob


def _parse(kind, source, params_override, sets_ok):
    c = default_client()
    overrides = []
    for o in params_override or []:
        for k, v in o.items():
            overrides.append((k, v))
    sets = ["%s=%s" % (k, json.dumps(v)) for k, v in overrides] if sets_ok else None
    parsed = parse_file(c._http, c._ws, kind, path=os.fspath(source), sets=sets)
    return parsed, (None if sets_ok else overrides)


def _apply(entity, overrides):
    for k, v in overrides or []:
        if "." in k or not hasattr(entity, k):
            raise unsupported("params_override %r" % k, "this file kind takes top-level fields only")
        setattr(entity, k, v)
    return entity


def load_job(source, *, relative_origin=None, params_override=None, **kwargs):
    """A command job file as a CommandJob, a sweep job file (`type: sweep`) as a SweepJob, a
    pipeline job file (`type: pipeline`) as a PipelineJob (params_override: [{"a.b": value}], as
    --set; a sweep's trial fields are "trial.x", a pipeline's steps' "jobs.STEP.x")."""
    parsed, _ = _parse("job", source, params_override, True)
    spec = parsed["spec"]
    if spec.get("type") == "pipeline":
        for name, path in (parsed.get("input_paths") or {}).items():
            spec["inputs"][name]["path"] = path
        job = PipelineJob._from_spec(spec)
        job._loaded = parsed  # its steps' code and build folders, to upload when it is submitted
        return job
    sweep = spec.get("type") == "sweep"
    # A sweep's code and environment are its trial's.
    holder = spec.setdefault("trial", {}) if sweep else spec
    if parsed.get("code_dir"):
        holder["code"] = parsed["code_dir"]
    for name, path in (parsed.get("input_paths") or {}).items():
        spec["inputs"][name]["path"] = path
    env = holder.get("environment")
    if isinstance(env, dict) and env.get("build") and parsed.get("build_dir"):
        env["build"]["path"] = parsed["build_dir"]
    return SweepJob._from_spec(spec) if sweep else CommandJob._from_spec(spec)


def load_compute(source, *, relative_origin=None, params_override=None, **kwargs):
    parsed, over = _parse("compute", source, params_override, True)
    return _apply(Compute._from_wire(parsed["spec"]), over)


def load_component(source, *, relative_origin=None, params_override=None, **kwargs):
    """A command component file (type: command) as a CommandComponent, its code folder and an
    inline environment's build folder as absolute paths (params_override: [{"a.b": value}], as --set)."""
    parsed, _ = _parse("component", source, params_override, True)
    spec = parsed["spec"]
    if parsed.get("code_dir"):
        spec["code"] = parsed["code_dir"]
    env = spec.get("environment")
    if isinstance(env, dict) and env.get("build") and parsed.get("build_dir"):
        env["build"]["path"] = parsed["build_dir"]
    return CommandComponent._from_spec(spec)


def load_environment(source, *, relative_origin=None, params_override=None, **kwargs):
    parsed, over = _parse("environment", source, params_override, True)
    spec = parsed["spec"]
    if spec.get("build") and parsed.get("build_dir"):
        spec["build"]["path"] = parsed["build_dir"]
    return _apply(Environment._from_wire(spec), over)


def _asset(kind, cls, source, params_override):
    parsed, over = _parse(kind, source, params_override, False)
    spec = parsed["spec"]
    if parsed.get("local_path"):
        spec["path"] = parsed["local_path"]
    return _apply(cls._from_wire(spec), over)


def load_data(source, *, relative_origin=None, params_override=None, **kwargs):
    return _asset("data", Data, source, params_override)


def load_model(source, *, relative_origin=None, params_override=None, **kwargs):
    return _asset("model", Model, source, params_override)
