"""A local API Gateway: HTTP requests in, APIG trigger events to the functions, responses out.

Routes come from the APIG triggers in ``template.yaml`` (path, method, exact or prefix match).
A request no route takes gets APIG's own 404, as the cloud gateway would answer. Handlers run
in-process and stay loaded between requests, like a warm instance."""
from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local import template
from local.functions import apply_environment, invoke

APIG_NOT_FOUND = {
    "error_code": "APIG.0101",
    "error_msg": "The API does not exist or has not been published in the environment",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    prefix: bool
    function: template.Function

    def matches(self, method: str, path: str) -> bool:
        if self.method != "ANY" and self.method != method:
            return False
        if self.prefix:
            return path == self.path or path.startswith(self.path.rstrip("/") + "/")
        return path == self.path


def routes_from_template() -> list[Route]:
    routes = []
    for fn in template.load().values():
        for trigger in fn.triggers_of("APIG"):
            spec = trigger.spec
            routes.append(Route(str(spec.get("method", "GET")).upper(), spec["path"],
                                str(spec.get("match", "exact")).lower() == "prefix", fn))
    # Longest path first, as APIG prefers the most specific route.
    return sorted(routes, key=lambda r: len(r.path), reverse=True)


def build_event(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The event APIG gives a function (``isBase64Encoded`` true, APIG's default)."""
    parts = urlsplit(raw_path)
    query: dict[str, Any] = {}
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        query[key] = values[0] if len(values) == 1 else values
    return {
        "body": base64.b64encode(body).decode("ascii"),
        "requestContext": {"apiId": "local", "requestId": uuid.uuid4().hex, "stage": "RELEASE"},
        "queryStringParameters": query,
        "httpMethod": method,
        "pathParameters": {},
        "headers": {k.lower(): v for k, v in headers.items()},
        "path": parts.path,
        "isBase64Encoded": True,
    }


def _function_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Checks the function kept APIG's response contract; APIG answers 502 when it doesn't."""
    if not (isinstance(result, dict) and isinstance(result.get("statusCode"), int)
            and isinstance(result.get("body", ""), str)):
        body = {"error_code": "APIG.0203", "error_msg": "the backend returned an invalid response"}
        return 502, {"Content-Type": "application/json"}, json.dumps(body).encode()
    raw = result.get("body", "")
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    return result["statusCode"], headers, data


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 8080, routes: list[Route] | None = None) -> None:
        self.routes = routes if routes is not None else routes_from_template()
        for fn in {r.function.name: r.function for r in self.routes}.values():
            apply_environment(fn)
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Gateway:
        self._thread = threading.Thread(target=self.serve_forever, name="local-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def route(self, method: str, path: str) -> Route | None:
        return next((r for r in self.routes if r.matches(method, path)), None)


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        route = self.server.route(self.command, path)
        if route is None:
            self._send(404, {"Content-Type": "application/json"}, json.dumps(APIG_NOT_FOUND).encode())
            return
        event = build_event(self.command, self.path, dict(self.headers.items()), body)
        try:
            status, headers, data = _function_response(invoke(route.function, event))
        except Exception as exc:  # an unhandled error in a function: APIG answers 502
            print(f"{route.function.name} raised {type(exc).__name__}", file=sys.stderr)
            err = {"error_code": "APIG.0203", "error_msg": "the backend failed"}
            status, headers, data = 502, {"Content-Type": "application/json"}, json.dumps(err).encode()
        self._send(status, headers, data)

    def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("GATEWAY_QUIET") != "1":
            sys.stderr.write(f"gateway: {self.address_string()} {format % args}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args(argv)
    from local.backend import ensure_backend

    ensure_backend()
    gateway = Gateway(port=args.port)
    print(f"gateway listening on {gateway.url}", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        gateway.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
