"""The pager (``shared.read.pager.Scanner``): concurrent scans over loopback HTTP against the emulator
(order, retries, fleet changes, deadlines, the cap) and, with a fake client, what loopback can't
stage (SMS's offset limit, the deadline estimate, failures at the deadline). No timing asserts."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from shared.read import pager
from shared.read.pager import OUT_OF_TIME, SMS_MAX_OFFSET, Page, RetryPolicy, ScanInconsistent, Scanner
from shared.read.query import TaskQuery
from shared.read.sms_client import RawPage, UpstreamError, get_client
from shared.read.tasks import scanner_for
from shared.scope import Deadline, Invocation
from shared.settings import Settings
from shared.validation.decode import member

pytestmark = pytest.mark.integration


def scanner(deadline: Deadline | None = None, **kwargs: Any) -> Scanner:
    return Scanner(get_client(Settings.from_env()), deadline=deadline or Deadline(30.0), **kwargs)


def collect(s: Scanner, query: TaskQuery) -> tuple[list[Page], list[str], Any]:
    pages: list[Page] = []
    result = s.scan(query, pages.append)
    return pages, [member(t, "id") for p in pages for t in p.tasks], result


def query(limit: int, offset: int = 0) -> TaskQuery:
    return TaskQuery(limit=limit, offset=offset, limit_given=True, all_pages=True)


def truth_ids(emulator: Any) -> list[str]:
    return [t["id"] for t in emulator.tasks()]


# --------------------------------------------------------------------------- against the emulator


def test_pages_come_in_order_when_earlier_ones_answer_last(sms_env: Any) -> None:
    # After the first page, the next three requests are slowed, the later ones are not: pages
    # finish out of order, yet are handed over in order.
    sms_env.faults.passthrough().slow(300, times=3)
    pages, ids, result = collect(scanner(concurrency=4), query(20))
    assert [p.index for p in pages] == list(range(len(pages)))
    assert [p.offset for p in pages] == [20 * i for i in range(len(pages))]
    assert ids == truth_ids(sms_env)
    assert result.count == len(ids) and result.pages == len(pages) == 13 and not result.partial


def test_concurrency_is_bounded_and_configurable(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "3")
    s = scanner_for(Settings.from_env(), Invocation("t", Deadline(30.0)))
    assert s.concurrency == 3
    in_flight = peak = 0
    lock = threading.Lock()
    real = s.client.list_tasks_raw

    def counting(params: list[tuple[str, str]], deadline: Deadline) -> RawPage:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return real(params, deadline)
        finally:
            with lock:
                in_flight -= 1

    sms_env.faults.set_delay(30)
    monkeypatch.setattr(s.client, "list_tasks_raw", counting)
    _, ids, _ = collect(s, query(10))
    assert ids == truth_ids(sms_env)
    assert 2 <= peak <= 3  # pages really overlapped, never more than the setting


def test_a_failed_page_mid_scan_is_retried(sms_env: Any) -> None:
    sms_env.faults.passthrough().server_error(500)
    _, ids, result = collect(scanner(concurrency=4), query(50))
    assert ids == truth_ids(sms_env)
    assert result.retries == 1 and not result.partial
    assert [r["status"] for r in sms_env.requests].count(500) == 1


def test_a_page_failing_past_its_retries_fails_the_scan(sms_env: Any) -> None:
    sms_env.faults.passthrough().server_error(503, times=3)
    with pytest.raises(UpstreamError) as err:
        collect(scanner(concurrency=1, retry=RetryPolicy(retries=2, base_delay_s=0.01)), query(50))
    assert err.value.status == 502 and err.value.upstream_status == 503


def test_a_fleet_changing_mid_scan_is_reported(sms_env: Any) -> None:
    sms_env.faults.passthrough(times=3).mutate(add_tasks=2)  # lands on the fourth request
    with pytest.raises(ScanInconsistent) as err:
        collect(scanner(concurrency=1), query(40))
    body = err.value.body()
    assert err.value.status == 409 and body["count_seen"] == body["count_first"] + 2
    assert body["offset"] == 120


def test_pages_before_a_change_were_consumed_in_order(sms_env: Any) -> None:
    sms_env.faults.passthrough(times=2).mutate(remove_tasks=1)
    seen: list[int] = []
    with pytest.raises(ScanInconsistent):
        scanner(concurrency=1).scan(query(40), lambda page: seen.append(page.index))
    assert seen == [0, 1]


def test_a_scan_the_deadline_cannot_cover_stops_partial(sms_env: Any) -> None:
    # 26 pages of 300 ms, two at a time, take ~4 s; 2 s leave ample room for the first page even on a
    # loaded machine (a first page cut by the deadline would be an error, not a partial scan).
    sms_env.faults.set_delay(300)
    pages, ids, result = collect(scanner(Deadline(2.0), concurrency=2), query(10))
    assert result.partial and result.partial_reason is not None
    assert result.partial_reason.startswith(OUT_OF_TIME)
    assert 0 < len(ids) < result.count
    assert ids == truth_ids(sms_env)[: len(ids)]  # what was read is a clean prefix, in order
    assert [p.index for p in pages] == list(range(len(pages)))


def test_max_tasks_caps_the_scan_and_trims_the_last_page(sms_env: Any) -> None:
    _, ids, result = collect(scanner(concurrency=2, max_tasks=70), query(20))
    assert ids == truth_ids(sms_env)[:70]
    assert result.partial and "SMS_ALL_MAX_TASKS" in (result.partial_reason or "")
    limits = sorted((int(r["query"]["offset"]), int(r["query"]["limit"])) for r in sms_env.requests)
    assert limits == [(0, 20), (20, 20), (40, 20), (60, 10)]


def test_max_tasks_inside_the_first_page(sms_env: Any) -> None:
    _, ids, result = collect(scanner(max_tasks=5), query(20))
    assert ids == truth_ids(sms_env)[:5] and result.partial and len(sms_env.requests) == 1


def test_a_scan_from_an_offset(sms_env: Any) -> None:
    _, ids, result = collect(scanner(concurrency=3), query(30, offset=100))
    assert ids == truth_ids(sms_env)[100:] and not result.partial


# --------------------------------------------------------------------------- with a fake client


class FakeClient:
    """Serves a fleet of ``count`` tasks ``{"id": "t<n>"}``; records every (offset, limit)."""

    def __init__(self, count: int, first_elapsed_ms: float = 1.0) -> None:
        self.count = count
        self.first_elapsed_ms = first_elapsed_ms
        self.calls: list[tuple[int, int]] = []
        self.fail: Any = None  # called with (call number, deadline) before answering; may raise
        self._lock = threading.Lock()

    def list_tasks_raw(self, params: list[tuple[str, str]], deadline: Any) -> RawPage:
        p = dict(params)
        offset, limit = int(p["offset"]), int(p["limit"])
        assert 0 <= offset <= SMS_MAX_OFFSET and 0 <= limit <= 200  # SMS's own ranges
        with self._lock:
            self.calls.append((offset, limit))
            number = len(self.calls)
        if self.fail is not None:
            self.fail(number, deadline)
        tasks = [{"id": f"t{i}"} for i in range(offset, min(offset + limit, self.count))]
        elapsed = self.first_elapsed_ms if number == 1 else 1.0
        content = json.dumps({"count": self.count, "tasks": tasks}).encode()
        return RawPage(content=content, request_id=f"r{number}", elapsed_ms=elapsed)


class FakeDeadline(Deadline):
    def __init__(self, seconds: float) -> None:
        super().__init__(None)
        self.left = seconds

    def remaining(self) -> float:
        return self.left


def fake_scanner(client: FakeClient, deadline: Deadline | None = None, **kwargs: Any) -> Scanner:
    return Scanner(client, deadline=deadline or Deadline(30.0), validation="off", **kwargs)  # type: ignore[arg-type]


def test_sms_offset_limit_ends_the_scan_partial() -> None:
    client = FakeClient(count=100_000)
    pages, ids, result = collect(fake_scanner(client, concurrency=8, max_tasks=1_000_000), query(200))
    last_offset = max(offset for offset, _ in client.calls)
    assert last_offset <= SMS_MAX_OFFSET < last_offset + 200  # every page SMS can serve, no more
    assert ids == [f"t{i}" for i in range(last_offset + 200)]
    assert result.partial and str(SMS_MAX_OFFSET) in (result.partial_reason or "")
    assert result.fetched == len(ids) and result.pages == len(pages) == len(client.calls)


def test_a_fleet_that_ends_below_the_offset_limit_is_complete() -> None:
    client = FakeClient(count=65_535)
    _, ids, result = collect(fake_scanner(client, concurrency=4, max_tasks=1_000_000), query(200))
    assert len(ids) == 65_535 and not result.partial


def test_the_first_pages_time_decides_whether_the_rest_fits() -> None:
    # The first page took 400 ms and 0.5 s are left: another page would not fit (1.5 x 400 ms).
    # The first window (4 pages) was asked before that was known and is used; nothing after it.
    client = FakeClient(count=1000, first_elapsed_ms=400.0)
    _, ids, result = collect(fake_scanner(client, FakeDeadline(0.5), concurrency=4), query(100))
    assert sorted(client.calls) == [(0, 100), (100, 100), (200, 100), (300, 100)]
    assert ids == [f"t{i}" for i in range(400)]
    assert result.partial and result.partial_reason == OUT_OF_TIME


def test_the_first_window_is_asked_before_the_first_answer() -> None:
    # The first answer is held until the whole window was asked for: pages 2..N do not wait on
    # page 1 (a scan that waited would stop here: the wait ends after 5 s, and the assert fails).
    pager._count_hints.clear()
    client = FakeClient(count=2000)
    window_asked = threading.Event()

    def hold_first(number: int, dl: Any) -> None:
        if number == 4:
            window_asked.set()
        if number == 1:
            window_asked.wait(5.0)

    client.fail = hold_first
    _, ids, result = collect(fake_scanner(client, concurrency=4), query(100))
    assert window_asked.is_set() and sorted(client.calls[:4]) == [(0, 100), (100, 100), (200, 100), (300, 100)]
    assert ids == [f"t{i}" for i in range(2000)] and not result.partial and result.pages == 20


def test_pages_speculated_past_the_end_are_dropped_and_the_count_remembered() -> None:
    pager._count_hints.clear()
    client = FakeClient(count=150)
    pages, ids, result = collect(fake_scanner(client, concurrency=8), query(100))
    assert ids == [f"t{i}" for i in range(150)] and [p.offset for p in pages] == [0, 100]
    assert len(client.calls) <= 8 and result.pages == 2  # pages past the end: dropped (or cancelled unasked)
    client.calls.clear()
    _, ids, _ = collect(fake_scanner(client, concurrency=8), query(100))
    assert sorted(client.calls) == [(0, 100), (100, 100)]  # the last count bounds the next window
    assert len(ids) == 150


def test_a_wrong_count_hint_only_costs_requests() -> None:
    pager._count_hints.clear()
    collect(fake_scanner(FakeClient(count=150), concurrency=8), query(100))
    grown = FakeClient(count=1000)  # same endpoint and query: the hint says 150, the fleet has 1000
    _, ids, result = collect(fake_scanner(grown, concurrency=8), query(100))
    assert ids == [f"t{i}" for i in range(1000)] and not result.partial
    assert sorted(grown.calls) == [(o, 100) for o in range(0, 1000, 100)]


def test_a_filtered_query_without_a_count_seen_asks_for_its_first_page_alone() -> None:
    # Event lookups (a task id, a state) are mostly one page and rarely repeat: no speculation.
    pager._count_hints.clear()
    client = FakeClient(count=250)
    filtered = TaskQuery(limit=100, offset=0, limit_given=True, all_pages=True, filters={"state": "RUNNING"})
    second_asked = threading.Event()
    asked_while_first_held: list[bool] = []

    def hold_first(number: int, dl: Any) -> None:
        if number == 2:
            second_asked.set()
        if number == 1:  # a speculating scan would ask for page 2 meanwhile
            asked_while_first_held.append(second_asked.wait(0.5))

    client.fail = hold_first
    pages, _, result = collect(fake_scanner(client, concurrency=8), filtered)
    assert asked_while_first_held == [False]
    assert sorted(client.calls) == [(0, 100), (100, 100), (200, 50)]  # the last page asked to the end
    assert len(pages) == 3 and not result.partial
    client.calls.clear()
    client.fail = None
    collect(fake_scanner(client, concurrency=8), filtered)  # now its count is known: one window
    assert sorted(client.calls) == [(0, 100), (100, 100), (200, 100)]


def test_speculated_pages_respect_the_cap() -> None:
    pager._count_hints.clear()
    client = FakeClient(count=10_000)
    _, ids, result = collect(fake_scanner(client, concurrency=8, max_tasks=250), query(100))
    assert sorted(client.calls) == [(0, 100), (100, 100), (200, 50)]
    assert len(ids) == 250 and result.partial


def test_a_page_cut_short_by_the_deadline_makes_the_scan_partial() -> None:
    client = FakeClient(count=1000)
    deadline = FakeDeadline(30.0)

    def expire_on_third(number: int, dl: Any) -> None:
        if number == 3:
            deadline.left = 0.0
            raise UpstreamError(504, {"error_code": "SMSFN.0504", "error_msg": "late"}, retryable=True,
                                upstream_status=None)

    client.fail = expire_on_third
    pages, ids, result = collect(fake_scanner(client, deadline, concurrency=1), query(100))
    assert ids == [f"t{i}" for i in range(200)] and len(pages) == 2
    assert result.partial and result.partial_reason == f"{OUT_OF_TIME} (SMSFN.0504)"


def test_a_timeout_with_time_left_is_an_error() -> None:
    client = FakeClient(count=1000)

    def time_out_third(number: int, dl: Any) -> None:
        if number == 3:
            raise UpstreamError(504, {"error_code": "SMSFN.0504", "error_msg": "slow"}, retryable=True,
                                upstream_status=None)

    client.fail = time_out_third
    with pytest.raises(UpstreamError):
        collect(fake_scanner(client, concurrency=1, retry=RetryPolicy(retries=0)), query(100))


def test_consumer_gets_pages_while_later_ones_are_fetched() -> None:
    # Streaming: the consumer sees page 1 before the last page was even requested.
    client = FakeClient(count=2000)
    requested_when_first_consumed: list[int] = []

    def slow_fetch(number: int, dl: Any) -> None:
        time.sleep(0.005)

    client.fail = slow_fetch

    def on_page(page: Page) -> None:
        if page.index == 1:
            requested_when_first_consumed.append(len(client.calls))

    fake_scanner(client, concurrency=2).scan(query(100), on_page)
    assert len(client.calls) == 20
    # The window is bounded: the first page and at most `concurrency` more were asked for.
    (requested,) = requested_when_first_consumed
    assert requested <= 3


def test_a_short_page_mid_scan_is_an_inconsistency_not_a_gap(sms_env: Any) -> None:
    # The second page answers with the right count but one task too few (a task replaced by
    # another between pages): tasks would be skipped, so the scan refuses to merge.
    total = len(sms_env.tasks())
    short = {"count": total, "tasks": [dict(t) for t in sms_env.tasks()[50:99]]}
    sms_env.faults.passthrough().respond(200, short)
    with pytest.raises(ScanInconsistent) as info:
        collect(scanner(concurrency=1), query(50))
    err = info.value
    assert err.status == 409 and err.extra["offset"] == 50
    assert (err.extra["page_tasks"], err.extra["page_expected"]) == (49, 50)


def test_a_first_page_longer_than_its_limit_is_refused(sms_env: Any) -> None:
    total = len(sms_env.tasks())
    sms_env.faults.respond(200, {"count": total, "tasks": [dict(t) for t in sms_env.tasks()[:11]]})
    with pytest.raises(ScanInconsistent) as info:
        collect(scanner(), query(10))
    assert (info.value.extra["page_tasks"], info.value.extra["page_expected"]) == (11, 10)
