"""Tolerant readers for the ListTasks tasks the summary works on: typed tasks decoded from a valid
page (``shared.validation.decode``: attributes named as the JSON members) or plain dicts (a page the
reference path judged, ``off`` mode, tasks the event function already read); ``member`` reads both.

Real responses drift from the API reference: any field may be null, missing, of another type or
out of range. Every reader here returns ``None`` (or a neutral value) instead of raising, so one
odd task never breaks a summary of thousands. Pure functions; the only I/O is reading the query
schema once for the list of states."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, NamedTuple

from shared.validation.decode import is_record, member, member_of, members
from shared.vocabulary import OTHER, os_types

# Dates before 2000-01-01 are treated as unset: SMS and emulators use 0 for "not ended yet", and a
# seconds-instead-of-milliseconds value lands in 1970 and would otherwise skew every window.
MIN_EPOCH_MS = 946_684_800_000
# 9999-12-31T23:59:59.999Z, the last instant ``datetime`` can represent.
MAX_EPOCH_MS = 253_402_300_799_999
# Caps that keep each retained summary item small whatever SMS sends (memory stays bounded).
MAX_TEXT_CHARS = 1024
MAX_ERROR_CHARS = 4096
# Deeper error objects are kept as JSON text: recursive consumers (deepcopy, schema validators,
# chat formatters) must not hit Python's recursion limit on a hostile or broken error_json.
MAX_ERROR_DEPTH = 16

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def norm_enum(value: Any, allowed: tuple[str, ...]) -> str | None:
    """``value`` upper-cased and stripped when it is one of ``allowed``, else ``None``."""
    if not isinstance(value, str):
        return None
    candidate = value.strip().upper()
    return candidate if candidate in allowed else None


def bucket(value: Any, allowed: tuple[str, ...]) -> str:
    """The counter key for ``value``: its normalised enum value or ``OTHER``."""
    return norm_enum(value, allowed) or OTHER


def number(value: Any) -> float | None:
    """A finite int/float (bools excluded: ``True`` is an int in Python), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:  # an int beyond float range (JSON allows any length)
        return None
    return result if math.isfinite(result) else None


def epoch_ms(value: Any) -> int | None:
    """An epoch-milliseconds date as int, or ``None`` when missing, unset (0) or implausible.

    Accepts ints, integral floats and digit strings (some gateways stringify longs)."""
    if type(value) is int:  # the usual case, read for every date of every sub task: no detour
        return value if MIN_EPOCH_MS <= value <= MAX_EPOCH_MS else None
    if isinstance(value, str):
        stripped = value.strip()
        # isascii: str.isdigit() also accepts "²", which int() rejects.
        value = int(stripped) if stripped.isascii() and stripped.isdigit() and len(stripped) <= 19 else None
    num = number(value)
    if num is None or not MIN_EPOCH_MS <= num <= MAX_EPOCH_MS:
        return None
    return int(num)


