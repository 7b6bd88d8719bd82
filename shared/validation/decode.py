"""A ListTasks page from its bytes to checked tasks, in one pass when the page is valid.

The fast path decodes the body straight into the ``msgspec`` types compiled from the active rule
set (``shared.validation.fastpath.compile_type`` over the derived schema): parsing and checking
every rule happen in one C pass, and a page that decodes is valid. That is cheaper than
``json.loads`` alone. The decoded tasks are typed objects (``task.state``, ``task.sub_tasks``);
members the rule set does not list are not kept (warn mode accepts them; nothing reads them).

Accept-only, as before: a page that does not decode is not judged here. It goes to the reference
path, ``json.loads``'s document (built by msgspec's untyped decoder when it can, see ``_parse``) +
``jsonschema_rs`` (``reference_report``), which decides and writes the report, and its tasks are
the parsed dicts. So a malformed body, a duplicate member whose copies
disagree, a ``1.0`` for an integer or a UTF-8 BOM all get exactly today's verdict.

``off`` decodes without checks (``msgspec``'s untyped decoder, dicts).

With ``splice`` the tasks array is also kept as the bytes SMS sent (``msgspec.Raw``: the top level
is decoded with ``tasks`` left raw, then the raw array into the checked task list), so ``all=true``
joins the pages' arrays without re-encoding anything."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from shared.validation.fastpath import compile_type
from shared.validation.validate import RESPONSE_SCHEMA, ValidationReport, _derived, reference_report

TASKS = "tasks"
COUNT = "count"


def member(record: Any, name: str) -> Any:
    """Member ``name`` of a task dict or a typed task (or of their sub objects); None when absent.
    Typed tasks hold the members the rule set lists, the ones the project reads."""
    # Exact-type checks first: this runs for every field of every sub task of a scan, and an
    # isinstance against the Mapping ABC costs several times as much.
    kind = type(record)
    if kind is dict:
        return record.get(name)
    if hasattr(kind, "__struct_fields__"):
        return getattr(record, name, None)
    return record.get(name) if isinstance(record, Mapping) else None


Reader = Callable[[Any], Any]
_readers: dict[tuple[type, str | tuple[str, ...]], Reader] = {}  # a few record types x name sets


def members(kind: type, names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A reader of ``names`` for records of type ``kind``: ``reader(record)`` is the tuple of
    ``member(record, name)`` for each name, in one call. A typed task's type gets one
    ``operator.attrgetter`` (a single C call, where ``member`` per name costs a type dispatch
    each: the summary reads several members of every task and sub task of a scan); dicts and
    other mappings read as ``member`` does. ``names``: two or more. Built once per type."""
    read = _readers.get((kind, names))
    if read is None:
        fields = getattr(kind, "__struct_fields__", None)
        if fields is not None and len(names) > 1 and all(name in fields for name in names):
            read = attrgetter(*names)
        elif kind is dict:
            read = lambda record: tuple(map(record.get, names))  # noqa: E731
        else:
            read = lambda record: tuple(member(record, name) for name in names)  # noqa: E731
        _readers[(kind, names)] = read
    return read


def member_of(kind: type, name: str) -> Reader:
    """``members`` for one name: ``reader(record)`` is ``member(record, name)``."""
    read = _readers.get((kind, name))
    if read is None:
        fields = getattr(kind, "__struct_fields__", None)
        if fields is not None and name in fields:
            read = attrgetter(name)
        elif kind is dict:
            read = lambda record: record.get(name)  # noqa: E731
        else:
            read = lambda record: member(record, name)  # noqa: E731
        _readers[(kind, name)] = read
    return read


def is_record(value: Any) -> bool:
    """A JSON object: a dict (or other mapping) or a typed ``msgspec`` struct."""
    kind = type(value)
    return kind is dict or hasattr(kind, "__struct_fields__") or isinstance(value, Mapping)


class MalformedPage(ValueError):
    """The body is not JSON, or not a JSON object."""


class DecodedPage(NamedTuple):
    count: int | None  # SMS's ``count`` when an integer
    tasks: list[Any]  # typed tasks when decoded checked, else dicts; ``[]`` when ``tasks`` is no array
    tasks_json: bytes | None  # the ``tasks`` array as sent (``splice`` only)
    report: ValidationReport | None  # None for ``off``


class _Decoders(NamedTuple):
    page: Any  # Decoder of the whole page
    envelope: Any | None  # Decoder of the page with ``tasks`` raw (None: no splice fast path)
    tasks: Any | None  # Decoder of the raw ``tasks`` array


