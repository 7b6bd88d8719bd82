"""Text that can go on the wire: every string we sign, log, return or send must be encodable as UTF-8.

JSON's ``\\ud800`` escape decodes to a lone surrogate, a ``str`` no encoder accepts: left in, it
crashes the SDK's signer, a response or a result far from where it came in. The edges (API Gateway,
timer and event parsers, the query rules) check what they receive with ``first_unencodable`` and
answer 400 naming the field; ``shown`` and ``scrub`` turn such text into an escaped, encodable form
for the messages and results that must still mention it."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEY_SHOWN_MAX = 40  # characters of an offending key kept in a field path


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str) -> str:
    """``text`` with whatever UTF-8 can't carry written as ``\\udXXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _child(path: str, key: Any) -> str:
    name = shown(str(key))[:KEY_SHOWN_MAX]
    return f"{path}.{name}" if path else name


def first_unencodable(value: Any, path: str = "") -> str | None:
    """The path (``a.b[2]``) of the first key or string under ``value`` that UTF-8 can't encode, else
    None. ``path`` names ``value`` itself; a bad key is named by its escaped form."""
    if isinstance(value, str):
        return None if encodable(value) else (path or "value")
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = _child(path, key)
            if isinstance(key, str) and not encodable(key):
                return child
            found = first_unencodable(item, child)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = first_unencodable(item, f"{path}[{i}]")
            if found:
                return found
    return None


def scrub(value: Any) -> Any:
    """A copy of ``value`` whose strings (keys too) are all encodable (``shown``)."""
    if isinstance(value, str):
        return value if encodable(value) else shown(value)
    if isinstance(value, Mapping):
        return {scrub(k) if isinstance(k, str) else k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


NOT_UNICODE = "is not valid Unicode text (it holds a lone surrogate, which UTF-8 can't carry)"
