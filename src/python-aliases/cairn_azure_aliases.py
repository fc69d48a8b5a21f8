"""cairn-azure-aliases: the one line the shim prints on stderr, the first time any of its aliases
(azureml.*, azure.ai.ml.*, azure.identity) is imported in a process.

`azure` and `azure.ai` are namespace packages (no __init__.py), so other azure-* packages still
import beside this shim; `azureml`, `azure.ai.ml` and `azure.identity` are Cairn's.
"""

import os
import sys

_said = []


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


def notice(alias, what):
    """Says, once per process, that `alias` is Cairn's (`what`) and which server it talks to."""
    try:
        import cairn  # noqa: F401
    except ImportError:
        raise ImportError("cairn-azure-aliases: %s is an alias of Cairn's Python package, which is not importable: install Cairn's wheel (dist/python/cairn-*.whl) or put its folder on PYTHONPATH" % alias)
    if _said:
        return
    _said.append(alias)
    sys.stderr.write("cairn-azure-aliases: %s is %s, not Microsoft's, talking to %s\n" % (alias, what, _server()))
    sys.stderr.flush()
