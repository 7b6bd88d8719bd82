"""The raw clients the project is held against: the least work a competent hand-written client
does to get a page, on two transports and two fast parsers, all signing with the SDK's ``Signer``.

* transports: ``requests`` (a kept-alive ``Session`` per thread, ``trust_env`` off: no proxy or
  ``.netrc`` lookups per request) and **lean**: ``http.client`` on a kept-alive connection per
  thread, nothing in between;
* parsers: ``orjson.loads`` and ``msgspec.json.decode`` (untyped), the two fastest JSON parsers
  for Python (``json.loads`` is kept as a row for the old baseline);
* the **floor**: the lean transport's bytes, unparsed: no client can do less and still have the page;
* **lean + same checks**: the lean transport's bytes through the project's own checked decode
  (``shared.validation.decode.decode_page``, warn), so what the project's transport costs shows.

Each client is used as it would be in a real function: one per process, reused across calls."""
from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import msgspec
import orjson
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from local.backend import LOCAL_AK, LOCAL_SK

PROJECT_ID = "bench-project"
_msgspec_decode = msgspec.json.Decoder().decode
PARSERS: dict[str, Callable[[bytes], Any]] = {"orjson": orjson.loads, "msgspec": _msgspec_decode,
                                              "json.loads": json.loads}


class _Transport:
    """A signed ``GET /v3/tasks`` returning the body's bytes; one connection per thread."""

    def __init__(self, url: str) -> None:
        self._url = urlsplit(url)
        self._signer = Signer(BasicCredentials(LOCAL_AK, LOCAL_SK, PROJECT_ID))
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _signed(self, limit: int, offset: int) -> SdkRequest:
        request = SdkRequest(method="GET", schema=self._url.scheme, host=self._url.netloc, resource_path="/v3/tasks",
                             query_params=[("limit", str(limit)), ("offset", str(offset))],
                             header_params={"Content-Type": "application/json"}, body="")
        return self._signer.sign(request)

    def _mine(self, make: Callable[[], Any]) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = make()
            with self._lock:
                self._all.append(conn)
        return conn

    def raw(self, limit: int, offset: int = 0) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        for conn in self._all:
            conn.close()


class RequestsTransport(_Transport):
    name = "requests"

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        return session

    def raw(self, limit: int, offset: int = 0) -> bytes:
        request = self._signed(limit, offset)
        response = self._mine(self._session).get(request.url, headers=request.header_params, timeout=30)
        response.raise_for_status()
        return response.content


class LeanTransport(_Transport):
    name = "lean"

    def raw(self, limit: int, offset: int = 0) -> bytes:
        request = self._signed(limit, offset)
        conn: http.client.HTTPConnection = self._mine(
            lambda: http.client.HTTPConnection(self._url.hostname, self._url.port, timeout=30))
        conn.request("GET", request.uri, headers=request.header_params)  # the signed path and query
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"lean transport: HTTP {response.status}")
        return body


class RawClient:
    """``transport`` + ``parse``: ``get`` returns the parsed page (``None`` parser: the bytes)."""

    def __init__(self, transport: _Transport, parser: str | None) -> None:
        self.transport = transport
        self.parser = parser
        self._parse = PARSERS[parser] if parser else None
        self.name = f"{transport.name} + {parser}" if parser else f"{transport.name}, bytes only (floor)"

    def get(self, limit: int, offset: int = 0) -> Any:
        body = self.transport.raw(limit, offset)
        return self._parse(body) if self._parse else body


def clients(url: str) -> tuple[list[RawClient], RawClient, LeanTransport]:
    """The four competent raw clients, the floor, and the lean transport (for the checked row)."""
    req, lean = RequestsTransport(url), LeanTransport(url)
    competent = [RawClient(t, p) for t in (req, lean) for p in ("orjson", "msgspec")]
    return competent, RawClient(lean, None), lean


def count_of(page: Any) -> int:
    return len(page) if isinstance(page, bytes) else len(page["tasks"])


def scan(client: RawClient, pool: ThreadPoolExecutor, page: int, total: int) -> int:
    """Every page, concurrently on ``pool``, in order, the way a raw client that knows the fleet's
    size from its first page would (the first page alone, then the rest): the tasks read."""
    first = client.get(page, 0)
    count = total if isinstance(first, bytes) else first["count"]
    read = count_of(first) if not isinstance(first, bytes) else min(page, total)
    for body in pool.map(lambda offset: client.get(page, offset), range(page, count, page)):
        read += count_of(body) if not isinstance(body, bytes) else min(page, count)
    return read
