"""Reading tasks page by page: one page, or every page of a query (``all=true``, the timer).

A scan fetches its first page to learn ``count``, then the remaining pages in parallel with a
bounded window (``SMS_SCAN_CONCURRENCY``) and hands them to the consumer strictly in order, so
memory holds at most a window of pages and callers that stream (the summary) never hold the
fleet. Every page's ``count`` must match the first: a fleet that changes mid-scan is reported,
never silently merged. Retryable failures are retried with backoff inside the deadline; when the
remaining time can't cover another page (1.5x the slowest page so far), or a page in flight is
cut short by it, the scan stops after the pages already handed over and says so (``partial``).

Each page's bytes are decoded and checked in one pass (``shared.validation.decode``): the tasks
handed on are typed objects when the page is valid, parsed dicts when the reference path judged
it. With ``keep_json`` each page also carries its ``tasks`` array as SMS sent it, for splicing."""
from __future__ import annotations

import functools
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ApiError
from shared.read.query import TaskQuery
from shared.read.sms_client import RawPage, SmsTasksClient, UpstreamError
from shared.read.task_ids import TaskIds
from shared.scope import Deadline, in_scope
from shared.transport.retry import RetryPolicy
from shared.validation.decode import DecodedPage, MalformedPage, decode_page, truncate_array
from shared.validation.validate import Violation

SMS_MAX_PAGE = 200
SMS_MAX_OFFSET = 65535  # the doc's range for offset: beyond it SMS can't be paged
MAX_KEPT_VIOLATIONS = 100
_TASK_POINTER = re.compile(r"^/tasks/(\d+)")
_M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
_MMAP_THRESHOLD_BYTES = 128 * 1024
OUT_OF_TIME = "the function's remaining time could not cover the scan"


class ScanInconsistent(ApiError):
    """The task list changed while it was being read: ``count`` moved between pages, or a page
    held another number of tasks than ``count`` and its ``limit`` promise (a task replaced by
    another, or SMS paging differently from what was asked), so tasks could be missed or doubled."""

    def __init__(self, first: int, seen: int, offset: int, *, got: int | None = None,
                 expected: int | None = None) -> None:
        extra: dict[str, int] = {"count_first": first, "count_seen": seen, "offset": offset}
        if got is None:
            msg = f"count was {first}, then {seen} at offset {offset}"
        else:
            msg = f"the page at offset {offset} held {got} tasks where count {first} promised {expected}"
            extra.update(page_tasks=got, page_expected=expected or 0)
        super().__init__(409, "SMSFN.0409", f"the task list changed during the scan: {msg}; read again", extra=extra)


def _check_page_size(count: int, offset: int, limit: int, tasks: list[Any]) -> None:
    expected = max(0, min(limit, count - offset))
    if len(tasks) != expected:
        raise ScanInconsistent(count, count, offset, got=len(tasks), expected=expected)


@dataclass
class Page:
    index: int
    offset: int
    tasks: list[Any]  # typed tasks (attributes) from a valid page, dicts otherwise
    raw: RawPage
    tasks_json: bytes | None = None  # the page's ``tasks`` array as sent (``keep_json``)


@dataclass
class ScanResult:
    count: int | None = None
    fetched: int = 0
    pages: int = 0
    partial: bool = False
    partial_reason: str | None = None
    violation_total: int = 0
    violations: list[Violation] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    retries: int = 0
    elapsed_ms: float = 0.0

    def add_violations(self, found: list[Violation], total: int, base_index: int) -> None:
        self.violation_total += total
        room = MAX_KEPT_VIOLATIONS - len(self.violations)
        for v in found[: max(0, room)]:
            self.violations.append(_rebase(v, base_index))


def _rebase(v: Violation, base_index: int) -> Violation:
    """Page-relative ``/tasks/3/...`` pointers become scan-relative ``/tasks/203/...``."""
    if base_index == 0:
        return v
    m = _TASK_POINTER.match(v.pointer)
    if not m:
        return v
    pointer = f"/tasks/{int(m.group(1)) + base_index}{v.pointer[m.end():]}"
    return Violation(pointer=pointer, rule=v.rule, value=v.value, message=v.message)


Decode = Callable[[bytes], DecodedPage]
OnPage = Callable[[Page], "str | None"]  # a reason to stop, or None to go on


