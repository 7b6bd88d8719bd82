"""The HTTP function end to end over real loopback HTTP to the emulator: paging, filters,
``all=true``, validation modes and every upstream failure mapping."""
from __future__ import annotations

import json
import socket
import threading
from typing import Any

import pytest

from shared.read import sms_client
from shared.triggers import http_routes as http_api
from tests.helpers import FakeContext, closed_port, response_json
from tests.helpers import apig_event as event

pytestmark = pytest.mark.integration


def call(query: dict | None = None, path: str = "/v3/tasks", ctx: Any = None) -> tuple[int, dict, Any]:
    out = http_api.handle(event(path, query=query), ctx or FakeContext())
    assert out["headers"]["X-Request-Id"] == (ctx.request_id if ctx else "req-123")
    return out["statusCode"], out["headers"], response_json(out)


def all_fleet(emulator: Any) -> int:
    return len(emulator.tasks())


def test_one_page_is_smss_answer(sms_env: Any) -> None:
    status, headers, body = call({"limit": "20", "offset": "10"})
    assert status == 200
    assert body["count"] == all_fleet(sms_env) and len(body["tasks"]) == 20
    assert headers["X-Schema-Violations"] == "0"
    assert headers["X-Sms-Request-Id"]
    sent = sms_env.requests[-1]
    assert sent["query"] == {"limit": "20", "offset": "10"}


def test_filters_reach_sms(sms_env: Any) -> None:
    status, _, body = call({"state": "RUNNING", "limit": "200"})
    assert status == 200 and body["tasks"]
    assert {t["state"] for t in body["tasks"]} == {"RUNNING"}
    assert body["count"] == len(body["tasks"])


def test_count_is_independent_of_paging(sms_env: Any) -> None:
    counts = {call({"limit": str(n), "offset": str(o)})[2]["count"] for n, o in [(0, 0), (1, 0), (5, 250)]}
    assert counts == {all_fleet(sms_env)}
    assert call({"limit": "0"})[2]["tasks"] == []


