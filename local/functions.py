"""Loads a function's handler the way FunctionGraph does: its code folder as the root, the
``shared`` package beside it, one module instance per function (a warm instance)."""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

from local.context import LocalContext
from project.template import ROOT, Function

Handler = Callable[[Any, Any], Any]


@cache
def load_handler(fn: Function) -> Handler:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # in a package, shared/ sits beside index.py
    path = fn.handler_file
    if not path.is_file():
        raise SystemExit(f"{fn.name}: handler file {path} does not exist")
    spec = importlib.util.spec_from_file_location(f"fn_{fn.name}_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, fn.handler_name, None)
    if not callable(handler):
        raise SystemExit(f"{fn.name}: {path} has no callable {fn.handler_name!r}")
    return handler


def apply_environment(fn: Function) -> None:
    """The template's settings for the function, unless the caller's environment sets them."""
    for key, value in fn.environment.items():
        os.environ.setdefault(key, value)
    from local.dashboard_link import local_dashboard_env

    local_dashboard_env()  # a development link secret, for local runs only


def invoke(fn: Function, event: Any) -> Any:
    return load_handler(fn)(event, LocalContext(fn.name, fn.timeout_s, fn.memory_mb))
