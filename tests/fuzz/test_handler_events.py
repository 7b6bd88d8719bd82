"""Hypothesis over malformed events for the three handlers, against the emulator on loopback.

The HTTP handler answers every event with valid UTF-8 JSON below 500 (SMS is healthy here, so any 5xx
would be ours); the timer and event handlers return for bad input and raise only ``ApiError`` s a retry
may fix (``shared.errors.is_retryable``), and no result reports a crash ("internal error"). Bounded and
derandomized, so CI is stable."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import ApiError, is_retryable
from tests.helpers import FakeContext, function_handler

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=80, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text with what breaks parsers: lone surrogates, controls, markup, huge numbers, near-miss values.
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " 5", "+5", "-1", "9" * 5000, "\ud800", "RUNNING", "true", "200", "0", "x\u0000y",
                     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59", "2026-01-01T00:00:00Z", "{}",
                     '{"filters": {"state": "RUNNING"}}', '{"targets": ["https://evil.example"]}', "[]", "null"]),
)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
QUERY_KEYS = st.sampled_from(["state", "name", "id", "source_server_id", "limit", "offset", "enterprise_project_id",
                              "all", "unknown", "\ud800"])


def utf8_json(value: Any) -> None:
    json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


apig_events = st.fixed_dictionaries(
    {"httpMethod": st.one_of(st.sampled_from(["GET", "POST", "TRACE", "get"]), JSON),
     "path": st.one_of(st.sampled_from(["/v3/tasks", "/v3/tasks/summary", "/v3/tasks/x", "/"]), JSON),
     "queryStringParameters": st.one_of(st.dictionaries(QUERY_KEYS, st.one_of(TEXT, st.lists(TEXT, max_size=2),
                                                                              JSON), max_size=4), JSON)},
    optional={"headers": st.one_of(st.dictionaries(TEXT, TEXT, max_size=3), JSON), "body": JSON,
              "isBase64Encoded": JSON, "requestContext": JSON},
)


@FUZZ
@given(event=st.one_of(apig_events, JSON))
def test_http_handler_answers_json_below_500(sms_env: Any, event: Any) -> None:
    out = function_handler("list_tasks_http")(event, FakeContext(remaining_ms=20_000))
    body = json.loads(out["body"].encode("utf-8"))
    assert out["statusCode"] < 500, body
    assert out["statusCode"] == 200 or {"error_code", "error_msg"} <= set(body)


def _only_retryable_raises(fn: Any, event: Any) -> None:
    try:
        result = fn(event, FakeContext(remaining_ms=20_000))
    except ApiError as exc:  # FunctionGraph retries these: they must be ones a retry can fix
        assert is_retryable(exc), exc.body()
        utf8_json(exc.body())
        return
    utf8_json(result)
    # Crashes are returned too (the same input would crash again): none may hide in a result.
    assert "internal error" not in json.dumps(result, ensure_ascii=False, default=str), result


timer_events = st.fixed_dictionaries(
    {"time": st.one_of(TEXT, JSON), "trigger_type": st.one_of(st.just("TIMER"), JSON)},
    optional={"trigger_name": st.one_of(TEXT, JSON), "user_event": st.one_of(TEXT, JSON), "version": JSON},
)


@FUZZ
@given(event=st.one_of(timer_events, JSON))
def test_timer_handler_raises_only_retryable_failures(sms_env: Any, monkeypatch: pytest.MonkeyPatch,
                                                      event: Any) -> None:
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_TARGETS", raising=False)
    _only_retryable_raises(function_handler("list_tasks_timer"), event)


REQUEST = st.fixed_dictionaries({}, optional={
    "action": st.one_of(st.sampled_from(["tasks", "summary"]), JSON), "task_ids": st.one_of(st.lists(TEXT), JSON),
    "query": st.one_of(st.dictionaries(QUERY_KEYS, st.one_of(TEXT, JSON), max_size=3), JSON),
    "filters": JSON, "id": st.one_of(TEXT, JSON), "notify": JSON, "targets": JSON})
record_events = st.one_of(
    REQUEST,
    st.builds(lambda msgs: {"record": [{"smn": {"message": m, "message_id": i}} for m, i in msgs]},
              st.lists(st.tuples(st.one_of(REQUEST.map(json.dumps), TEXT, JSON), st.one_of(TEXT, JSON)), max_size=3)),
    st.builds(lambda msgs, topic: {"trigger_type": "KAFKA", "records": [{"topic_id": topic, "messages": msgs}]},
              st.lists(st.one_of(REQUEST.map(json.dumps), TEXT, JSON), max_size=3), st.one_of(TEXT, JSON)),
    st.builds(lambda trace: {"cts": trace}, st.one_of(st.fixed_dictionaries(
        {"service_type": st.one_of(st.just("SMS"), TEXT), "resource_type": st.one_of(st.just("updateTask"), TEXT),
         "resource_id": st.one_of(TEXT, JSON), "trace_id": st.one_of(TEXT, JSON)}), JSON)),
    st.builds(lambda data, eid: {"specversion": "1.0", "id": eid, "source": "s", "type": "t", "data": data},
              st.one_of(REQUEST, JSON), st.one_of(TEXT, JSON)),
    JSON,
)


@FUZZ
@given(event=record_events)
def test_event_handler_raises_only_retryable_failures(sms_env: Any, monkeypatch: pytest.MonkeyPatch,
                                                      event: Any) -> None:
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_TARGETS", raising=False)
    fn = function_handler("task_events")
    try:
        _only_retryable_raises(fn, event)
    except AssertionError:
        raise
    except Exception as exc:  # pragma: no cover - reported with the event that caused it
        pytest.fail(f"{type(exc).__name__} for {event!r:.300}")
