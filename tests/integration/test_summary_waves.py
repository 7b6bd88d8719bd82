"""Waves end to end: SUMMARY_GROUPS read from the settings, GET /v3/tasks/summary?group= and the
timer's user_event "groups" select them, counted against the emulator's own tasks."""
from __future__ import annotations

import fnmatch
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from local import fleet
from local.webhook_sink import Sink
from shared.summary.health import HEALTHS
from shared.triggers import http_routes
from tests.helpers import FakeContext, function_handler, sample_event
from tests.helpers import apig_event as event

pytestmark = pytest.mark.integration


@pytest.fixture
def waves(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    declared = fleet.demo_waves(sms_env.now_ms)
    monkeypatch.setenv("SUMMARY_GROUPS", json.dumps(declared))
    return declared


def wave_of(task: dict[str, Any], declared: list[dict[str, Any]]) -> str:
    """The first matching wave, computed independently of shared.summary.groups."""
    for wave in declared:
        match = wave["match"]
        if "name" in match and fnmatch.fnmatchcase(task["name"], match["name"]):
            return wave["name"]
        if "enterprise_project_id" in match and match["enterprise_project_id"] == task.get("enterprise_project_id"):
            return wave["name"]
    return "Other"


def get_summary(query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    answer = http_routes.handle(event("/v3/tasks/summary", query=query), FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def test_waves_count_the_emulators_tasks(waves: list[dict[str, Any]], sms_env: Any) -> None:
    status, summary = get_summary({})
    assert status == 200 and summary["schema_version"] == 2
    expected: dict[str, int] = {}
    for task in sms_env.tasks():
        name = wave_of(task, waves)
        expected[name] = expected.get(name, 0) + 1
    assert {g["name"]: g["total"] for g in summary["groups"]} == expected
    assert sum(summary["health"].values()) == summary["scanned"] == len(sms_env.tasks())
    for group in summary["groups"]:
        assert sum(group["health"][h] for h in HEALTHS) == group["total"]


def test_the_summary_api_selects_waves(waves: list[dict[str, Any]], sms_env: Any) -> None:
    status, summary = get_summary({"group": "web tier,Other", "state": "RUNNING"})
    assert status == 200
    expected = [t for t in sms_env.tasks()
                if t["state"] == "RUNNING" and wave_of(t, waves) in ("web tier", "Other")]
    assert summary["total"] == summary["scanned"] == len(expected)
    assert {g["name"] for g in summary["groups"]} <= {"web tier", "Other"}
    status, error = get_summary({"group": "nope"})
    assert status == 400 and error["error_code"] == "SMSFN.0400" and "group" in error["error_msg"]


def test_the_timer_selects_waves_and_refuses_unknown_ones(waves: list[dict[str, Any]], sms_env: Any,
                                                           sink: Sink) -> None:
    ev = sample_event("timer.json")
    ev["time"] = datetime.fromtimestamp(sms_env.now_ms / 1000, timezone.utc).isoformat()
    ev["user_event"] = json.dumps({"groups": ["finance"]})
    result = function_handler("list_tasks_timer")(ev, FakeContext())
    assert result["ok"], result
    body = json.loads(sink.received[-1].body)
    assert [g["name"] for g in body["groups"]] == ["finance"]
    assert body["total"] == sum(1 for t in sms_env.tasks() if wave_of(t, waves) == "finance")
    ev["user_event"] = json.dumps({"groups": ["nope"]})
    result = function_handler("list_tasks_timer")(ev, FakeContext())
    assert (result["ok"], result["status"]) == (False, 400) and "user_event.groups" in result["error"]["error_msg"]
