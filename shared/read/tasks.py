"""The one path every trigger takes to read tasks: settings → client → pager → validation.

Handlers and routes call ``read_page`` / ``read_all`` / ``scan`` instead of touching the client,
pager or validation themselves, so the HTTP, timer and event functions behave the same."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ApiError
from shared.logger import logger
from shared.read.pager import Page, RetryPolicy, Scanner, ScanResult, page_tasks
from shared.read.query import TaskQuery
from shared.read.sms_client import RawPage, get_client
from shared.scope import Invocation
from shared.settings import Settings
from shared.validation.validate import Violation

MAX_LOGGED_VIOLATIONS = 20


@dataclass
class TasksResult:
    """Tasks read for one request, with what the reader saw on the way."""

    count: int | None
    tasks: list[dict[str, Any]] | None
    scan: ScanResult
    raw: RawPage | None = None  # set for a single page: its bytes can pass through unchanged
    headers: dict[str, str] = field(default_factory=dict)

    def task_list(self) -> list[Any]:
        """The tasks read, for a single page as much as for a scan."""
        if self.raw is not None:
            return page_tasks(self.raw)
        return list(self.tasks or [])

    def body(self) -> dict[str, Any] | bytes:
        if self.raw is not None:
            return self.raw.content
        return {"count": self.count if self.count is not None else len(self.tasks or []),
                "tasks": self.tasks or []}


def scanner_for(settings: Settings, invocation: Invocation, max_tasks: int | None = None) -> Scanner:
    return Scanner(
        get_client(settings, invocation),
        deadline=invocation.deadline,
        validation=settings.validation,
        concurrency=settings.scan_concurrency,
        max_tasks=settings.all_max_tasks if max_tasks is None else max_tasks,
        retry=RetryPolicy(retries=settings.page_retries),
    )


def strict_violation_error(result: ScanResult) -> ApiError:
    return ApiError(
        502,
        "SMSFN.0513",
        f"SMS's answer breaks the documented schema: {result.violation_total} violation(s) "
        "(SMS_VALIDATION=strict)",
        extra={"violations": [v.to_dict() for v in result.violations],
               "violation_total": result.violation_total},
    )


def report_violations(result: ScanResult, settings: Settings) -> None:
    """Warn mode logs each violation (capped); strict mode turns any violation into a 502."""
    if result.violation_total == 0:
        return
    if settings.validation == "strict":
        raise strict_violation_error(result)
    shown: list[Violation] = result.violations[:MAX_LOGGED_VIOLATIONS]
    for v in shown:
        logger.warning("schema violation", pointer=v.pointer, rule=v.rule, value=v.value, detail=v.message)
    if result.violation_total > len(shown):
        logger.warning("more schema violations not logged", not_logged=result.violation_total - len(shown))


def scan_headers(result: ScanResult, settings: Settings) -> dict[str, str]:
    headers: dict[str, str] = {}
    if settings.validation != "off":
        headers["X-Schema-Violations"] = str(result.violation_total)
    if result.request_ids:
        headers["X-Sms-Request-Id"] = result.request_ids[0]
    if result.pages > 1:
        headers["X-Scan-Pages"] = str(result.pages)
    if result.partial:
        headers["X-Scan-Partial"] = "true"
        headers["X-Scan-Partial-Reason"] = result.partial_reason or "unknown"
    return headers


def read_tasks(query: TaskQuery, settings: Settings, invocation: Invocation) -> TasksResult:
    """One page as asked, or every page with ``all=true``."""
    scanner = scanner_for(settings, invocation)
    if not query.all_pages:
        raw, result = scanner.one_page(query)
        report_violations(result, settings)
        return TasksResult(count=result.count, tasks=None, scan=result, raw=raw,
                           headers=scan_headers(result, settings))
    tasks: list[dict[str, Any]] = []
    result = scanner.scan(query, lambda page: tasks.extend(page.tasks))
    report_violations(result, settings)
    if result.partial:
        logger.warning("scan is partial", reason=result.partial_reason, fetched=result.fetched,
                       count=result.count)
    return TasksResult(count=result.count, tasks=tasks, scan=result, headers=scan_headers(result, settings))


def stream_tasks(
    query: TaskQuery,
    settings: Settings,
    invocation: Invocation,
    consume: Callable[[dict[str, Any]], None],
    max_tasks: int | None = None,
) -> ScanResult:
    """Every page, each task handed to ``consume`` as it arrives (summaries hold no task list)."""
    scanner = scanner_for(settings, invocation, max_tasks)

    def on_page(page: Page) -> None:
        for task in page.tasks:
            consume(task)

    result = scanner.scan(query, on_page)
    report_violations(result, settings)
    return result
