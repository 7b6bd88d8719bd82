"""HTTP calls that end by a deadline and read bounded bodies (SMS pages, webhook answers).

A socket timeout bounds each read, not the call: a server trickling one byte a second keeps
every read inside its timeout and the call alive for hours. ``deadline_guard`` bounds the whole
exchange instead: the connections a request uses in this thread (new or taken from the pool)
are registered with the guard, and when its time is up a watchdog thread shuts them down, so
the blocked read returns at once and the caller sees ``guard.fired``. One watchdog serves the
process; a guard costs a heap entry, not a thread.

``read_capped`` reads a streamed body through urllib3's decoder, which (urllib3 >= 2.6) never
decodes more than the chunk asked for, so a gzip bomb is stopped at the cap like a plain body.
A TLS handshake on a new connection is bounded as a whole by the connect timeout (CPython's
``do_handshake`` keeps one deadline across all its reads), which the callers cap by the
deadline: a handshake trickled a byte at a time ends there too (tests/integration/
test_hostile_upstream.py). Not covered here: DNS resolution, a blocking ``getaddrinfo`` call;
webhooks bound their lookups themselves (``url_safety.resolve_safe``, with the connect timeout),
and SMS's endpoint is a fixed Huawei Cloud name."""
from __future__ import annotations

import heapq
import itertools
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util import parse_url

if TYPE_CHECKING:  # ``requests`` itself is not loaded here: the SMS client never needs it
    import requests

CHUNK_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The body (decoded) is larger than the cap; nothing past the cap was read or decoded."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


class Guard:
    """The connections of one exchange, shut down when its time is up (unless released first)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + max(0.0, seconds)
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._released = False
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self._released:
                return
            self._sockets.append(sock)
            fired = self.fired
        if fired:  # attached after the time ran out: the exchange must not start
            _shutdown(sock)

    def fire(self) -> None:
        with self._lock:
            if self._released or self.fired:
                return
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def release(self) -> None:
        """The exchange is over: its connections (back in the pool) are no longer ours to cut."""
        with self._lock:
            self._released = True
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    # The plain socket call, also for an SSLSocket: ``SSLSocket.shutdown`` would tear down its
    # TLS state under the thread that is reading. A closed socket (fd -1) raises: nothing to cut.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread firing guards at their end time."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Guard]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, guard: Guard) -> None:
        with self._cond:
            heapq.heappush(self._heap, (guard.end, next(self._seq), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="http-deadline", daemon=True)
                self._thread.start()
            # Woken only when its next wake-up must come sooner: a guard ending after the one it
            # waits for changes nothing, and waking it per request cost a GIL hand-off (ms on a
            # busy machine).
            if self._heap[0][2] is guard:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                end, _, guard = self._heap[0]
                delay = end - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
            guard.fire()


_watchdog = _Watchdog()
_current = threading.local()


@contextmanager
def deadline_guard(seconds: float) -> Iterator[Guard]:
    """Every connection this thread uses inside the block is cut after ``seconds`` (``inf``: never)."""
    unbounded = math.isinf(seconds)
    guard = Guard(0.0 if unbounded else seconds)
    if not unbounded:
        _watchdog.add(guard)
    previous = getattr(_current, "guard", None)
    _current.guard = None if unbounded else guard
    try:
        yield guard
    finally:
        _current.guard = previous
        guard.release()


def _attach(sock: Any) -> None:
    guard = getattr(_current, "guard", None)
    if guard is not None:
        guard.attach(sock)


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _attach(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _attach(self.sock)  # the TLS socket (the plain one handed its descriptor over)


class GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _attach(conn.sock)  # a reused connection; a new one attaches when it connects
        return conn


class GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _attach(conn.sock)
        return conn


def guarded_pool(url: str, *, maxsize: int, verify_tls: bool) -> HTTPConnectionPool:
    """A urllib3 pool for the origin of ``url`` whose connections obey ``deadline_guard``, with
    nothing between the caller and urllib3 (no ``requests`` session: its per-request merging of
    settings and adapters cost a third of a loopback page; docs/performance.md). TLS is checked
    against ``certifi``'s bundle, the one ``requests`` (and so the SDK) uses."""
    parts = parse_url(url)
    host = parts.host or ""
    if parts.scheme == "https":
        import certifi

        return GuardedHTTPSPool(host, parts.port or 443, maxsize=maxsize, block=False,
                                 cert_reqs="CERT_REQUIRED" if verify_tls else "CERT_NONE",
                                 ca_certs=certifi.where() if verify_tls else None,
                                 assert_hostname=None if verify_tls else False)
    return GuardedHTTPPool(host, parts.port or 80, maxsize=maxsize, block=False)


def read_capped(response: requests.Response | BaseHTTPResponse, limit: int, *, truncate: bool = False) -> bytes:
    """The decoded body of a streamed response (``requests``' or urllib3's), at most ``limit``
    bytes: past it, ``BodyTooLarge`` (or, with ``truncate``, the first ``limit`` bytes). Reading
    stops at the cap either way. The chunks are joined once at the end: one copy of the body."""
    declared = response.headers.get("Content-Length", "")
    identity = response.headers.get("Content-Encoding", "identity").strip().lower() in ("", "identity")
    known = identity and declared.isascii() and declared.isdigit()
    if not truncate and known and int(declared) > limit:
        raise BodyTooLarge(limit)
    # A plain body of declared length within the cap is read in one call (a 200-task page took 7
    # trips through urllib3's read path at 64 KiB); anything else in bounded chunks.
    size = min(max(CHUNK_BYTES, int(declared) if known else 0), limit + 1)
    stream: Iterator[bytes]
    if isinstance(response, BaseHTTPResponse):
        stream = response.stream(size, decode_content=True)
    else:
        stream = response.iter_content(chunk_size=size)
    chunks: list[bytes] = []
    read = 0
    for chunk in stream:
        chunks.append(chunk)
        read += len(chunk)
        if read > limit:
            if truncate:
                return b"".join(chunks)[:limit]
            raise BodyTooLarge(limit)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