@cache
def _decoders(mode: str) -> _Decoders | None:
    """The checked decoders of ``mode``'s rule set, built once per process (None for ``off`` or a
    rule set outside the fast path's subset)."""
    import msgspec

    if mode == "off":
        return None
    page_type = compile_type(_derived(RESPONSE_SCHEMA, mode))
    if page_type is None:
        return None
    page = msgspec.json.Decoder(page_type)
    fields = {f.encode_name: f for f in msgspec.structs.fields(page_type)} \
        if isinstance(page_type, type) and issubclass(page_type, msgspec.Struct) else {}
    tasks_field = fields.get(TASKS)
    if tasks_field is None or not tasks_field.required:
        return _Decoders(page, None, None)
    specs = []
    for f in fields.values():
        kind = msgspec.Raw if f is tasks_field else f.type
        spec = msgspec.field(name=f.encode_name) if f.required else \
            msgspec.field(name=f.encode_name, default=f.default)
        specs.append((f.name, kind, spec))
    envelope_type = msgspec.defstruct("PageEnvelope", specs, kw_only=True, gc=False,
                                      forbid_unknown_fields=page_type.__struct_config__.forbid_unknown_fields)
    return _Decoders(page, msgspec.json.Decoder(envelope_type), msgspec.json.Decoder(tasks_field.type))


class _Loose:
    """Decoders for ``off`` and for the splice of a page the reference path read."""

    @staticmethod
    @cache
    def tasks_raw() -> Any:
        import msgspec

        envelope = msgspec.defstruct("LooseEnvelope", [(TASKS, msgspec.Raw, msgspec.Raw(b"[]"))], gc=False)
        return msgspec.json.Decoder(envelope)

    @staticmethod
    @cache
    def untyped() -> Any:
        import msgspec

        return msgspec.json.Decoder()


def decode_page(content: bytes, mode: str, *, splice: bool = False) -> DecodedPage:
    """``content`` (a 200 body) decoded and checked against ``mode``'s rule set; raises
    ``MalformedPage`` when it is not a JSON object."""
    decoders = _decoders(mode)
    if decoders is not None:
        try:
            if splice and decoders.envelope is not None:
                envelope = decoders.envelope.decode(content)
                raw = getattr(envelope, TASKS)
                tasks = decoders.tasks.decode(raw)
                return DecodedPage(getattr(envelope, COUNT, None), tasks, bytes(raw), _clean(mode))
            page = decoders.page.decode(content)
            return DecodedPage(getattr(page, COUNT, None), getattr(page, TASKS), None, _clean(mode))
        except Exception:  # a ValidationError, bad UTF-8, anything: the reference decides
            pass
    return _reference(content, mode, splice)


def _clean(mode: str) -> ValidationReport:
    return ValidationReport.clean(RESPONSE_SCHEMA, mode)


def _reference(content: bytes, mode: str, splice: bool) -> DecodedPage:
    data = _parse(content)
    if not isinstance(data, dict):
        raise MalformedPage(f"SMS answered with a JSON {type(data).__name__}, not an object")
    report = None if mode == "off" else reference_report(data, RESPONSE_SCHEMA, mode)
    tasks = data.get(TASKS)
    tasks = tasks if isinstance(tasks, list) else []
    count = data.get(COUNT)
    count = count if isinstance(count, int) and not isinstance(count, bool) else None
    return DecodedPage(count, tasks, _tasks_json(content, tasks) if splice else None, report)


def _parse(content: bytes) -> Any:
    """The document ``json.loads`` reads from ``content``: msgspec's untyped decoder (3x faster)
    builds the same one (last copy of a repeated member wins, same numbers); what it refuses and
    ``json.loads`` reads (NaN, a BOM, a lone surrogate, UTF-16) is read by ``json.loads``."""
    try:
        return _Loose.untyped().decode(content)
    except Exception:
        return _loads(content)


def _loads(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise MalformedPage("SMS answered with malformed JSON") from None


def _tasks_json(content: bytes, tasks: list[Any]) -> bytes:
    """The page's ``tasks`` array as sent when msgspec reads it as the same array (the last copy
    of a repeated member, like ``json.loads``); else the parsed tasks encoded."""
    import msgspec

    if not tasks:
        return b"[]"
    try:
        raw = bytes(_Loose.tasks_raw().decode(content).tasks)
        if raw.startswith(b"["):
            return raw
    except Exception:  # e.g. a NaN literal elsewhere in the page: encode instead
        pass
    try:
        return msgspec.json.encode(tasks)  # valid JSON even for what json.loads let through (NaN: null)
    except Exception:  # a lone surrogate json.loads let through: escaped, still valid JSON
        return json.dumps(tasks, separators=(",", ":")).encode()


def splice_pages(count: int, arrays: list[bytes]) -> bytes:
    """``{"count": count, "tasks": [...]}`` from the pages' ``tasks`` arrays (each a JSON array
    as bytes), joined without decoding them."""
    items = [inner for inner in (a.strip()[1:-1].strip() for a in arrays) if inner]
    return b"".join((b'{"count":', str(count).encode(), b',"tasks":[', b",".join(items), b"]}"))


def truncate_array(array: bytes, keep: int) -> bytes:
    """The first ``keep`` items of a JSON array (bytes), each kept as sent."""
    import msgspec

    items = msgspec.json.decode(array, type=list[msgspec.Raw])[:keep]
    return b"[" + b",".join(bytes(item) for item in items) + b"]"
