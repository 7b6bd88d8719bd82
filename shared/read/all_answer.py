"""``GET /v3/tasks?all=true`` as one HTTP answer that always fits FunctionGraph's result limit.

FunctionGraph serialises a handler's result with ``json.dumps`` (``ensure_ascii``: a CJK char
costs 6 bytes) and refuses it above ``RESPONSE_LIMIT`` bytes (error 4004). The body is built as
pages arrive, never holding the uncompressed fleet:

* gzip (the caller accepts it): each page's ``tasks`` array, as SMS sent it, is fed to one
  ``zlib`` stream and sync-flushed, so the compressed size is known exactly after every page;
  the answer is that stream in base64 (``isBase64Encoded``, ``Content-Encoding: gzip``).
* plain: each page's text, its size counted as ``json.dumps`` will escape it.

When the next page would take the result past the limit, the tasks of it that still fit are
added and the scan stops: the answer is partial, with the offset to continue from. ``count`` stays
SMS's ``count`` for the query (as on any ListTasks page); ``tasks`` holds the tasks from ``offset``
that fit."""
from __future__ import annotations

import binascii
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from shared.errors import fn_error
from shared.read.pager import SMS_MAX_OFFSET, Page
from shared.read.query import TaskQuery
from shared.read.tasks import report_violations, scan_headers, scanner_for
from shared.result_limits import HTTP_RESULT_LIMIT, decoded_cost, sized_body
from shared.scope import Invocation
from shared.settings import Settings

RESPONSE_LIMIT = HTTP_RESULT_LIMIT  # FunctionGraph: len(json.dumps(result)) above this is refused (4004)
# statusCode, isBase64Encoded, the member names and every header (X-Request-Id is added on the way
# out, the partial reason is free text): far more than they take, so the body can have the rest.
ENVELOPE_RESERVE = 16_384
BODY_LIMIT = RESPONSE_LIMIT - ENVELOPE_RESERVE  # len(json.dumps(body)) at most
GZIP_LEVEL = 6  # the 10,000-task fleet compresses 6.4x; level 9 gains ~3% for twice the CPU
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream
_GZIP_FINISH = 64  # the closing ``]}``, the last block and the 8-byte trailer after a sync flush
ROOM_MARGIN = 1.1
TOO_LARGE = f"the response size limit ({RESPONSE_LIMIT} bytes as FunctionGraph serialises it)"
HEAD = b'{"count":%d,"tasks":['
TAIL = b"]}"


class _GzipBody:
    """A gzip stream whose base64 text stays within ``limit`` characters of JSON string. Each
    flushed chunk goes to base64 at once: the compressed stream is never held whole as well."""

    def __init__(self, limit: int) -> None:
        self.capacity = (limit - 2) // 4 * 3  # base64: 4 chars per 3 bytes, plus the two quotes
        self._zip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WINDOW)
        self._text = bytearray()  # base64 of the stream so far, but for the last len % 3 bytes
        self._carry = b""
        self.size = 0

    def trial(self, parts: Iterable[Any]) -> tuple[Any, list[bytes]] | None:
        """The stream with ``parts`` added (on a copy), or None when it would not fit."""
        stream = self._zip.copy()
        out = [stream.compress(part) for part in parts]
        out.append(stream.flush(zlib.Z_SYNC_FLUSH))
        added = sum(map(len, out))
        if self.size + added + _GZIP_FINISH > self.capacity:
            return None
        return stream, out

    def best_prefix(self, sep: tuple[bytes, ...], items: list[Any], n: int) -> tuple[Any, int] | None:
        """The most leading ``items`` that fit, and how many (binary search: a compressed size is
        only known by compressing)."""
        lo, hi, best = 0, n, None  # lo items fit, hi do not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            done = self.trial((*sep, b",".join(items[:mid])))
            if done is None:
                hi = mid
            else:
                lo, best = mid, done
        return None if best is None else (best, lo)

    def commit(self, done: tuple[Any, list[bytes]]) -> None:
        self._zip, out = done
        for chunk in out:
            self._encode(chunk)

    def _encode(self, chunk: bytes) -> None:
        self.size += len(chunk)
        data = self._carry + chunk if self._carry else chunk
        whole = len(data) // 3 * 3
        self._text += binascii.b2a_base64(memoryview(data)[:whole], newline=False)
        self._carry = data[whole:]

    def close(self) -> str:
        self._encode(self._zip.compress(TAIL))
        self._encode(self._zip.flush())
        self._text += binascii.b2a_base64(self._carry, newline=False)
        text = self._text.decode("ascii")
        self._text = bytearray()
        return sized_body(text, len(text) + 2)  # base64: no character json.dumps escapes


