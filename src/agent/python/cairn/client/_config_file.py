"""Where `from_config()` finds a Cairn config file, for both SDK shapes (v1 Workspace, v2 MLClient)."""

import os

CONFIG_DIRS = (".cairn", ".azureml")


def find_config(path=None, file_name=None):
    """`path` (a file, or a folder holding config.json, .cairn/config.json or .azureml/config.json):
    that file, or a LookupError saying where it looked. Without path: the first .cairn/config.json or
    .azureml/config.json in the current folder or a folder above it, or None. A bare config.json is
    taken only when named (projects often keep their hyperparameters in one)."""
    name = file_name or "config.json"
    if path is not None:
        path = os.path.abspath(os.path.expanduser(os.fspath(path)))
        if os.path.isfile(path):
            return path
        for c in [os.path.join(path, name)] + [os.path.join(path, d, name) for d in CONFIG_DIRS]:
            if os.path.isfile(c):
                return c
        raise LookupError("no config file at %s (looked for %s, .cairn/%s and .azureml/%s there)" % (path, name, name, name))
    folder = os.getcwd()
    while True:
        for d in CONFIG_DIRS:
            c = os.path.join(folder, d, name)
            if os.path.isfile(c):
                return c
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
