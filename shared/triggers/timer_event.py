"""Parse FunctionGraph TIMER trigger events.

FunctionGraph calls a timer-triggered function with::

    {"version": "v1.0", "time": "2018-06-01T08:30:00+08:00", "trigger_type": "TIMER",
     "trigger_name": "Timer_001", "user_event": "..."}

``user_event`` is the trigger's "additional information", a free string. Here it may carry JSON
options for the summary run::

    {"filters": {"state": "RUNNING", ...}, "targets": [...], "notify_on": [...],
     "interval_seconds": 300, "stall_after_seconds": 3600, "groups": ["web tier"]}

Rules (all violations raise ``ApiError(400, "SMSFN.0400", ...)`` naming the field):
  - ``time`` is required and must carry a UTC offset (a naive time would shift the changes window
    by hours and silently lose changes); it becomes the tick time, converted to UTC.
  - ``trigger_type``, when present, must be ``TIMER``; absent is tolerated (console test events).
  - ``user_event`` absent, null, empty or blank means no options. Any other string must be a
    JSON object: a plain string is a configuration mistake, reported rather than ignored (this
    includes the sample event's value "User Event": clear the field or put JSON in it). A dict
    (some local runners pass it decoded) is taken as is.
  - Unknown option keys and unknown filter keys are errors naming them (a typo would otherwise
    silently widen the scan). Filter values are strings, checked by ``GET /v3/tasks``'s own rules
    (``shared/read/query.py``), errors naming ``user_event.filters.<key>``; ``TimerEvent.query``
    is the result, so nothing downstream checks them again.
  - ``targets`` is a list of strings or objects, ``notify_on`` a list of strings: their meaning
    belongs to the webhook code, checked there. ``groups`` is a list of wave names
    (``SUMMARY_GROUPS``), checked against the settings when the summary is made.
  - ``interval_seconds`` and ``stall_after_seconds`` are integers from 1 to 2,592,000 (30 days,
    FunctionGraph's longest rate)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.errors import ApiError, rescoped
from shared.read.query import TaskQuery, parse_query
from shared.vocabulary import FILTER_KEYS
from shared.wire_text import NOT_UNICODE, first_unencodable

OPTION_KEYS = ("filters", "targets", "notify_on", "interval_seconds", "stall_after_seconds", "groups")
MAX_SECONDS = 30 * 86_400
# Tick times a summary can work with: the changes window reaches MAX_SECONDS (plus skew) before the
# tick and a little after it, and every instant must stay a datetime and a millisecond epoch.
TIME_MIN = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=MAX_SECONDS + 86_400)
TIME_MAX = datetime(9999, 12, 31, tzinfo=timezone.utc) - timedelta(days=2)
ERROR_CODE = "SMSFN.0400"

# ISO-8601 as FunctionGraph writes it, with Z or an offset; parsed by hand because Python 3.10's
# fromisoformat rejects "Z" and fractions that are not 3 or 6 digits.
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$",
    re.ASCII,
)


@dataclass(frozen=True)
class TimerEvent:
    """A parsed timer event. ``time`` is tz-aware UTC; ``options`` holds only the keys given."""

    time: datetime
    trigger_name: str | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> TaskQuery:
        """The tick's filters as a checked query (already checked when the event was parsed)."""
        return TaskQuery(filters=dict(self.options.get("filters") or {}))


def _bad(param: str, msg: str) -> ApiError:
    return ApiError(400, ERROR_CODE, f"Invalid timer event: {param}: {msg}", param=param, reason=msg)


def parse_event_time(raw: Any) -> datetime:
    """The event ``time`` as an aware UTC datetime."""
    if not isinstance(raw, str) or not raw.strip():
        raise _bad("time", f"must be an ISO-8601 time with a UTC offset, got {raw!r:.64}")
    match = _ISO.match(raw.strip())
    if not match:
        raise _bad("time", f"must be an ISO-8601 time with a UTC offset, got {raw[:64]!r}")
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = match.groups()
    if not zulu and not sign:
        raise _bad("time", f"must carry a UTC offset (Z or +hh:mm), got {raw[:64]!r}")
    offset = timedelta(0)
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((frac or "0")[:6].ljust(6, "0")),
            tzinfo=timezone(offset),
        )
        utc = local.astimezone(timezone.utc)
    except ValueError as exc:  # 2018-02-30, offset beyond 24 h ...
        raise _bad("time", f"{exc}: {raw[:64]!r}") from None
    except OverflowError:  # 0001-01-01T00:00+14:00 is before datetime.min in UTC
        utc = None
    if utc is None or not TIME_MIN <= utc <= TIME_MAX:
        span = f"{TIME_MIN.isoformat()} and {TIME_MAX.isoformat()}"
        raise _bad("time", f"must be between {span}, got {raw[:64]!r}")
    return utc


