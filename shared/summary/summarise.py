"""A migration summary of every task a query matches: read page by page, streamed into the
``SummaryBuilder`` (no task list is held), checked against its own published schema.

Used by ``GET /v3/tasks/summary`` (window ends now), the timer (window ends at the tick) and the
event function (``summarise_tasks``: tasks it already read)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from shared.errors import ApiError, bad_request
from shared.logger import logger
from shared.read.pager import ScanResult
from shared.read.query import TaskQuery
from shared.read.tasks import scan_headers, stream_tasks
from shared.scope import Invocation
from shared.settings import Settings
from shared.summary.builder import SummaryBuilder, SummaryOptions
from shared.summary.groups import select_waves
from shared.validation.validate import validate_document

SUMMARY_SCHEMA = "summary"


def _builder(
    filters: dict[str, str],
    settings: Settings,
    now: datetime,
    interval_seconds: int | None,
    stall_after_seconds: int | None,
    groups: frozenset[str] | None = None,
) -> SummaryBuilder:
    return SummaryBuilder(
        SummaryOptions(
            now=now,
            interval_seconds=interval_seconds or settings.summary.interval_s,
            stall_after_seconds=stall_after_seconds or settings.summary.stall_after_s,
            max_items=settings.summary.max_items,
            filters=filters,
            groups=settings.summary.groups,
            select_groups=groups,
        )
    )


def _checked(summary: dict[str, Any]) -> dict[str, Any]:
    report = validate_document(summary, SUMMARY_SCHEMA, "strict")
    if not report.ok:  # our own payload breaking our own schema is a bug, never sent on
        logger.error("summary breaks its schema", violations=[v.to_dict() for v in report.violations])
        raise ApiError(500, "SMSFN.0500", "the summary does not match summary.schema.json",
                       extra={"violations": [v.to_dict() for v in report.violations]})
    return summary


def summarise(
    query: TaskQuery,
    settings: Settings,
    invocation: Invocation,
    *,
    now: datetime,
    interval_seconds: int | None = None,
    stall_after_seconds: int | None = None,
    groups: frozenset[str] | None = None,
) -> tuple[dict[str, Any], ScanResult]:
    """``groups``: only these waves (``shared.summary.groups.select_waves``); None: every task."""
    builder = _builder(query.filters, settings, now, interval_seconds, stall_after_seconds, groups)
    result = stream_tasks(query, settings, invocation, builder.add, max_tasks=settings.summary.max_tasks,
                          typed=True)  # the builder reads typed tasks: no dicts built
    summary = _checked(builder.build(result.count, schema_violations=result.violation_total,
                                     partial=result.partial))
    if result.partial:
        logger.warning("summary is partial", reason=result.partial_reason, scanned=result.fetched,
                       count=result.count)
    return summary, result


def summarise_tasks(
    tasks: Iterable[Any],
    settings: Settings,
    *,
    now: datetime,
    filters: dict[str, str] | None = None,
    total: int | None = None,
    schema_violations: int = 0,
    partial: bool = False,
    interval_seconds: int | None = None,
    stall_after_seconds: int | None = None,
) -> dict[str, Any]:
    """The same summary for tasks already read (the event function's task lookups), so the details
    it returns and the summary it pushes describe one read, not two."""
    builder = _builder(filters or {}, settings, now, interval_seconds, stall_after_seconds)
    builder.add_many(tasks)
    return _checked(builder.build(total, schema_violations=schema_violations, partial=partial))


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth a glance in the function's result and logs."""
    return {
        "total": summary["total"],
        "scanned": summary["scanned"],
        "partial": summary["partial"],
        "health": summary["health"],
        "running": summary["running"]["total"],
        "lagging": summary["lagging"]["total"],
        "failed": summary["failed"]["total"],
        "stalled": summary["stalled"]["total"],
        "succeeded_since_last_tick": summary["changes"]["succeeded"]["total"],
        "failed_since_last_tick": summary["changes"]["failed"]["total"],
        "schema_violations": summary["schema_violations"],
    }


GROUP_PARAM = "group"  # GET /v3/tasks/summary?group=<wave>[,<wave>...]


def selected_waves(settings: Settings, names: Any, param: str) -> frozenset[str] | None:
    """The waves a caller selected (a list of names, or comma-separated text), checked against
    ``SUMMARY_GROUPS``; 400 naming ``param`` otherwise. None: no selection, every task."""
    if names is None:
        return None
    if isinstance(names, str):
        names = names.split(",")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_request(param, "must be wave names (a list, or comma-separated)")
    try:
        chosen = select_waves(settings.summary.groups, names)
    except ValueError as exc:
        raise bad_request(param, str(exc)) from None
    if chosen is None:  # given, but naming nothing: a mistake, not "every task"
        raise bad_request(param, "must name at least one wave")
    return chosen


def summary_for_http(query: TaskQuery, settings: Settings, invocation: Invocation,
                     groups: frozenset[str] | None = None) -> tuple[dict, dict]:
    summary, result = summarise(query, settings, invocation, now=datetime.now(timezone.utc), groups=groups)
    return summary, scan_headers(result, settings)
