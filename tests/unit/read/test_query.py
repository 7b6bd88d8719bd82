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
    [("limit", "0", 0), ("limit", "200", 200), ("offset", "65535", 65535), ("offset", "0007", 7)],
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
        ("limit", " 5", "ASCII digits only"),  # was accepted as 5
        ("offset", "7 ", "ASCII digits only"),
        ("limit", "+5", "ASCII digits only"),
        ("limit", "9" * 5000, "at most 10"),  # past Python's int() digit limit: was a 500
        ("offset", "0" * 11, "at most 10"),
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


@pytest.mark.parametrize("name", ["name", "id", "source_server_id", "enterprise_project_id"])
def test_an_empty_text_filter_filters_nothing_and_is_not_sent(name: str) -> None:
    query = parse_query({name: "", "limit": "5"})
    assert query.filters == {} and query.sms_params() == [("limit", "5"), ("offset", "0")]


@pytest.mark.parametrize("name", ["state", "limit", "offset", "all"])
def test_an_empty_state_integer_or_flag_is_refused(name: str) -> None:
    assert error_of({name: ""}).error_param == [name]


def test_function_and_emulator_agree_on_empty_values_and_integers() -> None:
    """The emulator stands in for SMS with its own code: both accept and refuse the same values."""
    from local import sms_emulator

    cases = ["name=", "id=&source_server_id=", "enterprise_project_id=", "state=", "limit=", "offset=",
             "limit=%205", "limit=+5", "limit=-0", "limit=0005", "offset=" + "9" * 11, "offset=" + "0" * 10,
             "limit=%C2%B2", "limit=200", "limit=201", "offset=65535", "offset=65536", "state=RUNNING"]
    for raw in cases:
        from urllib.parse import parse_qsl

        params = dict(parse_qsl(raw, keep_blank_values=True))
        try:
            ours = parse_query(params)
        except ApiError:
            ours = None
        try:
            theirs = sms_emulator.parse_query(raw)
        except sms_emulator.QueryError:
            theirs = None
        assert (ours is None) == (theirs is None), raw
        if ours is not None and theirs is not None:
            assert (ours.limit, ours.offset) == (theirs.limit, theirs.offset), raw
            assert ours.filters.get("name") == theirs.name, raw


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


def test_a_huge_integer_is_not_quoted_back_whole() -> None:
    err = error_of({"limit": "1" * 5000})
    assert len(err.error_msg) < 200


@pytest.mark.parametrize("query", [{"name": "task\ud800"}, {"state": "\udfff"}, {"limit": "\ud800"},
                                   {"name\ud800": "x"}])
def test_text_utf8_cannot_carry_is_a_400_whose_body_encodes(query: dict[str, str]) -> None:
    err = error_of(query)
    assert err.status == 400 and err.error_param
    json.dumps(err.body(), ensure_ascii=False).encode("utf-8")  # raises if a surrogate slipped through
