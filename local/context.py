"""A FunctionGraph-like ``context`` for local runs: the same getters the runtime offers."""
from __future__ import annotations

import os
import time
import uuid


class _ContextLogger:
    def info(self, msg: str) -> None:
        print(msg, flush=True, file=__import__("sys").stderr)


class LocalContext:
    """Request id, remaining time from the template's timeout, and no agency (credentials come
    from the environment or the embedded emulator)."""

    def __init__(self, function_name: str, timeout_s: float, memory_mb: int = 256) -> None:
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
        return os.environ.get(key, default)

    def getSecurityAccessKey(self) -> str:
        return ""

    def getSecuritySecretKey(self) -> str:
        return ""

    def getSecurityToken(self) -> str:
        return ""

    def getLogger(self) -> _ContextLogger:
        return _ContextLogger()
