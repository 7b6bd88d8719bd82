"""DMS for Kafka batches: every message is a record; a poison message is reported and never
raises; a retryable failure raises after the whole batch ran so the batch is delivered again."""
from __future__ import annotations

import json
from typing import Any

import pytest

from shared.triggers.events import EventError, EventsFailed, recognise
from tests.unit.triggers.events_helpers import FakeExecute, call, install_fake_execute, sample, statuses, upstream_502

TASK = "a67153f7-4531-4a83-f209-672c756e4c65"


def kafka_event(*batches: list[Any], topic: str = "sms-task-requests") -> dict[str, Any]:
    event = sample("kafka.json")
    event["records"] = [{"messages": [m if isinstance(m, str) else json.dumps(m) for m in batch],
                         "topic_id": topic} for batch in batches]
    return event


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeExecute:
    return install_fake_execute(monkeypatch)


def test_samples_are_kafka_batches() -> None:
    source, records = recognise(sample("kafka.json"))
    assert source == "kafka" and [r.where for r in records] == [f"records[0].messages[{i}]" for i in range(3)]
    source, records = recognise(sample("kafka_malformed.json"))
    assert source == "kafka" and len(records) == 6


def test_malformed_sample_reports_each_poison_message(fake: FakeExecute) -> None:
    result = call(sample("kafka_malformed.json"))  # no raise: nothing in it is retryable
    assert statuses(result) == ["ok", "failed", "failed", "failed", "failed", "failed"]
    reasons = [o["error"]["error_msg"] for o in result["outcomes"][1:]]
    assert "records[0].messages[1] is not JSON" in reasons[0]
    assert "records[0].messages[2] is empty" in reasons[1]
    assert "JSON list" in reasons[2] and "'query.limit'" in reasons[3] and "'task_ids'" in reasons[4]
    assert result["retryable"] == [] and len(fake.requests) == 1


def test_indexes_run_across_nested_record_lists(fake: FakeExecute) -> None:
    result = call(kafka_event([{"task_ids": ["a"]}, "oops"], [{"task_ids": ["b"]}]))
    assert [(o["index"], o["where"]) for o in result["outcomes"]] == [
        (0, "records[0].messages[0]"), (1, "records[0].messages[1]"), (2, "records[1].messages[0]")]
    assert statuses(result) == ["ok", "failed", "ok"]


def test_a_record_without_messages_is_one_failed_record(fake: FakeExecute) -> None:
    event = kafka_event([{"task_ids": ["a"]}])
    event["records"].insert(0, {"topic_id": "t"})
    assert statuses(call(event)) == ["failed", "ok"]


@pytest.mark.parametrize("records", [None, "x", {"messages": []}])
def test_a_batch_without_a_records_list_is_an_event_error(records: Any) -> None:
    event = {**sample("kafka.json"), "records": records}
    with pytest.raises(EventError, match="records"):
        recognise(event)
    result = call(event)  # reported, not retried: a redelivery can't be read either
    assert not result["ok"] and not result["retryable"] and "records" in result["error"]["error_msg"]


def test_the_console_template_shape_is_one_batch(fake: FakeExecute) -> None:
    event = {k: v for k, v in sample("kafka.json").items() if k != "records"}
    event.update(messages=[json.dumps({"task_ids": [TASK]}), json.dumps({"task_ids": [TASK], "id": "b"})],
                 topic_id="sms-task-requests")
    result = call(event)
    assert statuses(result) == ["ok", "ok"] and len(fake.requests) == 2
    assert [o["where"] for o in result["outcomes"]] == ["messages[0]", "messages[1]"]
    assert result["outcomes"][0]["info"] == {"topic_id": "sms-task-requests"}


def test_empty_batch_is_fine(fake: FakeExecute) -> None:
    result = call(kafka_event())
    assert result["records"] == 0 and result["outcomes"] == []


def test_identity_is_the_request_id_else_the_message_text(fake: FakeExecute) -> None:
    def ids(*messages: Any, topic: str = "sms-task-requests") -> list[str]:
        return [o["delivery_id"] for o in call(kafka_event(list(messages), topic=topic))["outcomes"]]

    with_id = {"id": "r-1", "task_ids": ["a"]}
    assert ids(with_id) == ids({**with_id, "notify": True})  # the id names the request, not its text
    assert ids(with_id) != ids(with_id, topic="other-topic")
    plain = {"task_ids": ["a"]}
    first, second = ids(plain, {"task_ids": ["b"]})
    assert first != second and ids(plain) == [first]  # same text, same id: a redelivery
    assert all(i.startswith("kafka_") for i in (first, second))


def test_retryable_failure_raises_after_the_whole_batch_poison_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeExecute(lambda r: upstream_502() if "sms-down" in r.task_ids else None)
    install_fake_execute(monkeypatch, fake)
    with pytest.raises(EventsFailed) as info:
        call(kafka_event([{"task_ids": ["a"]}, {"task_ids": ["sms-down"]}, "poison", {"task_ids": ["c"]}]))
    result = info.value.result
    assert statuses(result) == ["ok", "failed", "failed", "ok"] and len(fake.requests) == 3
    assert result["retryable"] == [1]  # the poison record is reported, not a reason to retry
    assert [o["error"]["retryable"] for o in result["outcomes"] if o["status"] == "failed"] == [True, False]


def test_oversized_message(fake: FakeExecute, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_MAX_RECORD_BYTES", "2048")
    result = call(kafka_event([{"task_ids": ["x" * 3000]}, {"task_ids": ["a"]}]))
    assert statuses(result) == ["failed", "ok"]
    assert "more than EVENT_MAX_RECORD_BYTES=2048" in result["outcomes"][0]["error"]["error_msg"]


def test_default_record_limit_is_256_kib(fake: FakeExecute) -> None:
    at_limit = json.dumps({"task_ids": ["a"], "id": "x"})
    at_limit += " " * (256 * 1024 - len(at_limit))
    result = call(kafka_event([at_limit, at_limit + " "]))
    assert statuses(result) == ["ok", "failed"]
