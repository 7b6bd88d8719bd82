"""Rules of the migration summary: counters, running/failed/stalled lists, progress, ETA."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from shared.summary.builder import SummaryBuilder, SummaryOptions
from shared.summary.fields import epoch_ms, iso_ms, parse_error, sub_task_facts
from tests.helpers import SUMMARY_STATES

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
MIN = 60_000
HOUR = 60 * MIN
DOC_EXAMPLE = Path(__file__).resolve().parents[3] / "local" / "data" / "doc_example_200.json"


def sub(name: str = "s", start: int | None = None, end: int | None = None, progress: Any = None) -> dict:
    return {"id": 1, "name": name, "progress": progress, "start_date": start, "end_date": end}


def task(tid: str = "t1", state: str = "RUNNING", sub_tasks: Any = None, **extra: Any) -> dict:
    out = {"id": tid, "name": f"name-{tid}", "state": state, "type": "MIGRATE_BLOCK", "os_type": "LINUX"}
    if sub_tasks is not None:
        out["sub_tasks"] = sub_tasks
    out.update(extra)
    return out


def summarise(tasks: list[Any], total: int | None = None, **opts: Any) -> dict:
    opts.setdefault("now", NOW)
    opts.setdefault("interval_seconds", 300)
    builder = SummaryBuilder(SummaryOptions(**opts))
    builder.add_many(tasks)
    return builder.build(total)


def ids(section: dict) -> list[str]:
    return [item["id"] for item in section["items"]]


# --- counters -----------------------------------------------------------------------------------


def test_doc_example_is_counted_and_has_no_changes_without_sub_tasks():
    body = json.loads(DOC_EXAMPLE.read_text())
    summary = summarise(body["tasks"], total=body["count"])
    assert summary["total"] == 3 and summary["scanned"] == 3
    assert summary["by_state"]["MIGRATE_SUCCESS"] == 3
    assert summary["by_type"] == {"MIGRATE_FILE": 1, "MIGRATE_BLOCK": 2, "OTHER": 0}
    assert summary["by_os"] == {"WINDOWS": 2, "LINUX": 1, "OTHER": 0}
    # No sub_tasks means no finished_at: such tasks cannot be placed in time.
    assert summary["changes"]["succeeded"]["total"] == 0


def test_counters_tolerate_drift():
    tasks = [
        task("a", state=" running "),  # normalised
        task("b", state="QUEUED"),  # undocumented state
        task("c", state=None, type=None, os_type=None),
        {"id": "d", "type": "migrate_file", "source_server": {"os_type": "Windows"}},  # no state
        None,
        "not a task",
        42,
    ]
    summary = summarise(tasks)
    assert summary["scanned"] == 7
    assert summary["by_state"]["RUNNING"] == 1
    assert summary["by_state"]["OTHER"] == 6
    assert sum(summary["by_state"].values()) == 7
    assert summary["by_type"] == {"MIGRATE_FILE": 1, "MIGRATE_BLOCK": 2, "OTHER": 4}
    assert summary["by_os"] == {"WINDOWS": 1, "LINUX": 2, "OTHER": 4}
    assert tuple(summary["by_state"]) == SUMMARY_STATES


def test_total_falls_back_to_scanned():
    assert summarise([task()], total=None)["total"] == 1
    assert summarise([task()], total=-3)["total"] == 1
    assert summarise([task()], total=True)["total"] == 1
    assert summarise([task()], total=500)["total"] == 500


def test_build_is_repeatable_and_returns_copies():
    builder = SummaryBuilder(SummaryOptions(now=NOW, interval_seconds=300))
    builder.add(task(sub_tasks=[sub("copy", start=NOW_MS - 30 * MIN, progress=10)]))
    first = builder.build(1, schema_violations=2, partial=True)
    first["running"]["items"][0]["current_subtask"]["name"] = "edited"
    second = builder.build(1, schema_violations=2, partial=True)
    assert second["running"]["items"][0]["current_subtask"]["name"] == "copy"
    assert second["schema_violations"] == 2 and second["partial"] is True
    with pytest.raises(ValueError):
        builder.build(1, schema_violations=-1)


# --- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"now": datetime(2026, 11, 29, 1, 0)},  # naive
        {"interval_seconds": 0},
        {"interval_seconds": True},
        {"stall_after_seconds": 0},
        {"max_items": -1},
        {"max_items": 1001},
        {"clock_skew_seconds": -1},
        {"filters": {"limit": "10"}},
        {"filters": {"state": 3}},
        {"filters": ["state"]},
    ],
)
def test_options_reject_bad_values(bad):
    kwargs = {"now": NOW, "interval_seconds": 300, **bad}
    with pytest.raises(ValueError):
        SummaryOptions(**kwargs)


def test_options_normalise_now_and_filters():
    local = datetime(2026, 11, 29, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    opts = SummaryOptions(now=local, interval_seconds=300, filters={"state": "RUNNING", "name": None})
    assert opts.now == NOW and opts.now.tzinfo == timezone.utc
    assert opts.filters == {"state": "RUNNING"}
    assert summarise([], now=local, filters={"state": "RUNNING"})["filters"] == {"state": "RUNNING"}
    assert summarise([], now=local)["generated_at"] == "2026-11-29T01:00:00Z"


# --- field readers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1585139506000, 1585139506000),
        (1585139506000.0, 1585139506000),
        ("1585139506000", 1585139506000),
        (0, None),  # "unset"
        (1585139506, None),  # seconds, would land in 1970
        (True, None),
        (float("nan"), None),
        (10**20, None),
        ("soon", None),
        ("²", None),  # a unicode "digit" int() rejects
        (None, None),
    ],
)
def test_epoch_ms_is_tolerant(raw, expected):
    assert epoch_ms(raw) == expected


def test_iso_formatting():
    assert iso_ms(NOW_MS) == "2026-11-29T01:00:00Z"
    assert iso_ms(NOW_MS + 5) == "2026-11-29T01:00:00.005Z"


def test_progress_formula_ended_count_full_current_by_progress_pending_zero():
    facts = sub_task_facts(
        [
            sub("a", start=NOW_MS - 3 * HOUR, end=NOW_MS - 2 * HOUR, progress=100),
            sub("b", start=NOW_MS - 2 * HOUR, end=NOW_MS - HOUR, progress=80),  # ended: counts 100
            sub("c", start=NOW_MS - HOUR, progress=40),  # current
            sub("d"),  # not started
        ]
    )
    assert facts.progress == 60.0  # (100 + 100 + 40 + 0) / 4
    assert facts.current == {"name": "c", "progress": 40}
    assert facts.first_start_ms == NOW_MS - 3 * HOUR
    assert facts.last_end_ms == NOW_MS - HOUR
    assert facts.last_activity_ms == NOW_MS - HOUR


def test_progress_clamps_rounds_and_ignores_junk():
    facts = sub_task_facts(
        [sub("a", progress=150), sub("b", progress=-5), sub("c", progress="x"), "junk", None]
    )
    assert facts.count == 3 and facts.progress == 33.3
    assert sub_task_facts(None).progress is None
    assert sub_task_facts("garbage").progress is None
    assert sub_task_facts([]).progress is None


def test_current_subtask_is_latest_started_unended():
    facts = sub_task_facts(
        [sub("old", start=NOW_MS - 2 * HOUR), sub("new", start=NOW_MS - HOUR, progress=None)]
    )
    assert facts.current == {"name": "new", "progress": None}
    assert sub_task_facts([sub("done", start=1, end=NOW_MS)]).current is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            '{"error_code": "SMS.6505", "error_msg": "disk full"}',
            {"error_code": "SMS.6505", "error_msg": "disk full"},
        ),
        ('"quoted text"', "quoted text"),
        ("agent lost connection", "agent lost connection"),
        ("[1, 2]", "[1, 2]"),
        ("", None),
        ("   ", None),
        (None, None),
        (17, None),
        ({"error_code": "SMS.1"}, {"error_code": "SMS.1"}),  # already decoded
    ],
)
def test_error_parsing(raw, expected):
    assert parse_error(raw) == expected


def test_hostile_values_do_not_crash():
    assert parse_error("[" * 100_000).startswith("[[[")  # json.loads: RecursionError
    deep = parse_error('{"a":' * 20 + "1" + "}" * 20)
    assert isinstance(deep, str) and deep.startswith('{"a": {"a":')
    assert parse_error('{"a": {"b": 1}}') == {"a": {"b": 1}}
    assert epoch_ms(10**400) is None  # float(): OverflowError
    nested: dict = {}
    cursor = nested
    for _ in range(5000):
        cursor["a"] = {}
        cursor = cursor["a"]
    assert isinstance(parse_error(nested), str)
    summary = summarise([task(state="MIGRATE_FAIL", name=10**5000, error_json=nested)])
    assert summary["failed"]["items"][0]["name"] is None


def test_error_is_capped():
    assert len(parse_error("x" * 100_000)) == 4096
    huge = parse_error(json.dumps({"trace": "y" * 100_000}))
    assert isinstance(huge, str) and len(huge) == 4096


# --- running ------------------------------------------------------------------------------------


def test_running_item_fields():
    t = task(
        "r1",
        sub_tasks=[
            sub("prep", start=NOW_MS - HOUR, end=NOW_MS - 50 * MIN),
            sub("copy", start=NOW_MS - 50 * MIN, progress=0),
        ],
        migrate_speed=12.5,
        source_server={"name": "web-1", "ip": "10.0.0.1"},
    )
    [item] = summarise([t])["running"]["items"]
    assert item == {
        "id": "r1",
        "name": "name-r1",
        "health": "healthy",
        "group": None,
        "state": "RUNNING",
        "reason": None,
        "progress": 50.0,
        "current_subtask": {"name": "copy", "progress": 0},
        "migrate_speed_mbps": 12.5,
        # 1 h elapsed for 50 %: another hour to go.
        "estimated_completion": iso_ms(NOW_MS + HOUR),
        "remaining_seconds": 3600,
        "overdue_since": None,
        "source_server": "web-1",
    }


def test_running_states_and_not_running_states():
    states = ["RUNNING", "SYNCING", "ABORTING", "DELETING", "READY", "SYNC_F_ROLLBACKING", "ABORT"]
    summary = summarise([task(s, state=s) for s in states])
    assert sorted(ids(summary["running"])) == ["RUNNING", "SYNCING"]
    assert sorted(ids(summary["failed"])) == ["SYNC_F_ROLLBACKING"]


@pytest.mark.parametrize(
    ("speed", "expected"),
    [(12.5, 12.5), (0, 0.0), (-1, None), ("fast", None), (True, None), (float("inf"), None), (None, None)],
)
def test_speed(speed, expected):
    [item] = summarise([task(migrate_speed=speed)])["running"]["items"]
    assert item["migrate_speed_mbps"] == expected


def test_source_server_label_fallbacks():
    tasks = [
        task("a", source_server={"name": "", "ip": "10.0.0.9"}),
        task("b", source_server={"id": "src-1"}),
        task("c", source_server=None),
        task("d", source_server="weird"),
    ]
    labels = {i["id"]: i["source_server"] for i in summarise(tasks)["running"]["items"]}
    assert labels == {"a": "10.0.0.9", "b": "src-1", "c": None, "d": None}


def _eta(**extra: Any) -> str | None:
    subs = extra.pop("sub_tasks", [sub("copy", start=NOW_MS - HOUR, progress=25)])
    summary = summarise([task(sub_tasks=subs, **extra)], stall_after_seconds=2 * 3600)
    [item] = summary["running"]["items"] + summary["lagging"]["items"] + summary["stalled"]["items"]
    return item.get("estimated_completion")  # a stalled task has none


def test_eta_prefers_sane_sms_estimate():
    assert _eta(estimate_complete_time=NOW_MS + 2 * HOUR) == iso_ms(NOW_MS + 2 * HOUR)


def test_eta_extrapolates_when_sms_estimate_missing_or_insane():
    expected = iso_ms(NOW_MS + 3 * HOUR)  # 1 h for 25 % -> 3 h for the other 75 %
    assert _eta() == expected
    assert _eta(estimate_complete_time=None) == expected
    assert _eta(estimate_complete_time=NOW_MS - HOUR) == expected  # passed: overdue (lagging), see test_health
    assert _eta(estimate_complete_time=NOW_MS + 400 * 24 * HOUR) == expected  # absurd
    assert _eta(estimate_complete_time=7200) == expected  # not an epoch-ms date


def test_eta_null_when_not_derivable():
    assert _eta(sub_tasks=[sub("copy", start=NOW_MS - HOUR, progress=0)]) is None
    assert _eta(sub_tasks=[sub("copy", start=None, progress=50)]) is None
    assert _eta(sub_tasks=[]) is None
    assert _eta(sub_tasks=[sub("copy", start=NOW_MS + HOUR, progress=50)]) is None  # started "later"
    assert _eta(sub_tasks=[sub("copy", start=NOW_MS - 300 * 24 * HOUR, progress=1)]) is None  # > 366 d
    assert _eta(sub_tasks=[sub("a", start=NOW_MS - HOUR, end=NOW_MS)]) is None  # 100 %


def test_running_order_longest_running_first_then_id_and_truncation():
    tasks = [
        task("young", sub_tasks=[sub(start=NOW_MS - MIN)]),
        task("unknown"),  # no start, no create_date: last
        task("old-b", sub_tasks=[sub(start=NOW_MS - HOUR)]),
        task("old-a", sub_tasks=[sub(start=NOW_MS - HOUR)]),  # tie with old-b: by id
        task("created", create_date=NOW_MS - 30 * MIN),  # create_date fallback
    ]
    summary = summarise(tasks, stall_after_seconds=2 * 3600)
    assert ids(summary["running"]) == ["old-a", "old-b", "created", "young", "unknown"]
    # Arrival order does not matter.
    assert ids(summarise(list(reversed(tasks)), stall_after_seconds=2 * 3600)["running"]) == ids(summary["running"])
    top2 = summarise(tasks, max_items=2, stall_after_seconds=2 * 3600)["running"]
    assert top2 == {**top2, "total": 5, "truncated": 3} and ids(top2) == ["old-a", "old-b"]
    none = summarise(tasks, max_items=0, stall_after_seconds=2 * 3600)["running"]
    assert none == {"total": 5, "truncated": 5, "items": []}


def test_duplicate_ids_are_deterministic():
    tasks = [task("same", name="b"), task("same", name="a"), task("same", name="a")]
    first = summarise(tasks)["running"]["items"]
    assert [i["name"] for i in first] == ["a", "a", "b"]


# --- failed -------------------------------------------------------------------------------------


def test_failed_items_order_and_fields():
    tasks = [
        task(
            "old",
            state="MIGRATE_FAIL",
            sub_tasks=[sub(start=NOW_MS - 3 * HOUR, end=NOW_MS - 2 * HOUR)],
            error_json="boom",
        ),
        task("no-date", state="MIGRATE_FAIL", sub_tasks=[sub(start=NOW_MS - HOUR)]),
        task(
            "new",
            state="SYNC_F_ROLLBACK_SUCCESS",
            sub_tasks=[
                sub(start=NOW_MS - 3 * HOUR, end=NOW_MS - 2 * HOUR),
                sub(start=NOW_MS - HOUR, end=NOW_MS - MIN),
            ],
            error_json='{"error_code": "SMS.1", "error_msg": "x"}',
        ),
        task("abort", state="ABORT"),  # a deliberate stop, not a failure
    ]
    failed = summarise(tasks)["failed"]
    assert failed["total"] == 3
    assert failed["items"] == [
        {
            "id": "new",
            "name": "name-new",
            "health": "failed",
            "group": None,
            "state": "SYNC_F_ROLLBACK_SUCCESS",
            "error": {"error_code": "SMS.1", "error_msg": "x"},
            "failed_at": iso_ms(NOW_MS - MIN),
        },
        {
            "id": "old",
            "name": "name-old",
            "health": "failed",
            "group": None,
            "state": "MIGRATE_FAIL",
            "error": "boom",
            "failed_at": iso_ms(NOW_MS - 2 * HOUR),
        },
        {"id": "no-date", "name": "name-no-date", "health": "failed", "group": None, "state": "MIGRATE_FAIL",
         "error": None, "failed_at": None},
    ]
    assert ids(summarise(tasks, max_items=1)["failed"]) == ["new"]


# --- stalled ------------------------------------------------------------------------------------


def test_stalled_rules():
    stall = 3600
    tasks = [
        task("exact", sub_tasks=[sub("c", start=NOW_MS - stall * 1000)]),  # idle == threshold: stalled
        task("fresh", sub_tasks=[sub("c", start=NOW_MS - stall * 1000 + 1)]),
        task("ended-recently", sub_tasks=[sub("a", start=NOW_MS - 9 * HOUR, end=NOW_MS - MIN), sub("b")]),
        task("moving", sub_tasks=[sub("c", start=NOW_MS - 5 * HOUR)], migrate_speed=30.0),  # data flows
        task("zero-speed", sub_tasks=[sub("c", start=NOW_MS - 5 * HOUR, progress=7)], migrate_speed=0.0),
        task("undated", sub_tasks=[sub("c")]),  # cannot be judged
        task("no-subtasks", create_date=NOW_MS - 9 * HOUR),
        task(
            "syncing", state="SYNCING", sub_tasks=[sub("a", start=NOW_MS - 9 * HOUR, end=NOW_MS - 2 * HOUR)]
        ),
        task("failed", state="MIGRATE_FAIL", sub_tasks=[sub("c", start=NOW_MS - 9 * HOUR)]),
    ]
    stalled = summarise(tasks, stall_after_seconds=stall)["stalled"]
    assert ids(stalled) == ["zero-speed", "syncing", "exact"]
    assert stalled["items"][0] == {
        "id": "zero-speed",
        "name": "name-zero-speed",
        "health": "stalled",
        "group": None,
        "state": "RUNNING",
        "progress": 7.0,
        "idle_seconds": 5 * 3600,
        "last_activity_at": iso_ms(NOW_MS - 5 * HOUR),
        "current_subtask": {"name": "c", "progress": 7},
    }
    assert stalled["items"][1]["current_subtask"] is None
    assert ids(summarise(tasks, stall_after_seconds=stall, max_items=1)["stalled"]) == ["zero-speed"]
