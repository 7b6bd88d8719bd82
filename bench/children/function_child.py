"""The start of a handler child: the stdin spec read, the function's code folder and the project
put on ``sys.path`` as FunctionGraph lays them out, its handler imported. Stdlib only; imported by a
child script as a sibling module (a script's own folder is on ``sys.path``)."""
import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load() -> "tuple[dict[str, Any], Callable[..., Any], int]":
    """The spec, the handler and the RSS (KiB) right after the imports."""
    spec = json.load(sys.stdin)
    sys.path[:0] = [spec["code"], ROOT]
    from bench.children.proc_status import status_kib

    module_name, _, handler_name = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), handler_name)
    return spec, handler, status_kib("VmRSS")