def text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    """A short string for display: strings as is, numbers stringified, anything else ``None``."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value)[:limit]
        except ValueError:  # an int past Python's int-to-str digit limit
            return None
    return None


def ms_of(dt: datetime) -> int:
    """Exact epoch milliseconds of an aware datetime (integer arithmetic, no float rounding)."""
    return (dt - _EPOCH) // timedelta(milliseconds=1)


_DAY_MS = 86_400_000


@lru_cache(maxsize=4096)
def _iso_day(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")


def iso_ms(ms: int) -> str:
    """``2026-11-29T01:00:00Z`` (milliseconds added only when non-zero). Once per date of every
    task in a CSV export: integer arithmetic and a cache of days (a fleet's dates fall on few
    days), not a ``datetime`` and ``strftime`` per date (a third of a CSV row's cost)."""
    if not MIN_EPOCH_MS <= ms <= MAX_EPOCH_MS:  # outside SMS's dates: the plain way, as ever
        dt = _EPOCH + timedelta(milliseconds=ms)
        base = dt.strftime("%Y-%m-%dT%H:%M:%S")
        frac = ms % 1000
        return f"{base}.{frac:03d}Z" if frac else f"{base}Z"
    days, rest = divmod(ms, _DAY_MS)
    seconds, frac = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if frac:
        return f"{_iso_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{frac:03d}Z"
    return f"{_iso_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def clamp_progress(value: Any) -> int | None:
    """A sub task's ``progress`` clamped to 0-100 and rounded, or ``None`` when not a number."""
    num = number(value)
    if num is None:
        return None
    return round(min(100.0, max(0.0, num)))


class SubTaskFacts(NamedTuple):
    """What the summary needs from a task's ``sub_tasks`` list, read in one pass. (A tuple: one is
    made per task of a scan, and a tuple is the cheapest to make.)"""

    # sub tasks that are JSON objects; anything else in the list is ignored (a field named as
    # tuple.count, which it shadows on purpose: the name predates the tuple)
    count: int  # type: ignore[assignment]
    progress: float | None  # overall progress 0-100, see ``sub_task_facts``; None without sub tasks
    first_start_ms: int | None  # earliest start_date: when the migration began
    last_end_ms: int | None  # latest end_date: finished_at / failed_at
    last_activity_ms: int | None  # latest of every start_date and end_date: stall detection
    current: dict[str, Any] | None  # {"name", "progress"} of the started, not ended sub task


NO_SUB_TASKS = SubTaskFacts(0, None, None, None, None, None)
_SUB_MEMBERS = ("start_date", "end_date", "progress")


def sub_task_facts(sub_tasks: Any) -> SubTaskFacts:
    """Read ``sub_tasks`` once.

    Progress formula: every sub task weighs the same; an ended sub task (valid ``end_date``)
    counts 100, any other counts its own ``progress`` clamped to 0-100 (missing = 0); the overall
    progress is the mean, rounded to one decimal. The current sub task is the one with a
    ``start_date`` and no ``end_date``; if several, the latest started (the list order breaks ties)."""
    if not isinstance(sub_tasks, list):
        return NO_SUB_TASKS
    count = 0
    points = 0.0
    first_start = last_end = last_activity = None
    current: Any = None
    current_start = -1
    # The hottest loop of a scan (every sub task of every task): the members are read in one call
    # per sub task (``members``: one reader per record type), an in-range int date or progress
    # (the usual case) skips ``epoch_ms`` / ``clamp_progress``, whose results it equals, and
    # comparisons are inline.
    for sub, (start, end, progress) in _each_record(sub_tasks, _read_sub):
        count += 1
        if type(start) is not int or not MIN_EPOCH_MS <= start <= MAX_EPOCH_MS:
            start = epoch_ms(start)
        if type(end) is not int or not MIN_EPOCH_MS <= end <= MAX_EPOCH_MS:
            end = epoch_ms(end)
        if start is not None:
            if first_start is None or start < first_start:
                first_start = start
            if last_activity is None or start > last_activity:
                last_activity = start
        if end is not None:
            if last_end is None or end > last_end:
                last_end = end
            if last_activity is None or end > last_activity:
                last_activity = end
            points += 100.0
            continue
        if type(progress) is int and 0 <= progress <= 100:
            points += progress
        else:
            points += clamp_progress(progress) or 0
        if start is not None and start >= current_start:
            current, current_start = sub, start
    if not count:
        return NO_SUB_TASKS
    current_view = None
    if current is not None:
        current_view = {
            "name": text(member(current, "name")),
            "progress": clamp_progress(member(current, "progress")),
        }
    return SubTaskFacts(count, round(points / count, 1), first_start, last_end, last_activity, current_view)


def _read_sub(kind: type) -> Callable[[Any], Any]:
    return members(kind, _SUB_MEMBERS)


def _read_end(kind: type) -> Callable[[Any], Any]:
    return member_of(kind, "end_date")


def _each_record(items: list[Any], reader_for: Callable[[type], Callable[[Any], Any]]) -> Iterator[tuple[Any, Any]]:
    """``(record, reader_for(type)(record))`` for each JSON object in ``items`` (anything else is
    skipped); one reader per record type, looked up only when the type changes."""
    read_kind: Any = None
    read: Any = None
    for record in items:
        kind = type(record)
        if kind is not read_kind:
            if not is_record(record):
                continue
            read_kind, read = kind, reader_for(kind)
        yield record, read(record)


def last_end_ms(sub_tasks: Any) -> int | None:
    """``sub_task_facts(sub_tasks).last_end_ms`` alone (a done task needs no more): the latest
    valid ``end_date`` of the JSON objects in the list, or None."""
    if not isinstance(sub_tasks, list):
        return None
    last = None
    for _, end in _each_record(sub_tasks, _read_end):
        if type(end) is not int or not MIN_EPOCH_MS <= end <= MAX_EPOCH_MS:
            end = epoch_ms(end)
        if end is not None and (last is None or end > last):
            last = end
    return last


def parse_error(error_json: Any) -> dict[str, Any] | str | None:
    """``error_json`` as an object when it holds a JSON object, else the (capped) text, else None.

    A JSON string literal is unwrapped; other JSON (arrays, numbers) stays the original text. An
    object whose JSON exceeds ``MAX_ERROR_CHARS`` or nests deeper than ``MAX_ERROR_DEPTH`` becomes
    its (truncated) JSON text, so one huge or broken error cannot blow up the summary or the chat
    message."""
    if isinstance(error_json, Mapping):
        return _capped_object(dict(error_json))
    if not isinstance(error_json, str):
        return None
    raw = error_json.strip()
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):  # plain text (the common case), or absurdly nested JSON
        return raw[:MAX_ERROR_CHARS]
    if isinstance(parsed, dict):
        return _capped_object(parsed)
    if isinstance(parsed, str):
        return parsed.strip()[:MAX_ERROR_CHARS] or None
    return raw[:MAX_ERROR_CHARS]


