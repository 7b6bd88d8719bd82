"""jsonschema_rs (production) and jsonschema (reference) agree on our schemas, in every mode, and the
msgspec fast path (``shared.validation.fastpath``) never accepts a document the reference refuses.

Documents are generated from the schema itself (valid ones), then mutated: wrong types, numbers
just outside or far outside a range, whole floats for integers, values outside enums, nulls, extra
members, missing required members. For each document both engines must give the same verdict and
the same multiset of (instance pointer, keyword) errors, and ``validate_document`` must agree with
the verdict. The fast path is one-sided: when it accepts, the reference must too; it may refuse a
valid document (a whole float for an integer), and then jsonschema_rs decides.
Hypothesis runs derandomized, so CI sees the same examples every time."""
from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.schemas import load_schema
from shared.validation.modes import inline_refs
from shared.validation.validate import (
    compile_fast_check,
    compile_validator,
    derived_schema,
    validate_document,
)

SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Keep documents small: a few tasks with a few sub tasks exercise every rule.
_MAX_ITEMS = 3
_INT_BOUND = 2**63  # JSON has no limit, but both engines go through 64-bit numbers for unbounded ints


# --- valid documents from a schema ---------------------------------------------------------------------

def valid_strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (ref-free; the keywords our schema files use)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([valid_strategy({**schema, "type": kind}) for kind in kinds])
    if kinds == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: valid_strategy(v) for k, v in props.items() if k in required},
            optional={k: valid_strategy(v) for k, v in props.items() if k not in required},
        )
    if kinds == "array":
        return st.lists(valid_strategy(schema.get("items", {"type": "string"})), max_size=_MAX_ITEMS)
    if kinds == "integer":
        return st.integers(schema.get("minimum", -_INT_BOUND + 1), schema.get("maximum", _INT_BOUND - 1))
    if kinds == "number":
        lo, hi = schema.get("minimum", -1e9), schema.get("maximum", 1e9)
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False) | st.integers(int(lo), int(hi))
    if kinds == "string":
        return st.text(max_size=6)
    if kinds == "boolean":
        return st.booleans()
    if kinds == "null":
        return st.none()
    return st.just(None)  # an unconstrained schema (none in our files)


# --- mutations -----------------------------------------------------------------------------------------

def nodes(value: Any, schema: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any, Any]]:
    """Every (path, value, subschema) in a document, root included."""
    found = [(path, value, schema)]
    if not isinstance(schema, dict):
        return found
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found += nodes(value[key], sub, (*path, key))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += nodes(item, schema["items"], (*path, index))
    return found


