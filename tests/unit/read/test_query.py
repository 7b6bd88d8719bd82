from __future__ import annotations

import json

import pytest

from shared.errors import ApiError
from shared.read.query import QUERY_SCHEMA, SMS_PARAM_ORDER, TaskQuery, parse_query

STATES = json.loads(QUERY_SCHEMA.read_text())["properties"]["state"]["enum"]


def error_of(params: dict) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_query(params)
    assert info.value.status == 400
    return info.value


def test_defaults_follow_the_doc() -> None:
    q = parse_query({})
    assert (q.limit, q.offset, q.all_pages, q.filters) == (100, 0, False, {})
    assert q.sms_params() == [("limit", "100"), ("offset", "0")]


def test_every_state_of_the_doc_is_accepted() -> None:
    assert len(STATES) == 10
    for state in STATES:
        assert parse_query({"state": state}).filters == {"state": state}


@pytest.mark.parametrize("value", ["running", "AVAILABLE", "", "READY "])
def test_unknown_state_names_the_allowed_values(value: str) -> None:
    err = error_of({"state": value})
    assert err.error_param == ["state"]
    assert "MIGRATE_SUCCESS" in err.error_msg and "SYNC_F_ROLLBACK_SUCCESS" in err.error_msg


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("limit", "0", 0), ("limit", "200", 200), ("offset", "65535", 65535), ("offset", " 7 ", 7)],
)
def test_integer_bounds_are_inclusive(name: str, value: str, expected: int) -> None:
    assert getattr(parse_query({name: value}), name) == expected


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("limit", "201", "from 0 to 200"),
        ("limit", "-1", "from 0 to 200"),
        ("limit", "ten", "from 0 to 200"),
        ("limit", "1.5", "from 0 to 200"),
        ("limit", "", "from 0 to 200"),
        ("offset", "65536", "from 0 to 65535"),
        ("offset", "1e3", "from 0 to 65535"),
        ("limit", "\u00b2", "from 0 to 200"),  # isdigit() but int() raises: was a 500
        ("offset", "-\u00b2", "from 0 to 65535"),
        ("limit", "\u0661\u0662", "from 0 to 200"),  # Arabic-Indic 12: not the doc's integer
        ("limit", "+", "from 0 to 200"),
    ],
)
def test_bad_integers_name_parameter_and_range(name: str, value: str, hint: str) -> None:
    err = error_of({name: value})
    assert err.error_param == [name]
    assert hint in err.error_msg and f"'{name}'" in err.error_msg
    assert err.body()["error_code"] == "SMSFN.0400"


def test_unknown_parameter_is_refused_with_the_allowed_list() -> None:
    err = error_of({"pagesize": "10"})
    assert err.error_param == ["pagesize"]
    assert "unknown parameter" in err.error_msg and "source_server_id" in err.error_msg


def test_repeated_parameter_is_refused() -> None:
    err = error_of({"state": ["READY", "RUNNING"]})
    assert "once" in err.error_msg


def test_single_item_list_is_taken() -> None:
    assert parse_query({"name": ["web-1"]}).filters == {"name": "web-1"}


def test_empty_string_filter_is_refused_not_dropped() -> None:
    err = error_of({"name": ""})
    assert err.error_param == ["name"] and "empty" in err.error_msg


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("TRUE", True), ("1", True), ("false", False)])
def test_all_flag(raw: str, expected: bool) -> None:
    assert parse_query({"all": raw}).all_pages is expected


def test_all_flag_rejects_other_words() -> None:
    assert "true or false" in error_of({"all": "maybe"}).error_msg


def test_sms_params_keep_sdk_order_and_never_send_all() -> None:
    q = parse_query({"enterprise_project_id": "ep", "all": "true", "state": "READY", "id": "t1", "name": "n",
                     "source_server_id": "s", "offset": "5", "limit": "50"})
    names = [k for k, _ in q.sms_params()]
    assert names == list(SMS_PARAM_ORDER)
    assert dict(q.sms_params(limit=200, offset=400))["offset"] == "400"
    assert q.echo()["all"] is True


def test_taskquery_is_immutable() -> None:
    with pytest.raises(AttributeError):
        TaskQuery().limit = 5  # type: ignore[misc]
