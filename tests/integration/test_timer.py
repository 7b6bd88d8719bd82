"""The timer function against the emulator and a local webhook sink."""
from __future__ import annotations

import json
from typing import Any

import pytest

from local.webhook_sink import Reply, Sink
from shared.triggers.timer import tick_delivery_id
from shared.triggers.timer_event import parse_timer_event
from shared.webhooks import DeliveryFailed
from tests.helpers import WEBHOOK_SECRET as SECRET
from tests.helpers import FakeContext, function_handler, sample_event

pytestmark = pytest.mark.integration


def load_handler() -> Any:
    return function_handler("list_tasks_timer")


def timer_event(**options: Any) -> dict:
    event = sample_event("timer.json")
    event["user_event"] = json.dumps(options) if options else ""
    return event


def test_tick_summarises_every_task_and_posts_a_signed_summary(sink: Sink, sms_env: Any) -> None:
    result = load_handler()(timer_event(), FakeContext())
    assert result["ok"] and result["delivered"] == 1
    assert result["summary"]["total"] == len(sms_env.tasks()) == result["summary"]["scanned"]
    (received,) = sink.received
    body = json.loads(received.body)
    assert body["total"] == len(sms_env.tasks())
    assert received.headers["webhook-id"] == result["delivery_id"]
    assert received.signature == "valid"


def test_filters_from_user_event_reach_sms(sink: Sink, sms_env: Any) -> None:
    result = load_handler()(timer_event(filters={"state": "MIGRATE_FAIL"}), FakeContext())
    expected = sum(1 for t in sms_env.tasks() if t["state"] == "MIGRATE_FAIL")
    assert expected and result["summary"]["total"] == expected
    reads = [r for r in sms_env.requests if r["path"] == "/v3/tasks"]
    assert reads and all(r["query"].get("state") == "MIGRATE_FAIL" for r in reads)


def test_notify_on_with_nothing_matching_sends_nothing(sink: Sink, sms_env: Any) -> None:
    result = load_handler()(timer_event(notify_on=["changes"], filters={"state": "READY"}), FakeContext())
    assert result["ok"] and not result["notified"] and sink.received == []
    assert result["outcomes"][0]["status"] == "skipped"


def test_malformed_user_event_is_a_clear_error_before_any_call(sink: Sink, sms_env: Any) -> None:
    event = timer_event()
    event["user_event"] = "{not json"
    before = len(sms_env.requests)
    result = load_handler()(event, FakeContext())  # returned, not raised: a retry can't fix it
    assert (result["ok"], result["retryable"], result["status"]) == (False, False, 400)
    assert "user_event" in result["error"]["error_msg"] and len(sms_env.requests) == before


def test_bad_filter_is_the_same_400_as_the_http_api(sink: Sink) -> None:
    result = load_handler()(timer_event(filters={"limit": "9999"}), FakeContext())
    assert result["status"] == 400 and "limit" in result["error"]["error_msg"] and not result["ok"]


def test_failed_delivery_raises_and_logs_the_summary(
    sink: Sink, sms_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sink.script(Reply(500), Reply(500), Reply(500))
    with pytest.raises(DeliveryFailed):
        load_handler()(timer_event(), FakeContext())
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    lost = [e for e in logged if e["message"].startswith("webhook delivery failed; the summary")]
    assert lost and lost[0]["summary"]["total"] == len(sms_env.tasks())
    assert SECRET not in json.dumps(logged)


def test_a_retried_tick_keeps_its_delivery_id() -> None:
    tick = parse_timer_event(timer_event())
    assert tick_delivery_id(tick) == tick_delivery_id(parse_timer_event(timer_event()))
    later = timer_event()
    later["time"] = "2026-11-29T10:00:00+08:00"
    assert tick_delivery_id(parse_timer_event(later)) != tick_delivery_id(tick)
