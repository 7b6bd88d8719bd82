"""The invocation's scope: request id, remaining time, agency credentials and settings.

FunctionGraph passes a context object with Java-style getters (``getRequestID()``,
``getRemainingTimeInMilliSeconds()``, ``getSecurityAccessKey()`` ...). ``Invocation`` reads them
once, tolerates a missing or partial context (local runs, tests) and gives the rest of the code a
``Deadline`` so no network call outlives the function's timeout.

The remaining time is never trusted alone (``invocation_budget``): runtimes built on the same
``Context`` report it in ms (Huawei's Node.js runtime, unclamped, so it can be negative), as about
the timeout in *seconds* (openYuanrong's Python SDK: ``timeout_s + start_ms - now_ms``), as 0 (its
C++ SDK) or in nanoseconds (its Go SDK). The configured timeout (``RUNTIME_TIMEOUT``,
``getRunningTimeInSeconds()``), measured from handler entry, bounds it and replaces it when it is
not plausible (docs/deploy.md, "Runtime contract")."""
from __future__ import annotations

import contextvars
import functools
import math
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from shared.errors import ApiError, is_retryable
from shared.logger import logger, redact_echo, redact_text
from shared.settings import Settings

T = TypeVar("T")

# Seconds kept back from the function's remaining time for shaping and returning the response.
RESPONSE_RESERVE_S = 0.25
# FunctionGraph's timeout range (CreateFunction: 3-259200 s). The smallest is the budget when a
# runtime reports a remaining time that is not plausible and no timeout at all: never longer
# than the real one (FunctionGraph and openYuanrong always set ``RUNTIME_TIMEOUT``).
MIN_TIMEOUT_S = 3
MAX_TIMEOUT_S = 259_200
# Clock skew allowed above the configured timeout before a value counts as another unit.
SKEW_MS = 1000


class Deadline:
    """A point in monotonic time (``None``: no limit, for local runs); ``remaining()`` is never
    negative."""

    def __init__(self, seconds: float | None) -> None:
        self._end = None if seconds is None else time.monotonic() + max(0.0, seconds)

    def remaining(self) -> float:
        if self._end is None:
            return float("inf")
        return max(0.0, self._end - time.monotonic())

    def cap(self, seconds: float) -> float:
        """``seconds`` or what is left, whichever is smaller."""
        return min(seconds, self.remaining())


@dataclass(frozen=True)
class AgencyCredentials:
    """Temporary credentials of the function's agency. ``repr`` hides them."""

    ak: str = field(repr=False)
    sk: str = field(repr=False)
    security_token: str = field(repr=False)


