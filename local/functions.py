"""Loads a function's handler the way FunctionGraph does: its code folder as the root, the
``shared`` package beside it, one module instance per function (a warm instance)."""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from local.context import LocalContext, serialised_result
from project.template import ROOT, Function
from shared.settings import SETTING_PREFIXES

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




def function_settings(fn: Function, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the function's ``getUserData`` serves locally: the template's environment, then the
    caller's values of the settings, then of the function's secrets."""
    environ = os.environ if environ is None else environ
    settings = dict(fn.environment)
    # The caller's values of the settings override the template (and supply the secrets, which
    # the template only names), as a deployer's values would.
    settings.update({k: v for k, v in environ.items() if k.startswith(SETTING_PREFIXES)})
    settings.update({s.name: environ[s.name] for s in fn.secrets if s.name in environ})
    return settings


def is_asynchronous(fn: Function) -> bool:
    """Whether ``fn``'s invocations are asynchronous (TIMER, SMN, CTS, Kafka, EventGrid): every
    function but the one behind API Gateway."""
    return not fn.triggers_of("APIG")


def invoke(fn: Function, event: Any, overrides: Mapping[str, str] | None = None,
           asynchronous: bool | None = None) -> Any:
    """One call of the function's handler with a FunctionGraph-like context, its result passed
    through the runtime's serialisation and limits (``local.context.serialised_result``)."""
    user_data = {**function_settings(fn), **(overrides or {})}
    result = load_handler(fn)(event, LocalContext(fn.name, fn.timeout_s, fn.memory_mb, user_data))
    return serialised_result(result, asynchronous=is_asynchronous(fn) if asynchronous is None else asynchronous)
