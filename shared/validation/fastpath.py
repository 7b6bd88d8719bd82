"""An accept-only fast check compiled from a JSON Schema into ``msgspec`` types.

Why: ``jsonschema_rs`` re-reads the Python number for every numeric keyword (~15-20 ns each), and a
200-task page holds ~8,000 numbers with a documented range, so ranges were half of its ~0.65 ms per
page. ``msgspec.convert`` checks the same rules in one C pass while building throw-away typed objects:
~0.37 ms for the same page, same rules.

The check is one-sided by design. ``accepts(doc)`` True means ``doc`` satisfies the schema; False only
means "not proven here", and the caller asks ``jsonschema_rs``, which stays the authority and writes
the violation report. So every rule below is at least as strict as the JSON Schema rule it stands
for, never looser (tests/unit/test_validator_differential.py checks this against the reference):

=================================  ===========================================================
JSON Schema                        msgspec
=================================  ===========================================================
``type`` string/boolean/null       ``str`` / ``bool`` / ``None``
``type`` integer                   ``int`` (also refuses a whole float such as ``1.0``: stricter)
``type`` number                    ``float`` (accepts ints, refuses bools, like JSON Schema)
``minimum`` ... ``exclusiveMax..``  ``Meta(ge/le/gt/lt)`` (NaN is refused: stricter)
``enum`` / ``const``               ``Literal`` of the values that also pass ``type`` and ranges
``properties`` / ``required``      a ``Struct``; optional members get a default
``additionalProperties: false``    ``forbid_unknown_fields``
``items``                          ``list[...]``
annotations, ``x-*``               ignored
=================================  ===========================================================

Documents are parsed JSON (``json.loads`` output, as everywhere ``shared.validation.validate`` is used):
``msgspec`` would also take a tuple or a set where a list is expected, which JSON cannot produce.

Any other keyword (``pattern``, ``format``, ``anyOf``, a schema-valued ``additionalProperties``...),
a non-local ``$ref``, or a bound a float cannot hold exactly makes ``compile_fastpath`` return None:
that schema is simply validated by ``jsonschema_rs`` alone. ``msgspec`` is imported on first use."""
from __future__ import annotations

import operator
from collections.abc import Callable
from keyword import iskeyword
from typing import Annotated, Any, Literal, Union

from shared.validation.modes import inline_refs

# Keywords that carry no rule.
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated",
    "readOnly", "writeOnly",
})
_RULES = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "enum", "const",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
})
# Each bound keyword: its msgspec.Meta name, and the comparison it makes (for filtering enum values).
_BOUNDS = {
    "minimum": ("ge", operator.ge), "maximum": ("le", operator.le),
    "exclusiveMinimum": ("gt", operator.gt), "exclusiveMaximum": ("lt", operator.lt),
}
# A float holds every integer strictly below 2**53 exactly; an int compared with a bound past that
# could round onto the bound and pass where JSON Schema's exact comparison fails.
_FLOAT_EXACT = 2**53
_KINDS = ("null", "boolean", "string", "integer", "number", "object", "array")

Accepts = Callable[[Any], bool]


class Unsupported(ValueError):
    """The schema uses something this compiler does not translate exactly."""


def compile_type(schema: Any) -> Any | None:
    """The ``msgspec`` type standing for ``schema`` (see the table above), or None when the schema
    is outside the subset. Decoding JSON bytes into it (``msgspec.json.Decoder(type)``) parses and
    checks in one pass: what decodes satisfies the schema. Object members keep their JSON name as
    attribute name when it is a plain Python name, so decoded objects read as ``task.state``."""
    import msgspec  # deferred: only validation needs it

    try:
        target = _Compiler(msgspec).type_of(inline_refs(schema) if isinstance(schema, dict) else schema)
        msgspec.convert(None, target)  # msgspec checks the type itself on first use: do it now
    except msgspec.ValidationError:
        pass  # None is not a valid document: expected, the type is usable
    except (Unsupported, TypeError, ValueError):
        return None  # ValueError: refs inline_refs cannot resolve; TypeError: unions msgspec refuses
    return type(None) if target is None else target  # so that None always means "outside the subset"


def compile_fastpath(schema: Any) -> Accepts | None:
    """``accepts(doc) -> bool`` for ``schema`` (parsed JSON), or None when the schema is outside the
    subset."""
    import msgspec

    target = compile_type(schema)
    if target is None:
        return None
    convert = msgspec.convert

    def accepts(doc: Any) -> bool:
        try:
            convert(doc, target)
        except Exception:  # a ValidationError, or anything odd: "not proven", jsonschema_rs decides
            return False
        return True

    return accepts


