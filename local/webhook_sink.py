"""A loopback webhook receiver for local runs and tests.

    python -m local.webhook_sink [--port 8091] [--secret whsec_...] [--feishu-secret S]
                                 [--dingtalk-secret S] [--script 503,429:2,drop,200]

It prints every request (one block: method, path, the headers that matter, pretty JSON body) and
answers like the platform the path names: ``/slack/...`` -> ``ok``; ``/feishu/...`` (or ``/lark``)
-> ``{"code":0,"msg":"success"}``; ``/dingtalk...`` and ``/wecom...`` -> ``{"errcode":0,"errmsg":"ok"}``;
anything else is a ``generic`` receiver (200 JSON). With secrets it checks signatures the way each
receiver does (Standard Webhooks, Feishu, DingTalk), written here independently of
``shared.webhooks.signing``, and rejects bad ones as the platform would.

Point the function at it with ``WEBHOOK_ALLOW_LOOPBACK=1`` (local tools only), e.g.
``WEBHOOK_URL=http://127.0.0.1:8091/slack/services/T000/B000/XXXX WEBHOOK_FORMAT=slack``.

In-process (tests)::

    sink = Sink(port=0, secret="whsec_...").start()
    sink.script(Reply(503), Reply(429, headers={"Retry-After": "2"}), Reply.dropped(), Reply(200))
    ... deliver to sink.url + "/generic" ...
    sink.received[0].headers["webhook-id"]; sink.stop()
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from local.servers import serve_in_background, stop_server, wait_for_ctrl_c

MAX_BODY = 5 * 1024 * 1024
SHOWN_HEADERS = (
    "content-type",
    "user-agent",
    "x-delivery-id",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
PLATFORM_OK: dict[str, tuple[int, Any]] = {
    "slack": (200, "ok"),
    "feishu": (200, {"code": 0, "msg": "success", "data": {}}),
    "dingtalk": (200, {"errcode": 0, "errmsg": "ok"}),
    "wecom": (200, {"errcode": 0, "errmsg": "ok"}),
    "generic": (200, {"received": True}),
}
# How each platform says "bad signature" (Feishu/DingTalk answer HTTP 200 with an error code).
BAD_SIGNATURE: dict[str, tuple[int, Any]] = {
    "generic": (401, {"error": "invalid signature"}),
    "feishu": (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}),
    "dingtalk": (200, {"errcode": 310000, "errmsg": "sign not match"}),
}


@dataclass
class Reply:
    """One scripted answer. ``body=None`` means the platform's normal success answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # read the request, then close the connection without answering
    delay: float = 0.0  # seconds to wait before answering (for timeout tests)

    @classmethod
    def dropped(cls) -> Reply:
        return cls(drop=True)

    @classmethod
    def parse(cls, token: str) -> Reply:
        """CLI form: ``200``, ``503``, ``429:5`` (with Retry-After: 5), ``drop``."""
        token = token.strip().lower()
        if token == "drop":
            return cls.dropped()
        status, _, retry_after = token.partition(":")
        reply = cls(int(status))
        if retry_after:
            reply.headers["Retry-After"] = retry_after
        return reply


@dataclass
class Received:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    platform: str
    signature: str | None  # "valid" | "invalid: why" | None when no secret is set for the platform
    reply_status: int | None = None  # None: connection dropped

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def platform_of(path: str) -> str:
    first = path.strip("/").split("/", 1)[0].lower()
    if first == "lark":
        return "feishu"
    return first if first in PLATFORM_OK else "generic"


# --- receiver-side signature checks (independent of shared.webhooks.signing) ---


def verify_standard(secret: str, headers: dict[str, str], body: bytes, now: float, tolerance: float) -> str:
    msg_id, ts = headers.get("webhook-id"), headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not (msg_id and ts and sigs):
        return "invalid: missing webhook-id/-timestamp/-signature"
    try:
        sent = int(ts)
    except ValueError:
        return "invalid: bad webhook-timestamp"
    if abs(now - sent) > tolerance:
        return "invalid: timestamp outside tolerance"
    raw = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    key = base64.b64decode(raw + "=" * (-len(raw) % 4))
    expected = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()
    for entry in sigs.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return "valid"
    return "invalid: no matching v1 signature"


def verify_feishu(secret: str, payload: Any, now: float) -> str:
    if not isinstance(payload, dict) or "timestamp" not in payload or "sign" not in payload:
        return "invalid: missing timestamp/sign"
    try:
        ts = int(payload["timestamp"])
    except (TypeError, ValueError):
        return "invalid: bad timestamp"
    if abs(now - ts) > 3600:
        return "invalid: timestamp not within one hour"
    expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return "valid" if hmac.compare_digest(expected, str(payload["sign"])) else "invalid: sign mismatch"


def verify_dingtalk(secret: str, query: dict[str, list[str]], now: float) -> str:
    ts_values, sign_values = query.get("timestamp"), query.get("sign")
    if not ts_values or not sign_values:
        return "invalid: missing timestamp/sign"
    try:
        ts_ms = int(ts_values[0])
    except ValueError:
        return "invalid: bad timestamp"
    if abs(now * 1000 - ts_ms) > 3600 * 1000:
        return "invalid: timestamp not within one hour"
    string_to_sign = f"{ts_values[0]}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    # parse_qs already URL-decoded the sign.
    return "valid" if hmac.compare_digest(expected, sign_values[0]) else "invalid: sign mismatch"


