"""The task_events function against the SMS emulator and a local webhook sink, one test per source
and per failure rule."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from local.webhook_sink import Reply, Sink
from shared.triggers.events import EventsFailed
from tests.helpers import WEBHOOK_SECRET as SECRET
from tests.helpers import FakeContext, function_handler
from tests.helpers import sample_event as sample

pytestmark = pytest.mark.integration


def load_handler() -> Any:
    return function_handler("task_events")


def invoke(event: dict[str, Any], request_id: str = "req-123") -> dict[str, Any]:
    return load_handler()(copy.deepcopy(event), FakeContext(request_id=request_id))


def smn(message: dict[str, Any], message_id: str = "a51671f77d4a479cacb09e2cd591a983") -> dict[str, Any]:
    event = sample("smn.json")
    event["record"][0]["smn"].update(message=json.dumps(message), message_id=message_id)
    return event


def sms_calls(emulator: Any) -> int:
    return sum(1 for r in emulator.requests if r["path"] == "/v3/tasks")


@pytest.fixture
def sink(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> Sink:
    """The shared sink (tests/integration/conftest.py), with this function's own settings."""
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")  # one injected SMS failure fails a read
    monkeypatch.delenv("EVENT_MAX_RECORD_BYTES", raising=False)
    return sink


def test_smn_task_ids_return_details_and_push_a_signed_summary(sink: Sink, sms_env: Any) -> None:
    wanted = {t["id"]: t for t in sms_env.tasks()[:2]}
    result = invoke(smn({"action": "tasks", "task_ids": list(wanted)}))
    (outcome,) = result["outcomes"]
    assert outcome["status"] == "ok" and outcome["result"]["count"] == 2 and outcome["result"]["missing"] == []
    assert {t["id"]: t["state"] for t in outcome["result"]["tasks"]} == {k: t["state"] for k, t in wanted.items()}
    (received,) = sink.received
    assert received.headers["webhook-id"] == outcome["delivery_id"] and received.signature == "valid"
    summary = received.json
    assert summary["total"] == summary["scanned"] == 2 and summary["filters"] == {}
    assert outcome["webhooks"]["delivered"] == 1


def test_a_redelivered_event_is_pushed_under_the_same_id(sink: Sink, sms_env: Any) -> None:
    event = smn({"task_ids": [sms_env.tasks()[0]["id"]]})
    first, again = invoke(event, "invocation-1"), invoke(event, "invocation-2")
    assert first["outcomes"][0]["delivery_id"] == again["outcomes"][0]["delivery_id"]
    assert [r.headers["webhook-id"] for r in sink.received] == [first["outcomes"][0]["delivery_id"]] * 2
    assert sink.received[0].json["filters"] == {"id": sms_env.tasks()[0]["id"]}


def test_eventgrid_summary_request(sink: Sink, sms_env: Any) -> None:
    result = invoke(sample("eventgrid_cloudevent.json"))
    (outcome,) = result["outcomes"]
    failed = sum(1 for t in sms_env.tasks() if t["state"] == "MIGRATE_FAIL")
    assert outcome["status"] == "ok" and outcome["result"]["headline"]["total"] == failed
    (received,) = sink.received  # notify_on failures: there are failed tasks
    assert received.json["total"] == failed and received.json["filters"] == {"state": "MIGRATE_FAIL"}
    assert received.headers["webhook-id"].startswith("ce_")


def test_kafka_batch_with_poison_records_runs_the_good_ones(sink: Sink, sms_env: Any) -> None:
    result = invoke(sample("kafka_malformed.json"))  # returns: poison records are not retried
    assert [o["status"] for o in result["outcomes"]] == ["ok"] + ["failed"] * 5 and result["retryable"] == []
    (received,) = sink.received
    assert received.headers["webhook-id"] == result["outcomes"][0]["delivery_id"]
    assert sms_calls(sms_env) == 1  # the poison records never reached SMS


