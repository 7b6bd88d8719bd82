"""The task_events request: parse_request's checks, and that they agree with the published schema."""
from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from shared.errors import ApiError
from shared.schemas import load_schema
from shared.triggers.events.request import EventRequest, parse_request, request_rules
from shared.triggers.timer_event import MAX_SECONDS
from shared.vocabulary import FILTER_KEYS
from shared.webhooks import NOTIFY_CONDITIONS

SCHEMA = load_schema("task_event_request")
TASK = "2c0689c860ad4728a497c91ec0844384"


def error_of(payload: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_request(payload)
    assert info.value.status == 400 and info.value.error_code == "SMSFN.0400"
    return info.value


def test_task_ids_request() -> None:
    req = parse_request({"action": "tasks", "task_ids": [TASK, "other"]})
    assert req.action == "tasks" and req.task_ids == (TASK, "other") and req.query.filters == {}
    assert req.notify and req.options == {} and req.id is None


def test_query_request_defaults_to_tasks_and_uses_the_http_rules() -> None:
    req = parse_request({"query": {"state": "RUNNING", "limit": 5, "all": "true"}})
    assert req.action == "tasks" and req.query.filters == {"state": "RUNNING"}
    assert req.query.limit == 5 and req.query.all_pages


def test_summary_request() -> None:
    req = parse_request({"id": "ops-1", "action": "summary", "filters": {"state": "MIGRATE_FAIL"},
                         "interval_seconds": 300, "notify_on": ["failures"], "targets": ["ops-slack"]})
    assert req == EventRequest(action="summary", id="ops-1", query=req.query, interval_seconds=300,
                               options={"notify_on": ["failures"], "targets": ["ops-slack"]})
    assert req.query.filters == {"state": "MIGRATE_FAIL"}


@pytest.mark.parametrize(
    ("payload", "param", "words"),
    [
        ([], "request", "JSON object"),
        ({"action": "delete"}, "action", "tasks, summary"),
        ({"task_ids": [TASK], "query": {}}, "task_ids", "not both"),
        ({"action": "summary", "task_ids": [TASK]}, "task_ids", "use filters"),
        ({"action": "tasks", "filters": {}}, "filters", "set action to summary"),
        ({"query": {}, "interval_seconds": 60}, "interval_seconds", "action to summary"),
        ({"task_ids": []}, "task_ids", "1 to 50"),
        ({"task_ids": [str(i) for i in range(51)]}, "task_ids", "1 to 50"),
        ({"task_ids": [TASK, TASK]}, "task_ids[1]", "twice"),
        ({"task_ids": [7]}, "task_ids[0]", "string"),
        ({"task_ids": [""]}, "task_ids[0]", "empty"),
        ({"query": {"limit": 500}}, "query.limit", "0 to 200"),
        ({"query": {"state": "DONE"}}, "query.state", "READY"),
        ({"query": {"page": 1}}, "query.page", "unknown"),
        ({"query": {"name": ["a"]}}, "query.name", "string or integer or boolean"),
        ({"query": "state=RUNNING"}, "query", "object"),
        ({"action": "summary", "filters": {"limit": 5}}, "filters.limit", "unknown"),
        ({"action": "summary", "filters": {"name": 5}}, "filters.name", "string"),
        ({"action": "summary", "filters": {"state": "done"}}, "filters.state", "READY"),
        ({"action": "summary", "interval_seconds": 0}, "interval_seconds", "1 to 2592000"),
        ({"action": "summary", "stall_after_seconds": True}, "stall_after_seconds", "integer"),
        ({"query": {}, "notify": "yes"}, "notify", "true or false"),
        ({"query": {}, "notify_on": ["sometimes"]}, "notify_on[0]", "always"),
        ({"query": {}, "notify_on": []}, "notify_on", "1"),
        ({"query": {}, "targets": ["https://evil.example/hook"]}, "targets[0]", "matching"),
        ({"query": {}, "targets": [{"url": "https://evil.example/hook"}]}, "targets[0]", "string"),
        ({"query": {}, "id": "has space"}, "id", "matching"),
        ({"query": {}, "webhook": "x"}, "webhook", "unknown field"),
    ],
)
def test_errors_name_the_field(payload: Any, param: str, words: str) -> None:
    exc = error_of(payload)
    assert exc.error_param == [param], exc.error_msg
    assert f"'{param}'" in exc.error_msg and words in exc.error_msg


def test_a_webhook_url_given_as_target_is_not_echoed() -> None:
    token = "T0KEN9f3a"
    exc = error_of({"query": {}, "targets": [f"https://x.io/k/{token}/more"]})
    assert exc.error_param == ["targets[0]"] and "URL" in exc.error_msg
    assert token not in exc.error_msg


# --- the schema is the contract: parse_request accepts exactly what it accepts ------------------------

CORPUS: list[Any] = [
    *SCHEMA["examples"],
    {}, {"action": "summary"}, {"query": {"id": TASK, "offset": 3, "all": False}},
    {"action": "tasks", "task_ids": ["a"], "notify": False, "id": "x:y.z-1"},
    {"action": "summary", "filters": {"name": "db", "enterprise_project_id": "0"}, "stall_after_seconds": 60},
    [], "text", {"action": None}, {"task_ids": "a"}, {"task_ids": ["a", "a"]}, {"task_ids": [""]},
    {"query": {"all": True}, "task_ids": ["a"]}, {"action": "summary", "query": {}},
    {"filters": {"state": "RUNNING"}}, {"action": "summary", "filters": {"id": ""}},
    {"action": "summary", "filters": {"name": 1}}, {"query": {"bogus": 1}}, {"query": {"name": None}},
    {"action": "summary", "interval_seconds": MAX_SECONDS + 1}, {"action": "summary", "interval_seconds": 1.5},
    {"notify_on": "always"}, {"targets": ["a b"]}, {"targets": ["a", "a"]}, {"id": ""}, {"id": "x" * 129},
    {"unknown": 1}, {"notify": 1},
]


@pytest.mark.parametrize("payload", CORPUS, ids=range(len(CORPUS)))
def test_parse_request_agrees_with_the_schema_on_structure(payload: Any) -> None:
    by_schema = jsonschema.Draft202012Validator(SCHEMA).is_valid(payload)
    try:
        parse_request(payload)
        by_code = True
    except ApiError:
        by_code = False
    # Value rules beyond the schema (state enum, limit range) are parse_query's; the corpus avoids them.
    assert by_code == by_schema


def test_schema_names_match_the_rules_they_stand_for() -> None:
    rules = request_rules()
    query_params = list(load_schema("list_tasks_query")["properties"])
    assert rules["query"]["propertyNames"]["enum"] == query_params
    assert rules["filters"]["propertyNames"]["enum"] == list(FILTER_KEYS)
    assert rules["notify_on"]["items"]["enum"] == list(NOTIFY_CONDITIONS)
    for name in ("interval_seconds", "stall_after_seconds"):
        assert rules[name]["maximum"] == MAX_SECONDS  # the timer's bound: the same window rules