def _capped_object(obj: dict[str, Any]) -> dict[str, Any] | str:
    try:
        encoded = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):  # not JSON-serialisable: keep a short trace of it
        return _short_repr(obj)
    if len(encoded) > MAX_ERROR_CHARS or _deeper_than(obj, MAX_ERROR_DEPTH):
        return encoded[:MAX_ERROR_CHARS]
    return obj


def _deeper_than(obj: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels (iterative: no recursion to blow up)."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _short_repr(obj: Any) -> str:
    try:
        return repr(obj)[:MAX_ERROR_CHARS]
    except (ValueError, RecursionError):
        return f"<unprintable {type(obj).__name__}>"


def source_server_label(task: Any) -> str | None:
    """The source server's ``name``, else its ``ip``, else its ``id``; None when absent."""
    server = member(task, "source_server")
    if not is_record(server):
        return None
    for key in ("name", "ip", "id"):
        label = text(member(server, key))
        if label:
            return label
    return None


def task_os(task: Any) -> str:
    """The task's ``os_type`` bucket, falling back to the source server's (doc spells it Windows)."""
    found = norm_enum(member(task, "os_type"), os_types())
    server = member(task, "source_server")
    if found is None and is_record(server):
        found = norm_enum(member(server, "os_type"), os_types())
    return found or OTHER


def idle_gap_before(sub_tasks: Any, last_ms: int) -> int | None:
    """The idle time a task's latest activity ended: when a sub task started at ``last_ms`` (the
    task's latest date) and the latest date before it is a sub task's end, ``last_ms`` - that end;
    else None (the latest date is an end, or another sub task was running). A second pass over
    the sub tasks, made only for the few tasks whose latest activity lies in the changes window."""
    if not isinstance(sub_tasks, list):
        return None
    started_now = False
    before, before_is_end = None, False
    for sub in sub_tasks:
        if not is_record(sub):
            continue
        for key, is_end in (("start_date", False), ("end_date", True)):
            ms = epoch_ms(member(sub, key))
            if ms is None:
                continue
            if ms == last_ms:
                started_now = started_now or not is_end
                if is_end:
                    return None  # the latest activity is an end (a long copy ending): no gap
            elif ms < last_ms and (before is None or ms > before or (ms == before and not is_end)):
                before, before_is_end = ms, is_end
    if not started_now or before is None or not before_is_end:
        return None
    return last_ms - before