def _number(value: Any) -> float | None:
    """``value`` as a finite number (an int, a float or their text), else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def configured_timeouts(context: Any, environ: Any = None) -> list[float]:
    """The function's timeout in seconds as each source says it: ``RUNTIME_TIMEOUT`` (set by
    FunctionGraph and openYuanrong for the process) and ``getRunningTimeInSeconds()`` (the
    context's); values outside FunctionGraph's 3-259200 s range are ignored."""
    environ = os.environ if environ is None else environ
    found = [_number(environ.get("RUNTIME_TIMEOUT")), _number(_call(context, "getRunningTimeInSeconds"))]
    return [t for t in found if t is not None and 0 < t <= MAX_TIMEOUT_S]


def invocation_budget(context: Any, environ: Any = None) -> tuple[float | None, str]:
    """Seconds this invocation may still use, measured from now (handler entry), and where the
    number came from: ``context`` (its remaining time, read as ms), ``timeout`` (the configured
    timeout), ``minimum`` (neither usable) or ``none`` (no clock at all: a bare local call).

    With the timeout known, the remaining time is used only when it reads as ms: above the
    timeout's number (a value in seconds is at most that) and at most the timeout in ms (more is
    nanoseconds); it never exceeds the timeout. 0 or negative at handler entry is a runtime that does not know, never a
    request already late. With no timeout known, any positive value up to FunctionGraph's
    longest timeout is read as ms, the unit that never lets work outlive the real timeout."""
    remaining_ms = _number(_call(context, "getRemainingTimeInMilliSeconds"))
    timeouts = configured_timeouts(context, environ)
    if timeouts:
        timeout_s = min(timeouts)  # sources that disagree: the shorter bounds the work
        if remaining_ms is not None and max(timeouts) < remaining_ms <= timeout_s * 1000 + SKEW_MS:
            return min(remaining_ms / 1000, timeout_s), "context"
        return timeout_s, "timeout"
    if remaining_ms is None:
        return None, "none"
    if 0 < remaining_ms <= MAX_TIMEOUT_S * 1000:
        return remaining_ms / 1000, "context"
    return float(MIN_TIMEOUT_S), "minimum"


def _call(context: Any, name: str) -> Any:
    getter = getattr(context, name, None)
    if not callable(getter):
        return None
    try:
        return getter()
    except Exception:  # a runtime without that feature; treated as absent
        return None


@dataclass
class Invocation:
    request_id: str
    deadline: Deadline
    function_name: str | None = None
    deadline_source: str = "none"  # context, timeout, minimum or none: see invocation_budget
    credentials: AgencyCredentials | None = None
    context: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_context(cls, context: Any) -> Invocation:
        budget, source = invocation_budget(context)  # first: handler entry is the reference
        request_id = _call(context, "getRequestID") or str(uuid.uuid4())
        seconds = None if budget is None else max(0.0, budget - RESPONSE_RESERVE_S)
        ak = _call(context, "getSecurityAccessKey")
        sk = _call(context, "getSecuritySecretKey")
        token = _call(context, "getSecurityToken")
        creds = AgencyCredentials(ak, sk, token) if ak and sk and token else None
        return cls(
            request_id=str(request_id),
            deadline=Deadline(seconds),
            function_name=_call(context, "getFunctionName"),
            deadline_source=source,
            credentials=creds,
            context=context,
        )

    @cached_property
    def settings(self) -> Settings:
        """This invocation's settings, read once: the context's user data, then ``os.environ``.
        Raises ``ApiError`` 500 for a bad SMS setting (sections fail later, where used)."""
        return Settings.for_context(self.context)


@contextmanager
def invocation_scope(context: Any, default_name: str, *, log_failure: bool = True) -> Iterator[Invocation]:
    """One invocation, entered and left here for every handler: its log context (request id,
    function name) is this thread's or task's own (a ``ContextVar``), so concurrent requests
    in one warm instance never see each other's; it is reset in ``finally``. An ``ApiError``
    on its way out to FunctionGraph is logged once (``log_failure``)."""
    invocation = Invocation.from_context(context)
    log_token = logger.bind_scope(request_id=invocation.request_id,
                                  function=invocation.function_name or default_name)
    try:
        yield invocation
    except ApiError as exc:
        if log_failure:
            logger.error("invocation failed", status=exc.status, error_code=exc.error_code,
                         error_msg=exc.error_msg)
        raise
    finally:
        logger.reset_scope(log_token)


def run_once(work: Callable[[], dict[str, Any]], invocation: Invocation) -> dict[str, Any]:
    """The failure rule of the asynchronously invoked functions (timer, events), in one place:
    a retryable failure raises, so FunctionGraph retries and then hands it to the on-failure
    destination; anything else (a bad event or ``user_event``, a bad setting, SMS refusing our
    credentials, a crash) would fail every retry the same way, so it is logged at ERROR and
    returned as the result (``ok: false``), which FunctionGraph hands to the on-success
    destination, where people see it (docs/deploy.md)."""
    try:
        return work()
    except Exception as exc:
        if is_retryable(exc):
            raise
        if isinstance(exc, ApiError):
            status, error = exc.status, exc.body()
        else:  # a crash: its trace goes to the log only
            logger.error("unexpected error", error_type=type(exc).__name__,
                         trace=redact_text("".join(traceback.format_exception(exc))))
            status, error = 500, {"error_code": "SMSFN.0500", "error_msg": "internal error; see the logs"}
        logger.error("invocation failed; not retried (the same input would fail again)", status=status,
                     error_code=error["error_code"], error_msg=error["error_msg"])
        return {"ok": False, "retryable": False, "status": status, "error": redact_echo(error),
                "request_id": invocation.request_id}


def in_scope(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` bound to the caller's invocation and log context, for worker threads (a new thread
    starts with an empty context). Each call runs in its own copy: one context can't be entered
    by two threads at once."""
    parent = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        return parent.copy().run(fn, *args, **kwargs)

    return run
