"""The start every function child shares (stdlib only): the spec from stdin, the function's code
folder on ``sys.path`` as FunctionGraph lays it out, its handler imported, the RSS after imports."""
import importlib
import json
import sys
from typing import Any

from bench.children.proc_status import status_kib


def load() -> tuple[dict[str, Any], Any, int]:
    """(spec, handler, RSS after imports in KiB) for the spec on stdin (``code``, ``handler``)."""
    spec = json.load(sys.stdin)
    sys.path.insert(0, spec["code"])
    module_name, _, handler_name = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), handler_name)
    return spec, handler, status_kib("VmRSS")
