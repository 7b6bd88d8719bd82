"""The msgspec fast path: what it translates, what it refuses to translate, and that it never accepts
what JSON Schema refuses (the differential test does the same on the real schemas)."""
from __future__ import annotations

import itertools
import math
from typing import Any

import jsonschema
import pytest

import shared.validation.validate as validation
from shared.validation.fastpath import compile_fastpath

I64 = 2**63 - 1

# Values of every JSON kind, edges included: each is tried against every schema below.
VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 2, 1.0, 0.5, -0.5, 100, 101, 100.5, I64, I64 + 1, 2**64 + 1, 2**53 + 1,
    1e300, math.nan, math.inf, "", "A", "B", "a b", [], [1], ["A"], [None], {}, {"id": "x"},
    {"id": "x", "extra": 1}, {"id": None}, {"id": 5}, {"extra": 1},
]
SCHEMAS: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "boolean"},
    {"type": "null"},
    {"type": "integer"},
    {"type": "number"},
    {"type": ["integer", "null"], "minimum": 0, "maximum": I64},
    {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 101},
    {"type": ["number", "null"], "minimum": 0, "maximum": 100},
    {"type": ["integer", "number"], "maximum": 100},
    {"type": "number", "exclusiveMinimum": -1, "exclusiveMaximum": 100.5},
    {"type": "string", "enum": ["A", "B"]},
    {"type": ["string", "null"], "enum": ["A", None]},
    {"type": "integer", "enum": [0, 1, 2], "maximum": 1},
    {"enum": ["A", 1, None]},
    {"const": "A"},
    {"type": "array", "items": {"type": "string"}},
    {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
    {"type": "array"},
    {"type": "object"},
    {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
    {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": False},
    {"type": "object", "required": ["id"]},
    {"type": ["object", "string"], "properties": {"id": {"type": ["string", "integer"]}}},
    {"title": "anything", "description": "annotations only", "x-open-enum": True},
]


def fast(schema: Any) -> Any:
    check = compile_fastpath(schema)
    assert check is not None, schema
    return check


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_never_accepts_what_json_schema_refuses(schema: dict[str, Any]) -> None:
    check, reference = fast(schema), jsonschema.Draft202012Validator(schema)
    accepted = [value for value in VALUES if check(value)]
    for value in accepted:
        assert reference.is_valid(value), (schema, value)
    # Not vacuous: every schema accepts something and refuses something (except the open one).
    assert accepted
    if schema.get("type") or "enum" in schema or "const" in schema:
        assert len(accepted) < len(VALUES)


def test_it_accepts_what_it_should() -> None:
    task = {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string"},
        "priority": {"type": ["integer", "null"], "minimum": 0, "maximum": 2, "enum": [0, 1, 2, None]},
        "speed": {"type": "number", "minimum": 0, "maximum": 10000},
        "sub": {"type": "array", "items": {"type": "object", "properties": {"end": {"type": ["integer", "null"]}}}},
    }}
    check = fast(task)
    assert check({"id": "t", "priority": 2, "speed": 3, "sub": [{"end": None}, {}], "unknown": [1]})
    assert check({"id": "t", "priority": None, "speed": 9999.5})
    assert not check({"id": "t", "priority": 3})
    assert not check({"id": "t", "speed": 10000.01})
    assert not check({"id": "t", "sub": [{"end": "soon"}]})
    assert not check({"priority": 1})


def test_member_names_need_not_be_python_names() -> None:
    check = fast({"type": "object", "properties": {"a b": {"type": "integer"}, "class": {"type": "string"},
                                                  "$ref-like": {"type": "boolean"}}, "required": ["a b"]})
    assert check({"a b": 1, "class": "x", "$ref-like": True})
    assert not check({"a b": 1, "class": 1})
    assert not check({"class": "x"})


def test_bounds_are_exact_at_the_edge() -> None:
    long_ = fast({"type": "integer", "minimum": 0, "maximum": I64})
    assert long_(0) and long_(I64) and not long_(-1) and not long_(I64 + 1)
    share = fast({"type": "number", "exclusiveMinimum": 0, "maximum": 100})
    assert share(100) and share(1e-300) and not share(0) and not share(100.000001)


def test_one_sided_a_refusal_is_not_a_verdict() -> None:
    # JSON Schema calls 1.0 an integer and NaN passes its range comparisons; the fast path refuses
    # both, and validate_document then asks jsonschema_rs, which decides.
    integer = fast({"type": "integer"})
    assert not integer(1.0) and not integer(True)
    page = {"count": 1.0, "tasks": [{"id": "t"}]}
    assert not validation.compile_fast_check("list_tasks_response", "strict")(page)
    assert validation.validate_document(page, "list_tasks_response", "strict").ok


@pytest.mark.parametrize("schema", [
    {"type": "string", "pattern": "^a"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "minLength": 1},
    {"anyOf": [{"type": "string"}, {"type": "null"}]},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"type": "integer", "minimum": 0.5},
    {"type": "number", "maximum": 2**53},
    {"type": "number", "maximum": math.inf},
    {"type": "integer", "maximum": True},
    {"enum": [True, False]},
    {"enum": [[1], {"a": 1}]},
    {"type": "integer", "enum": ["A"]},
    {"type": "thing"},
    {"minimum": 0},
    {"$ref": "https://example.com/schema.json"},
    False,
])
def test_outside_the_subset_there_is_no_fast_path(schema: Any) -> None:
    assert compile_fastpath(schema) is None


def test_local_refs_are_inlined() -> None:
    check = fast({"$defs": {"Id": {"type": "string"}}, "type": "object",
                  "properties": {"id": {"$ref": "#/$defs/Id"}}, "required": ["id"]})
    assert check({"id": "x"}) and not check({"id": 1})


def test_every_shipped_schema_is_compiled_or_explicitly_left_to_jsonschema_rs() -> None:
    fast_ones = {(name, mode) for name, mode in itertools.product(
        ("list_tasks_response", "list_tasks_query", "error", "summary", "task_event_request"), ("strict", "warn"))
        if validation.compile_fast_check(name, mode) is not None}
    # The hot path (ListTasks pages, queries, error bodies) is fast in both modes; the summary and
    # event-request schemas use pattern/format/anyOf and stay with jsonschema_rs (small, rare documents).
    assert fast_ones == {(n, m) for n in ("list_tasks_response", "list_tasks_query", "error")
                         for m in ("strict", "warn")}
    assert validation.compile_fast_check("list_tasks_response", "off") is None


def test_valid_documents_skip_the_full_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    page = {"count": 1, "tasks": [{"id": "t", "priority": 1, "sub_tasks": [], "migrate_speed": 3.5}]}

    def refuse(*_: Any) -> Any:
        raise AssertionError("jsonschema_rs consulted for a valid document")

    monkeypatch.setattr(validation, "compile_validator", refuse)
    assert validation.validate_response(page, "warn").ok
    assert validation.validate_response(page, "strict").ok
    page["tasks"][0]["priority"] = 7
    with pytest.raises(AssertionError, match="consulted"):
        validation.validate_response(page, "warn")
