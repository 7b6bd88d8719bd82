"""A misbehaving HTTP server for the tests, independent of the SMS emulator: each request is
answered by the next step of a script (the last step repeats). Steps write raw bytes to the
socket, so they can trickle, lie about lengths, reset, or send bombs."""
from __future__ import annotations

import contextlib
import gzip
import json
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.servers import serve_in_background, stop_server

Step = Callable[[socket.socket, "Seen"], None]


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


def head(status: int, headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    # The server closes every connection after one answer, so it says so, as HTTP/1.1 asks: without
    # it a client may send its next request on that connection just as it closes (a flaky 502).
    lines = [f"HTTP/1.1 {status} X", "Content-Type: application/json", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Step:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    def step(sock: socket.socket, seen: Seen) -> None:
        sock.sendall(head(status, headers, len(data)) + data)

    return step


def trickle(body: bytes, every_s: float = 0.5, headers_too: bool = False) -> Step:
    """One byte every ``every_s``: each read is well inside any read timeout."""
    def step(sock: socket.socket, seen: Seen) -> None:
        data = head(200, None, len(body)) + body
        if not headers_too:
            cut = len(head(200, None, len(body)))
            sock.sendall(data[:cut])
            data = data[cut:]
        for i in range(len(data)):
            sock.sendall(data[i:i + 1])
            time.sleep(every_s)

    return step


def big(total: int, declared: bool) -> Step:
    """``total`` bytes of a JSON string; with ``declared`` a Content-Length, else chunked."""
    def step(sock: socket.socket, seen: Seen) -> None:
        block = b"x" * 65536
        if declared:
            sock.sendall(head(200, None, total) + b'{"count":0,"tasks":[],"pad":"')
        else:
            sock.sendall(head(200, {"Transfer-Encoding": "chunked"}))
        sent = 0
        while sent < total:
            part = block[: min(len(block), total - sent)]
            sock.sendall(part if declared else b"%x\r\n%s\r\n" % (len(part), part))
            sent += len(part)
        if not declared:
            sock.sendall(b"0\r\n\r\n")

    return step


def gzip_bomb(decoded: int = 1 << 30) -> bytes:
    """A gzip stream of ``decoded`` zero bytes (1 GiB by default: about 1 MB on the wire), built
    from one compressed 1 MiB block repeated: a full flush makes every block's output the same."""
    mib = 1 << 20
    zero = bytes(mib)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(zero) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(zero) + co.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(decoded // mib):
        crc = zlib.crc32(zero, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, decoded & 0xFFFFFFFF)
    return header + first + again * (decoded // mib - 1) + co.flush() + trailer


def gzipped(status: int, raw: bytes) -> Step:
    def step(sock: socket.socket, seen: Seen) -> None:
        sock.sendall(head(status, {"Content-Encoding": "gzip"}, len(raw)) + raw)

    return step


def reset_mid_body() -> Step:
    def step(sock: socket.socket, seen: Seen) -> None:
        sock.sendall(head(200, None, 10_000) + b'{"count": 3, "tasks": [')
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST

    return step


def http_date(seconds_ahead: float) -> str:
    return formatdate(time.time() + seconds_ahead, usegmt=True)


def tasks_page(ids: list[str], count: int) -> dict[str, Any]:
    """A page in SMS's shape: tasks with the given ids (valid enough for the summary)."""
    tasks = [{"id": i, "name": f"task-{i}", "type": "MIGRATE_FILE", "state": "RUNNING", "os_type": "LINUX",
              "create_date": 1_700_000_000_000, "priority": 1, "speed_limit": 0, "migrate_speed": 0.0,
              "enterprise_project_id": "0", "is_template": False} for i in ids]
    return {"count": count, "tasks": tasks}


class _Handler(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self) -> None:
        sock = self.request
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head_text, _, rest = data.partition(b"\r\n\r\n")
        lines = head_text.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            rest += sock.recv(65536)
        parts = urlsplit(target)
        seen = Seen(method, parts.path, dict(parse_qsl(parts.query)), headers)
        with self.server.lock:
            self.server.seen.append(seen)
            step = self.server.steps[min(len(self.server.seen), len(self.server.steps)) - 1]
        with contextlib.suppress(OSError):  # the client cut us off: that is what some tests want
            step(sock, seen)


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *steps: Step) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.steps: list[Step] = list(steps) or [answer(200, {"count": 0, "tasks": []})]
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self._thread = serve_in_background(self, "hostile-upstream")
        return self

    def __exit__(self, *exc: object) -> None:
        stop_server(self, self._thread)


def rss_peak_reset() -> bool:
    """Resets the process's peak RSS (Linux ``clear_refs``); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def rss_kib(field_name: str = "VmHWM") -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(field_name)


def cycle_ids(unique: int) -> Iterator[str]:
    n = 0
    while True:
        yield f"00000000-0000-0000-0000-{n % unique:012d}"
        n += 1


def gzip_json(obj: Any) -> bytes:
    return gzip.compress(json.dumps(obj).encode())
