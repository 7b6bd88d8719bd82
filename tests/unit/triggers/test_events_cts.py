"""CTS traces: which task (or source server) a trace names, and which traces are skipped."""
from __future__ import annotations

from typing import Any

import pytest

from shared.triggers.events import recognise
from shared.triggers.events.cts import request_from_trace
from shared.triggers.events.records import RecordProblem, RecordSkipped
from tests.unit.triggers.events_helpers import FakeExecute, call, install_fake_execute, sample, statuses

TRACE = sample("cts.json")["cts"]
TASK = TRACE["resource_id"]


def trace(**changes: Any) -> dict[str, Any]:
    return {**TRACE, **changes}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeExecute:
    return install_fake_execute(monkeypatch)


def test_sample_is_one_trace() -> None:
    source, (record,) = recognise(sample("cts.json"))
    assert source == "cts" and record.kind == "trace" and record.event_id == TRACE["trace_id"]
    assert record.info["trace_name"] == "task-start" and "user" not in record.info  # no user details


@pytest.mark.parametrize(
    ("resource_type", "trace_name"),
    [("addTask", "addTask"), ("deleteTask", "deleteTask"), ("updateTask", "task-start"),
     ("updateTask", "task-stop"), ("updateTask", "task-sync"), ("updateTaskProgress", "updateTaskProgress")],
)
def test_task_operations_name_the_task(resource_type: str, trace_name: str) -> None:
    assert request_from_trace(trace(resource_type=resource_type, trace_name=trace_name), "cts") == {
        "action": "tasks", "task_ids": [TASK]}


def test_source_server_operations_name_its_tasks() -> None:
    request = request_from_trace(trace(resource_type="sourceServer", trace_name="updateSourceName",
                                       resource_id="srv-1"), "cts")
    assert request == {"action": "tasks", "query": {"source_server_id": "srv-1", "all": True}}


@pytest.mark.parametrize(("resource_type", "trace_name"), [("addTemplate", "addTemplate"),
                                                            ("TaskCommand", "processCommandResult")])
def test_other_sms_resources_are_skipped(resource_type: str, trace_name: str) -> None:
    with pytest.raises(RecordSkipped, match="names no task"):
        request_from_trace(trace(resource_type=resource_type, trace_name=trace_name), "cts")


@pytest.mark.parametrize(
    ("changes", "words"),
    [({"service_type": "ECS"}, "not SMS"), ({"resource_id": {}}, "names no resource_id"),
     ({"resource_id": ""}, "names no resource_id"), ({"service_type": None}, "not SMS")],
)
def test_bad_traces_are_poison(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(RecordProblem, match=words):
        request_from_trace(trace(**changes), "cts")


def test_service_type_case_does_not_matter() -> None:
    assert request_from_trace(trace(service_type="sms"), "cts")["task_ids"] == [TASK]


def test_trigger_event_end_to_end_without_sms(fake: FakeExecute) -> None:
    result = call(sample("cts.json"))
    (request,) = fake.requests
    assert request.task_ids == (TASK,) and statuses(result) == ["ok"]
    assert result["outcomes"][0]["delivery_id"].startswith("cts_")
    assert call(sample("cts.json"), "another-invocation")["outcomes"][0]["delivery_id"] == \
        result["outcomes"][0]["delivery_id"]


def test_trace_that_is_not_an_object_is_reported(fake: FakeExecute) -> None:
    result = call({"cts": "trace"})
    assert statuses(result) == ["failed"] and "trace object" in result["outcomes"][0]["error"]["error_msg"]


def test_skipped_trace_is_not_a_failure(fake: FakeExecute) -> None:
    result = call({"cts": trace(resource_type="deleteTemplate", trace_name="deleteTemplate")})
    assert statuses(result) == ["skipped"] and result["failed"] == 0 and not fake.requests
