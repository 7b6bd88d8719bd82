"""The invocation's scope: request id, remaining time, agency credentials and settings.

FunctionGraph passes a context object with Java-style getters (``getRequestID()``,
``getRemainingTimeInMilliSeconds()``, ``getSecurityAccessKey()`` ...). ``Invocation`` reads them
once, tolerates a missing or partial context (local runs, tests) and gives the rest of the code a
``Deadline`` so no network call outlives the function's timeout."""
from __future__ import annotations

import contextvars
import functools
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
    credentials: AgencyCredentials | None = None
    context: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_context(cls, context: Any) -> Invocation:
        request_id = _call(context, "getRequestID") or str(uuid.uuid4())
        remaining_ms = _call(context, "getRemainingTimeInMilliSeconds")
        seconds = None  # no runtime clock (a bare local call): no deadline
        if isinstance(remaining_ms, (int, float)) and not isinstance(remaining_ms, bool):
            # 0 ms left is an expired deadline, not a missing one.
            seconds = max(0.0, remaining_ms / 1000.0 - RESPONSE_RESERVE_S)
        ak = _call(context, "getSecurityAccessKey")
        sk = _call(context, "getSecuritySecretKey")
        token = _call(context, "getSecurityToken")
        creds = AgencyCredentials(ak, sk, token) if ak and sk and token else None
        return cls(
            request_id=str(request_id),
            deadline=Deadline(seconds),
            function_name=_call(context, "getFunctionName"),
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
