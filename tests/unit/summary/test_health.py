"""One health per task, waves and progress, over fleets built with known healths, waves and
targets (property tests: whatever the mix, every task lands in exactly one health, in at most one
list, and the counts add up)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.summary.builder import SummaryBuilder, SummaryOptions
from shared.summary.fields import idle_gap_before, iso_ms
from shared.summary.groups import OTHER_GROUP, WaveMatcher, parse_groups, select_waves
from shared.summary.health import HEALTHS
from shared.summary.progress import PACE_WINDOW_MS, Tally
from tests.unit.summary.test_summary_schema import assert_valid

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
STALL_S = 3600
WAVES = [
    {"name": "web", "match": {"name": "web-*"}, "target": iso_ms(NOW_MS + 2 * DAY)},
    {"name": "finance", "match": {"enterprise_project_id": "ep-fin"}, "target": iso_ms(NOW_MS + 6 * HOUR)},
    {"name": "pilot", "match": {"ids": ["pilot-1", "pilot-2"]}},
]
LISTED = {"failed": "failed", "stalled": "stalled", "lagging": "lagging", "healthy": "running"}
STATES_OF = {
    "failed": ("MIGRATE_FAIL", "SYNC_F_ROLLBACKING", "SYNC_F_ROLLBACK_SUCCESS"),
    "stopped": ("ABORTING", "ABORT", "DELETING"),
    "waiting": ("READY",),
    "done": ("MIGRATE_SUCCESS",),
}


def make_task(tid: str, health: str, wave: str, variant: int) -> dict[str, Any]:
    """A task built to have ``health`` in ``wave`` (name, project or id chosen to match it)."""
    name, project = f"app-{tid}", "0"
    if wave == "web":
        name = f"web-{tid}"
    elif wave == "finance":
        project = "ep-fin"
    elif wave == "pilot":
        tid = "pilot-1" if variant % 2 else "pilot-2"
    task: dict[str, Any] = {"id": tid, "name": name, "enterprise_project_id": project, "migrate_speed": 0.0,
                            "state": "RUNNING" if variant % 3 else "SYNCING"}
    recent = [{"name": "copy", "progress": 40, "start_date": NOW_MS - 10 * MIN, "end_date": None}]
    if health in STATES_OF:
        task["state"] = STATES_OF[health][variant % len(STATES_OF[health])]
        task["sub_tasks"] = [{"name": "a", "progress": 100, "start_date": NOW_MS - 5 * HOUR,
                              "end_date": NOW_MS - (variant + 1) * HOUR}]
    elif health == "stalled":
        task["sub_tasks"] = [{"name": "copy", "progress": 40, "start_date": NOW_MS - STALL_S * 1000 - variant * MIN,
                              "end_date": None}]
    elif health == "lagging":
        task["sub_tasks"] = recent
        if variant % 2 or wave != "finance":  # overdue: SMS's estimate has passed
            task["estimate_complete_time"] = NOW_MS - (variant + 2) * MIN
        else:  # on time by SMS but after the finance target (6 h)
            task["estimate_complete_time"] = NOW_MS + 7 * HOUR
    else:  # healthy: an estimate before every wave's target
        task["sub_tasks"] = recent
        task["estimate_complete_time"] = NOW_MS + HOUR + variant * MIN
        task["migrate_speed"] = 3.5
    return task


fleet_spec = st.lists(
    st.tuples(st.sampled_from(HEALTHS), st.sampled_from(["web", "finance", "pilot", OTHER_GROUP]),
              st.integers(0, 5)),
    max_size=40,
)


def build(tasks: list[Any], **opts: Any) -> dict[str, Any]:
    opts.setdefault("groups", parse_groups(json.dumps(WAVES)))
    builder = SummaryBuilder(SummaryOptions(now=NOW, interval_seconds=3600, stall_after_seconds=STALL_S,
                                            max_items=1000, **opts))
    builder.add_many(tasks)
    summary = builder.build(len(tasks))
    assert_valid(summary)
    return summary


def check_invariants(summary: dict[str, Any]) -> None:
    """The issue's rules, whatever the fleet."""
    health = summary["health"]
    assert list(health) == list(HEALTHS)
    assert sum(health.values()) == summary["scanned"]
    seen: set[int] = set()
    for h, key in LISTED.items():
        section = summary[key]
        assert section["total"] == health[h]
        assert all(item["health"] == h for item in section["items"])
        keys = {id(item) for item in section["items"]}
        assert not keys & seen
        seen |= keys
    listed = [(i["id"], i["name"]) for key in LISTED.values() for i in summary[key]["items"]]
    assert len(listed) == len(set(listed)), "a task in two lists"
    for item in summary["running"]["items"] + summary["lagging"]["items"]:
        eta = item["estimated_completion"]
        assert eta is None or eta > summary["generated_at"], "an ETA in the past"
    if summary["groups"]:
        assert sum(g["total"] for g in summary["groups"]) == summary["scanned"]
        for h in HEALTHS:
            assert sum(g["health"][h] for g in summary["groups"]) == health[h]
        names = [g["name"] for g in summary["groups"]]
        assert len(names) == len(set(names))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=fleet_spec)
