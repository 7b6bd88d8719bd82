"""An SMS stand-in (tests/hostile.py, not our emulator) that echoes the request's headers into its
error body, as a debugging proxy would: the AK, the signature and the security token must reach no
API response, dashboard error page, CSV error or timer result (issue 21, item 5), while the
functions really sent them (the stand-in saw them)."""
from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from shared.dashboard.links import sign
from shared.read import sms_client
from shared.triggers import http_routes
from tests.helpers import FakeContext, apig_event, function_handler, sample_event
from tests.hostile import HostileServer, Seen, head

pytestmark = pytest.mark.integration
AK, SK = "ECHOak00000000000001", "ECHOsk-secret-0000000000001"
TOKEN = "ECHOsecuritytoken-" + "Zx9" * 40
LINK_SECRET = "echo-test-Mn4bV7cX1zL8kJ5hG2fD9sA6"


def echo(status: int) -> Any:
    """An SMS error body quoting every request header four ways: JSON text, a JSON object, raw
    header lines, and ``AK=`` pairs as some gateways log them."""
    def step(sock: socket.socket, seen: Seen) -> None:
        lines = "\r\n".join(f"{k}: {v}" for k, v in seen.headers.items())
        body = json.dumps({"error_code": "SMS.9999", "error_msg": f"bad request; headers={json.dumps(seen.headers)}",
                           "raw": lines, "debug": f"AK={AK} SK={SK} token={TOKEN}",
                           "request": {"headers": dict(seen.headers)}}).encode()
        sock.sendall(head(status, None, len(body)) + body)

    return step


@pytest.fixture
def echoing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    servers: list[HostileServer] = []

    def start(status: int) -> HostileServer:
        server = HostileServer(echo(status)).__enter__()
        servers.append(server)
        monkeypatch.setenv("SMS_ENDPOINT", server.url)
        return server

    for key, value in {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_SECURITY_TOKEN": TOKEN,
                       "SMS_PAGE_RETRIES": "0", "DASHBOARD_LINK_SECRET": LINK_SECRET}.items():
        monkeypatch.setenv(key, value)
    sms_client.reset_client_cache()
    yield start
    sms_client.reset_client_cache()
    for server in servers:
        server.__exit__()


def secrets_sent(server: HostileServer) -> list[str]:
    """What the stand-in really received: the values that must not come back."""
    seen = server.seen[0].headers
    signature = re.search(r"Signature=([0-9a-f]+)", seen["authorization"])
    assert signature and AK in seen["authorization"] and seen["x-security-token"] == TOKEN
    return [AK, SK, TOKEN, signature.group(1), seen["authorization"]]


def assert_clean(texts: list[str], sent: list[str]) -> None:
    for text in texts:
        for value in sent:
            assert value not in text
    assert "***" in texts[0]  # the echo reached the API response, masked: this test can see a leak


def outputs(status: int, start: Any) -> tuple[list[str], list[str]]:
    server = start(status)
    token = sign("/dashboard", LINK_SECRET, 600)
    api = http_routes.handle(apig_event("/v3/tasks"), FakeContext())
    page = http_routes.handle(apig_event("/dashboard", query={"token": token}), FakeContext())
    csv_error = http_routes.handle(apig_event("/dashboard/tasks.csv", query={"token": token}), FakeContext())
    assert api["statusCode"] == page["statusCode"] == csv_error["statusCode"] >= 400
    assert page["headers"]["Content-Type"].startswith("text/html")
    texts = [json.dumps(out) for out in (api, page, csv_error)]
    try:
        texts.append(json.dumps(function_handler("list_tasks_timer")(sample_event("timer.json"), FakeContext())))
    except Exception as exc:  # a 5xx is retryable: the timer raises, its message is what FunctionGraph keeps
        texts.append(f"{exc} {exc!r}")
    return texts, secrets_sent(server)


@pytest.mark.parametrize("status", [400, 403, 500])
def test_echoed_credentials_are_redacted_everywhere(echoing: Any, status: int) -> None:
    texts, sent = outputs(status, echoing)
    assert_clean(texts, sent)
