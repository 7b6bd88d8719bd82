"""The stateless "changes since the previous tick" window: boundaries, late ticks, clock skew."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.summary.builder import SummaryBuilder, SummaryOptions, change_window
from shared.summary.fields import iso_ms

T = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)  # a nominal tick
T_MS = int(T.timestamp() * 1000)
I = 300  # noqa: E741 - the interval, as in the docstring
I_MS = I * 1000
SEC = 1000


def at(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)


def finished(tid: str, end_ms: int, state: str = "MIGRATE_SUCCESS") -> dict:
    subs = [
        {"name": "prep", "progress": 100, "start_date": end_ms - 7_200_000, "end_date": end_ms - 3_600_000},
        {"name": "copy", "progress": 100, "start_date": end_ms - 3_600_000, "end_date": end_ms},
    ]
    return {"id": tid, "name": tid, "state": state, "sub_tasks": subs}


def reported(now_ms: int, tasks: list[dict], skew: int = 0, **opts) -> list[str]:
    builder = SummaryBuilder(
        SummaryOptions(now=at(now_ms), interval_seconds=I, clock_skew_seconds=skew, **opts)
    )
    builder.add_many(tasks)
    changes = builder.build(None)["changes"]
    return [item["id"] for key in ("succeeded", "failed") for item in changes[key]["items"]]


def test_window_arithmetic():
    assert change_window(T, I, 0) == change_window(T, I, 0)
    window = change_window(T, I, 0)
    assert (window.start_ms, window.end_ms) == (T_MS - I_MS, T_MS)
    late = change_window(at(T_MS + 150 * SEC), I, 60)
    assert (late.start_ms, late.end_ms) == (T_MS - I_MS - 60 * SEC, T_MS + 210 * SEC)
    early = change_window(at(T_MS - SEC), I, 0)  # just before the slot: previous slot's tick
    assert (early.start_ms, early.end_ms) == (T_MS - 2 * I_MS, T_MS - SEC)


def test_window_is_reported_in_summary():
    builder = SummaryBuilder(SummaryOptions(now=T, interval_seconds=I, clock_skew_seconds=60))
    assert builder.build(0)["window"] == {
        "start": "2026-11-29T00:54:00Z",
        "end": "2026-11-29T01:01:00Z",
        "interval_seconds": 300,
        "clock_skew_seconds": 60,
    }


def test_boundaries_half_open_exactly_one_tick():
    on_start = finished("on-start", T_MS - I_MS)
    on_end = finished("on-end", T_MS)
    tasks = [on_start, on_end, finished("inside", T_MS - 1)]
    # Tick T: (T-I, T] -> the end edge is in, the start edge is out ...
    assert sorted(reported(T_MS, tasks)) == ["inside", "on-end"]
    # ... because it belongs to the previous tick (T-2I, T-I].
    assert reported(T_MS - I_MS, tasks) == ["on-start"]
    # And the next tick (T, T+I] does not report on-end again.
    assert reported(T_MS + I_MS, tasks) == []


@settings(max_examples=200, deadline=None)
@given(offset=st.integers(min_value=1, max_value=3 * I_MS))
def test_on_schedule_ticks_report_every_finish_exactly_once_without_skew(offset):
    task = finished("x", T_MS + offset)
    # The task is observable as finished from its end_date on; ticks before that cannot see it.
    ticks = [T_MS + k * I_MS for k in range(1, 4) if T_MS + k * I_MS >= T_MS + offset]
    assert sum(reported(tick, [task]) == ["x"] for tick in ticks) == 1


def test_late_tick_keeps_what_finished_during_the_delay():
    late_now = T_MS + 150 * SEC  # the T tick fired 2.5 min late
    during_delay_before_slot = finished("before-slot", T_MS - 3 * 60 * SEC)  # 00:57, after the 00:55 tick
    during_delay = finished("during-delay", T_MS + 60 * SEC)  # 01:01
    tasks = [during_delay_before_slot, during_delay]
    # A naive (now - I, now] window would start at 00:57:30 and drop "before-slot".
    assert sorted(reported(late_now, tasks)) == ["before-slot", "during-delay"]
    # Never lose over never repeat: the next on-schedule tick reports the delay's finishes again.
    assert reported(T_MS + I_MS, tasks) == ["during-delay"]


@settings(max_examples=200, deadline=None)
@given(
    delays=st.lists(st.integers(min_value=0, max_value=I_MS - 1), min_size=4, max_size=4),
    finish=st.integers(min_value=1, max_value=3 * I_MS),
)
def test_late_ticks_never_lose_a_finish(delays, finish):
    """Ticks fire up to one interval late; a task finished at ``finish`` and first visible to the
    first tick at or after it must be reported by some tick."""
    ticks = [T_MS + k * I_MS + delay for k, delay in enumerate(delays)]
    task = finished("x", T_MS + finish)
    seen = [tick for tick in ticks if tick >= T_MS + finish]
    if seen:
        assert any(reported(tick, [task]) == ["x"] for tick in seen)


@settings(max_examples=200, deadline=None)
@given(
    phase=st.integers(min_value=1, max_value=I_MS - 1), finish=st.integers(min_value=1, max_value=3 * I_MS)
)
def test_schedule_not_aligned_to_the_grid_never_loses(phase, finish):
    """Rate schedules need not start on a multiple of I: the window grows (repeats), no gap."""
    ticks = [T_MS + phase + k * I_MS for k in range(4)]
    task = finished("x", T_MS + finish)
    seen = [tick for tick in ticks if tick >= T_MS + finish]
    if seen:
        assert any(reported(tick, [task]) == ["x"] for tick in seen)


def test_clock_skew_future_finish_counts_now():
    ahead = finished("ahead", T_MS + 30 * SEC)  # SMS's clock 30 s ahead of the event's
    too_far = finished("too-far", T_MS + 61 * SEC)
    assert reported(T_MS, [ahead, too_far], skew=60) == ["ahead"]
    assert reported(T_MS, [ahead], skew=0) == []  # without tolerance: only next tick
    assert sorted(reported(T_MS + I_MS, [ahead, too_far], skew=60)) == ["ahead", "too-far"]


def test_clock_skew_state_lag_is_not_lost():
    """end_date stamped 30 s before the previous tick, state flipped after it: the previous tick
    saw RUNNING, so only the lookback reports it."""
    lagging = finished("lagging", T_MS - I_MS - 30 * SEC)
    assert reported(T_MS, [lagging], skew=60) == ["lagging"]
    assert reported(T_MS, [lagging], skew=0) == []  # the loss the tolerance prevents


def test_clock_skew_trade_off_is_double_reporting():
    near_boundary = finished("near", T_MS - 30 * SEC)
    assert reported(T_MS, [near_boundary], skew=60) == ["near"]
    assert reported(T_MS + I_MS, [near_boundary], skew=60) == ["near"]


def test_only_final_states_with_an_end_date_are_changes():
    running = finished("running", T_MS - SEC, state="RUNNING")
    aborted = finished("aborted", T_MS - SEC, state="ABORT")
    no_end = {"id": "no-end", "state": "MIGRATE_SUCCESS", "sub_tasks": [{"start_date": T_MS - SEC}]}
    no_subs = {"id": "no-subs", "state": "MIGRATE_SUCCESS"}
    assert reported(T_MS, [running, aborted, no_end, no_subs]) == []


def test_changes_split_order_and_truncation():
    tasks = [
        finished("ok-1", T_MS - 100 * SEC),
        finished("ok-2", T_MS - 10 * SEC),
        finished("ok-3", T_MS - 10 * SEC),
        finished("fail-1", T_MS - 20 * SEC, state="MIGRATE_FAIL"),
        finished("fail-2", T_MS - 5 * SEC, state="SYNC_F_ROLLBACKING"),
        finished("old", T_MS - 2 * I_MS),
    ]
    builder = SummaryBuilder(SummaryOptions(now=T, interval_seconds=I, clock_skew_seconds=0, max_items=2))
    builder.add_many(tasks)
    changes = builder.build(None)["changes"]
    assert changes["succeeded"]["total"] == 3 and changes["succeeded"]["truncated"] == 1
    assert [i["id"] for i in changes["succeeded"]["items"]] == ["ok-2", "ok-3"]
    assert changes["failed"]["items"] == [
        {
            "id": "fail-2",
            "name": "fail-2",
            "health": "failed",
            "group": None,
            "state": "SYNC_F_ROLLBACKING",
            "finished_at": iso_ms(T_MS - 5 * SEC),
        },
        {"id": "fail-1", "name": "fail-1", "health": "failed", "group": None, "state": "MIGRATE_FAIL",
         "finished_at": iso_ms(T_MS - 20 * SEC)},
    ]
