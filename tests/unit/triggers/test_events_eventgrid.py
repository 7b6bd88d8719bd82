"""EventGrid CloudEvents: data is the request; source + id the identity; CloudTrace events carry
a CTS trace."""
from __future__ import annotations

from typing import Any

import pytest

from shared.triggers.events import EventsFailed, recognise
from tests.unit.triggers.events_helpers import FakeExecute, call, install_fake_execute, sample, statuses, upstream_502

TASK = "2bd05f46-2b15-4741-3a35-80c3db84f3ca"
TRACE = sample("cts.json")["cts"]


def cloud_event(**changes: Any) -> dict[str, Any]:
    event = sample("eventgrid_cloudevent.json")
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeExecute:
    return install_fake_execute(monkeypatch)


def test_sample_is_one_cloud_event() -> None:
    source, (record,) = recognise(sample("eventgrid_cloudevent.json"))
    assert source == "eventgrid" and record.kind == "object" and record.payload["action"] == "summary"
    assert record.identity == ("sms.task.requests", "0b4a7e6c-5d1f-4b8a-9a3e-6c2f1d7e8a90")


def test_data_is_the_request(fake: FakeExecute) -> None:
    result = call(cloud_event())
    (request,) = fake.requests
    assert statuses(result) == ["ok"] and request.action == "summary"
    assert request.query.filters == {"state": "MIGRATE_FAIL"} and request.options == {"notify_on": ["failures"]}
    assert result["outcomes"][0]["delivery_id"].startswith("ce_")


def test_identity_is_source_plus_id(fake: FakeExecute) -> None:
    def did(**changes: Any) -> str:
        return call(cloud_event(**changes))["outcomes"][0]["delivery_id"]

    assert did() == did(time="2030-01-01T00:00:00Z")  # a redelivery, whatever else differs
    assert did() != did(id="another") and did() != did(source="another.source")


def test_batch_body_is_one_record_per_event(fake: FakeExecute) -> None:
    events = [cloud_event(id="e1", data={"task_ids": [TASK]}), {"specversion": "1.0"}, cloud_event(id="e3")]
    result = call({"events": events})
    assert result["source"] == "eventgrid" and statuses(result) == ["ok", "failed", "ok"]
    assert "events[1] is not a CloudEvent: no id, source, type" in result["outcomes"][1]["error"]["error_msg"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"specversion": "0.3"}, "specversion must be '1.0'"),
        ({"id": ""}, "no id"),
        ({"datacontenttype": "text/plain"}, "only application/json"),
        ({"data": None, "data_base64": "e30="}, "data_base64"),
        ({"data": None}, "has no data"),
        ({"data": "{\"task_ids\": [\"x\"]}"}, "must be a JSON object"),
        ({"data": {"action": "summary", "task_ids": ["x"]}}, "use filters"),
    ],
)
def test_bad_events_are_poison(fake: FakeExecute, changes: dict[str, Any], words: str) -> None:
    result = call(cloud_event(**changes))
    (outcome,) = result["outcomes"]
    assert outcome["status"] == "failed" and words in outcome["error"]["error_msg"]
    assert outcome["error"]["retryable"] is False and not fake.requests


def test_content_type_with_charset_is_json(fake: FakeExecute) -> None:
    assert statuses(call(cloud_event(datacontenttype="application/json; charset=utf-8"))) == ["ok"]


def test_cloud_trace_event_is_handled_like_a_cts_trace(fake: FakeExecute) -> None:
    event = cloud_event(source="HC.SMS", type="SMS:CloudTrace:ApiCall", data=TRACE)
    result = call(event)
    (request,) = fake.requests
    assert request.task_ids == (TRACE["resource_id"],) and statuses(result) == ["ok"]
    assert result["outcomes"][0]["info"]["trace"]["trace_name"] == "task-start"
    # The same operation through the CTS trigger gets the same delivery id: receivers see it once.
    assert result["outcomes"][0]["delivery_id"] == call({"cts": TRACE})["outcomes"][0]["delivery_id"]


def test_cloud_trace_of_a_template_is_skipped(fake: FakeExecute) -> None:
    trace = {**TRACE, "resource_type": "addTemplate", "trace_name": "addTemplate"}
    result = call(cloud_event(source="HC.SMS", type="SMS:CloudTrace:ConsoleAction", data=trace))
    assert statuses(result) == ["skipped"] and not fake.requests and result["retryable"] == []


def test_retryable_failure_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_execute(monkeypatch, FakeExecute(lambda r: upstream_502()))
    with pytest.raises(EventsFailed):
        call(cloud_event())
