"""What a handler may return, measured as FunctionGraph measures it: every exit path goes through here.

The runtime serialises the handler's return value with ``json.dumps`` and its defaults
(``ensure_ascii=True``: a CJK character costs 6 bytes, a character outside the BMP 12, a quote
or backslash 2) and refuses a result it cannot serialise (4007) or longer than 6,291,456 bytes
(4004); an asynchronous invocation's result (TIMER, SMN, CTS, Kafka, EventGrid) above 256 KB
arrives empty. docs/deploy.md ("Runtime contract") gives the sources.

Public API (other modules call these; nothing here imports a stage):

* ``HTTP_RESULT_LIMIT`` (6,291,456) and ``ASYNC_RESULT_LIMIT`` (262,144): bytes of
  ``json.dumps(result)``, the whole object the handler returns (for HTTP: statusCode, headers,
  body and isBase64Encoded together).
* ``measure(result)``: that length. Raises ``TypeError``/``ValueError`` where the runtime would
  answer 4007.
* ``text_cost(text)``: what one string adds as a JSON value (quotes and escapes included). A body
  built in pieces can be budgeted as ``HTTP_RESULT_LIMIT - measure(response_without_body)``
  minus the ``text_cost`` of each piece (base64 text costs its length plus 2 quotes once).
* ``decoded_cost(data)``: UTF-8 bytes as the ``str`` a body needs, and that text's cost inside
  ``json.dumps`` (quotes excluded), without escaping the whole text to count it.
* ``check_http(response)``: the response itself when it fits, else an ``ApiError``
  (``SMSFN.0413`` over the limit, ``SMSFN.0500`` not serialisable) for the caller to render.
* ``sized_body(text, cost)``: a route that built a body to fit says what it costs (``json.dumps``
  length, quotes included), so ``check_http`` measures only the rest of this invocation's answer
  instead of escaping a 6 MB body a second time (~30 ms).
* ``fit_async(result, keep, steps)``: an asynchronous result cut to ``ASYNC_RESULT_LIMIT``:
  ``steps`` trim the detail first, in order; the keys in ``keep`` (``ok``, counts, failed ids)
  stay at the top level; what was trimmed is said in ``result["trimmed"]``.
* ``leading_items(items, room)``: the first items of a list whose JSON fits ``room`` bytes.
* ``ASYNC_BUDGET``: the bytes a trimming step may aim for (the limit less room for the note)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from shared.errors import ApiError, fn_error

HTTP_RESULT_LIMIT = 6_291_456
ASYNC_RESULT_LIMIT = 262_144
# Room kept in the async limit for the ``trimmed`` note itself.
_NOTE_RESERVE = 512
ASYNC_BUDGET = ASYNC_RESULT_LIMIT - _NOTE_RESERVE

Step = tuple[str, Callable[[dict[str, Any]], None]]


def measure(result: Any) -> int:
    """``len(json.dumps(result))``: with the default ``ensure_ascii`` the text is ASCII, so
    characters are bytes."""
    return len(json.dumps(result))


def text_cost(text: str) -> int:
    """Bytes ``text`` adds to the serialised result as one JSON string (with its quotes)."""
    return len(json.dumps(text))


# Bytes that ``json.dumps`` writes as themselves: printable ASCII but the quote and the backslash.
_ONE_FOR_ONE = bytes(b for b in range(0x20, 0x7F) if b not in b'"\\')


def decoded_cost(data: bytes) -> tuple[str, int]:
    """``data`` decoded from UTF-8 (invalid sequences replaced by U+FFFD, as a body must be text),
    and what that text costs inside ``json.dumps`` (its quotes excluded).

    Escaping is per character, so the cost is one byte per character ``json.dumps`` keeps as it is
    plus the escaped cost of the rest; deleting those ASCII bytes from valid UTF-8 leaves valid
    UTF-8 (a multi-byte sequence holds no ASCII byte). One C pass over the bytes instead of an
    escaped copy of the whole text: about 4x cheaper on a 200-task page."""
    try:
        text = str(data, "utf-8")
    except UnicodeDecodeError:
        text = str(data, "utf-8", "replace")
        return text, len(json.dumps(text)) - 2
    rest = data.translate(None, _ONE_FOR_ONE)  # quotes, backslashes, controls, non-ASCII
    other = rest.translate(None, b'"\\')  # quotes and backslashes cost 2: only the rest is escaped to count
    return text, len(data) - len(rest) + 2 * (len(rest) - len(other)) + len(json.dumps(other.decode("utf-8"))) - 2


# Past this nesting the bound gives up and ``json.dumps`` decides (it also reports cycles).
_BOUND_DEPTH = 32
# The longest ``repr`` of a float ``json.dumps`` writes (``-2.2250738585072014e-308``), rounded up.
_FLOAT_MAX = 32


def _upper_bound(value: Any, depth: int = 0) -> int:
    """At least ``len(json.dumps(value))``: a ``str`` costs at most 12 bytes a character (a
    character outside the BMP is a surrogate pair of ``\\uXXXX``), separators ``", "`` and ``": "``.
    ``TypeError`` for anything but JSON's own types, so the caller measures exactly instead."""
    kind = type(value)
    if kind is str:
        return 12 * len(value) + 2
    if value is None or kind is bool:
        return 5
    if kind is int:
        return len(str(value))
    if kind is float:
        return _FLOAT_MAX
    if depth > _BOUND_DEPTH:
        raise TypeError("too deep for a bound")
    if kind is dict:
        return 2 + sum(_upper_bound(k if type(k) is str else _no_bound(), depth + 1)
                       + _upper_bound(v, depth + 1) + 4 for k, v in value.items())
    if kind is list or kind is tuple:
        return 2 + sum(_upper_bound(v, depth + 1) + 2 for v in value)
    raise TypeError(kind.__name__)


