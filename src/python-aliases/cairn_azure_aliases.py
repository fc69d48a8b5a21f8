"""cairn-azure-aliases: the notice each alias prints once per process when it is imported.

`azure` and `azure.ai` are namespace packages (no __init__.py), so Microsoft's other azure-*
packages still import beside this shim; `azureml` and `azure.ai.ml` are Cairn's.
"""

import os
import sys

_said = set()


def _server():
    """Where Workspace.from_config() / MLClient would go now, without connecting."""
    try:
        from cairn.azureml.core.workspace import find_config, read_config

        file = find_config()
        if file:
            server = read_config(file)[0]
            if server:
                return "%s (from %s)" % (server, file)
    except Exception:  # a bad config file is reported by from_config itself, in full
        pass
    if os.environ.get("CAIRN_SERVER"):
        return "%s ($CAIRN_SERVER)" % os.environ["CAIRN_SERVER"]
    return "http://127.0.0.1:%s (the local server)" % (os.environ.get("CAIRN_PORT") or "7667")


def notice(alias, target):
    """One line on stderr, the first time `alias` is imported in this process."""
    if alias in _said:
        return
    _said.add(alias)
    try:
        import cairn  # noqa: F401
    except ImportError:
        raise ImportError("cairn-azure-aliases: %s is an alias of Cairn's %s, but the cairn package is not importable: install Cairn's Python wheel (dist/python/cairn-*.whl) or put its folder on PYTHONPATH" % (alias, target))
    sys.stderr.write("cairn-azure-aliases: %s is Cairn's shape (%s), not Microsoft's, talking to %s\n" % (alias, target, _server()))
    sys.stderr.flush()
