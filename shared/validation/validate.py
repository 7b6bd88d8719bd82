"""Validate raw SMS JSON against the schemas in ``shared/schemas/`` in one of three modes.

We validate the raw JSON, not the SDK's model objects: the SDK's model classes silently drop
fields they do not know, and would hide drift from the doc.

Modes (``SMS_VALIDATION``; ``shared.settings.ValidationMode``):

* ``strict``: the schema file as written, i.e. the doc literally.
* ``warn`` (default): derived from the same file by ``shared.validation.modes.derive``: nulls in
  non-required properties, unknown properties and unknown values of ``x-open-enum`` status enums
  are accepted; types, ranges, required fields and identity enums are still enforced.
* ``off``: nothing is validated.

=====================================  ==========  ==========
rule                                   strict      warn
=====================================  ==========  ==========
types, ranges, required fields         closed      closed
identity enums (type, os_type,         closed      closed
priority)
status enums ``x-open-enum``           closed      open
(source_server.state,
log_collect_status)
null in a non-required property        rejected    accepted
unlisted properties                    rejected    accepted
=====================================  ==========  ==========

Speed: each (schema, mode) is compiled once per process, lazily on first use, into two checks:

1. an accept-only fast path (``shared.validation.fastpath``, ``msgspec`` types built from the same derived
   schema), ~0.37 ms for a 200-task page: a document it accepts is valid, and that is the common case;
2. the compiled ``jsonschema_rs`` validator, the authority: it decides whatever the fast path did not
   accept (or every document, for schemas outside the fast path's subset) and writes the violations.

Both libraries are imported on first use, so importing this module stays cheap, and a process that
only ever sees valid documents never imports ``jsonschema_rs``. The pure-Python ``jsonschema`` package
is the reference that checks the schemas and both engines in the tests and is never imported here."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from shared.logger import logger
from shared.schemas import shared_schema
from shared.validation.fastpath import compile_fastpath
from shared.validation.modes import MODES, derive

RESPONSE_SCHEMA = "list_tasks_response"
QUERY_SCHEMA = "list_tasks_query"
ERROR_SCHEMA = "error"
# Violations kept per document; ``ValidationReport.total`` still counts all of them.
MAX_VIOLATIONS = 100
# Keep log lines small: long strings and big objects are summarised in ``Violation.value``.
_MAX_VALUE_CHARS = 200
_MAX_MESSAGE_CHARS = 300


class Violation(NamedTuple):
    """One broken rule.

    ``pointer`` is a JSON pointer (RFC 6901) to the offending value. For ``required`` it points where
    the missing member should be (``/tasks/3/id``, ``value`` None); for ``additionalProperties``
    there is one violation per unexpected member, pointing at it (``/tasks/0/new_field``)."""

    pointer: str
    rule: str
    value: Any
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "rule": self.rule, "value": self.value, "message": self.message}


# NamedTuples rather than dataclasses: a class costs ~0.1 ms to create instead of ~0.7 ms (cold start).
class ValidationReport(NamedTuple):
    """``violations`` holds at most ``MAX_VIOLATIONS``; ``total`` counts every violation found."""

    schema: str
    mode: str
    violations: list[Violation]
    total: int

    @classmethod
    def clean(cls, schema: str, mode: str) -> ValidationReport:
        return cls(schema, mode, [], 0)

    @property
    def ok(self) -> bool:
        return self.total == 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "mode": self.mode,
            "ok": self.ok,
            "total": self.total,
            "truncated": self.truncated,
            "violations": [v.to_dict() for v in self.violations],
        }


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"validation mode must be one of {', '.join(MODES)}; got {mode!r}")
    return mode


@cache
def _derived(name: str, mode: str) -> dict[str, Any]:
    return derive(shared_schema(name), mode)


def derived_schema(name: str, mode: str) -> dict[str, Any]:
    """The rule set ``mode`` ('strict' or 'warn') of schema ``name`` as a dict (a copy)."""
    return copy.deepcopy(_derived(name, _check_mode(mode)))


@cache
def compile_validator(schema_name: str, mode: str) -> Any:
    """The compiled ``jsonschema_rs`` validator for ``schema_name`` in ``mode``, built once per process.

    'off' gives a validator that accepts everything. The draft comes from the schema's ``$schema``;
    ``offline`` because all our references are local and validation must never touch the network;
    ``validate_formats`` so a ``format`` (e.g. the summary's date-time) is a rule, not a comment."""
    import jsonschema_rs  # deferred: ~25 ms of cold start, paid by the first validation only

    schema: Any = True if _check_mode(mode) == "off" else _derived(schema_name, mode)
    return jsonschema_rs.validator_for(schema, offline=True, validate_formats=True)


@cache
def compile_fast_check(schema_name: str, mode: str) -> Callable[[Any], bool] | None:
    """The accept-only fast check for ``schema_name`` in ``mode`` (None when its rules are outside
    the fast path's subset, or for 'off'), built once per process."""
    if _check_mode(mode) == "off":
        return None
    return compile_fastpath(_derived(schema_name, mode))


def validate_document(
    doc: Any, schema_name: str, mode: str = "strict", *, limit: int = MAX_VIOLATIONS
) -> ValidationReport:
    """Check ``doc`` (parsed JSON) against ``schema_name`` in ``mode``; never raises for bad data."""
    if _check_mode(mode) == "off":
        return ValidationReport.clean(schema_name, mode)
    fast = compile_fast_check(schema_name, mode)
    if fast is not None and fast(doc):  # the common case: proven valid in one C pass
        return ValidationReport.clean(schema_name, mode)
    validator = compile_validator(schema_name, mode)
    try:
        if validator.is_valid(doc):  # valid after all (e.g. 1.0 for an integer, refused by the fast path)
            return ValidationReport.clean(schema_name, mode)
        violations, total = _collect(validator.iter_errors(doc), limit)
    except ValueError as exc:  # not JSON data at all (non-string keys, sets ...)
        violations, total = [Violation("", "json", _small(doc), _clip(f"not JSON data: {exc}"))], 1
    return ValidationReport(schema_name, mode, violations, total)


def validate_response(doc: Any, mode: str) -> ValidationReport:
    """A ListTasks 200 body against ``list_tasks_response`` in ``mode``."""
    return validate_document(doc, RESPONSE_SCHEMA, mode)


def validate_error_body(doc: Any) -> ValidationReport:
    """An SMS (or our own) error body against ``error``, always in strict form."""
    return validate_document(doc, ERROR_SCHEMA, "strict")


def validate_query(params: Any) -> ValidationReport:
    """Parsed ListTasks query parameters against ``list_tasks_query`` (strict: they are our input)."""
    return validate_document(params, QUERY_SCHEMA, "strict")


def log_report(report: ValidationReport, message: str = "schema violations", *, max_logged: int = 20,
               **fields: Any) -> None:
    """One structured WARNING line for a failed report (nothing when it is ok)."""
    if report.ok:
        return
    logger.warning(
        message,
        schema=report.schema,
        mode=report.mode,
        total=report.total,
        violations=[v.to_dict() for v in report.violations[:max_logged]],
        **fields,
    )


# --- turning jsonschema_rs errors into Violations ---------------------------------------------------

def _collect(errors: Any, limit: int) -> tuple[list[Violation], int]:
    """The first ``limit`` violations and the count of all of them."""
    violations: list[Violation] = []
    total = 0
    for error in errors:
        if len(violations) < limit:
            found = _to_violations(error)
            violations.extend(found[: limit - len(violations)])
            total += len(found)
        else:  # past the cap only count, without building values and messages
            total += _count(error)
    return violations, total


def _count(error: Any) -> int:
    if error.kind.name == "additionalProperties":
        return max(1, len(error.kind.unexpected))
    return 1


def _to_violations(error: Any) -> list[Violation]:
    path = list(error.instance_path)
    rule = error.kind.name
    if rule == "additionalProperties" and isinstance(error.instance, dict) and error.kind.unexpected:
        return [
            Violation(
                _pointer([*path, key]),
                rule,
                _small(error.instance.get(key)),
                f"property {key!r} is not allowed here (the doc does not list it)",
            )
            for key in error.kind.unexpected
        ]
    if rule == "required":
        return [Violation(_pointer([*path, error.kind.property]), rule, None, _clip(error.message))]
    return [Violation(_pointer(path), rule, _small(error.instance), _clip(error.message))]


def _pointer(path: list[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _clip(text: str, limit: int = _MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... (+{len(text) - limit} chars)"


def _small(value: Any) -> Any:
    """``value`` itself when small; otherwise a short stand-in so one violation cannot flood a log."""
    if isinstance(value, str):
        return _clip(value, _MAX_VALUE_CHARS)
    if isinstance(value, (dict, list)):
        if len(value) <= 16 and _json_size(value) <= _MAX_VALUE_CHARS:  # only small ones are measured
            return value
        if isinstance(value, dict):
            return f"<object with {len(value)} members>"
        return f"<array with {len(value)} items>"
    return value


def _json_size(value: Any) -> int:
    try:
        return len(json.dumps(value, default=str))
    except (TypeError, ValueError):  # e.g. circular: never small
        return _MAX_VALUE_CHARS + 1
