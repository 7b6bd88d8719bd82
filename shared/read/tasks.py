"""The one path every trigger takes to read tasks: settings → client → pager → validation.

Handlers and routes call ``read_page`` / ``read_all`` / ``scan`` instead of touching the client,
pager or validation themselves, so the HTTP, timer and event functions behave the same."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ApiError
from shared.logger import logger, redact_text
from shared.read.pager import Page, RetryPolicy, Scanner, ScanResult
from shared.read.query import TaskQuery
from shared.read.sms_client import RawPage, get_client
from shared.scope import Invocation
from shared.settings import Settings
from shared.validation.decode import splice_pages
from shared.validation.validate import Violation

MAX_LOGGED_VIOLATIONS = 20


@dataclass
class TasksResult:
    """Tasks read for one request, with what the reader saw on the way.

    The body is bytes either way: a single page is SMS's answer unchanged (``raw``), a scan the
    pages' ``tasks`` arrays spliced as sent (``scan_body``); neither is decoded and re-encoded.
    ``tasks`` / ``task_list`` decode it into plain dicts for callers that want them."""

    count: int | None
    scan: ScanResult
    raw: RawPage | None = None  # set for a single page: its bytes can pass through unchanged
    headers: dict[str, str] = field(default_factory=dict)
    scan_body: bytes | None = None  # set for a scan
    page_tasks: list[Any] = field(default_factory=list, repr=False)  # a single page's decoded tasks

    @property
    def tasks(self) -> list[dict[str, Any]] | None:
        """A scan's tasks as dicts (None for a single page, as ever: see ``task_list``)."""
        if self.scan_body is None:
            return None
        return _plain_tasks(self.scan_body)

    def task_list(self) -> list[Any]:
        """The tasks read as dicts, for a single page as much as for a scan."""
        if self.raw is not None:
            return _plain_tasks(self.raw.content) if self.page_tasks else []
        return self.tasks or []

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw.content
        return self.scan_body or b'{"count":0,"tasks":[]}'


def _plain_tasks(body: bytes) -> list[dict[str, Any]]:
    """The ``tasks`` of a body already decoded once (so it is a JSON object) as plain dicts."""
    import msgspec

    try:
        tasks = msgspec.json.decode(body).get("tasks")
    except Exception:  # what only json.loads reads (NaN, a BOM ...): read it the same way as the check did
        tasks = json.loads(body).get("tasks")
    return tasks if isinstance(tasks, list) else []


def scanner_for(settings: Settings, invocation: Invocation, max_tasks: int | None = None, *,
                keep_json: bool = False) -> Scanner:
    return Scanner(
        get_client(settings, invocation),
        deadline=invocation.deadline,
        validation=settings.validation,
        concurrency=settings.scan_concurrency,
        max_tasks=settings.all_max_tasks if max_tasks is None else max_tasks,
        retry=RetryPolicy(retries=settings.page_retries),
        keep_json=keep_json,
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
        headers["X-Sms-Request-Id"] = redact_text(result.request_ids[0])  # an upstream header: no echo
    if result.pages > 1:
        headers["X-Scan-Pages"] = str(result.pages)
    if result.partial:
        headers["X-Scan-Partial"] = "true"
        headers["X-Scan-Partial-Reason"] = result.partial_reason or "unknown"
    return headers


def read_tasks(query: TaskQuery, settings: Settings, invocation: Invocation) -> TasksResult:
    """One page as asked, or every page with ``all=true``."""
    scanner = scanner_for(settings, invocation, keep_json=query.all_pages)
    if not query.all_pages:
        raw, result, page_tasks = scanner.one_page(query)
        report_violations(result, settings)
        return TasksResult(count=result.count, scan=result, raw=raw, headers=scan_headers(result, settings),
                           page_tasks=page_tasks)
    arrays: list[bytes] = []

    def keep(page: Page) -> None:
        assert page.tasks_json is not None  # keep_json
        arrays.append(page.tasks_json)

    result = scanner.scan(query, keep)
    report_violations(result, settings)
    if result.partial:
        logger.warning("scan is partial", reason=result.partial_reason, fetched=result.fetched,
                       count=result.count)
    body = splice_pages(result.count if result.count is not None else result.fetched, arrays)
    return TasksResult(count=result.count, scan=result, headers=scan_headers(result, settings), scan_body=body)


def stream_tasks(
    query: TaskQuery,
    settings: Settings,
    invocation: Invocation,
    consume: Callable[[Any], None],
    max_tasks: int | None = None,
    *,
    typed: bool = False,
) -> ScanResult:
    """Every page, each task handed to ``consume`` as it arrives (summaries hold no task list).

    Plain dicts by default. With ``typed`` a valid page's tasks are handed on as decoded, typed
    (attributes named as the JSON members, read with ``shared.validation.decode.member``), with
    no second decode; pages the reference path judged still give dicts."""
    scanner = scanner_for(settings, invocation, max_tasks)

    def on_page(page: Page) -> None:
        tasks = page.tasks
        if not typed and tasks and not isinstance(tasks[0], dict):
            tasks = _plain_tasks(page.raw.content)[: len(tasks)]  # a cap may have cut the first page
        for task in tasks:
            consume(task)

    result = scanner.scan(query, on_page)
    report_violations(result, settings)
    return result
