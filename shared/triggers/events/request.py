"""The request one event record carries (``schemas/task_event_request.schema.json``), checked.

Limits and names are read from the published schema, as ``shared.read.query`` does for the ListTasks
query, so code, docs and tests share one source; the checks here exist for their messages, which
name the field (``task_ids[3]``, ``query.limit``) the way the HTTP function's 400s do. Query and
filter values go through ``parse_query``: the same rules and messages as ``GET /v3/tasks``."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from shared.errors import ApiError, bad_request, rescoped
from shared.read.query import TaskQuery, parse_query
from shared.schemas import load_schema

SUMMARY_ONLY = ("filters", "interval_seconds", "stall_after_seconds")
TASKS_ONLY = ("task_ids", "query")


@lru_cache(maxsize=1)
def request_rules() -> dict[str, dict[str, Any]]:
    return load_schema("task_event_request")["properties"]


@dataclass(frozen=True)
class EventRequest:
    """A checked request. ``query`` is the ListTasks query for ``tasks`` (empty with ``task_ids``)
    and the summary's filters for ``summary``; ``options`` is what ``DeliveryPlan.resolve`` takes."""

    action: str = "tasks"
    id: str | None = None
    task_ids: tuple[str, ...] = ()
    query: TaskQuery = field(default_factory=TaskQuery)
    interval_seconds: int | None = None
    stall_after_seconds: int | None = None
    notify: bool = True
    options: dict[str, Any] = field(default_factory=dict)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _pattern(name: str, value: Any, rule: dict[str, Any]) -> str:
    if not isinstance(value, str) or not re.fullmatch(rule["pattern"], value):
        got = repr(value[:40]) if isinstance(value, str) else _kind(value)
        if isinstance(value, str) and "://" in value:  # a webhook URL: any part may be its token
            got = "a URL (only names of configured targets are accepted here)"
        raise bad_request(name, f"must be a string matching {rule['pattern']}, got {got}")
    return value


def _strings(name: str, value: Any, rule: dict[str, Any]) -> list[Any]:
    """A list within the schema's item count (uniqueness checked too when the schema asks)."""
    lo, hi = rule.get("minItems", 0), rule.get("maxItems")
    if not isinstance(value, list):
        raise bad_request(name, f"must be a list, got {_kind(value)}")
    if len(value) < lo or (hi is not None and len(value) > hi):
        bounds = f"{lo} to {hi}" if hi is not None else f"at least {lo}"
        raise bad_request(name, f"must hold {bounds} items, got {len(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise bad_request(f"{name}[{i}]", f"must be a string, got {_kind(item)}")
    if rule.get("uniqueItems"):
        seen: set[str] = set()
        for i, item in enumerate(value):
            if item in seen:
                raise bad_request(f"{name}[{i}]", "is listed twice")
            seen.add(item)
    return value


def _seconds(name: str, value: Any, rule: dict[str, Any]) -> int:
    lo, hi = rule["minimum"], rule["maximum"]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise bad_request(name, f"must be an integer from {lo} to {hi}, got {value!r:.40}")
    return value


_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "boolean": (bool,)}


def _object(name: str, value: Any, rule: dict[str, Any]) -> dict[str, Any]:
    """Known names with values of the schema's types; the values' own rules are ``parse_query``'s."""
    if not isinstance(value, Mapping):
        raise bad_request(name, f"must be an object, got {_kind(value)}")
    allowed = rule["propertyNames"]["enum"]
    unknown = sorted(str(k)[:40] for k in value if k not in allowed)
    if unknown:
        raise bad_request(f"{name}.{unknown[0]}", f"unknown parameter; allowed: {', '.join(allowed)}")
    kinds = rule["additionalProperties"]["type"]
    kinds = [kinds] if isinstance(kinds, str) else kinds
    for key, item in value.items():
        ok = any(isinstance(item, _JSON_TYPES[k]) and not (k == "integer" and isinstance(item, bool))
                 for k in kinds)
        if not ok:
            raise bad_request(f"{name}.{key}", f"must be a {' or '.join(kinds)}, got {_kind(item)}")
        if isinstance(item, str) and len(item) < rule["additionalProperties"].get("minLength", 0):
            raise bad_request(f"{name}.{key}", "must not be empty")
    return dict(value)


def _task_ids(value: Any, rule: dict[str, Any]) -> tuple[str, ...]:
    ids = _strings("task_ids", value, rule)
    for i, task_id in enumerate(ids):
        if not task_id:  # ?id= empty filters nothing: as a task id it would read every task
            raise bad_request(f"task_ids[{i}]", "must not be empty")
        try:
            parse_query({"id": task_id})  # the same rule as ?id= on GET /v3/tasks
        except ApiError as exc:
            raise bad_request(f"task_ids[{i}]", exc.reason) from None
    return tuple(ids)


def _query(name: str, value: dict[str, Any]) -> TaskQuery:
    try:
        return parse_query(value)
    except ApiError as exc:
        raise rescoped(exc, name) from None


def parse_request(payload: Any) -> EventRequest:
    """Check every field; the first problem is a 400 ``SMSFN.0400`` naming the field."""
    rules = request_rules()
    if not isinstance(payload, Mapping):
        raise bad_request("request", f"must be a JSON object, got {_kind(payload)}")
    unknown = sorted(str(k)[:40] for k in payload if k not in rules)
    if unknown:
        raise bad_request(unknown[0], f"unknown field; allowed: {', '.join(rules)}")
    action = payload.get("action", rules["action"]["default"])
    if action not in rules["action"]["enum"]:
        raise bad_request("action", f"must be one of {', '.join(rules['action']['enum'])}, got {action!r:.40}")
    given = set(payload)
    wrong = sorted(given & set(TASKS_ONLY if action == "summary" else SUMMARY_ONLY))
    if wrong:
        hint = "use filters" if action == "summary" else "set action to summary"
        raise bad_request(wrong[0], f"does not apply to action {action}; {hint}")
    if {"task_ids", "query"} <= given:
        raise bad_request("task_ids", "give task_ids or query, not both")

    options: dict[str, Any] = {}
    if "notify_on" in payload:
        allowed = rules["notify_on"]["items"]["enum"]
        for i, name in enumerate(_strings("notify_on", payload["notify_on"], rules["notify_on"])):
            if name not in allowed:
                raise bad_request(f"notify_on[{i}]", f"must be one of {', '.join(allowed)}, got {name[:40]!r}")
        options["notify_on"] = list(payload["notify_on"])
    if "targets" in payload:
        names = _strings("targets", payload["targets"], rules["targets"])
        for i, name in enumerate(names):
            _pattern(f"targets[{i}]", name, rules["targets"]["items"])
        options["targets"] = list(names)  # bare names: load_targets only picks configured targets
    notify = payload.get("notify", True)
    if not isinstance(notify, bool):
        raise bad_request("notify", f"must be true or false, got {_kind(notify)}")

    common: dict[str, Any] = {
        "action": action,
        "id": _pattern("id", payload["id"], rules["id"]) if "id" in payload else None,
        "notify": notify,
        "options": options,
    }
    if action == "summary":
        filters = _object("filters", payload.get("filters", {}), rules["filters"])
        seconds = {k: _seconds(k, payload[k], rules[k]) for k in ("interval_seconds", "stall_after_seconds")
                   if k in payload}
        return EventRequest(query=_query("filters", filters), **seconds, **common)
    if "task_ids" in payload:
        return EventRequest(task_ids=_task_ids(payload["task_ids"], rules["task_ids"]), **common)
    return EventRequest(query=_query("query", _object("query", payload.get("query", {}), rules["query"])),
                        **common)
