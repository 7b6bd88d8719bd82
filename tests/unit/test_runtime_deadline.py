"""The invocation's deadline whatever unit the runtime reports its remaining time in.

The contexts below model the runtimes issue 18 names. The openYuanrong one follows
``yr/functionsdk/context.py`` of ``openyuanrong-sdk==0.9.10`` line for line (remaining time
= ``timeout_s + start_ms - now_ms``: about the timeout in seconds at entry, negative 30 ms
later); tests/runtime/ runs the functions through that package's real ``Context``."""
from __future__ import annotations

import time
from typing import Any

import pytest

from shared.scope import MIN_TIMEOUT_S, RESPONSE_RESERVE_S, Invocation, invocation_budget
from shared.triggers import http_routes
from tests.helpers import apig_event


class OpenYuanrongPython:
    """openyuanrong-sdk 0.9.10 ``Context``: ``getRunningTimeInSeconds`` is the configured timeout;
    ``getRemainingTimeInMilliSeconds`` adds ms to seconds."""

    def __init__(self, timeout_s: int) -> None:
        self._timeout = timeout_s
        self._start = int(time.time() * 1000)

    def getRunningTimeInSeconds(self) -> int:
        return self._timeout

    def getRemainingTimeInMilliSeconds(self) -> int:
        return self._timeout + self._start - int(time.time() * 1000)

    def getUserData(self, key: str, default: Any = None) -> Any:
        return default


class OpenYuanrongCpp:
    """openYuanrong's C++ SDK: the remaining time is always 0."""

    def getRemainingTimeInMilliSeconds(self) -> int:
        return 0


class OpenYuanrongGo:
    """openYuanrong's Go SDK: the remaining time in nanoseconds."""

    def __init__(self, timeout_s: int) -> None:
        self._end = time.monotonic_ns() + timeout_s * 1_000_000_000

    def getRemainingTimeInMilliSeconds(self) -> int:
        return self._end - time.monotonic_ns()


class HuaweiNode:
    """Huawei's FunctionGraph Node.js runtime: correct ms, unclamped (negative once late)."""

    def __init__(self, timeout_s: int, already_used_ms: int = 0) -> None:
        self._timeout_s = timeout_s
        self._end = time.monotonic() * 1000 + timeout_s * 1000 - already_used_ms

    def getRunningTimeInSeconds(self) -> int:
        return self._timeout_s

    def getRemainingTimeInMilliSeconds(self) -> int:
        return int(self._end - time.monotonic() * 1000)


NO_ENV: dict[str, str] = {}


def test_openyuanrong_python_seconds_read_as_the_timeout() -> None:
    ctx = OpenYuanrongPython(30)
    assert ctx.getRemainingTimeInMilliSeconds() <= 30  # the unit bug this guards against
    budget, source = invocation_budget(ctx, NO_ENV)
    assert (budget, source) == (30, "timeout")
    time.sleep(0.05)  # 50 ms later the model is negative; the budget does not care
    assert ctx.getRemainingTimeInMilliSeconds() < 0
    assert invocation_budget(ctx, NO_ENV) == (30, "timeout")


def test_cpp_zero_is_unknown_not_expired() -> None:
    assert invocation_budget(OpenYuanrongCpp(), {"RUNTIME_TIMEOUT": "60"}) == (60, "timeout")
    # No timeout anywhere: FunctionGraph's smallest, never an expired deadline, never unlimited.
    assert invocation_budget(OpenYuanrongCpp(), NO_ENV) == (MIN_TIMEOUT_S, "minimum")


def test_go_nanoseconds_never_extend_the_timeout() -> None:
    assert invocation_budget(OpenYuanrongGo(30), {"RUNTIME_TIMEOUT": "30"}) == (30, "timeout")
    assert invocation_budget(OpenYuanrongGo(30), NO_ENV) == (MIN_TIMEOUT_S, "minimum")


def test_node_milliseconds_are_used_and_bounded() -> None:
    budget, source = invocation_budget(HuaweiNode(30, already_used_ms=4000), NO_ENV)
    assert source == "context" and 25.9 < budget <= 26.0  # time used before entry is honoured
    # negative at entry: the runtime does not know; the timeout from entry bounds the work
    assert invocation_budget(HuaweiNode(30, already_used_ms=31_000), NO_ENV) == (30, "timeout")


def test_the_smaller_configured_timeout_wins_and_nonsense_is_ignored() -> None:
    ctx = OpenYuanrongPython(120)
    assert invocation_budget(ctx, {"RUNTIME_TIMEOUT": "30"}) == (30, "timeout")
    assert invocation_budget(ctx, {"RUNTIME_TIMEOUT": "abc"}) == (120, "timeout")
    assert invocation_budget(ctx, {"RUNTIME_TIMEOUT": "-5"}) == (120, "timeout")
    assert invocation_budget(None, NO_ENV) == (None, "none")  # a bare local call: no clock


# Factories, not contexts: a context's clock starts when it is made, and parameters are made at
# collection, long before the test runs in a full suite.
@pytest.mark.parametrize("make", [lambda: OpenYuanrongPython(30), OpenYuanrongCpp, lambda: OpenYuanrongGo(30),
                                  lambda: HuaweiNode(30)],
                         ids=["yr-python", "yr-cpp", "yr-go", "node"])
def test_every_runtime_gives_a_working_deadline(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME_TIMEOUT", "30")
    inv = Invocation.from_context(make())
    assert 29 < inv.deadline.remaining() <= 30 - RESPONSE_RESERVE_S


def test_a_healthy_request_is_not_504_under_openyuanrong(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's symptom: ``list_tasks_http`` answered 504 at once for every request."""
    monkeypatch.setenv("RUNTIME_TIMEOUT", "30")
    out = http_routes.handle(apig_event(query={"limit": "2"}), OpenYuanrongPython(30))
    assert out["statusCode"] == 200, out["body"][:300]
