"""Waves: the operator's groups of tasks migrated together, declared in ``SUMMARY_GROUPS``.

``SUMMARY_GROUPS`` is a JSON list, at most ``MAX_GROUPS`` entries::

    [{"name": "web tier", "match": {"name": "web-*"}, "target": "2026-12-06"},
     {"name": "finance", "match": {"enterprise_project_id": "2b1f..."}},
     {"name": "pilot", "match": {"ids": ["a67153f7-...", "..."]}, "target": "2026-12-04T18:00:00Z"}]

* ``name``: 1-64 characters without a comma (selections list names comma-separated), unique,
  not ``Other`` (the name of the tasks no wave matches).
* ``match``: exactly one key. ``name`` is a glob over the task name (``fnmatch`` rules, case
  sensitive: ``*``, ``?``, ``[...]``); ``enterprise_project_id`` is an exact id; ``ids`` a list of
  1-10,000 task ids.
* ``target`` (optional): the date the wave should be done by, ISO 8601; a date alone means the
  end of that day (UTC), a time without zone is UTC.

The first wave that matches a task owns it (order matters); tasks matching none form ``Other``.
A task is in exactly one wave. Matching is compiled once (one regular expression per glob), so a
streaming scan pays a few regex calls per task and memory grows with the declaration, never the
fleet."""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from fnmatch import translate
from typing import Any

from shared.vocabulary import OTHER_GROUP

MAX_GROUPS = 50
MAX_GROUP_NAME = 64
MAX_IDS = 10_000
MATCH_KINDS = ("name", "enterprise_project_id", "ids")


@dataclass(frozen=True)
class Wave:
    """One declared wave. ``target_ms`` is epoch ms (None: no target); ``target`` its ISO text."""

    name: str
    kind: str  # one of MATCH_KINDS
    pattern: str | None = None  # the glob or the enterprise project id
    ids: frozenset[str] = frozenset()
    target_ms: int | None = None

    @property
    def target(self) -> str | None:
        from shared.summary.fields import iso_ms  # fields imports nothing from here: no cycle

        return None if self.target_ms is None else iso_ms(self.target_ms)


def _target_ms(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}.target must be an ISO 8601 date or date-time string, got {value!r}")
    raw = value.strip()
    try:
        if len(raw) == 10:  # a date alone: the wave is due by the end of that day (UTC)
            day = datetime.strptime(raw, "%Y-%m-%d").date()
            parsed = datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)
        else:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"{where}.target must be an ISO 8601 date or date-time, got {raw[:40]!r}") from None
    if not 2000 <= parsed.year <= 9999:
        raise ValueError(f"{where}.target must lie between the years 2000 and 9999, got {raw[:40]!r}")
    return (parsed - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


def _wave(entry: Any, index: int) -> Wave:
    where = f"SUMMARY_GROUPS[{index}]"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be an object with name, match and optional target")
    unknown = sorted(str(k) for k in entry if k not in ("name", "match", "target"))
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; allowed: name, match, target")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_GROUP_NAME or "," in name:
        raise ValueError(f"{where}.name must be a string of 1-{MAX_GROUP_NAME} characters without a comma")
    name = name.strip()
    if name == OTHER_GROUP:
        raise ValueError(f"{where}.name {OTHER_GROUP!r} is reserved for the tasks no wave matches")
    match = entry.get("match")
    if not isinstance(match, Mapping) or len(match) != 1 or next(iter(match)) not in MATCH_KINDS:
        raise ValueError(f"{where}.match must be an object with exactly one of: {', '.join(MATCH_KINDS)}")
    kind, value = next(iter(match.items()))
    target_ms = _target_ms(entry.get("target"), where)
    if kind == "ids":
        if (not isinstance(value, list) or not 1 <= len(value) <= MAX_IDS
                or not all(isinstance(v, str) and v for v in value)):
            raise ValueError(f"{where}.match.ids must be a list of 1-{MAX_IDS} non-empty strings")
        return Wave(name, kind, ids=frozenset(value), target_ms=target_ms)
    if not isinstance(value, str) or not value or len(value) > 255:
        raise ValueError(f"{where}.match.{kind} must be a string of 1-255 characters")
    return Wave(name, kind, pattern=value, target_ms=target_ms)


def parse_groups(raw: Any) -> tuple[Wave, ...]:
    """``SUMMARY_GROUPS`` (its JSON text, or the already decoded list) -> waves; ``ValueError``
    with the offending entry named otherwise. None or blank text: no waves."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"SUMMARY_GROUPS is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(raw, list):
        raise ValueError("SUMMARY_GROUPS must be a JSON list of {name, match, target} objects")
    if len(raw) > MAX_GROUPS:
        raise ValueError(f"SUMMARY_GROUPS may declare at most {MAX_GROUPS} waves, got {len(raw)}")
    waves = tuple(_wave(entry, i) for i, entry in enumerate(raw))
    twice = [name for name, n in Counter(w.name for w in waves).items() if n > 1]
    if twice:
        raise ValueError(f"SUMMARY_GROUPS declares the wave {twice[0]!r} twice")
    return waves


def select_waves(waves: tuple[Wave, ...], names: Iterable[str] | None) -> frozenset[str] | None:
    """The wave names a caller selected (timer ``user_event`` ``groups``, summary API ``group``),
    checked against the declaration (``Other`` allowed); None when nothing was selected."""
    if names is None:
        return None
    chosen = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    if not chosen:
        return None
    known = {w.name for w in waves} | {OTHER_GROUP}
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise ValueError(f"unknown wave(s) {unknown[:5]}; declared in SUMMARY_GROUPS: {sorted(known)[:20]}")
    return frozenset(chosen)


class WaveMatcher:
    """Finds a task's wave: ``index(name, enterprise_project_id, task_id)`` is the position of the
    first matching wave, or ``len(waves)`` for ``Other``."""

    def __init__(self, waves: tuple[Wave, ...]) -> None:
        self.waves = waves
        self.names: tuple[str, ...] = (*(w.name for w in waves), OTHER_GROUP)
        self._tests = tuple(self._test(w) for w in waves)

    @staticmethod
    def _test(wave: Wave) -> tuple[str, Any]:
        if wave.kind == "name":
            return "name", re.compile(translate(wave.pattern or "")).match
        if wave.kind == "enterprise_project_id":
            return "enterprise_project_id", wave.pattern
        return "ids", wave.ids

    def index(self, name: str | None, enterprise_project_id: str | None, task_id: str | None) -> int:
        for i, (kind, test) in enumerate(self._tests):
            if kind == "name":
                if name is not None and test(name):
                    return i
            elif kind == "enterprise_project_id":
                if enterprise_project_id == test:
                    return i
            elif task_id is not None and task_id in test:
                return i
        return len(self._tests)
