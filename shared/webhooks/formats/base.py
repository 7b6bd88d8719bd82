"""What every format module shares: the request it hands to delivery, how an answer is judged,
and fitting a message into a size limit by showing fewer list entries."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from shared.wire_text import scrub

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_ID_SAFE = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
T = TypeVar("T")


class RenderError(ValueError):
    """The summary can't be turned into a message within the platform's limits."""


class ChatLinks(Protocol):
    """Signed dashboard URLs for one message, made by the trigger (which knows the dashboard):
    the dashboard with the message's filters, and one task's page, each in a language."""

    def dashboard(self, lang: str | None) -> str: ...  # None: the page picks (Accept-Language)

    def task(self, task_id: str, lang: str | None) -> str | None: ...  # None: no page a URL can name


@dataclass(frozen=True)
class RenderContext:
    delivery_id: str
    max_items: int = 10  # list entries per section before "… and N more"
    generic_max_bytes: int = 20_000
    lang: str = "en"  # the message's language (generic: only the language its links open in)
    links: ChatLinks | None = None  # None: no dashboard configured, the message links nowhere
    quiet: bool = False  # nothing matched notify_on and the target wants one line (WEBHOOK_QUIET=line)


@dataclass(frozen=True)
class OutgoingRequest:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Prepared(Protocol):
    """A rendered message; ``build`` is called per attempt, so signatures use a fresh timestamp."""

    def build(self, now: float) -> OutgoingRequest: ...


@dataclass(frozen=True)
class Verdict:
    ok: bool
    retryable: bool = False
    error: str | None = None


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON: what we measure is exactly what we send. SMS's text may hold lone
    surrogates (``\\ud800`` escapes in its JSON): those are sent escaped (``wire_text.scrub``)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(scrub(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def webhook_id(delivery_id: str) -> str:
    """The delivery id as a Standard Webhooks message id: kept when it is already safe, else a
    stable hash (the spec forbids ``.`` in it, and the same input must give the same id)."""
    if _ID_SAFE.match(delivery_id):
        return delivery_id
    return "msg_" + hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()[:32]


def http_verdict(status: int, detail: str = "") -> Verdict:
    """The status-code rules shared by every platform: 2xx ok; 429 and 5xx retried; anything
    else (3xx, which we never follow, and other 4xx) fails for good."""
    suffix = f": {detail}" if detail else ""
    if 200 <= status < 300:
        return Verdict(True)
    if status == 429 or status >= 500:
        return Verdict(False, retryable=True, error=f"HTTP {status}{suffix}")
    return Verdict(False, error=f"HTTP {status}{suffix}")


def short(text: str, limit: int = 200) -> str:
    """A response snippet for an error message: one line, bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def fit(build: Callable[[int], T], fits: Callable[[T], bool], max_cap: int) -> T:
    """The message built with the largest per-list cap (0..max_cap) that fits. Size grows with the
    cap, so a binary search needs O(log n) renders even for thousands of items."""
    best = build(max_cap)
    if fits(best):
        return best
    best = build(0)
    if not fits(best):
        raise RenderError("the message does not fit the platform's size limit even without list entries")
    lo, hi = 1, max_cap - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = build(mid)
        if fits(candidate):
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def coded_answer_verdict(
    platform: str,
    status: int,
    code: Any,
    msg: str,
    *,
    retryable: bool,
    code_word: str = "errcode",
) -> Verdict:
    """The chat platforms answer ``{code: 0}`` for success, often with HTTP 200 even on failure:
    a rate-limit code is retried, other non-zero codes are configuration errors."""
    if retryable:
        return Verdict(False, retryable=True, error=f"{platform} {code_word} {code}: {msg}")
    if not 200 <= status < 300:
        return http_verdict(status, f"{code_word} {code}: {msg}" if code is not None else msg)
    if code == 0:
        return Verdict(True)
    if code is None:
        return Verdict(False, error=f"unexpected {platform} answer: {msg or '(empty)'}")
    return Verdict(False, error=f"{platform} {code_word} {code}: {msg}")


def errcode_verdict(platform: str, status: int, body: str, retryable_codes: frozenset[int]) -> Verdict:
    """DingTalk and WeCom robots answer ``{"errcode": 0, "errmsg": "ok"}``."""
    data = parse_json_object(body)
    code = data.get("errcode") if data else None
    msg = short(str(data.get("errmsg") or "")) if data else short(body)
    return coded_answer_verdict(platform, status, code, msg, retryable=code in retryable_codes)