def _no_bound() -> str:
    raise TypeError("a key json.dumps converts")


def _not_serialisable(exc: Exception) -> ApiError:
    return fn_error("SMSFN.0500", f"internal error: the answer is not JSON-serialisable ({type(exc).__name__})")


# The body a route built to size, and its cost; the object itself, so a different text never
# matches. Per invocation (an HTTP function's concurrent requests run in their own contexts);
# ``check_http`` takes it out, so an answer is never held past its check.
_sized: ContextVar[tuple[str, int] | None] = ContextVar("sized_body", default=None)


def sized_body(text: str, cost: int) -> str:
    """``text``, remembered as costing ``cost`` bytes of ``json.dumps`` (its quotes included)."""
    _sized.set((text, cost))
    return text


def _size(response: dict[str, Any]) -> int:
    """``measure(response)``, without serialising a body whose cost ``sized_body`` gave."""
    sized = _sized.get()
    _sized.set(None)
    if sized is not None and type(response) is dict and response.get("body") is sized[0]:
        return measure({**response, "body": ""}) - 2 + sized[1]
    return measure(response)


def check_http(response: dict[str, Any], limit: int = HTTP_RESULT_LIMIT) -> dict[str, Any]:
    """``response`` when FunctionGraph will accept it; an ``ApiError`` to answer instead. A
    response whose upper bound fits is not serialised to be measured (a 200-task page: 1.4 ms)."""
    try:
        if _upper_bound(response) <= limit:
            _sized.set(None)
            return response
    except TypeError:
        pass  # not plainly JSON's types: the runtime's own serialisation decides
    try:
        size = _size(response)
    except (TypeError, ValueError) as exc:
        raise _not_serialisable(exc) from None
    if size > limit:
        raise fn_error(
            "SMSFN.0413",
            f"The answer is {size:,} bytes as FunctionGraph measures it (json.dumps of the whole "
            f"response), over its {limit:,}-byte limit; ask for less (a smaller limit, filters, or "
            "format=csv)",
            extra={"result_bytes": size, "limit_bytes": limit},
        )
    return response


def serialisable(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` as the runtime can serialise it: values ``json.dumps`` refuses become text
    (the result says so), so the invocation never ends in the runtime's 4007."""
    try:
        measure(result)
        return result
    except (TypeError, ValueError):
        fixed = json.loads(json.dumps(result, default=repr, allow_nan=True))
        fixed["unserialisable_values_as_text"] = True
        return fixed


def fit_async(result: dict[str, Any], keep: Iterable[str], steps: Iterable[Step] = (),
              limit: int = ASYNC_RESULT_LIMIT) -> dict[str, Any]:
    """``result`` within ``limit`` bytes. Each step trims detail in place, in order, until it
    fits; then only the ``keep`` keys remain; then lists among them are shortened (their length
    is said). ``result["trimmed"]`` names the steps taken and the size before."""
    result = serialisable(result)
    before = measure(result)
    if before <= limit:
        return result
    budget = limit - _NOTE_RESERVE
    taken: list[str] = []
    note: dict[str, Any] = {"limit_bytes": limit, "bytes_before": before, "steps": taken}
    for name, trim in steps:
        trim(result)
        taken.append(name)
        if measure(result) <= budget:
            result["trimmed"] = note
            return result
    keep = list(keep)
    result = {k: result[k] for k in keep if k in result}
    taken.append("detail_omitted")
    for key in keep:
        if measure(result) <= budget:
            break
        value = result.get(key)
        if isinstance(value, list):
            result[key] = leading_items(value, budget - measure({**result, key: []}))
            note.setdefault("shortened", {})[key] = len(value)
    if measure(result) > budget:  # only if ``keep`` names huge scalars: a bug, reported as such
        result = {"ok": False, "error": {"error_code": "SMSFN.0500",
                                         "error_msg": "internal error: the result could not be cut to size"}}
    result["trimmed"] = note
    return result


def leading_items(items: list[Any], room: int) -> list[Any]:
    """The leading ``items`` whose JSON (as a list) fits ``room`` bytes."""
    out: list[Any] = []
    used = 2
    for item in items:
        used += measure(item) + 2
        if used > room:
            break
        out.append(item)
    return out
