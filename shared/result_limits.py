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
* ``check_http(response)``: the response itself when it fits, else an ``ApiError``
  (``SMSFN.0413`` over the limit, ``SMSFN.0500`` not serialisable) for the caller to render.
* ``fit_async(result, keep, steps)``: an asynchronous result cut to ``ASYNC_RESULT_LIMIT``:
  ``steps`` trim the detail first, in order; the keys in ``keep`` (``ok``, counts, failed ids)
  stay at the top level; what was trimmed is said in ``result["trimmed"]``.
* ``leading_items(items, room)``: the first items of a list whose JSON fits ``room`` bytes.
* ``ASYNC_BUDGET``: the bytes a trimming step may aim for (the limit less room for the note)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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


def _not_serialisable(exc: Exception) -> ApiError:
    return fn_error("SMSFN.0500", f"internal error: the answer is not JSON-serialisable ({type(exc).__name__})")


def check_http(response: dict[str, Any], limit: int = HTTP_RESULT_LIMIT) -> dict[str, Any]:
    """``response`` when FunctionGraph will accept it; an ``ApiError`` to answer instead."""
    try:
        size = measure(response)
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
