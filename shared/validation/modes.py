"""Derive the validation rule sets ("modes") from ONE strict JSON Schema file.

The schema files in ``shared/schemas/`` state the SMS doc literally; that is the ``strict`` rule set.
The ``warn`` rule set is computed from the same file, so the two can never drift apart:

=====================================  ==========  ==========
rule                                   strict      warn
=====================================  ==========  ==========
JSON types (string/integer/number...)  closed      closed
ranges (minimum / maximum)             closed      closed
required fields                        closed      closed
identity enums (type, os_type,         closed      closed
priority, query state)
status enums marked ``x-open-enum``    closed      open: any string of the declared type
(source_server.state,
log_collect_status)
null in a non-required property        rejected    accepted
(except where the file allows null,
e.g. a sub task's ``end_date``)
properties the doc does not list       rejected    accepted
(``additionalProperties: false``)
=====================================  ==========  ==========

``off`` validates nothing. Pure functions over plain dicts: no schema library is imported here.

Warn derivation, in order:

1. inline local ``#/$defs/<Name>`` references, so nullability can be added where a property is
   used (an ``anyOf [null, $ref]`` wrapper would hide the inner errors behind one ``anyOf`` error);
2. drop ``enum`` where ``x-open-enum`` is true (the ``type`` stays);
3. drop ``additionalProperties: false`` / ``unevaluatedProperties: false``;
4. make every property that its object does not list in ``required`` nullable: ``"null"`` joins its
   ``type`` and ``None`` its ``enum``; ranges need nothing (they only apply to numbers)."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

OPEN_ENUM = "x-open-enum"
MODES = ("warn", "strict", "off")
_DEFS_PREFIX = "#/$defs/"

# Keywords whose values are subschemas (draft 2020-12); everything else is data (enum, default...).
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_ONE = (
    "items", "additionalProperties", "contains", "propertyNames", "not", "if", "then", "else",
    "unevaluatedItems", "unevaluatedProperties",
)
_SCHEMA_LISTS = ("prefixItems", "allOf", "anyOf", "oneOf")
_COMBINATORS = ("$ref", "allOf", "anyOf", "oneOf", "not", "if")

Schema = Any  # a dict, or True / False


def map_subschemas(node: dict[str, Any], fn: Callable[[Schema], Schema]) -> dict[str, Any]:
    """A shallow copy of ``node`` with ``fn`` applied to each direct subschema."""
    out = dict(node)
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: fn(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_ONE:
        if key in out:
            out[key] = fn(out[key])
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [fn(sub) for sub in out[key]]
    return out


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every ``{"$ref": "#/$defs/X", ...}`` replaced by X merged with the siblings
    (siblings win, e.g. a use-site ``description``); ``$defs`` is dropped once nothing points there.

    Only local ``$defs`` references are supported; a recursive schema raises ``ValueError``."""
    defs = schema.get("$defs", {})

    def walk(node: Schema, seen: tuple[str, ...]) -> Schema:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if ref is not None:
            name = ref[len(_DEFS_PREFIX):] if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX) else None
            if name not in defs:
                raise ValueError(f"only local '#/$defs/<name>' references can be inlined, got {ref!r}")
            if ref in seen:
                raise ValueError(f"recursive reference {ref!r} cannot be inlined")
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            target = walk(defs[name], (*seen, ref))
            return {**target, **map_subschemas(siblings, lambda sub: walk(sub, seen))}
        return map_subschemas(node, lambda sub: walk(sub, seen))

    out = walk({k: v for k, v in schema.items() if k != "$defs"}, ())
    return copy.deepcopy(out)


def nullable(schema: Schema) -> Schema:
    """``schema`` that also accepts ``null``."""
    if schema is True:
        return True
    if schema is False:
        return {"type": "null"}
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str) and kind != "null":
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if kind is None and any(key in out for key in _COMBINATORS):
        # Only for schemas we cannot widen in place; ours never get here after inlining.
        return {"anyOf": [{"type": "null"}, out]}
    return out


def _relax(node: Schema) -> Schema:
    if not isinstance(node, dict):
        return node
    out = map_subschemas(node, _relax)
    if out.get(OPEN_ENUM) is True:
        out.pop("enum", None)
    for key in ("additionalProperties", "unevaluatedProperties"):
        if out.get(key) is False:
            del out[key]
    props = out.get("properties")
    if isinstance(props, dict):
        required = set(out.get("required", ()))
        out["properties"] = {
            name: sub if name in required else nullable(sub) for name, sub in props.items()
        }
    return out


def derive(schema: dict[str, Any], mode: str) -> dict[str, Any]:
    """The rule set for ``mode`` ('strict' or 'warn') from the strict ``schema``; a new dict."""
    if mode == "strict":
        return copy.deepcopy(schema)
    if mode == "warn":
        out = _relax(inline_refs(schema))
        out["$comment"] = "warn rule set derived by shared.validation.modes; edit the strict file instead"
        if "title" in out:
            out["title"] = f"{out['title']} (warn mode)"
        return out
    raise ValueError(f"no rule set to derive for mode {mode!r}; use 'strict' or 'warn'")
