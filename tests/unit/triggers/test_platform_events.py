"""Events in the platform's own published shapes (tests/data/platform_events/README.md says where
each comes from) get a defined outcome, and none that can never succeed is retried."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FakeContext, function_handler
from tests.unit.triggers.events_helpers import FakeExecute, install_fake_execute, statuses

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "platform_events"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_every_sample_is_documented_and_tested() -> None:
    listed = (SAMPLES / "README.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in SAMPLES.glob("*.json"))
    assert files and all(f"`{name}`" in listed for name in files)
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{name}"' in source for name in files)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeExecute:
    return install_fake_execute(monkeypatch, FakeExecute())


def test_kafka_records_with_plain_text_messages_are_poison_records_not_retries(fake: FakeExecute) -> None:
    result = function_handler("task_events")(sample("kafka_records.json"), FakeContext())
    assert result["source"] == "kafka" and statuses(result) == ["failed", "failed"]
    assert result["retryable"] == [] and not fake.requests
    assert "is not JSON" in result["outcomes"][0]["error"]["error_msg"]


def test_kafka_console_template_is_read_as_one_batch(fake: FakeExecute) -> None:
    result = function_handler("task_events")(sample("kafka_console_template.json"), FakeContext())
    assert result["source"] == "kafka" and statuses(result) == ["ok", "failed"]
    assert fake.requests[0].action == "summary" and result["retryable"] == []


@pytest.mark.parametrize(("name", "words"), [("timer_console.json", "user_event"),
                                             ("timer_v2_unknown_keys.json", "unknown option keys")])
def test_timer_console_samples_are_refused_and_returned_not_raised(name: str, words: str) -> None:
    result = function_handler("list_tasks_timer")(sample(name), FakeContext())
    assert (result["ok"], result["retryable"], result["status"]) == (False, False, 400)
    assert words in result["error"]["error_msg"]


def test_a_trace_of_another_service_is_a_bad_record_not_a_retry(fake: FakeExecute) -> None:
    result = function_handler("task_events")(sample("cts_other_service.json"), FakeContext())
    assert result["source"] == "cts" and statuses(result) == ["failed"] and result["retryable"] == []
    assert not fake.requests
