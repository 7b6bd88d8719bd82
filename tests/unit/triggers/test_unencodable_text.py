"""Text UTF-8 can't carry (a lone surrogate, which JSON's ``\\ud800`` escape decodes to) at every edge:
a 400 naming the field, and every answer, result and record outcome itself valid UTF-8 JSON."""
from __future__ import annotations

import json
from typing import Any

import pytest

from shared.errors import ApiError
from shared.triggers.apigw import ApiGatewayEvent, response
from shared.triggers.http_routes import handle
from shared.triggers.timer_event import parse_timer_event
from shared.wire_text import first_unencodable, scrub
from tests.helpers import FakeContext, apig_event, sample_event
from tests.unit.triggers.events_helpers import call, install_fake_execute, statuses

BAD = "\ud800"


def utf8_json(value: Any) -> Any:
    """``value`` as UTF-8 JSON and back: raises if any string can't be encoded."""
    return json.loads(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def test_first_unencodable_names_the_path_and_scrub_escapes() -> None:
    assert first_unencodable({"a": [1, {"b": "ok"}, {"c": f"x{BAD}"}]}) == "a[2].c"
    assert first_unencodable({f"k{BAD}": 1}, "q") == "q.k\\ud800"
    assert first_unencodable({"a": "fine", "b": ["é", "漢"]}) is None
    assert scrub({f"k{BAD}": [f"v{BAD}"]}) == {"k\\ud800": ["v\\ud800"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"queryStringParameters": {"name": f"n{BAD}"}}, "queryStringParameters.name"),
        ({"queryStringParameters": {f"k{BAD}": "v"}}, "queryStringParameters.k\\ud800"),
        ({"path": f"/v3/tasks{BAD}"}, "path"),
        ({"headers": {"x-note": BAD}}, "headers.x-note"),
        ({"body": BAD, "isBase64Encoded": False}, "body"),
    ],
)
def test_http_edge_answers_400_naming_the_field(change: dict[str, Any], field: str) -> None:
    out = handle({**apig_event(), **change}, FakeContext())
    body = json.loads(out["body"].encode("utf-8"))
    assert out["statusCode"] == 400 and body["error_param"] == [field], body


def test_a_response_is_always_encodable() -> None:
    out = response(200, {"name": f"x{BAD}"})
    out["body"].encode("utf-8")


def test_apigw_parse_itself_refuses() -> None:
    with pytest.raises(ApiError) as info:
        ApiGatewayEvent.parse({"httpMethod": "GET", "path": "/v3/tasks", "queryStringParameters": {"id": BAD}})
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger_name": f"Timer{BAD}"}, "trigger_name"),
        ({"user_event": json.dumps({"filters": {"name": "x\\ud800"}}, ensure_ascii=False).replace("\\\\", "\\")},
         "user_event.filters.name"),
        ({"user_event": {"filters": {"name": BAD}}}, "user_event.filters.name"),
        ({"time": f"2026-01-01T00:00:00Z{BAD}"}, "time"),
    ],
)
def test_timer_edge_answers_400_naming_the_field(change: dict[str, Any], field: str) -> None:
    event = {"time": "2026-01-01T00:00:00Z", "trigger_type": "TIMER", "trigger_name": "t", **change}
    with pytest.raises(ApiError) as info:
        parse_timer_event(event)
    assert info.value.status == 400 and info.value.error_param == [field]
    utf8_json(info.value.body())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    return install_fake_execute(monkeypatch)


def _poison(result: dict[str, Any], index: int = 0) -> dict[str, Any]:
    utf8_json(result)
    outcome = result["outcomes"][index]
    assert outcome["status"] == "failed" and outcome["error"]["retryable"] is False, outcome
    return outcome


def test_cts_trace_id_is_a_poison_record_not_a_crash(fake: Any) -> None:
    event = sample_event("cts.json")
    event["cts"]["trace_id"] = f"f828{BAD}"
    outcome = _poison(call(event))
    assert "cts.trace_id" in outcome["error"]["error_msg"] and not fake.requests


def test_plain_request_id_is_a_poison_record(fake: Any) -> None:
    outcome = _poison(call({"action": "tasks", "task_ids": ["a"], "id": f"req{BAD}"}))
    assert "event.id" in outcome["error"]["error_msg"]


def test_one_bad_kafka_message_fails_alone(fake: Any) -> None:
    event = sample_event("kafka.json")
    messages = event["records"][0]["messages"]
    messages.append(json.dumps({"action": "tasks", "task_ids": ["x"]}).replace('"x"', '"x\\ud800"'))
    messages.append(json.dumps({"action": "tasks", "task_ids": ["y"]})[:-1] + f', "id": "{BAD}"}}')
    result = call(event)
    utf8_json(result)
    assert statuses(result)[-1] == "failed" and "ok" in statuses(result)


def test_smn_message_id_is_escaped_in_the_outcome(fake: Any) -> None:
    event = sample_event("smn.json")
    event["record"][0]["smn"]["message_id"] = f"m{BAD}"
    outcome = _poison(call(event))
    assert "message_id" in outcome["error"]["error_msg"]


def test_an_event_key_utf8_cant_carry_is_an_event_error() -> None:
    from shared.triggers.events import EventError, recognise

    with pytest.raises(EventError) as info:
        recognise({f"k{BAD}": 1})
    utf8_json(info.value.body())
    result = call({f"k{BAD}": 1})  # returned, not raised: the same event can never be read
    assert result["status"] == 400 and not result["retryable"]
    utf8_json(result)
