"""Recognising the event's source, the per-source failure rules, and what the invocation returns."""
from __future__ import annotations

import json
from typing import Any

import pytest

from local.functions import load_handler
from project import template
from shared.errors import ApiError, config_error, is_retryable
from shared.triggers.events import EventError, EventsFailed, dispatch, recognise
from tests.helpers import ROOT, FakeContext
from tests.unit.triggers.events_helpers import (
    FakeExecute,
    call,
    install_fake_execute,
    sample,
    statuses,
    upstream_502,
)

FN = template.load()["task_events"]
SOURCE_OF_TRIGGER = {"SMN": "smn", "EG": "eventgrid", "EVENTGRID": "eventgrid", "KAFKA": "kafka", "CTS": "cts"}
PLAIN = json.loads((ROOT / "events" / "invoke" / "task_events_plain.json").read_text())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeExecute:
    return install_fake_execute(monkeypatch)


def test_every_trigger_sample_has_its_trigger_shape() -> None:
    seen = set()
    for trigger in FN.triggers:
        for path in trigger.events:
            source, records = recognise(json.loads((ROOT / path).read_text()))
            assert source == SOURCE_OF_TRIGGER[trigger.type.upper()], path
            assert records, path
            seen.add(source)
    assert seen == {"smn", "eventgrid", "kafka", "cts"}


def test_handler_is_thin_and_declared() -> None:
    handler = load_handler(FN)
    source = (FN.code / "index.py").read_text()
    assert "shared.triggers.events" in source and len(source.splitlines()) < 10 and callable(handler)


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (sample("timer.json"), "top-level keys: time, trigger_name, trigger_type, user_event, version"),
        (sample("apig_list_tasks.json"), "is not one this function handles"),
        ({}, "top-level keys: none"),
        ({"foo": 1}, "top-level keys: foo"),
        ({"task_ids": ["a"], "extra": 1}, "is not one"),  # a request with a stray key is not guessed at
        ([{"action": "tasks"}], "must be a JSON object, got list"),
        ("{\"action\": \"tasks\"}", "got str"),
        ({"record": [], "cts": {}}, "matches smn and cts"),
        ({**sample("kafka.json"), "specversion": "1.0"}, "matches eventgrid and kafka"),
    ],
)
def test_unrecognised_or_ambiguous_events_are_reported_not_retried(event: Any, words: str) -> None:
    with pytest.raises(EventError) as info:
        recognise(event)
    assert info.value.status == 400 and words in info.value.error_msg
    result = call(event)  # raising would only make the platform redeliver what can never be read
    assert (result["ok"], result["retryable"], result["status"]) == (False, False, 400)
    assert words in result["error"]["error_msg"]


def test_plain_invocation_is_the_request(fake: FakeExecute) -> None:
    result = call(PLAIN)
    (request,) = fake.requests
    assert result["source"] == "plain" and request.task_ids == tuple(PLAIN["task_ids"]) and not request.notify
    assert result["outcomes"][0]["event_id"] == "console-test-1"


def test_plain_identity_is_its_id_else_the_invocation(fake: FakeExecute) -> None:
    def did(event: dict[str, Any], request_id: str) -> str:
        return call(event, request_id)["outcomes"][0]["delivery_id"]

    assert did(PLAIN, "r1") == did(PLAIN, "r2")
    bare = {k: v for k, v in PLAIN.items() if k != "id"}
    assert did(bare, "r1") != did(bare, "r2") and did(bare, "r1") == did(bare, "r1")


def test_plain_invocation_returns_failures_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_execute(monkeypatch, FakeExecute(lambda r: upstream_502()))
    result = call(PLAIN)
    assert statuses(result) == ["failed"] and result["retryable"] == [0]
    assert result["outcomes"][0]["error"]["error_code"] == "SMSFN.0502"


def test_a_bad_plain_request_is_a_result_not_an_exception(fake: FakeExecute) -> None:
    result = call({"action": "tasks", "task_ids": "a"})
    assert statuses(result) == ["failed"] and "'task_ids'" in result["outcomes"][0]["error"]["error_msg"]


