"""A FunctionGraph-like ``context`` for local runs: the same getters the runtime offers."""
from __future__ import annotations

import time
import uuid
from collections.abc import Mapping


class _ContextLogger:
    def info(self, msg: str) -> None:
        print(msg, flush=True, file=__import__("sys").stderr)


class LocalContext:
    """Request id, remaining time from the template's timeout, no agency (credentials come from
    the settings or the embedded emulator), and ``getUserData`` serving the settings it is given
    (the template's environment plus overrides), as FunctionGraph serves a function's variables."""

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

    def getUserData(self, key: str, default: str | None = None) -> str | None:
        return self._user_data.get(key, default)

    def getSecurityAccessKey(self) -> str:
        return ""

    def getSecuritySecretKey(self) -> str:
        return ""

    def getSecurityToken(self) -> str:
        return ""

    def getLogger(self) -> _ContextLogger:
        return _ContextLogger()
