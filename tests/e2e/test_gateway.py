"""End to end through the local API Gateway: HTTP request → APIG event → handler → SMS emulator,
including the official SDK client pointed at the gateway, unchanged."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdksms.v3 import ListTasksRequest, SmsClient

from local.gateway import Gateway

pytestmark = pytest.mark.e2e


@pytest.fixture
def gateway(sms_env: Any) -> Iterator[Gateway]:
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


def sdk_client(url: str) -> SmsClient:
    # Any AK/SK: the gateway (APIG) is where IAM would check them; the function has its own.
    creds = BasicCredentials("CALLERAK000000000000", "caller-secret", "caller-project")
    return SmsClient.new_builder().with_credentials(creds).with_endpoints([url]).build()


def test_official_sdk_lists_tasks_through_the_gateway(gateway: Gateway, sms_env: Any) -> None:
    response = sdk_client(gateway.url).list_tasks(ListTasksRequest(limit=7, offset=3, state="RUNNING"))
    assert response.count == sum(1 for t in sms_env.tasks() if t["state"] == "RUNNING")
    assert len(response.tasks) == 7 and {t.state for t in response.tasks} == {"RUNNING"}
    assert response.tasks[0].sub_tasks and response.tasks[0].source_server.id


def test_official_sdk_reads_the_docs_example_with_its_nulls(gateway: Gateway) -> None:
    response = sdk_client(gateway.url).list_tasks(ListTasksRequest(name="sms_task_"))
    assert response.count == 3
    assert {t.name for t in response.tasks} == {"sms_task_lxxxx11", "sms_task_xxx22", "sms_task_leddesktop"}


def test_official_sdk_gets_our_400_as_its_exception(gateway: Gateway) -> None:
    with pytest.raises(ClientRequestException) as info:
        sdk_client(gateway.url).list_tasks(ListTasksRequest(limit=500))
    assert info.value.status_code == 400 and info.value.error_code == "SMSFN.0400"
    assert "limit" in info.value.error_msg


def test_official_sdk_gets_smss_403_passed_through(gateway: Gateway, sms_env: Any) -> None:
    sms_env.faults.forbidden(times=3)
    with pytest.raises(ClientRequestException) as info:
        sdk_client(gateway.url).list_tasks(ListTasksRequest())
    assert info.value.status_code == 403 and info.value.error_code == "SMS.9004"


def test_plain_http_calls(gateway: Gateway, sms_env: Any) -> None:
    base = gateway.url
    ok = requests.get(f"{base}/v3/tasks", params={"limit": 2}, timeout=10)
    assert ok.status_code == 200 and ok.headers["X-Request-Id"] and len(ok.json()["tasks"]) == 2
    assert ok.headers["Content-Type"].startswith("application/json")
    every = requests.get(f"{base}/v3/tasks", params={"all": "true"}, timeout=30)
    assert len(every.json()["tasks"]) == every.json()["count"] == len(sms_env.tasks())
    bad = requests.get(f"{base}/v3/tasks", params={"state": "DONE"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error_param"] == ["state"]
    assert requests.post(f"{base}/v3/tasks", timeout=10).status_code == 405
    inner = requests.get(f"{base}/v3/tasks/nope", timeout=10)
    assert inner.status_code == 404 and inner.json()["error_code"] == "SMSFN.0404"
    outer = requests.get(f"{base}/v2/servers", timeout=10)
    assert outer.status_code == 404 and outer.json()["error_code"] == "APIG.0101"


def test_summary_route(gateway: Gateway, sms_env: Any) -> None:
    r = requests.get(f"{gateway.url}/v3/tasks/summary", params={"state": "MIGRATE_FAIL"}, timeout=30)
    assert r.status_code == 200
    summary = r.json()
    expected = sum(1 for t in sms_env.tasks() if t["state"] == "MIGRATE_FAIL")
    assert summary["total"] == summary["scanned"] == expected
    assert summary["by_state"]["MIGRATE_FAIL"] == expected and summary["filters"] == {"state": "MIGRATE_FAIL"}
    assert summary["failed"]["total"] == expected
    assert json.loads(r.headers["X-Schema-Violations"]) == 0


def _raw(gateway: Gateway, request: bytes) -> tuple[int, dict[str, str], Any]:
    """One request written by hand (http clients refuse to send most of these), its answer parsed."""
    import socket

    host, port = gateway.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body.decode("utf-8"))


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
def test_any_method_gets_the_functions_405_json(gateway: Gateway, method: str) -> None:
    status, headers, body = _raw(gateway, f"{method} /v3/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                 .encode())
    assert status == 405 and body["error_code"] == "SMSFN.0405" and headers["content-type"].startswith(
        "application/json")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v3/tasks?name=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /v3/tasks HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /v3/tasks HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(120)) + b"\r\n",
         431),
        (b"GET /v3/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        (b"GET /v3/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
    ],
    ids=["long-url", "long-header", "many-headers", "negative-length", "bad-length", "bad-request-line"],
)
def test_refusals_of_the_http_layer_are_sms_shaped_json(gateway: Gateway, request_bytes: bytes,
                                                         status: int) -> None:
    got, headers, body = _raw(gateway, request_bytes)
    assert got == status and body["error_code"] == f"APIG.{status:04d}" and body["error_msg"]
    assert headers["content-type"] == "application/json"