def test_kafka_sms_failure_raises_and_the_redelivered_batch_completes(sink: Sink, sms_env: Any) -> None:
    event = sample("kafka.json")
    sms_env.faults.passthrough(1).server_error(500, times=1)  # record 0 reads, record 1 fails
    with pytest.raises(EventsFailed) as info:
        invoke(event, "batch-1")
    result = info.value.result
    assert [o["status"] for o in result["outcomes"]] == ["ok", "failed", "ok"] and result["retryable"] == [1]
    assert result["outcomes"][1]["error"]["error_code"] == "SMSFN.0502"
    first_ids = [r.headers["webhook-id"] for r in sink.received]  # records 0 and 2 (1 has notify false)
    assert first_ids == [result["outcomes"][0]["delivery_id"], result["outcomes"][2]["delivery_id"]]

    again = invoke(event, "batch-1-redelivered")  # the platform's redelivery, SMS healthy again
    assert [o["status"] for o in again["outcomes"]] == ["ok", "ok", "ok"]
    assert [r.headers["webhook-id"] for r in sink.received[2:]] == first_ids  # receivers dedupe these
    assert again["outcomes"][1]["result"]["count"] == sum(1 for t in sms_env.tasks() if t["state"] == "RUNNING")
    assert len(again["outcomes"][1]["result"]["tasks"]) == 5


def test_webhook_failure_raises_for_smn(sink: Sink, sms_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sink.script(Reply(500), Reply(500))
    with pytest.raises(EventsFailed) as info:
        invoke(smn({"task_ids": [sms_env.tasks()[0]["id"]]}))
    (outcome,) = info.value.result["outcomes"]
    assert outcome["error"]["error_code"] == "SMSFN.0502" and outcome["error"]["retryable"]
    assert outcome["result"]["count"] == 1  # what was read is still reported
    assert SECRET not in capsys.readouterr().err


def test_webhook_failure_is_returned_to_a_direct_caller(sink: Sink, sms_env: Any) -> None:
    sink.script(Reply(500), Reply(500))
    result = invoke({"action": "tasks", "task_ids": [sms_env.tasks()[0]["id"]]})
    assert result["outcomes"][0]["status"] == "failed" and result["retryable"] == [0]
    assert result["outcomes"][0]["webhooks"]["failed"] == 1


def test_cts_trace_of_a_task_operation(sink: Sink, sms_env: Any) -> None:
    result = invoke(sample("cts.json"))
    (outcome,) = result["outcomes"]
    task_id = sample("cts.json")["cts"]["resource_id"]
    assert [t["id"] for t in outcome["result"]["tasks"]] == [task_id]
    assert sink.received[0].headers["webhook-id"] == outcome["delivery_id"]


def test_cts_trace_of_a_deleted_task_reports_it_missing(sink: Sink, sms_env: Any) -> None:
    event = sample("cts.json")
    event["cts"].update(resource_type="deleteTask", trace_name="deleteTask", resource_id="gone-task")
    (outcome,) = invoke(event)["outcomes"]
    assert outcome["status"] == "ok" and outcome["result"]["missing"] == ["gone-task"]
    assert sink.received[0].json["total"] == 0


def test_cts_trace_of_a_source_server_reads_its_tasks(sink: Sink, sms_env: Any) -> None:
    server = sms_env.tasks()[0]["source_server"]["id"]
    event = sample("cts.json")
    event["cts"].update(resource_type="sourceServer", trace_name="updateSourceName", resource_id=server)
    (outcome,) = invoke(event)["outcomes"]
    expected = sorted(t["id"] for t in sms_env.tasks() if (t.get("source_server") or {}).get("id") == server)
    assert sorted(t["id"] for t in outcome["result"]["tasks"]) == expected
    assert sink.received[0].json["filters"] == {"source_server_id": server}


def test_notify_false_only_returns(sink: Sink, sms_env: Any) -> None:
    result = invoke(sample("invoke/task_events_plain.json"))
    assert result["outcomes"][0]["status"] == "ok" and "webhooks" not in result["outcomes"][0]
    assert sink.received == []


def test_bad_requests_cost_no_sms_call(sink: Sink, sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_MAX_RECORD_BYTES", "1024")
    before = sms_calls(sms_env)
    for event in ({"query": {"limit": 999}}, {"task_ids": ["x" * 2000]}, {"query": {}, "targets": ["nope"]}):
        result = invoke(event)
        assert result["outcomes"][0]["status"] == "failed" and not result["outcomes"][0]["error"]["retryable"]
    assert sms_calls(sms_env) == before and sink.received == []