def test_known_fleet_every_task_in_exactly_one_health(spec):
    tasks = [make_task(f"t{i}", h, w, v) for i, (h, w, v) in enumerate(spec)]
    summary = build(tasks)
    check_invariants(summary)
    expected = dict.fromkeys(HEALTHS, 0)
    # Declared waves are always listed (an empty one too); "Other" only when a task is in it.
    by_wave: dict[str, dict[str, int]] = {w["name"]: dict.fromkeys(HEALTHS, 0) for w in WAVES}
    for h, w, _ in spec:
        expected[h] += 1
        by_wave.setdefault(w, dict.fromkeys(HEALTHS, 0))[h] += 1
    assert summary["health"] == expected
    assert {g["name"]: g["health"] for g in summary["groups"]} == by_wave
    # Where each known task went: its id is in its health's list, and only there.
    for i, (h, _, _) in enumerate(spec):
        if h in LISTED:
            names = {item["name"] for item in summary[LISTED[h]]["items"]}
            assert tasks[i]["name"] in names


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=fleet_spec, stall=st.integers(60, 10 * 3600))
def test_stalled_never_running_or_healthy(spec, stall):
    tasks = [make_task(f"t{i}", h, w, v) for i, (h, w, v) in enumerate(spec)]
    builder = SummaryBuilder(SummaryOptions(now=NOW, interval_seconds=3600, stall_after_seconds=stall, max_items=1000))
    builder.add_many(tasks)
    summary = builder.build(None)
    check_invariants(summary)
    stalled = {i["name"] for i in summary["stalled"]["items"]}
    moving = {i["name"] for i in summary["running"]["items"] + summary["lagging"]["items"]}
    assert not stalled & moving


def test_lagging_reasons_and_overdue_is_never_a_date_to_wait_for():
    overdue = make_task("o", "lagging", OTHER_GROUP, 1)
    behind = make_task("b", "lagging", "finance", 0)
    summary = build([overdue, behind])
    items = {i["name"]: i for i in summary["lagging"]["items"]}
    assert items["app-o"]["reason"] == "overdue"
    assert items["app-o"]["overdue_since"] == iso_ms(overdue["estimate_complete_time"])
    assert items["app-o"]["estimated_completion"] != items["app-o"]["overdue_since"]
    assert items["app-b"]["reason"] == "behind_target" and items["app-b"]["overdue_since"] is None
    # Within the clock skew an estimate just passed is not yet overdue.
    fresh = {**make_task("f", "healthy", OTHER_GROUP, 0), "estimate_complete_time": NOW_MS - 30_000}
    assert build([fresh])["health"]["healthy"] == 1


def test_a_passed_target_makes_running_tasks_lag():
    groups = parse_groups('[{"name": "late", "match": {"name": "*"}, "target": "2026-12-01"}]')
    summary = build([make_task("x", "healthy", OTHER_GROUP, 0)], groups=groups)
    assert summary["health"]["lagging"] == 1
    [wave] = summary["groups"]
    assert wave["at_risk"] is True and wave["target"] == "2026-12-01T23:59:59Z"