def _decoded(raw: RawPage, decode: Decode) -> DecodedPage:
    try:
        return decode(raw.content)
    except MalformedPage as exc:  # retryable: a body cut short or garbled on the way
        raise UpstreamError(502, {"error_code": "SMSFN.0512", "error_msg": str(exc)}, retryable=True,
                            upstream_status=raw.status) from None


def fetch_page(
    client: SmsTasksClient,
    params: list[tuple[str, str]],
    deadline: Deadline,
    policy: RetryPolicy,
    decode: Decode,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[RawPage, DecodedPage, int]:
    """One page, fetched and decoded, with retries on retryable failures (``shared.transport.retry``:
    a ``Retry-After`` that can't be waited for within the deadline gives the failure back at once);
    returns the page, its decoding and how many retries it took."""
    attempt = 0
    while True:
        attempt += 1
        try:
            raw = client.list_tasks_raw(params, deadline)
            return raw, _decoded(raw, decode), attempt - 1
        except UpstreamError as exc:
            if not exc.retryable:
                raise
            wait = policy.plan(attempt, exc.retry_after, deadline.remaining())
            if wait.seconds is None:
                raise
            sleep(wait.seconds)


class Scanner:
    """Reads pages for one query and feeds them, in order, to ``on_page``."""

    def __init__(
        self,
        client: SmsTasksClient,
        *,
        deadline: Deadline,
        validation: str = "warn",
        concurrency: int = 4,
        max_tasks: int = 10000,
        retry: RetryPolicy | None = None,
        keep_json: bool = False,
    ) -> None:
        self.client = client
        self.deadline = deadline
        self.validation = validation
        self.concurrency = max(1, concurrency)
        self.max_tasks = max_tasks
        self.retry = retry or RetryPolicy()
        self._decode: Decode = functools.partial(decode_page, mode=validation, splice=keep_json)

    def _fetch_checked(self, params: list[tuple[str, str]]) -> tuple[RawPage, DecodedPage, int]:
        return fetch_page(self.client, params, self.deadline, self.retry, self._decode)

    def _record(self, result: ScanResult, raw: RawPage, page: DecodedPage, retries: int, base: int) -> None:
        result.pages += 1
        result.retries += retries
        if raw.request_id:
            result.request_ids.append(raw.request_id)
        report = page.report
        if report is not None and not report.ok:
            result.add_violations(list(report.violations), report.total, base)

    def one_page(self, query: TaskQuery) -> tuple[RawPage, ScanResult, list[Any]]:
        """One page as asked: its bytes (passed through), what was seen, and its decoded tasks."""
        start = time.perf_counter()
        raw, page, retries = self._fetch_checked(query.sms_params())
        result = ScanResult(count=page.count)
        self._record(result, raw, page, retries, 0)
        result.fetched = len(page.tasks)
        result.elapsed_ms = (time.perf_counter() - start) * 1000.0
        return raw, result, page.tasks

    def scan(self, query: TaskQuery, on_page: OnPage) -> ScanResult:
        """Every page from ``query.offset`` on, up to ``max_tasks`` tasks. A consumer that can take
        no more returns why: the scan stops there, partial for that reason."""
        start = time.perf_counter()
        size = query.limit if query.limit_given and query.limit > 0 else SMS_MAX_PAGE
        raw, page, retries = self._fetch_checked(query.sms_params(limit=size, offset=query.offset))
        result = ScanResult(count=page.count)
        self._record(result, raw, page, retries, 0)
        if result.count is not None:
            _check_page_size(result.count, query.offset, size, page.tasks)
        first_tasks, first_json = page.tasks, page.tasks_json
        if len(first_tasks) > self.max_tasks:  # a page larger than the cap (limit > SMS_ALL_MAX_TASKS)
            first_tasks = first_tasks[: self.max_tasks]
            first_json = None if first_json is None else truncate_array(first_json, self.max_tasks)
        ids = TaskIds()
        ids.check(first_tasks, query.offset)
        result.fetched = len(first_tasks)
        stop = on_page(Page(0, query.offset, first_tasks, raw, first_json))
        first_ms = raw.elapsed_ms
        del raw, page, first_tasks, first_json  # not pinned while the other pages stream through
        if stop:
            result.partial, result.partial_reason = True, stop
            return self._done(result, start)
        if result.count is None:
            result.partial, result.partial_reason = True, "SMS gave no count; only the first page was read"
            return self._done(result, start)
        end = min(result.count, query.offset + self.max_tasks)
        if result.count > query.offset + self.max_tasks:
            result.partial = True
            result.partial_reason = f"more than the cap of {self.max_tasks} tasks (SMS_ALL_MAX_TASKS)"
        offsets = list(range(query.offset + size, end, size))
        reachable = [o for o in offsets if o <= SMS_MAX_OFFSET]
        if len(reachable) < len(offsets):
            result.partial = True
            result.partial_reason = f"SMS cannot page past offset {SMS_MAX_OFFSET}"
        if reachable:
            _bound_malloc_growth()
            self._rest(query, size, reachable, end, result, on_page, first_ms, ids)
        return self._done(result, start)

    def _out_of_time(self, page_ms: float) -> bool:
        """True when the remaining time can't cover one more page (1.5x the slowest seen)."""
        return self.deadline.remaining() * 1000.0 < page_ms * 1.5

    def _rest(
        self,
        query: TaskQuery,
        size: int,
        offsets: list[int],
        end: int,
        result: ScanResult,
        on_page: OnPage,
        first_page_ms: float,
        ids: TaskIds,
    ) -> None:
        """Pages after the first: at most ``concurrency`` in flight, handed over in order. Only the
        window of in-flight pages and the one being consumed are held."""
        first_count = result.count
        assert first_count is not None
        pending: deque[tuple[int, int, Future[tuple[RawPage, DecodedPage, int]]]] = deque()
        page_ms = max(first_page_ms, 1.0)  # grows to the slowest page seen
        todo = deque(enumerate(offsets, start=1))
        fetch = in_scope(self._fetch_checked)  # worker threads log under this invocation's request id
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sms-page") as pool:
            try:
                while todo or pending:
                    while todo and len(pending) < self.concurrency:
                        if self._out_of_time(page_ms):
                            result.partial, result.partial_reason = True, OUT_OF_TIME
                            todo.clear()
                            break
                        index, offset = todo.popleft()
                        limit = min(size, end - offset)
                        params = query.sms_params(limit=limit, offset=offset)
                        pending.append((index, offset, pool.submit(fetch, params)))
                    if not pending:
                        break
                    index, offset, future = pending.popleft()
                    try:
                        raw, page, retries = future.result()
                    except UpstreamError as exc:
                        # A page that failed because the deadline cut it short ends the scan as
                        # partial (the pages so far are good); with time left, the failure is real.
                        if not (exc.retryable and self._out_of_time(page_ms)):
                            raise
                        result.partial, result.partial_reason = True, f"{OUT_OF_TIME} ({exc.error_code})"
                        break
                    page_ms = max(page_ms, raw.elapsed_ms)
                    seen = page.count
                    if seen != first_count:
                        raise ScanInconsistent(first_count, -1 if seen is None else seen, offset)
                    self._record(result, raw, page, retries, offset - query.offset)
                    _check_page_size(first_count, offset, min(size, end - offset), page.tasks)
                    ids.check(page.tasks, offset)
                    result.fetched += len(page.tasks)
                    stop = on_page(Page(index, offset, page.tasks, raw, page.tasks_json))
                    del raw, page, future  # consumed: don't pin it while waiting for the next
                    if stop:
                        result.partial, result.partial_reason = True, stop
                        break
            finally:
                for _, _, future in pending:
                    future.cancel()

    @staticmethod
    def _done(result: ScanResult, start: float) -> ScanResult:
        result.elapsed_ms = (time.perf_counter() - start) * 1000.0
        return result


@functools.cache
def _bound_malloc_growth() -> None:
    """Pin glibc's mmap threshold, once per process, before a long scan.

    glibc raises the threshold each time a large mmapped block is freed; after the first page,
    page-sized buffers (a 200-task body is ~0.4 MB as bytes, again as str) come from the heap
    instead, and parsed tasks fill the holes they leave, so the heap only grows: RSS of a
    50,000-task summary grew ~70 MiB with ~10 MiB live. A fixed threshold keeps those buffers
    mmapped and returned to the OS on free. Anything but Linux/glibc: nothing to do."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes  # deferred: ~3 ms of import that single-page requests never pay

        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):  # musl and friends have no mallopt
        pass
