"""The one retry policy of every outbound call (SMS pages, webhook deliveries).

Retryable failures wait with exponential backoff and full jitter; an answer's ``Retry-After``
(delta-seconds or an HTTP-date, RFC 9110 §10.2.3) replaces the backoff. Nothing waits past the
caller's remaining time: when ``Retry-After`` asks for longer than that (or longer than
``max_retry_after_s``), the policy says so and the caller gives the failure back at once, with
the ``Retry-After`` it got, instead of sleeping into the deadline."""
from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Protocol

# With less time left an attempt can't finish: don't start one (and don't sleep into that margin).
MIN_ATTEMPT_S = 0.05
# A longer Retry-After is handed back to the caller (or FunctionGraph's retry of the invocation).
MAX_RETRY_AFTER_S = 60.0
# Far beyond any real Retry-After; keeps absurd values (10**400 seconds) finite and comparable.
_RETRY_AFTER_CEILING_S = 10.0**9


class Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (epoch seconds); None when absent or garbage
    (negative numbers, fractions, words). A date in the past means "now": 0."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), _RETRY_AFTER_CEILING_S) if len(text) < 12 else _RETRY_AFTER_CEILING_S
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        return min(max(0.0, when.timestamp() - now), _RETRY_AFTER_CEILING_S)
    except (OverflowError, OSError, ValueError):
        return None


def retry_after_header(seconds: float | None) -> str:
    """The ``Retry-After`` to give our own caller: whole seconds, rounded up; 1 when upstream
    gave none we could read (a hint, so a client doesn't hammer)."""
    if seconds is None:
        return "1"
    return str(max(0, math.ceil(seconds)))


@dataclass(frozen=True)
class Wait:
    """What to do after a retryable failure: sleep ``seconds``, or give up (``seconds`` None)
    for ``reason``."""

    seconds: float | None
    reason: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` after the first attempt; backoff ``base * 2^(n-1)`` capped at ``max_delay_s``."""

    retries: int = 2
    base_delay_s: float = 0.1
    max_delay_s: float = 2.0
    max_retry_after_s: float = MAX_RETRY_AFTER_S

    def backoff(self, attempt: int, rng: Uniform | Any = random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]; ``attempt`` counts from 1."""
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * (2 ** (max(1, attempt) - 1))))

    def plan(self, attempt: int, retry_after: float | None, remaining: float,
             rng: Uniform | Any = random) -> Wait:
        """After failed attempt number ``attempt`` (from 1), with ``remaining`` seconds left."""
        if attempt > self.retries:
            return Wait(None, f"gave up after {attempt} attempts")
        available = remaining - MIN_ATTEMPT_S
        if retry_after is not None:
            if retry_after > self.max_retry_after_s:
                return Wait(None, f"Retry-After {retry_after:.0f}s is longer than {self.max_retry_after_s:.0f}s")
            if retry_after > available:
                return Wait(None, f"Retry-After {retry_after:.1f}s would pass the deadline")
            return Wait(retry_after)
        if available <= 0:
            return Wait(None, "deadline reached")
        return Wait(min(self.backoff(attempt, rng), available))