def test_waves_first_match_wins_and_other_collects_the_rest():
    waves = parse_groups(json.dumps([{"name": "a", "match": {"name": "web-*"}},
                                     {"name": "b", "match": {"name": "web-1*"}}]))
    matcher = WaveMatcher(waves)
    assert matcher.index("web-10", None, None) == 0
    assert matcher.names[matcher.index("db-1", None, None)] == OTHER_GROUP
    assert matcher.index(None, None, None) == 2
    assert matcher.index("WEB-1", None, None) == 2  # globs are case sensitive


def test_selecting_waves_summarises_only_them():
    tasks = [make_task("1", "healthy", "web", 0), make_task("2", "failed", "finance", 0),
             make_task("3", "waiting", OTHER_GROUP, 0)]
    summary = build(tasks, select_groups=frozenset({"web", OTHER_GROUP}))
    assert summary["scanned"] == summary["total"] == 2
    assert sorted(g["name"] for g in summary["groups"]) == [OTHER_GROUP, "web"]
    assert summary["health"]["failed"] == 0
    waves = parse_groups(json.dumps(WAVES))
    assert select_waves(waves, ["web", " Other "]) == frozenset({"web", OTHER_GROUP})
    assert select_waves(waves, []) is None
    with pytest.raises(ValueError, match="unknown wave"):
        select_waves(waves, ["nope"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "not valid JSON"),
        ('{"name": "a"}', "must be a JSON list"),
        ('[{"name": "a"}]', "match must be an object"),
        ('[{"name": "a", "match": {"name": "x", "ids": ["1"]}}]', "exactly one"),
        ('[{"name": "a", "match": {"ids": []}}]', "ids must be a list"),
        ('[{"name": "Other", "match": {"name": "x"}}]', "reserved"),
        ('[{"name": "a", "match": {"name": "x"}}, {"name": "a", "match": {"name": "y"}}]', "twice"),
        ('[{"name": "a", "match": {"name": "x"}, "target": "soon"}]', "ISO 8601"),
        ('[{"name": "a", "match": {"name": "x"}, "colour": "red"}]', "unknown keys"),
        (json.dumps([{"name": f"w{i}", "match": {"name": "x"}} for i in range(51)]), "at most 50"),
    ],
)
def test_bad_summary_groups_are_named(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_groups(raw)


def test_summary_groups_setting_fails_as_a_config_error():
    from shared.errors import ApiError
    from shared.settings import Settings

    assert Settings(env={"SUMMARY_GROUPS": json.dumps(WAVES)}).summary.groups[1].name == "finance"
    with pytest.raises(ApiError) as caught:
        _ = Settings(env={"SUMMARY_GROUPS": "[1]"}).summary
    assert caught.value.status == 500 and "SUMMARY_GROUPS[0]" in str(caught.value)


def test_targets_date_alone_is_end_of_day_and_zone_defaults_to_utc():
    [a, b, c] = parse_groups(json.dumps([
        {"name": "a", "match": {"name": "a"}, "target": "2026-12-06"},
        {"name": "b", "match": {"name": "b"}, "target": "2026-12-06T10:00:00"},
        {"name": "c", "match": {"name": "c"}, "target": "2026-12-06T10:00:00+08:00"},
    ]))
    assert (a.target, b.target, c.target) == ("2026-12-06T23:59:59Z", "2026-12-06T10:00:00Z", "2026-12-06T02:00:00Z")


# --- progress and projected completion -----------------------------------------------------------


def test_progress_share_and_status():
    t = Tally()
    for health, progress in (("done", 100.0), ("done", None), ("stopped", 30.0), ("healthy", 50.0), ("waiting", None)):
        t.add(health, progress, eta_ms=NOW_MS + HOUR if health == "healthy" else None, now_ms=NOW_MS)
    p = t.progress()
    assert p == {"status": "in_progress", "done": 2, "share_done": 50.0, "percent": 62.5}  # (100+100+50+0)/4
    done = Tally()
    done.add("done", None, now_ms=NOW_MS)
    done.add("stopped", None, now_ms=NOW_MS)
    assert done.progress()["status"] == "completed" and done.eta_ms(NOW_MS) is None
    idle = Tally()
    idle.add("waiting", None, now_ms=NOW_MS)
    assert idle.progress()["status"] == "not_started" and idle.progress()["share_done"] == 0.0
    assert Tally().progress() == {"status": "not_started", "done": 0, "share_done": None, "percent": None}


def test_eta_from_running_estimates_and_the_observed_pace():
    t = Tally()
    t.add("healthy", 50.0, eta_ms=NOW_MS + HOUR, now_ms=NOW_MS)
    t.add("lagging", 50.0, eta_ms=NOW_MS + 2 * HOUR, now_ms=NOW_MS)
    assert t.eta_ms(NOW_MS) == NOW_MS + 2 * HOUR
    # Waiting tasks with no completion in the last 24 h: no pace, no ETA.
    t.add("waiting", None, now_ms=NOW_MS)
    assert t.eta_ms(NOW_MS) is None
    # Four done in the last day: 6 h per task, so the waiting one ends 6 h from now.
    for i in range(4):
        t.add("done", None, finished_ms=NOW_MS - (i + 1) * HOUR, now_ms=NOW_MS)
    t.add("done", None, finished_ms=NOW_MS - PACE_WINDOW_MS - 1, now_ms=NOW_MS)  # outside the pace window
    assert t.eta_ms(NOW_MS) == NOW_MS + 6 * HOUR
    assert t.at_risk(t.eta_ms(NOW_MS), NOW_MS + 5 * HOUR) is True
    assert Tally.at_risk(Tally(), None, None) is False
    # A stalled task or a moving one without an estimate: cannot be computed.
    t.add("healthy", 10.0, eta_ms=None, now_ms=NOW_MS)
    assert t.eta_ms(NOW_MS) is None


def test_fleet_progress_in_the_summary():
    tasks = [make_task("d", "done", OTHER_GROUP, 0), make_task("h", "healthy", OTHER_GROUP, 0)]
    summary = build(tasks, groups=())
    assert summary["groups"] == []
    assert summary["progress"]["share_done"] == 50.0
    assert summary["progress"]["eta"] == iso_ms(tasks[1]["estimate_complete_time"])


# --- changes: newly stalled and recovered ---------------------------------------------------------


def test_newly_stalled_and_recovered():
    just_stalled = {"id": "s", "name": "s", "state": "RUNNING",
                    "sub_tasks": [{"start_date": NOW_MS - STALL_S * 1000 - 5 * MIN}]}
    long_stalled = {"id": "l", "name": "l", "state": "RUNNING", "sub_tasks": [{"start_date": NOW_MS - 9 * HOUR}]}
    recovered = {"id": "r", "name": "r", "state": "RUNNING", "migrate_speed": 4.0, "sub_tasks": [
        {"start_date": NOW_MS - 9 * HOUR, "end_date": NOW_MS - 3 * HOUR},
        {"start_date": NOW_MS - 10 * MIN, "progress": 5}]}
    long_copy = {"id": "c", "name": "c", "state": "RUNNING", "migrate_speed": 4.0, "sub_tasks": [
        {"start_date": NOW_MS - 9 * HOUR, "end_date": NOW_MS - 10 * MIN},
        {"start_date": NOW_MS - 10 * MIN, "progress": 5}]}
    changes = build([just_stalled, long_stalled, recovered, long_copy], groups=())["changes"]
    assert [i["id"] for i in changes["stalled"]["items"]] == ["s"]
    assert [i["id"] for i in changes["recovered"]["items"]] == ["r"]


def test_idle_gap_before():
    subs = [{"start_date": 1_000_000_000_000, "end_date": 1_000_000_100_000}, {"start_date": 1_000_000_400_000}]
    assert idle_gap_before(subs, 1_000_000_400_000) == 300_000
    parallel = [*subs, {"start_date": 1_000_000_200_000}]  # another sub task started in the gap
    assert idle_gap_before(parallel, 1_000_000_400_000) is None
    assert idle_gap_before(subs[:1], 1_000_000_100_000) is None  # the latest date is an end
    assert idle_gap_before(None, 1) is None
