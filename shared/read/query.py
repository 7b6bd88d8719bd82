"""The ``GET /v3/tasks`` query: parsed, checked against the doc's rules, turned into SDK params.

The rules (names, the ten states, ranges, defaults) are read from the published
``schemas/list_tasks_query.schema.json`` so code, tests and docs share one source. Hand-written
checks on top of it give errors that name the parameter and what is allowed, which a generic
validator's messages don't."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from shared.errors import bad_request
from shared.schemas import load_schema, schema_path
from shared.wire_text import NOT_UNICODE, encodable, shown

QUERY_SCHEMA = schema_path("list_tasks_query")
# Order of the SDK's ListTasksRequest; kept so signed URLs look like the SDK's own.
SMS_PARAM_ORDER = ("state", "name", "id", "source_server_id", "limit", "offset", "enterprise_project_id")
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
# Integers are ASCII digits and nothing else (no sign, no spaces, no "²"), at most this many: enough
# for the doc's ranges with leading zeros, and far below Python's int() digit limit.
INTEGER_DIGITS_MAX = 10
_DIGITS = re.compile(rf"[0-9]{{1,{INTEGER_DIGITS_MAX}}}")
SHOWN_MAX = 40  # characters of a bad value quoted back in an error


@lru_cache(maxsize=1)
def query_rules() -> dict[str, dict[str, Any]]:
    return load_schema("list_tasks_query")["properties"]


@dataclass(frozen=True)
class TaskQuery:
    """A checked query. ``filters`` holds only what the caller gave; ``limit``/``offset`` default
    to the doc's values."""

    filters: dict[str, str] = field(default_factory=dict)
    limit: int = 100
    offset: int = 0
    limit_given: bool = False
    all_pages: bool = False

    def sms_params(self, *, limit: int | None = None, offset: int | None = None) -> list[tuple[str, str]]:
        """Query params for one SMS call, in the SDK's order. ``limit``/``offset`` are always sent
        so the page is explicit."""
        values: dict[str, str] = dict(self.filters)
        values["limit"] = str(self.limit if limit is None else limit)
        values["offset"] = str(self.offset if offset is None else offset)
        return [(name, values[name]) for name in SMS_PARAM_ORDER if name in values]

    def echo(self) -> dict[str, Any]:
        """What was asked, for logs and summaries."""
        out: dict[str, Any] = dict(self.filters)
        out.update(limit=self.limit, offset=self.offset)
        if self.all_pages:
            out["all"] = True
        return out


def single_value(name: str, value: Any) -> str:
    """A query parameter given once, as text; 400 naming it otherwise."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise bad_request(name, "give it once")
        value = value[0]
    if value is None:
        return ""
    if not isinstance(value, (str, int, bool)):
        raise bad_request(name, f"expected a single value, got {type(value).__name__}")
    if isinstance(value, str) and not encodable(value):
        raise bad_request(name, NOT_UNICODE)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _quoted(raw: str) -> str:
    return repr(raw if len(raw) <= SHOWN_MAX else raw[:SHOWN_MAX] + "…")


def _integer(name: str, raw: str, rule: dict[str, Any]) -> int:
    lo, hi = rule.get("minimum"), rule.get("maximum")
    allowed = f"an integer from {lo} to {hi}"
    if not _DIGITS.fullmatch(raw):
        raise bad_request(name, f"must be {allowed} (ASCII digits only, at most {INTEGER_DIGITS_MAX}), "
                                f"got {_quoted(raw)}")
    value = int(raw)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad_request(name, f"must be {allowed}, got {value}")
    return value


def _string(name: str, raw: str, rule: dict[str, Any]) -> str:
    if "enum" in rule:
        if raw not in rule["enum"]:
            raise bad_request(name, f"must be one of {', '.join(rule['enum'])}, got {_quoted(raw)}")
        return raw
    lo, hi = rule.get("minLength", 1), rule.get("maxLength")
    if len(raw) < lo:
        raise bad_request(name, "must not be empty")
    if hi is not None and len(raw) > hi:
        raise bad_request(name, f"must be at most {hi} characters, got {len(raw)}")
    return raw


def parse_boolean(name: str, raw: str) -> bool:
    """``true``/``1``/``yes`` or ``false``/``0``/``no`` (any case), else a 400 naming ``name``."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise bad_request(name, f"must be true or false, got {_quoted(raw)}")


def parse_query(params: Mapping[str, Any] | None) -> TaskQuery:
    """Check every parameter; the first problem becomes a 400 naming the parameter."""
    rules = query_rules()
    params = params or {}
    for key in params:
        if not isinstance(key, str) or not encodable(key):
            raise bad_request(shown(str(key))[:SHOWN_MAX], f"the parameter name {NOT_UNICODE}")
    unknown = sorted(k for k in params if k not in rules)
    if unknown:
        raise bad_request(unknown[0][:SHOWN_MAX], f"unknown parameter; allowed: {', '.join(rules)}")
    filters: dict[str, str] = {}
    limit, offset = int(rules["limit"].get("default", 100)), int(rules["offset"].get("default", 0))
    limit_given = all_pages = False
    for name in params:
        raw = single_value(name, params[name])
        rule = rules[name]
        kind = rule.get("type")
        if kind == "integer":
            value = _integer(name, raw, rule)
            if name == "limit":
                limit, limit_given = value, True
            else:
                offset = value
        elif kind == "boolean":
            all_pages = parse_boolean(name, raw)
        elif raw == "" and "enum" not in rule:
            # The doc sets no rule on the text filters: given empty, an optional filter carries no
            # value, so it filters nothing and is not sent (the emulator agrees, a test checks).
            continue
        else:
            filters[name] = _string(name, raw, rule)
    return TaskQuery(
        filters=filters, limit=limit, offset=offset, limit_given=limit_given, all_pages=all_pages
    )