def _user_options(raw: Any) -> dict[str, Any]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        raise _bad("user_event", f"must be a JSON object string, got {type(raw).__name__}")
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        # Never the text itself: it may hold webhook URLs with tokens (options.targets).
        where = f"{getattr(exc, 'msg', 'parse error')} at position {getattr(exc, 'pos', '?')}"
        raise _bad("user_event", f"must be empty or a JSON object of options; it is not JSON ({where})") from None
    if not isinstance(parsed, dict):
        raise _bad("user_event", f"must be a JSON object of options, got JSON {type(parsed).__name__}")
    bad = first_unencodable(parsed, "user_event")  # "\\ud800" escapes inside the JSON text
    if bad:
        raise _bad(bad, NOT_UNICODE)
    return parsed


def _check_filters(raw: Any) -> TaskQuery:
    """The filters as a query, by ``GET /v3/tasks``'s own rules (``parse_query``); here only what
    a JSON option can get wrong that a query string can't (non-string values)."""
    if not isinstance(raw, Mapping):
        raise _bad("user_event.filters", "must be an object")
    unknown = sorted(str(key)[:40] for key in raw if key not in FILTER_KEYS)
    if unknown:
        raise _bad("user_event.filters", f"unknown keys {unknown}; allowed: {list(FILTER_KEYS)}")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise _bad(f"user_event.filters.{key}", f"must be a string, got {type(value).__name__}")
    try:
        return parse_query(raw)
    except ApiError as exc:
        raise rescoped(exc, "user_event.filters") from None


def _check_seconds(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SECONDS:
        raise _bad(f"user_event.{name}", f"must be an integer from 1 to {MAX_SECONDS}, got {value!r}")
    return value


def _check_list(name: str, value: Any, kinds: tuple[type, ...]) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(item, kinds) for item in value):
        allowed = " or ".join("string" if kind is str else "object" for kind in kinds)
        raise _bad(f"user_event.{name}", f"must be a list of {allowed} values")
    return list(value)


def _check_options(raw: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(str(key) for key in raw if key not in OPTION_KEYS)
    if unknown:
        raise _bad("user_event", f"unknown option keys {unknown}; allowed: {list(OPTION_KEYS)}")
    options: dict[str, Any] = {}
    if "filters" in raw:
        options["filters"] = _check_filters(raw["filters"]).filters
    if "targets" in raw:
        options["targets"] = _check_list("targets", raw["targets"], (str, dict))
    if "notify_on" in raw:
        options["notify_on"] = _check_list("notify_on", raw["notify_on"], (str,))
    if "groups" in raw:  # wave names, checked against SUMMARY_GROUPS where the settings are read
        options["groups"] = _check_list("groups", raw["groups"], (str,))
    for name in ("interval_seconds", "stall_after_seconds"):
        if name in raw:
            options[name] = _check_seconds(name, raw[name])
    return options


def parse_timer_event(event: Any) -> TimerEvent:
    """Parse and check a TIMER event; raises ``ApiError`` 400 ``SMSFN.0400`` on anything wrong."""
    if not isinstance(event, Mapping):
        raise _bad("event", f"must be a JSON object, got {type(event).__name__}")
    bad = first_unencodable(event)
    if bad:
        raise _bad(bad, NOT_UNICODE)
    trigger_type = event.get("trigger_type")
    if trigger_type is not None and trigger_type != "TIMER":
        raise _bad("trigger_type", f"must be 'TIMER', got {trigger_type!r}")
    trigger_name = event.get("trigger_name")
    if trigger_name is not None and not isinstance(trigger_name, str):
        raise _bad("trigger_name", f"must be a string, got {trigger_name!r}")
    return TimerEvent(
        time=parse_event_time(event.get("time")),
        trigger_name=trigger_name,
        options=_check_options(_user_options(event.get("user_event"))),
    )