class _Compiler:
    def __init__(self, msgspec: Any) -> None:
        self.msgspec = msgspec
        self.structs = 0

    def type_of(self, schema: Any) -> Any:
        if schema is True:
            return Any
        if not isinstance(schema, dict):
            raise Unsupported(f"boolean schema {schema!r}")
        unknown = {k for k in schema if k not in _ANNOTATIONS and k not in _RULES and not k.startswith("x-")}
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        kinds = self._kinds(schema)
        if "enum" in schema or "const" in schema:
            return self._literal(schema, kinds)
        if kinds is None:
            if set(schema) & _RULES:
                raise Unsupported("rules without a type")
            return Any
        members = [self._member(kind, schema) for kind in kinds]
        return members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007 - runtime union

    @staticmethod
    def _kinds(schema: dict[str, Any]) -> list[str] | None:
        kinds = schema.get("type")
        if kinds is None:
            return None
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(kinds, list) or not kinds or any(k not in _KINDS for k in kinds):
            raise Unsupported(f"type {schema.get('type')!r}")
        if "number" in kinds:  # number already admits integers; msgspec refuses int | float unions
            kinds = [k for k in kinds if k != "integer"]
        return list(dict.fromkeys(kinds))

    def _literal(self, schema: dict[str, Any], kinds: list[str] | None) -> Any:
        values = schema["enum"] if "enum" in schema else [schema["const"]]
        if not isinstance(values, list):
            raise Unsupported("enum is not a list")
        kept = []
        for value in values:
            if isinstance(value, bool) or not (value is None or isinstance(value, (str, int))):
                raise Unsupported(f"enum value {value!r}")  # msgspec Literals hold str, int and None only
            if _admits(kinds, value) and _in_bounds(value, schema):
                kept.append(value)
        if not kept:
            raise Unsupported("no enum value satisfies the other rules")
        return Literal[tuple(kept)]

    def _member(self, kind: str, schema: dict[str, Any]) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return bool
        if kind == "string":
            return str
        if kind in ("integer", "number"):
            return self._number(kind, schema)
        if kind == "array":
            items = schema.get("items", True)
            return list[self.type_of(items)]  # type: ignore[misc]
        return self._object(schema)

    def _number(self, kind: str, schema: dict[str, Any]) -> Any:
        meta: dict[str, Any] = {}
        for keyword, (name, _) in _BOUNDS.items():
            if keyword not in schema:
                continue
            bound = schema[keyword]
            if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                raise Unsupported(f"{keyword} {bound!r}")
            if kind == "integer":
                if not isinstance(bound, int):
                    raise Unsupported(f"non-integer {keyword} on an integer")
            elif not abs(bound) < _FLOAT_EXACT:  # also refuses NaN and infinities
                raise Unsupported(f"{keyword} {bound!r} is not exact as a float")
            else:
                bound = float(bound)
            meta[name] = bound
        base = int if kind == "integer" else float
        return Annotated[base, self.msgspec.Meta(**meta)] if meta else base

    def _object(self, schema: dict[str, Any]) -> Any:
        props = schema.get("properties", {})
        required = schema.get("required", [])
        extra = schema.get("additionalProperties", True)
        if not isinstance(props, dict) or not isinstance(required, list) or extra not in (True, False, {}):
            raise Unsupported("object rules")
        if not props and not required and extra is not False:
            return dict[str, Any]
        msgspec = self.msgspec
        names = list(dict.fromkeys([*props, *required]))
        fields = []
        taken = {n for n in names if _plain_name(n)}
        for index, name in enumerate(names):
            if not isinstance(name, str):
                raise Unsupported(f"property name {name!r}")
            kind = self.type_of(props.get(name, True))
            # The JSON name is the wire name; the attribute is that name when Python allows it,
            # else a free ``m<index>``: any member name works.
            attr = name if _plain_name(name) else _free_name(index, taken)
            spec = msgspec.field(name=name) if name in required else msgspec.field(name=name, default=None)
            fields.append((attr, kind, spec))
        self.structs += 1
        # gc=False: these objects are dropped at once and hold no cycles, so GC tracking is waste.
        return msgspec.defstruct(f"Fast{self.structs}", fields, kw_only=True, gc=False,
                                 forbid_unknown_fields=extra is False)


def _plain_name(name: Any) -> bool:
    """A name usable as a struct attribute as is (msgspec reserves leading underscores)."""
    return isinstance(name, str) and name.isidentifier() and not iskeyword(name) \
        and not name.startswith("_")


def _free_name(index: int, taken: set[str]) -> str:
    attr = f"m{index}"
    while attr in taken:
        attr += "_"
    taken.add(attr)
    return attr


def _admits(kinds: list[str] | None, value: Any) -> bool:
    """Whether ``type`` (``kinds``; None when absent) admits the enum ``value`` (str, int or None)."""
    if kinds is None:
        return True
    if value is None:
        return "null" in kinds
    if isinstance(value, str):
        return "string" in kinds
    return "integer" in kinds or "number" in kinds


def _in_bounds(value: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(value, int):
        return True
    return all(compare(value, schema[keyword]) for keyword, (_, compare) in _BOUNDS.items() if keyword in schema)