class _PlainBody:
    """UTF-8 text whose ``json.dumps`` form stays within ``limit`` characters."""

    capacity: int

    def __init__(self, limit: int) -> None:
        self.capacity = limit - 2  # the two quotes
        self._parts: list[str] = []
        self.size = 0

    def trial(self, parts: Iterable[Any]) -> tuple[str, int] | None:
        text, cost = decoded_cost(b"".join(parts))  # cost: what the runtime's ensure_ascii makes of it
        if self.size + cost + len(TAIL) > self.capacity:
            return None
        return text, cost

    def best_prefix(self, sep: tuple[bytes, ...], items: list[Any], n: int) -> tuple[tuple[str, int], int] | None:
        """The most leading ``items`` that fit, and how many: escaping is per character, so each
        item is costed once and the prefix's cost is a sum (the separators are one byte each)."""
        room = self.capacity - len(TAIL) - self.size - sum(map(len, sep))
        fit = 0
        for item in items[:n]:
            room -= decoded_cost(bytes(item))[1] + (1 if fit else 0)
            if room < 0:
                break
            fit += 1
        while fit > 0:  # the same bytes costed as a whole: the sum holds, the loop is a guard
            done = self.trial((*sep, b",".join(items[:fit])))
            if done is not None:
                return done, fit
            fit -= 1
        return None

    def commit(self, done: tuple[str, int]) -> None:
        text, cost = done
        self._parts.append(text)
        self.size += cost

    def close(self) -> str:
        self._parts.append(TAIL.decode())
        text = "".join(self._parts)
        self._parts.clear()
        return sized_body(text, self.size + len(TAIL) + 2)


@dataclass
class AllAnswer:
    """What the route answers: the body text, whether it is gzip in base64, and the headers."""

    body: str
    gzip: bool
    headers: dict[str, str]
    tasks: int  # tasks in the body
    next_offset: int | None  # where to continue from, when the answer is partial and SMS can page there


class _Collector:
    """The scan's consumer: appends each page's tasks to the body until the next would not fit."""

    def __init__(self, body: _GzipBody | _PlainBody, offset: int) -> None:
        self.body = body
        self.offset = offset
        self.tasks = 0
        self.started = False
        self.full = False

    def on_page(self, page: Page) -> str | None:
        if not self.started:  # the first page: SMS's count (without one, the scan reads no other page)
            self.started = True
            count = _page_count(page)
            self._add([HEAD % (count if count is not None else len(page.tasks))], 0)
        n = len(page.tasks)
        if n == 0:
            return None
        array = page.tasks_json
        assert array is not None  # the scanner keeps each page's array (keep_json)
        sep = (b",",) if self.tasks else ()
        if self._add((*sep, memoryview(array)[1:-1]), n):  # the array's items as sent, no copy
            return None
        self._add_prefix(sep, array, n)
        self.full = True
        return f"{TOO_LARGE}; continue from offset {self.offset + self.tasks}"

    def room(self) -> int | None:
        """Tasks that may still fit, from the cost per task so far (a little over: asking for a
        page too many costs a request, one too few a round trip)."""
        if self.full:
            return 0
        if self.tasks == 0:  # nothing to go by before the first page
            return None
        per_task = self.body.size / self.tasks
        return int((self.body.capacity - self.body.size) / per_task * ROOM_MARGIN) + 1

    def _add(self, parts: Iterable[Any], n: int) -> bool:
        done = self.body.trial(parts)
        if done is None:
            return False
        self.body.commit(done)  # type: ignore[arg-type]
        self.tasks += n
        return True

    def _add_prefix(self, sep: tuple[bytes, ...], array: bytes, n: int) -> None:
        """As many of the page's first tasks as fit (the page did not fit whole)."""
        import msgspec

        items = msgspec.json.decode(array, type=list[msgspec.Raw])
        fitted = self.body.best_prefix(sep, items, n)
        if fitted is not None:
            done, count = fitted
            self.body.commit(done)  # type: ignore[arg-type]
            self.tasks += count


def _page_count(page: Page) -> int | None:
    """SMS's ``count`` of the first page (the scanner checked every later page against it)."""
    import msgspec

    try:
        count = msgspec.json.decode(page.raw.content, type=_count_only()).count
    except Exception:  # what only json.loads reads (a NaN elsewhere, a BOM): as the check read it
        count = json.loads(page.raw.content).get("count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


@cache
def _count_only() -> Any:
    """``{"count": ...}`` alone, the rest of the page skipped (msgspec loads on first use, never at import)."""
    import msgspec

    return msgspec.defstruct("CountOnly", [("count", Any, None)], gc=False)


def answer_all(query: TaskQuery, settings: Settings, invocation: Invocation, *, gzip: bool) -> AllAnswer:
    """Every page from ``query.offset`` on, as much of it as one answer carries."""
    body: _GzipBody | _PlainBody = _GzipBody(BODY_LIMIT) if gzip else _PlainBody(BODY_LIMIT)
    collector = _Collector(body, query.offset)
    result = scanner_for(settings, invocation, keep_json=True).scan(query, collector.on_page, collector.room)
    report_violations(result, settings)
    if collector.tasks == 0 and collector.full:
        raise fn_error("SMSFN.0515", f"the task at offset {query.offset} alone exceeds {TOO_LARGE}"
                       + ("" if gzip else "; ask with Accept-Encoding: gzip"))
    headers = scan_headers(result, settings)
    next_offset = query.offset + collector.tasks if result.partial else None
    if next_offset is not None and next_offset <= SMS_MAX_OFFSET:
        headers["X-Next-Offset"] = str(next_offset)
    else:
        next_offset = None
    headers["Vary"] = "Accept-Encoding"
    if gzip:
        headers["Content-Encoding"] = "gzip"
    return AllAnswer(body.close(), gzip, headers, collector.tasks, next_offset)
