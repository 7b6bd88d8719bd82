"""Settings as FunctionGraph hands them: a value present only in ``context.getUserData`` (where
encrypted variables are read) is honoured by each function, and wins over ``os.environ``."""
from __future__ import annotations

import json
from typing import Any

import pytest

from local.backend import LOCAL_AK, LOCAL_SK
from local.webhook_sink import Sink
from shared.read import sms_client
from tests.helpers import WEBHOOK_SECRET, FakeContext, apig_event, function_handler, sample_event

pytestmark = pytest.mark.integration

MOVED = ("SMS_ENDPOINT", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "WEBHOOK_URL", "WEBHOOK_SECRET",
         "WEBHOOK_ALLOW_LOOPBACK", "WEBHOOK_MAX_ATTEMPTS")


@pytest.fixture
def only_user_data(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every SMS and webhook setting removed from ``os.environ``; returns a factory of contexts
    carrying them as user data instead (the sink is the target, its secret encrypted)."""
    for name in MOVED:
        monkeypatch.delenv(name, raising=False)
    sms_client.reset_client_cache()
    emulator.reset()
    with Sink(port=0, secret=WEBHOOK_SECRET) as sink:
        data = {"SMS_ENDPOINT": emulator.url, "HUAWEICLOUD_SDK_AK": LOCAL_AK, "HUAWEICLOUD_SDK_SK": LOCAL_SK,
                "WEBHOOK_URL": f"{sink.url}/generic", "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_ALLOW_LOOPBACK": "1"}

        def context(request_id: str = "req-ud") -> FakeContext:
            return FakeContext(request_id=request_id, user_data=data)

        yield context, sink, emulator
    sms_client.reset_client_cache()


def test_http_function_reads_sms_settings_from_user_data(only_user_data: Any) -> None:
    context, _, emulator = only_user_data
    out = function_handler("list_tasks_http")(apig_event(query={"limit": "3"}), context())
    assert out["statusCode"] == 200, out["body"]
    assert len(json.loads(out["body"])["tasks"]) == 3
    assert emulator.requests, "the call reached the endpoint named only in user data"


def test_timer_reads_sms_settings_webhook_target_and_secret_from_user_data(only_user_data: Any) -> None:
    context, sink, _ = only_user_data
    result = function_handler("list_tasks_timer")(sample_event("timer.json") | {"user_event": ""}, context())
    assert result["delivered"] == 1
    (received,) = sink.received
    assert received.signature == "valid"  # signed with the secret that exists only in user data


def test_event_function_reads_sms_settings_webhook_target_and_secret_from_user_data(only_user_data: Any) -> None:
    context, sink, _ = only_user_data
    event = {"action": "summary", "id": "ud-1"}
    result = function_handler("task_events")(event, context())
    assert result["ok"] == 1, result
    (received,) = sink.received
    assert received.signature == "valid"


def test_user_data_wins_over_os_environ(only_user_data: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    context, _, _ = only_user_data
    monkeypatch.setenv("SMS_ENDPOINT", "http://127.0.0.1:9")  # a closed port: used only if env won
    out = function_handler("list_tasks_http")(apig_event(query={"limit": "1"}), context())
    assert out["statusCode"] == 200, out["body"]


def test_a_bad_summary_setting_does_not_break_get_tasks(only_user_data: Any) -> None:
    context, _, _ = only_user_data
    ctx = context()
    ctx.user_data["SUMMARY_MAX_ITEMS"] = "many"
    ctx.user_data["WEBHOOK_TARGETS"] = "not json"
    assert function_handler("list_tasks_http")(apig_event(query={"limit": "1"}), ctx)["statusCode"] == 200
    out = function_handler("list_tasks_http")(apig_event(path="/v3/tasks/summary"), ctx)
    body = json.loads(out["body"])
    assert out["statusCode"] == 500 and "SUMMARY_MAX_ITEMS" in body["error_msg"] and "many" not in body["error_msg"]
