"""Upstream faults against a misbehaving server of the tests' own (tests/hostile.py), driven
through the real HTTP handler, the timer and webhook delivery: 429 and Retry-After, bodies
that trickle, reset, bomb or never end, pages that repeat task ids."""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.backend import LOCAL_AK, LOCAL_SK
from shared.read import sms_client
from shared.scope import Deadline
from shared.triggers import http_routes
from shared.webhooks import WebhookSettings, build_target, deliver
from shared.webhooks.url_safety import UrlPolicy
from tests.helpers import FakeContext, apig_event, function_handler, response_body, sample_event
from tests.hostile import (
    HostileServer,
    Seen,
    answer,
    big,
    cycle_ids,
    gzip_bomb,
    gzip_json,
    gzipped,
    http_date,
    reset_mid_body,
    rss_kib,
    rss_peak_reset,
    tasks_page,
    trickle,
)

pytestmark = pytest.mark.integration

MARGIN_S = 1.5  # "within the remaining time plus a small margin": generous for slow CI machines
THROTTLED = {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"}
OK_PAGE = tasks_page(["a1", "a2"], 2)


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Points the functions at a HostileServer: ``upstream(*steps)`` starts one."""
    servers: list[HostileServer] = []

    def start(*steps: Any) -> HostileServer:
        server = HostileServer(*steps).__enter__()
        servers.append(server)
        monkeypatch.setenv("SMS_ENDPOINT", server.url)
        return server

    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", LOCAL_AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", LOCAL_SK)
    monkeypatch.setenv("SMS_PAGE_RETRIES", "2")
    sms_client.reset_client_cache()
    yield start
    sms_client.reset_client_cache()
    for server in servers:
        server.__exit__()


def call(query: dict[str, str] | None = None, remaining_ms: int = 30000,
         path: str = "/v3/tasks") -> tuple[int, dict[str, str], dict[str, Any], float]:
    start = time.monotonic()
    out = http_routes.handle(apig_event(path, query=query), FakeContext(remaining_ms=remaining_ms))
    elapsed = time.monotonic() - start
    body = response_body(out)
    json.loads(body.decode("utf-8"))  # always valid UTF-8 JSON
    return out["statusCode"], out["headers"], json.loads(body), elapsed


def assert_no_upstream_address(server: HostileServer, *texts: str) -> None:
    port = str(server.server_address[1])
    for text in texts:
        assert "127.0.0.1" not in text and port not in text and "limit=" not in text and "HTTPConnection" not in text


# --- 429 and Retry-After -------------------------------------------------------------------------

def test_429_is_ours_no_hidden_sdk_retry_and_no_upstream_address(upstream: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    server = upstream(answer(429, THROTTLED, {"Retry-After": "1"}))
    status, headers, body, _ = call({"limit": "5"})
    assert status == 429 and body == THROTTLED  # SMS's own body, unchanged
    assert headers["Retry-After"] == "1"
    assert len(server.seen) == 1  # the SDK's urllib3 Retry no longer retries 429 behind our back
    assert_no_upstream_address(server, json.dumps(body), json.dumps(headers))


@pytest.mark.parametrize("retry_after", ["1", "http-date"])
def test_retry_after_is_waited_for_when_time_allows(upstream: Any, retry_after: str) -> None:
    value = http_date(2) if retry_after == "http-date" else retry_after
    server = upstream(answer(429, THROTTLED, {"Retry-After": value}), answer(200, OK_PAGE))
    status, _, body, _ = call({"limit": "2"})
    assert status == 200 and body == OK_PAGE
    gap = server.seen[1].at - server.seen[0].at
    assert gap >= 0.9  # 1 s asked; an HTTP-date 2 s ahead is at least 1 s given its whole seconds


@pytest.mark.parametrize("garbage", ["soon", "-5", "1.5", "99999999999999999999999", "Mon, 99 Foo 2025"])
def test_garbage_retry_after_falls_back_to_backoff(upstream: Any, garbage: str) -> None:
    server = upstream(answer(429, THROTTLED, {"Retry-After": garbage}), answer(200, OK_PAGE))
    status, _, body, _elapsed = call({"limit": "2"})
    if garbage == "99999999999999999999999":  # a valid, absurd number: handed back at once
        assert status == 429 and body == THROTTLED and len(server.seen) == 1
        return
    assert status == 200 and len(server.seen) == 2
    assert server.seen[1].at - server.seen[0].at < 0.5  # jittered backoff (base 0.1 s), not a parsed wait


@pytest.mark.parametrize("retry_after", ["30", "http-date"])
def test_retry_after_past_the_deadline_is_handed_back_at_once(upstream: Any, retry_after: str) -> None:
    value = http_date(30) if retry_after == "http-date" else retry_after
    server = upstream(answer(429, THROTTLED, {"Retry-After": value}))
    status, headers, body, elapsed = call({"limit": "2"}, remaining_ms=3000)
    assert status == 429 and body == THROTTLED and len(server.seen) == 1
    assert 28 <= int(headers["Retry-After"]) <= 31
    assert elapsed < 1.0  # no sleeping into a deadline it can't make


def test_429_without_retry_after_gets_one_for_the_caller(upstream: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "1")
    server = upstream(answer(429, THROTTLED))
    status, headers, _body, _ = call({"limit": "2"})
    assert status == 429 and headers["Retry-After"] == "1" and len(server.seen) == 2


def test_non_sms_error_bodies_are_not_echoed(upstream: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    server = upstream(answer(403, b"<html>proxy at 10.1.2.3:8080 says no</html>"))
    status, _, body, _ = call({"limit": "2"})
    assert status == 403 and "10.1.2.3" not in json.dumps(body)
    assert_no_upstream_address(server, json.dumps(body))


# --- the deadline bounds the whole call ----------------------------------------------------------

@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_answer_ends_at_the_deadline(upstream: Any, headers_too: bool) -> None:
    server = upstream(trickle(json.dumps(OK_PAGE).encode() + b" " * 200, every_s=0.2, headers_too=headers_too))
    status, _, body, elapsed = call({"limit": "2"}, remaining_ms=2000)
    assert status == 504 and body["error_code"] == "SMSFN.0504"
    assert elapsed < 2.0 + MARGIN_S
    assert_no_upstream_address(server, json.dumps(body))


def test_a_trickling_page_makes_a_scan_partial_in_time(upstream: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "1")

    def paged(sock: socket.socket, seen: Seen) -> None:
        offset = int(seen.query.get("offset", "0"))
        page = tasks_page([f"t{offset + i}" for i in range(2)], 6)
        if offset >= 4:
            trickle(json.dumps(page).encode() + b" " * 100, every_s=0.2)(sock, seen)
        else:
            answer(200, page)(sock, seen)

    upstream(paged)
    status, headers, body, elapsed = call({"all": "true", "limit": "2"}, remaining_ms=2500)
    assert elapsed < 2.5 + MARGIN_S
    assert status == 200 and headers.get("X-Scan-Partial") == "true"
    assert [t["id"] for t in body["tasks"]] == ["t0", "t1", "t2", "t3"]


def test_a_reset_mid_body_is_502_and_retried(upstream: Any) -> None:
    server = upstream(reset_mid_body(), answer(200, OK_PAGE))
    status, _, body, _ = call({"limit": "2"})
    assert status == 200 and body == OK_PAGE and len(server.seen) == 2


def test_resets_every_time_end_as_502_naming_no_address(upstream: Any) -> None:
    server = upstream(reset_mid_body())
    status, _, body, _ = call({"limit": "2"})
    assert status == 502 and body["error_code"] == "SMSFN.0502" and len(server.seen) == 3
    assert_no_upstream_address(server, json.dumps(body))


# --- bounded bodies ------------------------------------------------------------------------------

def _growth_kib(fn: Any) -> int:
    if not rss_peak_reset():
        pytest.skip("peak RSS can't be reset here (/proc/self/clear_refs)")
    before = rss_kib("VmRSS")
    fn()
    return rss_kib("VmHWM") - before


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_50_mb_body_stops_at_the_cap(upstream: Any, declared: bool) -> None:
    server = upstream(big(50 * 1024 * 1024, declared))
    got: list[Any] = []
    growth = _growth_kib(lambda: got.append(call({"limit": "2"})))
    status, _, body, _ = got[0]
    assert status == 502 and body["error_code"] == "SMSFN.0514" and "SMS_MAX_BODY_BYTES" in body["error_msg"]
    assert len(server.seen) == 1  # not retried: it would be as large again
    assert growth < 40 * 1024, f"RSS grew {growth} KiB"  # the cap is 4 MiB; the whole body was +162 MiB


def test_a_gzip_bomb_is_never_decompressed_past_the_cap(upstream: Any) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    upstream(gzipped(200, bomb))
    got: list[Any] = []
    growth = _growth_kib(lambda: got.append(call({"limit": "2"})))
    status, _, body, _elapsed = got[0]
    assert status == 502 and body["error_code"] == "SMSFN.0514"
    assert growth < 40 * 1024, f"RSS grew {growth} KiB"  # 1 GiB decoded whole was +2.9 GiB


def test_a_gzip_error_body_is_capped_too(upstream: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    upstream(gzipped(500, gzip_bomb(64 * 1024 * 1024)))
    status, _, body, _ = call({"limit": "2"})
    assert status == 502 and body["error_code"] == "SMSFN.0514"


def test_gzip_within_the_cap_is_read(upstream: Any, monkeypatch: Any) -> None:
    upstream(gzipped(200, gzip_json(OK_PAGE)))
    status, _, body, _ = call({"limit": "2"})
    assert status == 200 and body == OK_PAGE


def test_the_cap_is_a_setting(upstream: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SMS_MAX_BODY_BYTES", str(64 * 1024))
    upstream(answer(200, tasks_page([f"{i:0400d}" for i in range(200)], 200)))
    status, _, body, _ = call({"limit": "200"})
    assert status == 502 and body["error_code"] == "SMSFN.0514" and "65536" in body["error_msg"]


# --- repeated ids --------------------------------------------------------------------------------

def repeating(count: int, unique: int) -> Any:
    """Pages of a ``count``-task list whose ids cycle through only ``unique`` values."""
    def step(sock: socket.socket, seen: Seen) -> None:
        offset, limit = int(seen.query.get("offset", "0")), int(seen.query.get("limit", "200"))
        ids = cycle_ids(unique)
        for _ in range(offset):
            next(ids)
        answer(200, tasks_page([next(ids) for _ in range(max(0, min(limit, count - offset)))], count))(sock, seen)

    return step


@pytest.mark.parametrize("path", ["/v3/tasks", "/v3/tasks/summary"])
def test_repeated_ids_across_pages_are_409_never_merged(upstream: Any, path: str) -> None:
    upstream(repeating(1000, 200))
    status, _, body, _ = call({"all": "true"} if path == "/v3/tasks" else {}, path=path)
    assert status == 409 and body["error_code"] == "SMSFN.0409"
    assert body["offset"] == 200 and body["duplicate_id"] == "00000000-0000-0000-0000-000000000000"


def test_distinct_ids_scan_completely(upstream: Any) -> None:
    upstream(repeating(450, 450))
    status, headers, body, _ = call({"all": "true"})
    assert status == 200 and len({t["id"] for t in body["tasks"]}) == 450 and "X-Scan-Partial" not in headers


def test_the_timer_raises_on_repeated_ids_and_sends_nothing(upstream: Any, monkeypatch: Any) -> None:
    with HostileServer(answer(200, b"")) as receiver:
        monkeypatch.setenv("WEBHOOK_URL", f"{receiver.url}/hook")
        monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
        upstream(repeating(1000, 200))
        handler = function_handler("list_tasks_timer")
        with pytest.raises(Exception) as info:  # retryable: FunctionGraph retries the tick
            handler(sample_event("timer.json"), FakeContext())
        assert getattr(info.value, "error_code", None) == "SMSFN.0409"
        assert receiver.seen == []  # no summary counted "complete" went out


# --- webhook receivers that misbehave ------------------------------------------------------------

SUMMARY = {"total": 1, "by_state": {}, "failed": {"total": 1, "items": []}, "running": {"total": 0, "items": []}}


def deliver_to(receiver: HostileServer, seconds: float, attempts: int = 2) -> Any:
    target = build_target("hook", f"{receiver.url}/hook", policy=UrlPolicy(allow_loopback=True))
    settings = WebhookSettings(max_attempts=attempts, policy=UrlPolicy(allow_loopback=True))
    start = time.monotonic()
    result = deliver([target], SUMMARY, deadline=Deadline(seconds), delivery_id="d-1", notify_on="always",
                     settings=settings)
    return result.outcomes[0], time.monotonic() - start


def test_a_trickling_receiver_is_cut_at_the_deadline() -> None:
    with HostileServer(trickle(b"x" * 500, every_s=0.2)) as receiver:
        outcome, elapsed = deliver_to(receiver, 2.0)
    assert outcome.status == "failed" and "DeadlineExceeded" in (outcome.error or "")
    assert elapsed < 2.0 + MARGIN_S


@pytest.mark.parametrize("kind", ["bomb", "50mb"])
def test_a_huge_receiver_answer_costs_only_what_is_read(kind: str) -> None:
    step = gzipped(200, gzip_bomb(256 * 1024 * 1024)) if kind == "bomb" else big(50 * 1024 * 1024, False)
    with HostileServer(step) as receiver:
        got: list[Any] = []
        growth = _growth_kib(lambda: got.append(deliver_to(receiver, 20.0)))
    outcome, _ = got[0]
    assert outcome.status == "delivered" and outcome.attempts == 1
    assert growth < 40 * 1024, f"RSS grew {growth} KiB"


@pytest.mark.parametrize(("value", "waits"), [("1", True), ("http-date", True), ("soon", False), ("-3", False)])
def test_receiver_retry_after_forms(value: str, waits: bool) -> None:
    header = http_date(2) if value == "http-date" else value
    with HostileServer(answer(429, b"", {"Retry-After": header}), answer(200, b"")) as receiver:
        outcome, _ = deliver_to(receiver, 10.0)
        gap = receiver.seen[1].at - receiver.seen[0].at
    assert outcome.status == "delivered" and outcome.attempts == 2
    assert (gap >= 0.9) if waits else (gap < 0.9)  # garbage: backoff (at most 0.5 s), not a wait


def test_receiver_retry_after_past_the_deadline_is_not_waited_for() -> None:
    with HostileServer(answer(429, b"", {"Retry-After": http_date(30)})) as receiver:
        outcome, elapsed = deliver_to(receiver, 3.0, attempts=4)
    assert outcome.status == "failed" and "would pass the deadline" in (outcome.error or "")
    assert elapsed < 1.0 and len(receiver.seen) == 1


# --- a TLS handshake that trickles ---------------------------------------------------------------

class TricklingHandshake:
    """A TLS server that never finishes its handshake: it answers the ClientHello with a handshake
    record header announcing 16 KiB, then one byte every 0.2 s, so each read of the client is well
    inside its timeout; it gives up after ``give_up_s`` (a client the deadline does not cut waits
    until then)."""

    def __init__(self, give_up_s: float = 8.0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.give_up_s = give_up_s
        self.threads: list[threading.Thread] = []
        self.accepting = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._trickle, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _trickle(self, conn: socket.socket) -> None:
        end = time.monotonic() + self.give_up_s
        with conn:
            try:
                conn.recv(4096)  # the ClientHello
                conn.sendall(b"\x16\x03\x03\x40\x00")  # handshake record, 16384 bytes to come
                while time.monotonic() < end:
                    conn.sendall(b"\x00")
                    time.sleep(0.2)
            except OSError:
                return

    def __enter__(self) -> TricklingHandshake:
        self.accepting.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_a_trickling_tls_handshake_of_a_receiver_is_cut_at_the_deadline() -> None:
    with TricklingHandshake() as receiver:
        target = build_target("hook", f"https://127.0.0.1:{receiver.port}/hook", policy=UrlPolicy(allow_loopback=True))
        settings = WebhookSettings(max_attempts=1, policy=UrlPolicy(allow_loopback=True))
        start = time.monotonic()
        result = deliver([target], SUMMARY, deadline=Deadline(2.0), delivery_id="d-1", settings=settings)
        elapsed = time.monotonic() - start
    (outcome,) = result.outcomes
    assert outcome.status == "failed" and "DeadlineExceeded" in (outcome.error or ""), outcome
    assert elapsed < 2.0 + MARGIN_S


def test_a_trickling_tls_handshake_of_sms_is_a_504_in_time(upstream: Any, monkeypatch: Any) -> None:
    with TricklingHandshake() as sms:
        monkeypatch.setenv("SMS_ENDPOINT", f"https://127.0.0.1:{sms.port}")
        monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
        sms_client.reset_client_cache()
        status, _, body, elapsed = call({"limit": "2"}, remaining_ms=2000)
    assert status == 504 and body["error_code"] == "SMSFN.0504", body
    assert elapsed < 2.0 + MARGIN_S


def test_a_name_that_never_resolves_is_given_up_at_the_deadline() -> None:
    """getaddrinfo takes no timeout: a resolver that hangs is waited for only until the connect
    timeout (capped by the deadline), and the target fails as a network error."""
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(30)
        return ["127.0.0.1"]

    target = build_target("hook", "https://hooks.example.com/hook")
    settings = WebhookSettings(max_attempts=3, connect_timeout=0.5)
    start = time.monotonic()
    try:
        result = deliver([target], SUMMARY, deadline=Deadline(2.0), delivery_id="d-1", settings=settings,
                         resolver=hanging)
    finally:
        release.set()
    elapsed = time.monotonic() - start
    (outcome,) = result.outcomes
    assert outcome.status == "failed" and "LookupTimedOut" in (outcome.error or ""), outcome
    assert outcome.attempts >= 2  # a lookup timing out is retried like any network error
    assert elapsed < 2.0 + MARGIN_S
