"""A FunctionGraph-like ``context`` and result contract for local runs, as strict as the runtime.

* ``getUserData(key)`` takes one argument, as FunctionGraph documents it (openYuanrong's takes an
  optional default too; code that passes one would break on FunctionGraph).
* ``runtime_variables`` are the ``RUNTIME_*`` variables FunctionGraph and openYuanrong set for
  a function's process (``RUNTIME_TIMEOUT`` bounds the deadline, ``shared.scope``).
* ``serialised_result`` serialises a handler's return value with ``json.dumps`` and its defaults,
  as the runtime does, and applies its limits: a synchronous result over 6,291,456 bytes is the
  runtime's 4004, one it cannot serialise 4007 (``RuntimeRefused``); an asynchronous one over
  256 KB arrives empty (``None``). tests/runtime/ checks the functions against openYuanrong's own
  executor as well."""
from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any

from project.template import Function
from shared.result_limits import ASYNC_RESULT_LIMIT, HTTP_RESULT_LIMIT

# FunctionGraph's code root; openYuanrong sets the same variable names (yr/functionsdk/context.py).
CODE_ROOT = "/opt/function/code"


class _ContextLogger:
    def info(self, msg: str) -> None:
        print(msg, flush=True, file=sys.stderr)


class RuntimeRefused(RuntimeError):
    """What the runtime answers instead of the handler's result (its ``innerCode``)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class LocalContext:
    """Request id, remaining time from the template's timeout (in ms, as documented), no agency
    (credentials come from the settings or the embedded emulator), and ``getUserData`` serving
    the settings it is given (the template's environment plus overrides, encrypted ones
    included), as FunctionGraph serves a function's variables."""

    def __init__(self, function_name: str, timeout_s: float, memory_mb: int = 256,
                 user_data: Mapping[str, str] | None = None) -> None:
        self._user_data = dict(user_data or {})
        self._function_name = function_name
        self._timeout_s = timeout_s
        self._memory_mb = memory_mb
        self._start = time.monotonic()
        self._request_id = uuid.uuid4().hex

    def getRequestID(self) -> str:
        return self._request_id

    def getRemainingTimeInMilliSeconds(self) -> int:
        return max(0, int((self._timeout_s - (time.monotonic() - self._start)) * 1000))

    def getRunningTimeInSeconds(self) -> int:
        return int(self._timeout_s)

    def getFunctionName(self) -> str:
        return self._function_name

    def getMemorySize(self) -> int:
        return self._memory_mb

    def getUserData(self, key: str) -> str | None:
        return self._user_data.get(key)

    def getSecurityAccessKey(self) -> str:
        return ""

    def getSecuritySecretKey(self) -> str:
        return ""

    def getSecurityToken(self) -> str:
        return ""

    def getLogger(self) -> _ContextLogger:
        return _ContextLogger()


def runtime_variables(fn: Function) -> dict[str, str]:
    """The ``RUNTIME_*`` variables of ``fn``'s process (one function per process, as on
    FunctionGraph: ``local.invoke`` sets them; the gateway, serving several, leaves them out and
    each context's ``getRunningTimeInSeconds`` says the timeout)."""
    return {
        "RUNTIME_FUNC_NAME": fn.name,
        "RUNTIME_HANDLER": fn.handler,
        "RUNTIME_TIMEOUT": str(int(fn.timeout_s)),
        "RUNTIME_MEMORY": str(fn.memory_mb),
        "RUNTIME_CODE_ROOT": CODE_ROOT,
        "RUNTIME_MAX_RESP_BODY_SIZE": str(HTTP_RESULT_LIMIT),
    }


def serialised_result(result: Any, *, asynchronous: bool) -> Any:
    """``result`` after the runtime's round trip: serialised by ``json.dumps`` (defaults) and
    parsed back, so a caller sees what the platform would hand on."""
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as exc:
        raise RuntimeRefused(4007, f"the result is not JSON-serialisable: {exc}") from None
    if asynchronous and len(text) > ASYNC_RESULT_LIMIT:
        print(f"result of {len(text)} bytes is over the 256 KB an asynchronous invocation keeps: "
              "it arrives empty", file=sys.stderr)
        return None
    if len(text) > HTTP_RESULT_LIMIT:
        raise RuntimeRefused(4004, f"response body size {len(text)} exceeds the limit of {HTTP_RESULT_LIMIT}")
    return json.loads(text)