def test_a_crash_in_one_record_is_contained_and_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_execute(monkeypatch, FakeExecute(lambda r: KeyError("boom") if r.task_ids == ("x",) else None))
    event = sample("kafka.json")
    event["records"][0]["messages"] = [json.dumps({"task_ids": ["x"]}), json.dumps({"task_ids": ["y"]})]
    result = call(event)  # no raise: the same input would crash again
    assert statuses(result) == ["failed", "ok"] and len(fake.requests) == 2
    error = result["outcomes"][0]["error"]
    assert error == {"error_code": "SMSFN.0500", "error_msg": "internal error handling this record; see the logs",
                     "retryable": False}


def test_bad_settings_fail_every_record_and_are_not_retried(fake: FakeExecute, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_VALIDATION", "sometimes")
    result = call(sample("smn.json"))  # a person has to fix the setting: redelivery can't
    (outcome,) = result["outcomes"]
    assert "SMS_VALIDATION" in outcome["error"]["error_msg"] and outcome["error"]["retryable"] is False
    assert "sometimes" not in outcome["error"]["error_msg"] and not fake.requests and result["retryable"] == []


def test_bad_record_size_setting_is_a_configuration_error(fake: FakeExecute, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_MAX_RECORD_BYTES", "lots")
    result = call(PLAIN)
    assert "EVENT_MAX_RECORD_BYTES" in result["outcomes"][0]["error"]["error_msg"]


def test_records_not_started_when_time_is_up(fake: FakeExecute) -> None:
    event = sample("kafka.json")
    with pytest.raises(EventsFailed) as info:
        dispatch.handle(event, FakeContext(remaining_ms=500))
    result = info.value.result
    assert statuses(result) == ["failed"] * 3 and result["retryable"] == [0, 1, 2] and not fake.requests
    assert result["outcomes"][0]["error"]["error_code"] == "SMSFN.0504"


def test_webhook_targets_from_the_request_must_be_configured(fake: FakeExecute) -> None:
    result = call({**PLAIN, "notify": True, "targets": ["ops-slack"]})
    error = result["outcomes"][0]["error"]
    assert "names no configured target" in error["error_msg"] and error["retryable"] is False
    assert not fake.requests  # settled before any read


def test_poison_statuses_are_not_retryable() -> None:
    for status, retry in ((400, False), (422, False), (403, False), (409, True), (429, True), (500, True),
                          (502, True), (504, True)):
        assert is_retryable(ApiError(status, "X", "x")) is retry
    assert not is_retryable(config_error("WEBHOOK_TARGETS is not valid JSON"))  # 500, but a person must act
    assert not is_retryable(KeyError("a crash would repeat"))


def test_large_results_shrink_task_lists_then_summaries() -> None:
    task = {"id": "t", "name": "n", "state": "RUNNING", "blob": "x" * 1000}
    result = {"outcomes": [{"result": {"tasks": [task] * 50}}, {"result": {"summary": {"x": "y" * 20000}}}]}
    result = dispatch.fit_result(result, limit=30_000)
    assert result["outcomes"][0]["result"]["tasks"][0] == {"id": "t", "name": "n", "state": "RUNNING"}
    assert result["outcomes"][0]["result"]["tasks_shortened"] == "brief"
    assert "summary" in result["outcomes"][1]["result"]
    assert result["trimmed"]["steps"] == ["tasks_brief"]
    result = dispatch.fit_result(result, limit=2_000)
    assert result["outcomes"][0]["result"]["tasks"] == [] and result["outcomes"][1]["result"]["summary_omitted"]


def test_the_raise_policy_is_declared_for_every_source() -> None:
    assert set(dispatch.RAISE_ON_RETRYABLE) == {name for name, _, _ in dispatch.SOURCES}
    assert dispatch.RAISE_ON_RETRYABLE["plain"] is False