def test_all_pages_in_order_with_no_duplicates(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "3")
    status, headers, body = call({"all": "true", "limit": "40"})
    assert status == 200
    ids = [t["id"] for t in body["tasks"]]
    sequential = []
    for offset in range(0, body["count"], 40):
        sequential += [t["id"] for t in call({"limit": "40", "offset": str(offset)})[2]["tasks"]]
    assert ids == sequential and len(ids) == body["count"] == all_fleet(sms_env)
    assert headers["X-Scan-Pages"] == str(-(-body["count"] // 40))
    assert "X-Scan-Partial" not in headers


def test_all_pages_stop_at_the_cap_and_say_so(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_ALL_MAX_TASKS", "100")
    status, headers, body = call({"all": "true"})
    assert status == 200 and len(body["tasks"]) == 100 and body["count"] == all_fleet(sms_env)
    assert headers["X-Scan-Partial"] == "true" and "SMS_ALL_MAX_TASKS" in headers["X-Scan-Partial-Reason"]


def test_fleet_changing_mid_scan_is_409(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # One request at a time: a speculative window would let the emulator serve another page
    # before the first, and the mutation would land before the page that should see it.
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "1")
    sms_env.faults.passthrough().mutate(add_tasks=1)  # after the first page, one task appears
    status, _, body = call({"all": "true", "limit": "50"})
    assert status == 409 and body["error_code"] == "SMSFN.0409"
    assert body["count_seen"] == body["count_first"] + 1


def test_upstream_4xx_passes_through_unchanged(sms_env: Any) -> None:
    sms_env.faults.forbidden(times=5)
    status, _, body = call()
    assert status == 403 and body["error_code"] == "SMS.9004"
    assert set(body) >= {"encoded_authorization_message", "error_param", "details"}


def test_wrong_secret_gets_smss_403(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "not-the-right-secret")
    status, _, body = call()
    assert status == 403 and body["error_code"].startswith("SMS.")
    assert "not-the-right-secret" not in json.dumps(body)


def test_server_errors_are_retried(sms_env: Any) -> None:
    sms_env.faults.server_error(500, times=1)
    status, _, body = call({"limit": "5"})
    assert status == 200 and len(body["tasks"]) == 5


def test_persistent_server_errors_become_502(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "1")
    sms_env.faults.server_error(503, times=2)
    status, _, body = call()
    assert status == 502 and body["error_code"] == "SMSFN.0502" and "503" in body["error_msg"]


def test_throttling_is_retried_after_retry_after(sms_env: Any) -> None:
    sms_env.faults.throttle(retry_after=0, times=1)
    assert call({"limit": "1"})[0] == 200


def test_malformed_json_is_502(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    sms_env.faults.malformed()
    status, _, body = call()
    assert status == 502 and body["error_code"] == "SMSFN.0512"


def test_redirect_is_a_clear_502_not_malformed_json(sms_env: Any) -> None:
    # The SDK follows no redirects and raises only for 4xx/5xx: a 3xx was read as a page.
    sms_env.faults.respond(301, body="", headers={"Location": "https://elsewhere.example/v3/tasks"})
    status, _, body = call()
    assert status == 502 and body["error_code"] == "SMSFN.0502" and "HTTP 301" in body["error_msg"]
    assert len(sms_env.requests) == 1  # not retried: the same answer would come back


def test_dropped_connection_is_502(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    sms_env.faults.drop()
    status, _, body = call()
    assert status == 502 and body["error_code"] == "SMSFN.0502"


def test_slow_sms_is_504(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_READ_TIMEOUT", "0.3")
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    sms_env.faults.slow(2000)
    status, _, body = call()
    assert status == 504 and body["error_code"] == "SMSFN.0504"


def test_timeout_never_exceeds_the_functions_remaining_time(sms_env: Any) -> None:
    sms_env.faults.slow(3000, times=3)
    ctx = FakeContext(request_id="short", remaining_ms=700)  # read timeout setting is 10 s
    status, _, body = call(ctx=ctx)
    assert status == 504 and body["error_code"] == "SMSFN.0504"


def test_connection_refused_is_502(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    status, _, body = call()
    assert status == 502 and body["error_code"] == "SMSFN.0502" and "connect" in body["error_msg"]


def test_connection_broken_mid_body_is_a_retried_502(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK maps only connect-level errors; requests' ChunkedEncodingError escaped as a 500.
    seen: list[int] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                conn.recv(65536)
                seen.append(1)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 1000\r\n\r\n{\"count\": 1, \"tas")

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setenv("SMS_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setenv("SMS_PAGE_RETRIES", "1")
    try:
        status, _, body = call()
    finally:
        server.close()
    assert status == 502 and body["error_code"] == "SMSFN.0502" and "broke" in body["error_msg"]
    assert len(seen) == 2  # retried once, like any dropped connection


def test_client_is_reused_across_invocations(sms_env: Any) -> None:
    call()
    first = sms_client._cached
    call()
    assert sms_client._cached is first


def test_strict_mode_rejects_the_docs_own_example(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_VALIDATION", "strict")
    status, _, body = call({"name": "sms_task_"})  # the doc's three tasks
    assert status == 502 and body["error_code"] == "SMSFN.0513"
    found = {(v["pointer"].split("/", 3)[-1], v["rule"], json.dumps(v["value"])) for v in body["violations"]}
    assert ("source_server/state", "enum", '"AVAILABLE"') in found
    assert ("estimate_complete_time", "type", "null") in found


def test_warn_mode_serves_the_docs_example_with_zero_violations(sms_env: Any) -> None:
    status, headers, body = call({"name": "sms_task_"})
    assert status == 200 and body["count"] == 3
    assert headers["X-Schema-Violations"] == "0"


def test_off_mode_sends_no_violation_header(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_VALIDATION", "off")
    status, headers, _ = call({"limit": "1"})
    assert status == 200 and "X-Schema-Violations" not in headers


def test_warn_mode_counts_and_logs_drift(sms_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    drifted = {"count": 1, "tasks": [{"id": "t1", "priority": 7, "type": "MIGRATE_NOTHING"}]}
    sms_env.faults.respond(200, drifted)
    status, headers, body = call()
    assert status == 200 and body == drifted
    assert headers["X-Schema-Violations"] == "3"  # priority breaks enum and maximum
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "schema violation" in line]
    assert {entry["pointer"] for entry in logged} == {"/tasks/0/priority", "/tasks/0/type"}