def replace_at(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = new
    return doc


_WRONG_TYPES = [None, "text", "", 7, -3, 2.5, 1.0, True, False, [], [1], {}, {"k": "v"}]


def wrong_types() -> st.SearchStrategy[Any]:
    # Copies: a later mutation must never edit the shared sample list.
    return st.sampled_from(_WRONG_TYPES).map(copy.deepcopy)


def mutant_values(value: Any, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Replacements for ``value`` that are likely (not certain) to break ``schema``."""
    options: list[st.SearchStrategy[Any]] = [wrong_types()]
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None or hi is not None:
        edges = []
        for bound, step in ((lo, -1), (hi, 1)):
            if bound is not None:
                edges += [bound, bound + step, bound + step * 0.5, bound + step * 1e-6, bound * 2 + step]
        edges += [2**63, 2**64, -(2**63) - 1, 1e300, -1e300]
        options.append(st.sampled_from(edges))
    if "enum" in schema:
        options.append(st.sampled_from(["NOT_IN_THE_DOC", "available", "AVAILABLE", "init", 3, -1, "0"]))
    if schema.get("type") in ("integer", ["integer", "null"]):
        options.append(st.sampled_from([float(lo or 0), (lo or 0) + 0.5, 1e20]))
    return st.one_of(options)


@st.composite
def mutated(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    """A valid document with zero to four mutations applied."""
    doc = draw(valid_strategy(schema))
    for _ in range(draw(st.integers(0, 4))):
        candidates = [n for n in nodes(doc, schema) if isinstance(n[2], dict)]
        op = draw(st.sampled_from(["replace", "null", "extra", "drop", "range", "enum"]))
        # Aim range and enum mutations at nodes that have such rules (most nodes are plain strings).
        keyword = {"range": "maximum", "enum": "enum"}.get(op)
        aimed = [n for n in candidates if keyword in n[2]] if keyword else candidates
        path, value, sub = draw(st.sampled_from(aimed or candidates))
        if op == "extra" and isinstance(value, dict):
            key = draw(st.sampled_from(["x_new", "id", "state", "error_code"]))
            value[key] = draw(wrong_types())
        elif op == "drop" and isinstance(value, dict) and value:
            del value[draw(st.sampled_from(sorted(value)))]
        elif op == "null":
            doc = replace_at(doc, path, None)
        else:
            doc = replace_at(doc, path, draw(mutant_values(value, sub)))
    return doc


# --- the comparison ----------------------------------------------------------------------------------

def pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def assert_engines_agree(doc: Any, schema_name: str, mode: str) -> None:
    compiled = compile_validator(schema_name, mode)
    reference = jsonschema.Draft202012Validator(derived_schema(schema_name, mode))
    ref_errors = Counter((pointer(e.absolute_path), e.validator) for e in reference.iter_errors(doc))
    rs_errors = Counter((pointer(e.instance_path), e.kind.name) for e in compiled.iter_errors(doc))
    ref_valid = reference.is_valid(doc)
    assert compiled.is_valid(doc) == ref_valid, (doc, rs_errors, ref_errors)
    fast = compile_fast_check(schema_name, mode)
    assert fast is not None
    if fast(doc):
        assert ref_valid, ("fast path accepted an invalid document", doc, ref_errors)
    assert rs_errors == ref_errors, doc
    report = validate_document(doc, schema_name, mode)
    assert report.ok == ref_valid
    assert report.total >= sum(ref_errors.values())


def response_schema() -> dict[str, Any]:
    return inline_refs(load_schema("list_tasks_response"))


@SETTINGS
@given(mutated(response_schema()))
def test_response_strict(doc: Any) -> None:
    assert_engines_agree(doc, "list_tasks_response", "strict")


@SETTINGS
@given(mutated(response_schema()))
def test_response_warn(doc: Any) -> None:
    assert_engines_agree(doc, "list_tasks_response", "warn")


@settings(SETTINGS, max_examples=150)
@given(mutated(inline_refs(load_schema("error"))))
def test_error_body(doc: Any) -> None:
    assert_engines_agree(doc, "error", "strict")


@settings(SETTINGS, max_examples=150)
@given(mutated(load_schema("list_tasks_query")))
def test_query(doc: Any) -> None:
    assert_engines_agree(doc, "list_tasks_query", "strict")


@SETTINGS
@given(valid_strategy(response_schema()))
def test_generated_documents_are_valid_in_both_modes(doc: Any) -> None:
    # Guards the generator: unmutated documents are valid, so mutations are what the other tests check.
    # And the fast path proves them valid by itself: it is the common case, not a detour.
    for mode in ("strict", "warn"):
        assert validate_document(doc, "list_tasks_response", mode).ok
        assert compile_fast_check("list_tasks_response", mode)(doc), mode


def test_mutations_reach_every_rule() -> None:
    # The differential tests would be vacuous if mutated documents were mostly valid or only ever
    # broke one kind of rule.
    verdicts: list[bool] = []
    fast_verdicts: Counter[tuple[bool, bool]] = Counter()  # (fast path accepted, reference valid)
    rules: dict[str, Counter[str]] = {"strict": Counter(), "warn": Counter()}

    @settings(SETTINGS, max_examples=200)
    @given(mutated(response_schema()))
    def collect(doc: Any) -> None:
        for mode, seen in rules.items():
            report = validate_document(doc, "list_tasks_response", mode)
            seen.update(v.rule for v in report.violations)
            fast_verdicts[(compile_fast_check("list_tasks_response", mode)(doc), report.ok)] += 1
            if mode == "strict":
                verdicts.append(report.ok)

    collect()
    assert verdicts.count(False) > len(verdicts) // 3
    # Soundness is only tested if the fast path both accepts and refuses here; a valid document it
    # refuses (whole floats for integers) happens but must stay rare.
    assert fast_verdicts[(True, False)] == 0, fast_verdicts
    assert fast_verdicts[(True, True)] > 50 and fast_verdicts[(False, False)] > 50, fast_verdicts
    assert fast_verdicts[(False, True)] <= fast_verdicts[(True, True)] // 4, fast_verdicts
    common = {"type", "enum", "minimum", "maximum", "required"}
    assert set(rules["strict"]) >= common | {"additionalProperties"}, rules
    assert set(rules["warn"]) >= common and "additionalProperties" not in rules["warn"], rules
