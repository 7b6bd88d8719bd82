"""SMN trigger events: one record per ``record`` entry, its message is the request, its
``message_id`` the identity."""
from __future__ import annotations

import json
from typing import Any

import pytest

from shared.triggers.events import EventsFailed, recognise
from tests.unit.triggers.events_helpers import FakeExecute, call, install_fake_execute, sample, statuses, upstream_502

TASK = "a67153f7-4531-4a83-f209-672c756e4c65"


def smn_event(*messages: Any, message_ids: list[str | None] | None = None) -> dict[str, Any]:
    event = sample("smn.json")
    template = event["record"][0]
    event["record"] = []
    for i, message in enumerate(messages):
        entry = json.loads(json.dumps(template))
        entry["smn"]["message"] = message if isinstance(message, str) else json.dumps(message)
        entry["smn"]["message_id"] = (message_ids or [f"m{i:031d}"] * len(messages))[i]
        event["record"].append(entry)
    return event


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeExecute:
    return install_fake_execute(monkeypatch)


def test_sample_is_recognised_with_its_identity() -> None:
    source, (record,) = recognise(sample("smn.json"))
    assert source == "smn" and record.where == "record[0].smn.message"
    assert record.event_id == "a51671f77d4a479cacb09e2cd591a983"
    assert json.loads(record.payload)["action"] == "tasks"


def test_each_record_is_one_request(fake: FakeExecute) -> None:
    result = call(smn_event({"task_ids": [TASK]}, {"action": "summary"}, message_ids=["a" * 32, "b" * 32]))
    assert result["source"] == "smn" and statuses(result) == ["ok", "ok"]
    assert [r.action for r in fake.requests] == ["tasks", "summary"]
    ids = [o["delivery_id"] for o in result["outcomes"]]
    assert all(i.startswith("smn_") for i in ids) and ids[0] != ids[1]


def test_redelivery_keeps_the_delivery_id(fake: FakeExecute) -> None:
    event = smn_event({"task_ids": [TASK]})
    first, again = call(event, "req-1"), call(event, "req-2")  # another invocation, same message
    assert first["outcomes"][0]["delivery_id"] == again["outcomes"][0]["delivery_id"]


def test_without_message_id_the_text_is_the_identity(fake: FakeExecute) -> None:
    event = smn_event({"task_ids": [TASK]}, message_ids=[None])
    ids = {call(event, f"req-{i}")["outcomes"][0]["delivery_id"] for i in range(2)}
    assert len(ids) == 1


@pytest.mark.parametrize(
    ("message", "words"),
    [("", "is empty"), ("   ", "is empty"), ("hello", "not JSON"), ("[1]", "JSON list"),
     (json.dumps({"task_ids": "x"}), "must be a list")],
)
def test_poison_messages_are_reported_not_raised(fake: FakeExecute, message: str, words: str) -> None:
    result = call(smn_event(message, {"task_ids": [TASK]}))
    assert statuses(result) == ["failed", "ok"]
    error = result["outcomes"][0]["error"]
    assert words in error["error_msg"] and error["retryable"] is False and result["retryable"] == []


def test_a_record_without_smn_object_is_reported_with_its_index(fake: FakeExecute) -> None:
    event = smn_event({"task_ids": [TASK]})
    event["record"].insert(0, {"event_source": "smn"})
    result = call(event)
    assert statuses(result) == ["failed", "ok"]
    assert "record[0] has no 'smn' object" in result["outcomes"][0]["error"]["error_msg"]


def test_oversized_message(fake: FakeExecute, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_MAX_RECORD_BYTES", "1024")
    padded = json.dumps({"task_ids": ["big"]}) + " " * 2000  # valid JSON, but over the limit
    result = call(smn_event(padded, {"task_ids": [TASK]}))
    assert statuses(result) == ["failed", "ok"] and [r.task_ids for r in fake.requests] == [(TASK,)]
    assert "EVENT_MAX_RECORD_BYTES=1024" in result["outcomes"][0]["error"]["error_msg"]


def test_retryable_failure_raises_after_every_record_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_execute(monkeypatch, FakeExecute(lambda r: upstream_502() if r.task_ids == ("bad",) else None))
    with pytest.raises(EventsFailed) as info:
        call(smn_event({"task_ids": ["bad"]}, {"task_ids": [TASK]}))
    assert len(fake.requests) == 2  # the second record still ran
    result = info.value.result
    assert statuses(result) == ["failed", "ok"] and result["retryable"] == [0]
    assert info.value.status == 503 and "index 0" in info.value.error_msg
