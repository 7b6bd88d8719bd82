"""Parsing FunctionGraph TIMER trigger events and the options carried in ``user_event``."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from shared.errors import ApiError
from shared.triggers.timer_event import TimerEvent, parse_event_time, parse_timer_event

SAMPLE = {
    "version": "v1.0",
    "time": "2018-06-01T08:30:00+08:00",
    "trigger_type": "TIMER",
    "trigger_name": "Timer_001",
    "user_event": "",
}


def event(**changes) -> dict:
    return {**SAMPLE, **changes}


def error_of(evt) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_timer_event(evt)
    assert info.value.status == 400 and info.value.error_code == "SMSFN.0400"
    return info.value


def test_sample_event_without_options():
    parsed = parse_timer_event(SAMPLE)
    assert parsed == TimerEvent(
        time=datetime(2018, 6, 1, 0, 30, tzinfo=timezone.utc), trigger_name="Timer_001", options={}
    )
    assert parsed.time.tzinfo == timezone.utc


@pytest.mark.parametrize("user_event", [None, "", "   ", "\n"])
def test_empty_user_event_means_no_options(user_event):
    assert parse_timer_event(event(user_event=user_event)).options == {}
    missing = {k: v for k, v in SAMPLE.items() if k != "user_event"}
    assert parse_timer_event(missing).options == {}


def test_options_are_parsed_and_checked():
    options = {
        "filters": {"state": "RUNNING", "name": "web", "enterprise_project_id": "0"},
        "targets": ["ops-chat", {"type": "wecom"}],
        "notify_on": ["failed", "changes"],
        "interval_seconds": 300,
        "stall_after_seconds": 7200,
    }
    assert parse_timer_event(event(user_event=json.dumps(options))).options == options
    # Some local runners hand user_event over already decoded.
    assert parse_timer_event(event(user_event={"interval_seconds": 60})).options == {"interval_seconds": 60}
    assert parse_timer_event(event(user_event="{}")).options == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2018-06-01T08:30:00+08:00", datetime(2018, 6, 1, 0, 30, tzinfo=timezone.utc)),
        ("2018-06-01T00:30:00Z", datetime(2018, 6, 1, 0, 30, tzinfo=timezone.utc)),
        ("2018-06-01T00:30:00.5z", datetime(2018, 6, 1, 0, 30, 0, 500_000, tzinfo=timezone.utc)),
        ("2018-06-01T02:30:00.123456789+0200", datetime(2018, 6, 1, 0, 30, 0, 123_456, tzinfo=timezone.utc)),
        ("2018-05-31T19:30-05:00", datetime(2018, 6, 1, 0, 30, tzinfo=timezone.utc)),
    ],
)
def test_time_formats(raw, expected):
    assert parse_event_time(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2018-06-01T08:30:00",
        "yesterday",
        "",
        None,
        1527813000,
        "2018-02-30T00:00:00Z",
        "2018-06-01T08:30:00+25:00",
    ],
)
def test_bad_or_naive_time_is_rejected(raw):
    err = error_of(event(time=raw))
    assert err.error_param == ["time"]
    missing = {k: v for k, v in SAMPLE.items() if k != "time"}
    assert error_of(missing).error_param == ["time"]


def test_not_a_timer_event():
    assert error_of(event(trigger_type="APIG")).error_param == ["trigger_type"]
    assert error_of(["not", "an", "object"]).error_param == ["event"]
    assert error_of(event(trigger_name=5)).error_param == ["trigger_name"]
    without_type = {k: v for k, v in SAMPLE.items() if k != "trigger_type"}
    assert parse_timer_event(without_type).trigger_name == "Timer_001"


@pytest.mark.parametrize("user_event", ["User Event", "[1, 2]", '"text"', "42", "{broken", 7])
def test_user_event_that_is_not_a_json_object_is_an_error(user_event):
    assert error_of(event(user_event=user_event)).error_param == ["user_event"]


def test_broken_user_event_is_not_echoed_in_the_error():
    # A typo in options that carry a webhook URL must not put its token into the error.
    token = "XXXXtokenXXXXsecret42"
    raw = '{"targets": ["https://hooks.example.com/x?access_token=' + token + '"],}'
    err = error_of(event(user_event=raw))
    assert err.error_param == ["user_event"]
    assert "not JSON" in err.error_msg and "position" in err.error_msg
    assert token not in json.dumps(err.body())


def test_unknown_option_keys_are_named():
    err = error_of(event(user_event='{"interval": 60, "filter": {}, "targets": []}'))
    assert "'filter'" in err.error_msg and "'interval'" in err.error_msg
    assert "targets" not in err.error_msg.split("allowed")[0]


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"filters": []}, "user_event.filters"),
        ({"filters": {"limit": "10"}}, "user_event.filters"),
        ({"filters": {"state": "running"}}, "user_event.filters.state"),
        ({"filters": {"state": "PAUSED"}}, "user_event.filters.state"),
        ({"filters": {"name": 5}}, "user_event.filters.name"),
        ({"targets": "ops"}, "user_event.targets"),
        ({"targets": [1]}, "user_event.targets"),
        ({"notify_on": [{"x": 1}]}, "user_event.notify_on"),
        ({"interval_seconds": 0}, "user_event.interval_seconds"),
        ({"interval_seconds": True}, "user_event.interval_seconds"),
        ({"interval_seconds": "300"}, "user_event.interval_seconds"),
        ({"interval_seconds": 300.0}, "user_event.interval_seconds"),
        ({"stall_after_seconds": 30 * 86_400 + 1}, "user_event.stall_after_seconds"),
    ],
)
def test_option_values_are_checked(options, param):
    err = error_of(event(user_event=json.dumps(options)))
    assert err.error_param == [param]
    assert param in err.error_msg


@pytest.mark.parametrize(
    "raw",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
     "1970-01-01T00:00:00Z"],
)
def test_times_at_the_calendar_edges_are_a_400_not_an_overflow(raw: str) -> None:
    err = error_of(event(time=raw))
    assert err.error_param == ["time"] and "between" in err.error_msg


def test_non_ascii_digits_in_time_are_refused() -> None:
    assert error_of(event(time="２０２６-01-01T00:00:00Z")).error_param == ["time"]
