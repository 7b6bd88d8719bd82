"""Reading tasks page by page: one page, or every page of a query (``all=true``, the timer).

A scan asks for its first window of pages at once (their offsets are known before ``count`` is:
only the end is not), then the rest as the first page's ``count`` says, with a bounded window
(``SMS_SCAN_CONCURRENCY``), and hands them to the consumer strictly in order, so
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
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
OUT_OF_TIME = "the function's remaining time could not cover the scan"
MAX_COUNT_HINTS = 64  # queries whose last count an instance remembers
# The instance's page fetchers: kept from scan to scan (a new pool per scan started up to 16
# threads each time, ~20 ms of a 10,000-task scan on 2 busy cores). Room for a few concurrent
# requests of an HTTP instance at the default concurrency; each scan bounds its own window.
_POOL_WORKERS = 64
_pool_lock = threading.Lock()
_shared_pool: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _shared_pool
    with _pool_lock:
        if _shared_pool is None:
            _shared_pool = ThreadPoolExecutor(max_workers=_POOL_WORKERS, thread_name_prefix="sms-page")
        return _shared_pool


# ``count`` of the last scan per (endpoint, filters) on this instance: how many pages to ask for
# before the first answer. A hint, never trusted: the first page's own ``count`` decides the scan.
_count_hints: dict[tuple[str, ...], int] = {}


def _hint_key(client: SmsTasksClient, query: TaskQuery) -> tuple[str, ...]:
    endpoints = getattr(client, "endpoints", None) or [type(client).__name__]
    params = [f"{k}={v}" for k, v in query.sms_params() if k not in ("limit", "offset")]
    return (*endpoints, str(query.offset), *params)


def _remember_count(key: tuple[str, ...], count: int) -> None:
    if key not in _count_hints and len(_count_hints) >= MAX_COUNT_HINTS:
        _count_hints.pop(next(iter(_count_hints)))
    _count_hints[key] = count


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


def _check_size(count: int | None, offset: int, limit: int, tasks: list[Any]) -> None:
    if count is None:
        return
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
Room = Callable[[], "int | None"]  # tasks the consumer can still take, as far as it can tell
_T = TypeVar("_T")


def _enough_ahead(pending: deque[tuple[int, Any, Any]], size: int, end: int, room: Room | None) -> bool:
    """True when the pages in flight already hold what the consumer says it can take."""
    if room is None:
        return False
    left = room()
    return left is not None and sum(min(size, end - p[0]) for p in pending) >= left


def _decoded(raw: RawPage, decode: Decode) -> DecodedPage:
    try:
        return decode(raw.content)
    except MalformedPage as exc:  # retryable: a body cut short or garbled on the way
        raise UpstreamError(502, {"error_code": "SMSFN.0512", "error_msg": str(exc)}, retryable=True,
                            upstream_status=raw.status) from None


def _with_retries(call: Callable[[], _T], deadline: Deadline, policy: RetryPolicy,
                  sleep: Callable[[float], None]) -> tuple[_T, int]:
    """``call()``, retried on retryable failures (``shared.transport.retry``: a ``Retry-After`` that
    can't be waited for within the deadline gives the failure back at once); with the retries taken."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt - 1
        except UpstreamError as exc:
            if not exc.retryable:
                raise
            wait = policy.plan(attempt, exc.retry_after, deadline.remaining())
            if wait.seconds is None:
                raise
            sleep(wait.seconds)


def fetch_page(
    client: SmsTasksClient,
    params: list[tuple[str, str]],
    deadline: Deadline,
    policy: RetryPolicy,
    decode: Decode,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[RawPage, DecodedPage, int]:
    """One page, fetched and decoded, with retries on retryable failures (a garbled body too);
    returns the page, its decoding and how many retries it took."""

    def once() -> tuple[RawPage, DecodedPage]:
        raw = client.list_tasks_raw(params, deadline)
        return raw, _decoded(raw, decode)

    (raw, page), retries = _with_retries(once, deadline, policy, sleep)
    return raw, page, retries


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

    def _fetch_bytes(self, params: list[tuple[str, str]]) -> tuple[RawPage, int]:
        """A page's bytes, for the window: decoding waits for the consumer, in order, so a window
        of pages waiting holds ~0.4 MB each as bytes, not ~3x that as parsed tasks (the GIL
        serialises decoding either way)."""
        return _with_retries(lambda: self.client.list_tasks_raw(params, self.deadline), self.deadline,
                             self.retry, time.sleep)

    def _decode_in_order(self, raw: RawPage, params: list[tuple[str, str]]) -> tuple[RawPage, DecodedPage, int]:
        try:
            return raw, _decoded(raw, self._decode), 0
        except UpstreamError:  # garbled on the way: read that page again, as fetch_page would
            raw, page, retries = self._fetch_checked(params)
            return raw, page, retries + 1

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

    def scan(self, query: TaskQuery, on_page: OnPage, room: Room | None = None) -> ScanResult:
        """Every page from ``query.offset`` on, up to ``max_tasks`` tasks. A consumer that can take
        no more returns why: the scan stops there, partial for that reason. ``room``, when given,
        estimates how many more tasks the consumer can take (None: no estimate yet); pages past
        it are not asked for while others are in flight, so a consumer that fills up (an answer
        at its size limit) leaves few requests to drop.

        The first window of pages is asked for at once, before ``count`` is known: offsets are
        ``offset + k * size`` whatever the fleet, and only the end is unknown. ``count`` from the
        last scan of the same query on this instance (``_count_hints``) bounds that window; an
        unfiltered query's first scan speculates one window, a filtered one's asks for its first
        page alone. Pages the answer shows to lie past the end are dropped unread (at most
        ``concurrency - 1`` requests, once per instance and query)."""
        start = time.perf_counter()
        size = query.limit if query.limit_given and query.limit > 0 else SMS_MAX_PAGE
        cap_end = query.offset + self.max_tasks  # known before any answer; ``count`` may end it sooner
        hint_key = _hint_key(self.client, query)
        hint = _count_hints.get(hint_key)
        guess_end = cap_end if hint is None else min(cap_end, max(hint, query.offset + 1))
        window = self.concurrency
        if hint is None and query.filters:
            # A filtered query (a task id, a state, a name) is mostly one page: without a count
            # seen for it, speculating would cost SMS up to ``concurrency - 1`` wasted calls each time.
            window = 1
        offsets = [o for o in range(query.offset, guess_end, size) if o <= SMS_MAX_OFFSET][:window]
        result = ScanResult()
        ids = TaskIds()
        self._window(query, size, offsets or [query.offset], cap_end, result, on_page, ids, hint_key, room)
        return self._done(result, start)

    def _out_of_time(self, page_ms: float) -> bool:
        """True when the remaining time can't cover one more page (1.5x the slowest seen)."""
        return self.deadline.remaining() * 1000.0 < page_ms * 1.5

    def _after_first(self, query: TaskQuery, size: int, count: int | None, cap_end: int,
                     result: ScanResult) -> tuple[int, list[int]]:
        """The end of the scan and every offset to read once the first page told ``count``."""
        if count is None:
            result.partial, result.partial_reason = True, "SMS gave no count; only the first page was read"
            return query.offset, []
        end = min(count, cap_end)
        if count > cap_end:
            result.partial = True
            result.partial_reason = f"more than the cap of {self.max_tasks} tasks (SMS_ALL_MAX_TASKS)"
        offsets = list(range(query.offset + size, end, size))
        reachable = [o for o in offsets if o <= SMS_MAX_OFFSET]
        if len(reachable) < len(offsets):
            result.partial = True
            result.partial_reason = f"SMS cannot page past offset {SMS_MAX_OFFSET}"
        return end, reachable

    def _window(
        self,
        query: TaskQuery,
        size: int,
        speculative: list[int],
        cap_end: int,
        result: ScanResult,
        on_page: OnPage,
        ids: TaskIds,
        hint_key: tuple[str, ...],
        room: Room | None = None,
    ) -> None:
        """At most ``concurrency`` pages in flight, handed over in order. Only the window of
        in-flight pages and the one being consumed are held."""
        pending: deque[tuple[int, list[tuple[str, str]], Future[tuple[RawPage, int]]]] = deque()
        page_ms = 1.0  # grows to the slowest page seen
        end = cap_end  # until the first page tells ``count``
        todo: deque[int] = deque(speculative)
        asked: set[int] = set()
        fetch = in_scope(self._fetch_bytes)  # worker threads log under this invocation's request id
        pool = _pool()
        abandoned: list[Future[tuple[RawPage, int]]] = []  # dropped unread, still waited for at the end
        try:
            index = 0
            while todo or pending:
                while todo and len(pending) < self.concurrency:
                    if pending and index > 0 and _enough_ahead(pending, size, end, room):
                        break
                    if index > 0 and self._out_of_time(page_ms):
                        result.partial, result.partial_reason = True, OUT_OF_TIME
                        todo.clear()
                        break
                    offset = todo.popleft()
                    limit = min(size, end - offset) if offset > query.offset else size
                    asked.add(offset)
                    params = query.sms_params(limit=limit, offset=offset)
                    pending.append((offset, params, pool.submit(fetch, params)))
                if not pending:
                    break
                offset, params, future = pending.popleft()
                try:
                    fetched, fetch_retries = future.result()
                    raw, page, retries = self._decode_in_order(fetched, params)
                    retries += fetch_retries
                    del fetched
                except UpstreamError as exc:
                    # A page that failed because the deadline cut it short ends the scan as
                    # partial (the pages so far are good); with time left, the failure is real.
                    if index == 0 or not (exc.retryable and self._out_of_time(page_ms)):
                        raise
                    result.partial, result.partial_reason = True, f"{OUT_OF_TIME} ({exc.error_code})"
                    break
                page_ms = max(page_ms, raw.elapsed_ms)
                if index == 0:
                    result.count = page.count
                    _check_size(result.count, offset, size, page.tasks)
                    end, rest = self._after_first(query, size, result.count, cap_end, result)
                    if result.count is not None:
                        _remember_count(hint_key, result.count)
                    # Speculated pages past the end are dropped unread; the rest are still to ask.
                    for dropped in [p for p in pending if p[0] >= end]:
                        dropped[2].cancel()
                        abandoned.append(dropped[2])
                    pending = deque(p for p in pending if p[0] < end)
                    todo = deque(o for o in rest if o not in asked)
                    tasks, tasks_json = page.tasks, page.tasks_json
                    if len(tasks) > self.max_tasks:  # a page larger than the cap (limit > SMS_ALL_MAX_TASKS)
                        tasks = tasks[: self.max_tasks]
                        tasks_json = None if tasks_json is None else truncate_array(tasks_json, self.max_tasks)
                else:
                    seen = page.count
                    if seen != result.count:
                        raise ScanInconsistent(result.count or 0, -1 if seen is None else seen, offset)
                    _check_size(result.count, offset, min(size, end - offset), page.tasks)
                    tasks, tasks_json = page.tasks, page.tasks_json
                self._record(result, raw, page, retries, offset - query.offset)
                ids.check(tasks, offset)
                result.fetched += len(tasks)
                stop = on_page(Page(index, offset, tasks, raw, tasks_json))
                index += 1
                del raw, page, future, tasks, tasks_json  # consumed: don't pin it while waiting for the next
                if stop:  # the consumer is full: pages still in flight are dropped below
                    result.partial, result.partial_reason = True, stop
                    break
        finally:
            # Pages not started are cancelled; those in flight (dropped, or after a failure) end
            # by their deadline guard, and are waited for: nothing of this scan runs after it.
            for _, _, future in pending:
                future.cancel()
            wait_all([*abandoned, *(future for _, _, future in pending)])

    @staticmethod
    def _done(result: ScanResult, start: float) -> ScanResult:
        result.elapsed_ms = (time.perf_counter() - start) * 1000.0
        return result
