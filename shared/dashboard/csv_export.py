"""``GET /dashboard/tasks.csv``: one row per task matching the filters, every page of the fleet.

UTF-8 with a BOM (spreadsheet programs then read Chinese names right), a header row, tasks written
as pages arrive (no task list is held), capped like ``all=true`` (``SMS_ALL_MAX_TASKS``); a cut
export says so in its last line and in ``X-Scan-Partial``. Cells that a spreadsheet would run as a
formula (starting with ``= + - @``, tab or CR) are prefixed with ``'`` (OWASP's CSV injection rule)."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from shared.errors import error_fields
from shared.read.query import TaskQuery
from shared.read.tasks import scan_headers, stream_tasks
from shared.scope import Invocation
from shared.settings import Settings
from shared.summary.fields import epoch_ms, iso_ms, parse_error, sub_task_facts

BOM = "\ufeff"
CSV_TYPE = "text/csv;charset=UTF-8"
COLUMNS = (
    "id", "name", "state", "type", "os_type", "priority", "create_date", "progress", "current_subtask",
    "migrate_speed_mbps", "estimate_complete_time", "total_time_s", "migration_ip",
    "source_server_name", "source_server_ip", "target_server_name", "target_server_ip",
    "enterprise_project_id", "error_code", "error_msg",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading ``'``; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _server(task: Mapping[str, Any], key: str) -> tuple[Any, Any]:
    server = task.get(key)
    if not isinstance(server, Mapping):
        return None, None
    return server.get("name"), server.get("ip") or server.get("private_ip")


def _date(value: Any) -> str | None:
    ms = epoch_ms(value)
    return None if ms is None else iso_ms(ms)


def task_row(task: Any) -> list[Any]:
    if not isinstance(task, Mapping):
        return [None] * len(COLUMNS)
    facts = sub_task_facts(task.get("sub_tasks"))
    error = parse_error(task.get("error_json"))
    if isinstance(error, Mapping):  # read as the task page and the chat read it
        error_code, error_msg = error_fields(error)
    else:
        error_code, error_msg = None, error
    total_time = task.get("total_time")
    row = [
        task.get("id"), task.get("name"), task.get("state"), task.get("type"), task.get("os_type"),
        task.get("priority"), _date(task.get("create_date")), facts.progress,
        facts.current["name"] if facts.current else None, task.get("migrate_speed"),
        _date(task.get("estimate_complete_time")),
        total_time // 1000 if isinstance(total_time, int) and not isinstance(total_time, bool) else None,
        task.get("migration_ip"), *_server(task, "source_server"), *_server(task, "target_server"),
        task.get("enterprise_project_id"), error_code, error_msg,
    ]
    return [neutralise(v if not isinstance(v, (dict, list)) else str(v)) for v in row]


def export_csv(query: TaskQuery, settings: Settings, invocation: Invocation) -> tuple[str, dict[str, str]]:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    result = stream_tasks(query, settings, invocation, lambda task: writer.writerow(task_row(task)),
                          max_tasks=settings.all_max_tasks)
    if result.partial:
        writer.writerow([f"# partial export: {result.fetched} of {result.count} tasks "
                         f"({result.partial_reason or 'unknown'})"])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {**scan_headers(result, settings), "X-Task-Count": str(result.count),
               "Content-Disposition": f'attachment; filename="sms-tasks-{stamp}.csv"'}
    return out.getvalue(), headers
