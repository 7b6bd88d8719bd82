"""Run one checked request through the shared read path and return (result, summary).

The result is what the invocation returns for the record: task details or the summary. The
summary is what the webhooks get: the webhook formats render summaries (``summary.schema.json``),
not task lists, so a ``tasks`` request is summarised from the very tasks it read
(``summarise_tasks``; no second read that could disagree with the details)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.read.query import parse_query
from shared.read.tasks import read_tasks
from shared.scope import Invocation
from shared.settings import Settings
from shared.summary.summarise import headline, summarise, summarise_tasks
from shared.triggers.events.request import EventRequest


@dataclass(frozen=True)
class Run:
    """What every record of one invocation shares."""

    settings: Settings
    invocation: Invocation
    now: datetime


def _by_ids(request: EventRequest, run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    found: list[Any] = []
    missing: list[str] = []
    violations = 0
    partial = False
    for task_id in request.task_ids:
        read = read_tasks(parse_query({"id": task_id, "all": True}), run.settings, run.invocation)
        # Only the task asked for: whatever else the filter matched is not what the event named.
        hits = [t for t in read.tasks or [] if isinstance(t, Mapping) and t.get("id") == task_id]
        found.extend(hits)
        if not hits:
            missing.append(task_id)
        violations += read.scan.violation_total
        partial = partial or read.scan.partial
    # summary.schema.json's filters can name one id; a summary of several ids has none (its
    # scope is the result's task_ids).
    filters = {"id": request.task_ids[0]} if len(request.task_ids) == 1 else {}
    summary = summarise_tasks(found, run.settings, now=run.now, filters=filters, total=len(found),
                              schema_violations=violations, partial=partial)
    result = {"action": "tasks", "task_ids": list(request.task_ids), "count": len(found), "tasks": found,
              "missing": missing, "partial": partial, "schema_violations": violations}
    return result, summary


def _by_query(request: EventRequest, run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    read = read_tasks(request.query, run.settings, run.invocation)
    count, tasks = read.count, read.task_list()
    # A page of a larger result summarises only that page; the summary says so.
    partial = read.scan.partial or (count is not None and len(tasks) < count)
    summary = summarise_tasks(tasks, run.settings, now=run.now, filters=request.query.filters, total=count,
                              schema_violations=read.scan.violation_total, partial=partial)
    result = {"action": "tasks", "query": request.query.echo(), "count": count, "tasks": tasks,
              "partial": read.scan.partial, "schema_violations": read.scan.violation_total}
    return result, summary


def _summary(request: EventRequest, run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    summary, scan = summarise(request.query, run.settings, run.invocation, now=run.now,
                              interval_seconds=request.interval_seconds,
                              stall_after_seconds=request.stall_after_seconds)
    result = {"action": "summary", "headline": headline(summary), "summary": summary,
              "scan": {"pages": scan.pages, "retries": scan.retries, "partial_reason": scan.partial_reason}}
    return result, summary


def execute(request: EventRequest, run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    if request.action == "summary":
        return _summary(request, run)
    if request.task_ids:
        return _by_ids(request, run)
    return _by_query(request, run)
