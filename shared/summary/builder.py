"""Migration summary: a streaming, bounded-memory digest of SMS ``ListTasks`` tasks.

Used by the timer function (pushed to chat webhooks) and by ``GET /v3/tasks/summary``. Input is
the ListTasks tasks (typed from a valid page, else dicts), fed one at a time as pages arrive
(``SummaryBuilder.add``); the builder keeps counters and, per list, a heap of at most
``max_items`` entries, never the tasks themselves. Output follows
``shared/schemas/summary.schema.json``. Nothing here reads the wall clock: "now" is the tick time.

Rules
-----
Tolerance. Any field may be null, missing or of another type; such a task is still counted.
States, types and OS types are compared stripped and upper-cased; anything else counts as
``OTHER``. A date is epoch milliseconds; a value before 2000-01-01 (0 = "unset") or beyond year
9999 counts as missing. Strings kept in items are capped (1,024 chars; errors 4,096), and an
error object nested deeper than 16 levels is kept as its JSON text, so items stay small.

Counters. ``by_state`` has the ten documented states plus ``OTHER``; ``by_type`` MIGRATE_FILE /
MIGRATE_BLOCK / OTHER; ``by_os`` WINDOWS / LINUX / OTHER (task ``os_type``, falling back to the
source server's). ``scanned`` = tasks added; ``total`` = SMS's ``count`` when given, else scanned.

Health (``shared/summary/health.py``, docs/health.md): every task gets exactly one of failed,
stalled, lagging, healthy, waiting, stopped, done; ``health`` counts them (they add up to
``scanned``), and the lists are split by it: ``failed``, ``stalled``, ``lagging`` and ``running``
(healthy only: a stalled or lagging task is never in it). Waves (``SummaryOptions.groups``, from
``SUMMARY_GROUPS``) and the fleet get progress and a projected completion
(``shared/summary/progress.py``); their tallies are a few counters each, so memory stays bounded.

Running and lagging items (RUNNING or SYNCING, moving):
  - progress: every sub task weighs the same; an ended sub task (valid ``end_date``) counts 100,
    any other counts its own ``progress`` clamped to 0-100 (missing = 0);
    progress = sum / number of sub tasks, one decimal. ``null`` when the task has no sub tasks
    (the list response may omit them; 0 % would be a lie).
  - current_subtask: the sub task with a ``start_date`` and no ``end_date`` (latest started if
    several), as ``{"name", "progress"}``; null when none.
  - migrate_speed_mbps: ``migrate_speed`` as SMS reports it, in MB/s (megabytes, despite the
    name), when a number from 0 to 100,000; else null.
  - estimated_completion: ``estimate_complete_time`` (epoch ms) when it lies in the future (up to
    366 days); else extrapolated linearly from the time since the first sub task started: now +
    elapsed * (100 - progress) / progress, for 0 < progress < 100 and an extrapolation under 366
    days; else null. Never in the past: a passed SMS estimate is ``overdue_since`` (lagging).
  - order: longest running first (earliest first sub task ``start_date``, else ``create_date``;
    unknown last). Stable from tick to tick, so consecutive messages are comparable.

Failed = MIGRATE_FAIL, SYNC_F_ROLLBACKING and SYNC_F_ROLLBACK_SUCCESS (a sync failed; rolling
back or rolled back, both need a look). ABORT is a deliberate stop, not a failure.
  - error: ``error_json`` parsed when it is a JSON object (a JSON string literal is unwrapped),
    else the text itself, else null ("" and whitespace are null).
  - failed_at: the latest sub task ``end_date``; null when no sub task has ended.
  - order: most recent ``failed_at`` first, unknown last.

Changes = tasks that reached MIGRATE_SUCCESS ("succeeded") or a failed state ("failed") since
the previous tick, computed statelessly: finished_at = the latest sub task ``end_date`` (a task
without one cannot be placed in time and is not a change; a failed one still shows under
"failed"). A task is a change iff ``start < finished_at <= end`` (half-open), with, for tick time
``now``, interval ``I`` and tolerance ``S`` = clock_skew_seconds::

    nominal = now rounded down to a multiple of I since the Unix epoch (the tick's schedule slot)
    start   = nominal - I - S      # the previous nominal tick, minus the tolerance
    end     = now + S

  - Exactly once on the grid: with S = 0 and ticks on schedule, consecutive windows
    (T-I, T] and (T, T+I] tile the timeline; a task finishing exactly at T belongs to the
    tick at T only.
  - Late tick: FunctionGraph firing the T tick at T + d (d < I) still gets start = T - I - S,
    the previous *nominal* tick, so nothing that finished during the delay is dropped; what
    finished in (T, T + d] is reported again by the next tick (double, never lost). A tick later
    than a whole interval counts as the next slot's tick and the skipped slot is lost. An early
    tick (before its slot) counts as the previous slot's; S covers earliness up to S.
  - Clock skew and state lag (S): a finished_at up to S in the future (SMS's clock ahead of the
    event's) counts now; and the window reaches S back before the previous tick, because an
    ``end_date`` can be stamped a moment before the task's state flips (or SMS's clock lags), so
    the previous tick saw it RUNNING while its finished_at already lay in that tick's window.
    Trade-off: stateless means we cannot know what the previous tick reported, so we pick never
    lose over never repeat: tasks finishing within S of a tick boundary may be reported by both
    ticks (about S/I of changes for on-schedule ticks). S = 0 gives exactly-once on time and
    accurate clocks but loses such tasks.
  - Schedules not aligned to multiples of I (e.g. a daily cron at 02:15 local time) get a
    longer window (up to 2I): more repeats, never a gap.
  - Failures that later roll back may be reported again when the rollback sub task ends.
  - order: most recent finished_at first.

Stalled = RUNNING/SYNCING tasks whose sub tasks show no activity for ``stall_after_seconds``:
last activity = the latest of all sub task ``start_date`` / ``end_date``; idle = now - last
activity; stalled iff idle >= stall_after_seconds. Exceptions: a task whose ``migrate_speed`` is
above 0 is moving data, so it is not stalled (one long copy sub task has no dates in between); a
task without any sub task date cannot be judged and is not stalled. Order: longest idle first.

More changes (same window): ``changes.stalled``, tasks whose stall began in it (last activity +
stall_after_seconds); ``changes.recovered``, healthy tasks whose latest activity, a sub task
start, lies in it after at least stall_after_seconds with nothing running.

Lists: each keeps the ``max_items`` most relevant items in a heap; ties are broken by id, then
name, then arrival order, so the output is deterministic; ``truncated`` = total - len(items)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from shared.summary.fields import (
    MAX_EPOCH_MS,
    SubTaskFacts,
    bucket,
    epoch_ms,
    idle_gap_before,
    iso_ms,
    last_end_ms,
    ms_of,
    norm_enum,
    number,
    parse_error,
    source_server_label,
    sub_task_facts,
    task_os,
    text,
)
from shared.summary.groups import OTHER_GROUP, Wave, WaveMatcher
from shared.summary.health import (
    DONE,
    FAILED,
    HEALTHY,
    STALLED,
    STOPPED,
    WAITING,
    assess,
    fixed_health,
)
from shared.summary.progress import Tally, worst_first
from shared.summary.topk import SortKey, TopK
from shared.validation.decode import is_record, member, members
from shared.vocabulary import FILTER_KEYS, OTHER, os_types, states, task_types

SCHEMA_VERSION = 2
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "summary.schema.json"

# ListTasks query parameters that select tasks (limit/offset belong to the pager, not here).

MAX_ITEMS_LIMIT = 1000
MAX_SPEED_MBPS = 100_000.0
_UNKNOWN_LAST = MAX_EPOCH_MS + 1  # sorts after every real date in ascending keys
# What ``add`` reads of every task, in one call.
_TASK_MEMBERS = ("state", "type", "os_type", "sub_tasks", "id", "name", "enterprise_project_id")


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bound = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"SummaryOptions.{name} must be an integer {bound}, got {value!r}")


def _clean_filters(filters: Mapping[str, Any] | None) -> dict[str, str]:
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise ValueError(f"SummaryOptions.filters must be a dict, got {type(filters).__name__}")
    unknown = sorted(str(key) for key in filters if key not in FILTER_KEYS)
    if unknown:
        raise ValueError(f"SummaryOptions.filters has unknown keys {unknown}; allowed: {list(FILTER_KEYS)}")
    cleaned: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"SummaryOptions.filters[{key!r}] must be a string, got {value!r}")
        cleaned[key] = value
    return cleaned


@dataclass(frozen=True)
class SummaryOptions:
    """How to summarise. ``now`` is the tick time (tz-aware; stored as UTC)."""

    now: datetime
    interval_seconds: int
    stall_after_seconds: int = 3600
    max_items: int = 50
    clock_skew_seconds: int = 60
    filters: dict[str, str] | None = None
    groups: tuple[Wave, ...] = ()  # SUMMARY_GROUPS, parsed (shared.summary.groups.parse_groups)
    select_groups: frozenset[str] | None = None  # only these waves' tasks; None: every task

    def __post_init__(self) -> None:
        if not isinstance(self.now, datetime) or self.now.utcoffset() is None:
            raise ValueError(f"SummaryOptions.now must be a timezone-aware datetime, got {self.now!r}")
        # Frozen dataclass: normalise through object.__setattr__.
        object.__setattr__(self, "now", self.now.astimezone(timezone.utc))
        _check_int("interval_seconds", self.interval_seconds, 1)
        _check_int("stall_after_seconds", self.stall_after_seconds, 1)
        _check_int("max_items", self.max_items, 0, MAX_ITEMS_LIMIT)
        _check_int("clock_skew_seconds", self.clock_skew_seconds, 0)
        object.__setattr__(self, "filters", _clean_filters(self.filters))


@dataclass(frozen=True)
class ChangeWindow:
    """The half-open window ``(start_ms, end_ms]`` a finished_at must fall in to be a change."""

    start_ms: int
    end_ms: int

    def contains(self, ms: int) -> bool:
        return self.start_ms < ms <= self.end_ms


def change_window(now: datetime, interval_seconds: int, clock_skew_seconds: int) -> ChangeWindow:
    """See "Changes" in the module docstring."""
    now_ms = ms_of(now)
    interval_ms = interval_seconds * 1000
    skew_ms = clock_skew_seconds * 1000
    nominal = now_ms - now_ms % interval_ms
    return ChangeWindow(nominal - interval_ms - skew_ms, now_ms + skew_ms)


def _speed(task: Any) -> float | None:
    speed = number(member(task, "migrate_speed"))
    if speed is None or not 0.0 <= speed <= MAX_SPEED_MBPS:
        return None
    return round(speed, 3)


def _iso(ms: int | None) -> str | None:
    return None if ms is None else iso_ms(ms)


class SummaryBuilder:
    """Feed tasks with ``add``/``add_many`` as pages arrive; ``build`` as often as needed."""

    def __init__(self, opts: SummaryOptions) -> None:
        self._opts = opts
        self._now_ms = ms_of(opts.now)
        self._skew_ms = opts.clock_skew_seconds * 1000
        self._stall_ms = opts.stall_after_seconds * 1000
        self._window = change_window(opts.now, opts.interval_seconds, opts.clock_skew_seconds)
        self._scanned = 0
        self._states, self._task_types = states(), task_types()
        self._by_state = dict.fromkeys((*states(), OTHER), 0)
        self._by_type = dict.fromkeys((*task_types(), OTHER), 0)
        self._by_os = dict.fromkeys((*os_types(), OTHER), 0)
        k = opts.max_items
        self._running, self._lagging, self._failed, self._stalled = TopK(k), TopK(k), TopK(k), TopK(k)
        self._succeeded_changes, self._failed_changes = TopK(k), TopK(k)
        self._stalled_changes, self._recovered_changes = TopK(k), TopK(k)
        self._fleet = Tally()
        waves = opts.groups
        self._matcher = WaveMatcher(waves) if waves else None
        self._wave_tallies = [Tally() for _ in range(len(waves) + 1)] if waves else []
        self._targets = [w.target_ms for w in waves] + [None]
        self._selected = opts.select_groups
        # Tables built once: a value already in its normal form (the usual case) is one lookup;
        # anything else goes through ``norm_enum``/``task_os`` as before.
        self._state_of = {s: s for s in self._states}
        self._type_of = {t: t for t in self._task_types}
        self._os_of = {o: o for o in os_types()}
        self._fixed = {s: fixed_health(s) for s in (*self._states, None)}
        self._read_kind: type | None = None
        self._read: Any = None

    @property
    def window(self) -> ChangeWindow:
        return self._window

    def add(self, task: Any) -> None:
        """Account for one task: a dict or a typed task (``shared.validation.decode``). Never raises
        on odd data; anything but a JSON object counts as OTHER (and health ``waiting``). A task
        outside the selected waves (``SummaryOptions.select_groups``) is skipped, not counted."""
        # Every task of a scan comes here: its members are read in one call (one reader per record
        # type, kept while the type repeats), states and enums are looked up in tables built once.
        kind = type(task)
        if kind is self._read_kind:
            read = self._read
        elif is_record(task):
            read = self._read = members(kind, _TASK_MEMBERS)
            self._read_kind = kind
        else:
            self._add_other()
            return
        state_v, type_v, os_v, sub_tasks, task_id, name, project = read(task)
        wave = -1
        if self._matcher is not None:
            wave = self._matcher.index(text(name), text(project), text(task_id))
            if self._selected is not None and self._matcher.names[wave] not in self._selected:
                return
        self._scanned += 1
        state = self._state_of.get(state_v) if type(state_v) is str else None
        if state is None and state_v is not None:
            state = norm_enum(state_v, self._states)
        self._by_state[state or OTHER] += 1
        task_type = self._type_of.get(type_v) if type(type_v) is str else None
        self._by_type[task_type or bucket(type_v, self._task_types)] += 1
        os_type = self._os_of.get(os_v) if type(os_v) is str else None
        self._by_os[os_type or task_os(task)] += 1
        health = self._fixed[state]
        if health in (WAITING, STOPPED):
            self._tally(wave, health, None)
            return
        # The arrival counter ends every sort key: the last-resort tie-break (duplicate ids exist).
        ident = (text(task_id) or "", text(name) or "", self._scanned)
        group = self._matcher.names[wave] if self._matcher is not None else None
        if health is None:
            self._add_running(task, state, sub_task_facts(sub_tasks), ident, wave, group)
            return
        if health == FAILED:
            facts = sub_task_facts(sub_tasks)
            finished = facts.last_end_ms
            self._tally(wave, health, facts.progress, finished_ms=finished)
            self._add_failed(task, state, facts, ident, group)
        else:  # done: its progress counts 100 whatever the sub tasks say; only its end is read
            finished = last_end_ms(sub_tasks)
            self._tally(wave, health, None, finished_ms=finished)
        if finished is not None and self._window.contains(finished):
            target = self._succeeded_changes if health == DONE else self._failed_changes
            target.offer(
                (-finished, *ident),
                lambda: {**_who(task), "health": health, "group": group, "state": state,
                         "finished_at": iso_ms(finished)},
            )

    def _add_other(self) -> None:
        """Anything but a JSON object: OTHER everywhere, health ``waiting``, wave ``Other``."""
        wave = -1
        if self._matcher is not None:
            wave = len(self._targets) - 1
            if self._selected is not None and self._matcher.names[wave] not in self._selected:
                return
        self._scanned += 1
        for counter in (self._by_state, self._by_type, self._by_os):
            counter[OTHER] += 1
        self._tally(wave, WAITING, None)

    def add_many(self, tasks: Iterable[Any]) -> None:
        for task in tasks:
            self.add(task)

    def _tally(self, wave: int, health: str, progress: float | None, eta_ms: int | None = None,
               finished_ms: int | None = None) -> None:
        now = self._now_ms
        self._fleet.add(health, progress, eta_ms, finished_ms, now)
        if wave >= 0:
            self._wave_tallies[wave].add(health, progress, eta_ms, finished_ms, now)

    def _add_running(self, task: Any, state: str | None, facts: SubTaskFacts, ident: SortKey, wave: int,
                     group: str | None) -> None:
        speed = _speed(task)
        now = self._now_ms
        judged = assess(facts, speed, epoch_ms(member(task, "estimate_complete_time")), now_ms=now,
                        stall_ms=self._stall_ms, skew_ms=self._skew_ms,
                        target_ms=self._targets[wave] if wave >= 0 else None)
        health = judged.health
        self._tally(wave, health, facts.progress, judged.eta_ms)
        last = facts.last_activity_ms
        if health == STALLED:
            idle_ms = judged.idle_ms or 0
            assert last is not None  # stalled implies a known last activity
            self._stalled.offer(
                (-idle_ms, *ident),
                lambda: {
                    **_who(task),
                    "health": health,
                    "group": group,
                    "state": state,
                    "progress": facts.progress,
                    "idle_seconds": idle_ms // 1000,
                    "last_activity_at": iso_ms(last),
                    "current_subtask": facts.current,
                },
            )
            stalled_at = last + self._stall_ms
            if self._window.contains(stalled_at):
                self._stalled_changes.offer(
                    (-stalled_at, *ident),
                    lambda: {**_who(task), "health": health, "group": group, "state": state,
                             "at": iso_ms(stalled_at)},
                )
            return
        started = facts.first_start_ms or epoch_ms(member(task, "create_date"))
        target = self._running if health == HEALTHY else self._lagging
        target.offer(
            (_UNKNOWN_LAST if started is None else started, *ident),
            lambda: {
                **_who(task),
                "health": health,
                "group": group,
                "state": state,
                "reason": judged.reason,
                "progress": facts.progress,
                "current_subtask": facts.current,
                "migrate_speed_mbps": speed,
                "estimated_completion": _iso(judged.eta_ms),
                "remaining_seconds": None if judged.eta_ms is None else (judged.eta_ms - now) // 1000,
                "overdue_since": _iso(judged.overdue_since_ms),
                "source_server": source_server_label(task),
            },
        )
        # Recovered: a sub task started in the window after nothing ran for the stall threshold. The
        # gap is at most last - last end: that cheap bound spares most tasks the second pass.
        last_end = facts.last_end_ms
        if (health == HEALTHY and last is not None and last_end is not None and last - last_end >= self._stall_ms
                and self._window.contains(last)
                and (idle_gap_before(member(task, "sub_tasks"), last) or 0) >= self._stall_ms):
            self._recovered_changes.offer(
                (-last, *ident),
                lambda: {**_who(task), "health": health, "group": group, "state": state, "at": iso_ms(last)},
            )

    def _add_failed(self, task: Any, state: str | None, facts: SubTaskFacts, ident: SortKey,
                    group: str | None) -> None:
        failed_at = facts.last_end_ms
        self._failed.offer(
            (1 if failed_at is None else -failed_at, *ident),
            lambda: {
                **_who(task),
                "health": FAILED,
                "group": group,
                "state": state,
                "error": parse_error(member(task, "error_json")),
                "failed_at": None if failed_at is None else iso_ms(failed_at),
            },
        )

    def _groups(self) -> list[dict[str, Any]]:
        if self._matcher is None:
            return []
        out = []
        for name, target_ms, tally in zip(self._matcher.names, self._targets, self._wave_tallies, strict=True):
            if self._selected is not None and name not in self._selected:
                continue
            if name == OTHER_GROUP and not tally.total:
                continue  # every task is in a declared wave: no empty "Other"
            out.append({"name": name, **tally.result(self._now_ms, target_ms), "target": _iso(target_ms)})
        return worst_first(out)

    def build(self, total: int | None, schema_violations: int = 0, partial: bool = False) -> dict[str, Any]:
        """The summary dict (see the schema). ``total``: SMS's ``count``; when None or not a
        non-negative integer (drift), or when waves were selected (SMS counted them all), the
        number of tasks scanned."""
        _check_int("build(schema_violations)", schema_violations, 0)
        if isinstance(total, bool) or not isinstance(total, int) or total < 0 or self._selected is not None:
            total = self._scanned
        opts = self._opts
        fleet = self._fleet.result(self._now_ms)
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": iso_ms(self._now_ms),
            "window": {
                "start": iso_ms(self._window.start_ms),
                "end": iso_ms(self._window.end_ms),
                "interval_seconds": opts.interval_seconds,
                "clock_skew_seconds": opts.clock_skew_seconds,
            },
            "filters": dict(opts.filters or {}),
            "total": total,
            "scanned": self._scanned,
            "partial": bool(partial),
            "health": fleet["health"],
            "progress": {**fleet["progress"], "eta": fleet["eta"]},
            "groups": self._groups(),
            "by_state": dict(self._by_state),
            "by_type": dict(self._by_type),
            "by_os": dict(self._by_os),
            "failed": self._failed.section(),
            "stalled": self._stalled.section(),
            "lagging": self._lagging.section(),
            "running": self._running.section(),
            "changes": {
                "succeeded": self._succeeded_changes.section(),
                "failed": self._failed_changes.section(),
                "stalled": self._stalled_changes.section(),
                "recovered": self._recovered_changes.section(),
            },
            "schema_violations": schema_violations,
        }


def _who(task: Any) -> dict[str, Any]:
    return {"id": text(member(task, "id")), "name": text(member(task, "name"))}


def load_summary_schema() -> dict[str, Any]:
    """The published JSON Schema of the summary (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