class Sink:
    """A threaded HTTP server on loopback that records requests and answers as scripted."""

    def __init__(
        self,
        port: int = 8091,
        host: str = "127.0.0.1",
        *,
        secret: str | None = None,
        feishu_secret: str | None = None,
        dingtalk_secret: str | None = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.time,
        tolerance_s: float = 300.0,
        reject_invalid: bool = True,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the sink only listens on loopback ({', '.join(LOOPBACK_HOSTS)}), not {host!r}")
        self.host, self.port = host, port
        self.secrets = {"generic": secret, "feishu": feishu_secret, "dingtalk": dingtalk_secret}
        self.stream = stream
        self.clock = clock
        self.tolerance_s = tolerance_s
        self.reject_invalid = reject_invalid
        self.received: list[Received] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> Sink:
        handler = type("SinkHandler", (_Handler,), {"sink": self})
        server_cls = type("SinkServer", (ThreadingHTTPServer,), {"daemon_threads": True})
        if ":" in self.host:
            server_cls.address_family = socket.AF_INET6
        self._server = server_cls((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = serve_in_background(self._server, "webhook-sink")
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_server(self._server, self._thread)
        self._server = self._thread = None

    def __enter__(self) -> Sink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- scripting and inspection ---

    def script(self, *replies: Reply) -> None:
        """Queue answers for the next requests; when the queue is empty the platform's normal
        answer is given."""
        with self._lock:
            self._replies.extend(replies)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self._replies.clear()

    def _next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def check_signature(
        self, platform: str, headers: dict[str, str], query: dict[str, list[str]], body: bytes
    ) -> str | None:
        secret = self.secrets.get(platform)
        if not secret:
            return None
        now = self.clock()
        if platform == "generic":
            return verify_standard(secret, headers, body, now, self.tolerance_s)
        if platform == "feishu":
            try:
                payload = json.loads(body.decode("utf-8"))
            except ValueError:
                return "invalid: body is not JSON"
            return verify_feishu(secret, payload, now)
        return verify_dingtalk(secret, query, now)

    def show(self, item: Received) -> None:
        if self.stream is None:
            return
        lines = [
            f"─── {item.method} {item.path}  [{item.platform}]"
            + (f"  signature: {item.signature}" if item.signature else "")
        ]
        lines += [f"{name}: {item.headers[name]}" for name in SHOWN_HEADERS if name in item.headers]
        lines += [f"?{k}={v[0]}" for k, v in item.query.items()]
        try:
            lines.append(json.dumps(item.json, ensure_ascii=False, indent=2))
        except ValueError:
            lines.append(item.body.decode("utf-8", errors="replace"))
        lines.append(f"→ {item.reply_status if item.reply_status is not None else 'connection dropped'}")
        from shared.logger import redact_text  # its links carry tokens: masked as the functions' logs are

        print(redact_text("\n".join(lines)), file=self.stream, flush=True)


class _Handler(BaseHTTPRequestHandler):
    sink: Sink
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # the sink prints its own blocks
        pass

    def _answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, (dict, list)):
            data, ctype = json.dumps(body, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        elif isinstance(body, bytes):
            data, ctype = body, "text/plain; charset=utf-8"
        else:
            data, ctype = str(body if body is not None else "").encode(), "text/plain; charset=utf-8"
        self.send_response(status)
        out = {"Content-Type": ctype, **headers, "Content-Length": str(len(data))}
        for name, value in out.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY))
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = parse_qs(parts.query, keep_blank_values=True)
        platform = platform_of(parts.path)
        signature = self.sink.check_signature(platform, headers, query, body)
        item = Received("POST", parts.path, query, headers, body, platform, signature)
        reply = self.sink._next_reply()
        if reply is not None and reply.delay:
            time.sleep(reply.delay)
        if reply is not None and reply.drop:
            self.close_connection = True
            self.sink._record(item)
            self.sink.show(item)
            return
        if reply is None and signature and signature != "valid" and self.sink.reject_invalid:
            status, answer = BAD_SIGNATURE[platform]
            reply = Reply(status, answer)
        if reply is None:
            status, answer = PLATFORM_OK[platform]
            reply = Reply(status, answer)
        elif reply.body is None and 200 <= reply.status < 300:
            reply = Reply(reply.status, PLATFORM_OK[platform][1], reply.headers)
        item.reply_status = reply.status
        self.sink._record(item)
        self._answer(reply.status, reply.body if reply.body is not None else "", reply.headers)
        self.sink.show(item)

    def do_GET(self) -> None:
        self._answer(200, {"received": len(self.sink.received)}, {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Loopback webhook sink: prints what it receives.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--secret", help="whsec_... to verify generic (Standard Webhooks) signatures")
    parser.add_argument("--feishu-secret", help="Feishu bot secret to verify timestamp/sign")
    parser.add_argument("--dingtalk-secret", help="DingTalk robot secret to verify timestamp/sign")
    parser.add_argument("--script", default="", help="answers for the next requests, e.g. 503,429:2,drop,200")
    args = parser.parse_args(argv)
    try:
        sink = Sink(
            args.port,
            args.host,
            secret=args.secret,
            feishu_secret=args.feishu_secret,
            dingtalk_secret=args.dingtalk_secret,
            stream=sys.stdout,
        )
        if args.script:
            sink.script(*(Reply.parse(tok) for tok in args.script.split(",") if tok.strip()))
        sink.start()
    except (ValueError, OSError) as exc:
        print(f"webhook sink: {exc}", file=sys.stderr)
        return 2
    print(f"webhook sink on {sink.url}  (paths: /slack/... /feishu/... /dingtalk /wecom /<anything>=generic)")
    print(
        "try: WEBHOOK_ALLOW_LOOPBACK=1 WEBHOOK_FORMAT=slack "
        f"WEBHOOK_URL={sink.url}/slack/services/T000/B000/XXXX",
        flush=True,
    )
    try:
        wait_for_ctrl_c()
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
