"""Pages decoded from their bytes straight into the checked types (``shared.validation.decode``).

The contract stays accept-only, now over bytes: whenever the typed decode accepts a page (its tasks
come back typed), the reference (``json.loads`` + the pure-Python ``jsonschema``) must accept the
same bytes; whenever it does not, the report is the reference path's, unchanged. Pages are the
differential test's generated valid and broken documents, written out in several byte forms
(compact, spaced, non-ASCII escaped or not, a member repeated), plus hand-made hostile bodies."""
from __future__ import annotations

import json
from typing import Any

import jsonschema
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.validation.decode import MalformedPage, decode_page, splice_pages, truncate_array
from shared.validation.validate import RESPONSE_SCHEMA, derived_schema, validate_response
from tests.unit.validation.test_validator_differential import SETTINGS, mutated, response_schema

MODES = ("warn", "strict")
REFERENCE = {mode: jsonschema.Draft202012Validator(derived_schema(RESPONSE_SCHEMA, mode)) for mode in MODES}


def typed(tasks: list[Any]) -> bool:
    return any(isinstance(t, msgspec.Struct) for t in tasks)


def encodings(doc: Any) -> st.SearchStrategy[bytes]:
    forms = [
        json.dumps(doc, separators=(",", ":")).encode(),
        json.dumps(doc, indent=1, ensure_ascii=False).encode(),
        json.dumps(doc).encode(),
    ]
    if isinstance(doc, dict) and doc:  # the first member again, before the real one: last one wins
        first = next(iter(doc))
        body = json.dumps(doc)[1:]
        forms.append(f'{{{json.dumps(first)}: "a decoy", {body}'.encode())
        forms.append(f'{{{json.dumps(first)}: {json.dumps(doc[first])}, {body}'.encode())
    return st.sampled_from(forms)


def assert_decode_agrees(content: bytes, mode: str) -> None:
    reference_doc = json.loads(content)
    ref_valid = REFERENCE[mode].is_valid(reference_doc)
    for splice in (False, True):
        page = decode_page(content, mode, splice=splice)
        assert page.report is not None
        if typed(page.tasks) or (page.tasks == [] and page.report.ok):
            assert ref_valid, ("the typed decode accepted what the reference refuses", content)
        assert page.report.ok == ref_valid, content
        assert page.report.total == validate_response(reference_doc, mode).total
        tasks = reference_doc.get("tasks") if isinstance(reference_doc, dict) else None
        assert len(page.tasks) == (len(tasks) if isinstance(tasks, list) else 0)
        if splice:  # the array kept for all=true holds exactly the tasks json.loads reads
            assert page.tasks_json is not None
            assert json.loads(page.tasks_json) == (tasks if isinstance(tasks, list) else [])


@st.composite
def page_bytes(draw: st.DrawFn) -> bytes:
    return draw(encodings(draw(mutated(response_schema()))))


@pytest.mark.parametrize("mode", ["warn", "strict"])
@SETTINGS
@given(content=page_bytes())
def test_decode_never_accepts_what_the_reference_refuses(mode: str, content: bytes) -> None:
    if not isinstance(json.loads(content), dict):
        with pytest.raises(MalformedPage):
            decode_page(content, mode)
        return
    assert_decode_agrees(content, mode)


TASK = {"id": "t1", "name": "n", "type": "MIGRATE_FILE", "state": "RUNNING", "priority": 1}


def test_a_valid_page_comes_back_typed_in_one_pass() -> None:
    content = json.dumps({"count": 1, "tasks": [TASK]}).encode()
    page = decode_page(content, "warn")
    assert page.count == 1 and page.report is not None and page.report.ok
    assert typed(page.tasks) and page.tasks[0].state == "RUNNING" and page.tasks[0].id == "t1"


@pytest.mark.parametrize("content, verdict", [
    # A repeated member whose copies disagree: json.loads keeps the last; so does the verdict.
    (b'{"count": 1, "tasks": [{"id": "t", "priority": 9, "priority": 1}]}', True),
    (b'{"count": 1, "tasks": [{"id": "t", "priority": 1, "priority": 9}]}', False),
    (b'{"count": 1.0, "tasks": []}', True),  # a whole float for an integer: the reference's call
    (b'\xef\xbb\xbf{"count": 0, "tasks": []}', True),  # json.loads reads a UTF-8 BOM
    (b'{"count": 0, "tasks": [], "x": NaN}', True),  # json.loads reads NaN (warn allows extras)
    (b'{"count": 1, "tasks": [{"id": "\\ud800"}]}', True),  # a lone surrogate escape
    (b'{"count": 99999999999999999999, "tasks": []}', False),  # past 64 bits
], ids=["dup-last-valid", "dup-last-invalid", "whole-float", "bom", "nan", "surrogate", "huge"])
def test_what_only_json_loads_reads_gets_the_reference_verdict(content: bytes, verdict: bool) -> None:
    page = decode_page(content, "warn", splice=True)
    assert page.report is not None and page.report.ok is verdict
    assert REFERENCE["warn"].is_valid(json.loads(content)) is verdict
    assert json.loads(page.tasks_json or b"") == json.loads(content)["tasks"]


@pytest.mark.parametrize("content", [
    b"", b"{", b'{"count": 1, "tasks": []} trailing', b'"a\nb"', b'{"count": "\xff"}', b"[]", b"7",
    b'{"name": "a\x01b"}',
], ids=["empty", "cut", "trailing", "control", "bad-utf8", "array", "number", "raw-control"])
@pytest.mark.parametrize("mode", ["warn", "strict", "off"])
def test_what_is_no_json_object_is_malformed_in_every_mode(content: bytes, mode: str) -> None:
    with pytest.raises(MalformedPage):
        decode_page(content, mode)


def test_off_decodes_without_checks() -> None:
    content = json.dumps({"count": "many", "tasks": [{"priority": "high"}]}).encode()
    page = decode_page(content, "off", splice=True)
    assert page.report is None and page.count is None and page.tasks == [{"priority": "high"}]
    assert json.loads(page.tasks_json or b"") == [{"priority": "high"}]
    assert decode_page(b'{"tasks": {"odd": 1}}', "off").tasks == []


def test_pages_splice_into_one_body_equal_in_content() -> None:
    a = json.dumps([TASK, {**TASK, "id": "t2"}], indent=2).encode()
    b = b"[ ]"
    c = json.dumps([{**TASK, "id": "t\u00e9", "name": "\u4efb\u52a1"}], ensure_ascii=False).encode()
    body = splice_pages(3, [a, b, c])
    assert json.loads(body) == {"count": 3, "tasks": json.loads(a) + json.loads(c)}
    assert json.loads(splice_pages(0, [])) == {"count": 0, "tasks": []}
    assert json.loads(truncate_array(a, 1)) == json.loads(a)[:1]
