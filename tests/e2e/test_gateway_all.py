"""``all=true`` through the local API Gateway, read by clients that are not ours: curl (with and
without ``--compressed``) and the official SDK's ``SmsClient`` (its own HTTP stack, which asks for
gzip, and its own ListTasksResponse model), each looping on ``X-Next-Offset``; compared with the
emulator's task list. The gateway sends an ``isBase64Encoded`` answer as the bytes it encodes."""
from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdksms.v3 import ListTasksRequest, SmsClient

from local.gateway import Gateway, _function_response
from shared.read import all_answer

pytestmark = pytest.mark.e2e

BUDGET = 60_000  # small answers, so every client has to loop


@pytest.fixture
def gateway(sms_env: Any) -> Iterator[Gateway]:
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


def curl(url: str, *flags: str) -> tuple[dict[str, str], bytes]:
    """curl's view of one GET: its response headers (last name wins) and the body as it wrote it."""
    assert shutil.which("curl"), "curl is needed (Debian package curl)"
    done = subprocess.run(["curl", "-s", "-S", "--fail", *flags, "-D", "/dev/stderr", url], capture_output=True,
                          timeout=60, check=True)
    headers = {}
    for line in done.stderr.decode("latin-1").splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, done.stdout


def curl_loop(base: str, *flags: str) -> tuple[list[Any], list[dict[str, str]]]:
    tasks: list[Any] = []
    seen: list[dict[str, str]] = []
    offset: str | None = "0"
    while offset is not None:
        headers, body = curl(f"{base}/v3/tasks?all=true&offset={offset}", *flags)
        tasks += json.loads(body)["tasks"]
        seen.append(headers)
        offset = headers.get("x-next-offset")
        assert len(seen) < 100
    return tasks, seen


def test_curl_compressed_reads_the_gzip_answer_and_loops(gateway: Gateway, sms_env: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    headers, body = curl(f"{gateway.url}/v3/tasks?all=true", "--compressed")
    assert headers["content-encoding"] == "gzip" and json.loads(body)["tasks"] == sms_env.tasks()
    monkeypatch.setattr(all_answer, "BODY_LIMIT", BUDGET)
    tasks, seen = curl_loop(gateway.url, "--compressed")
    assert tasks == sms_env.tasks() and len(seen) >= 2
    assert all(h["content-encoding"] == "gzip" for h in seen)


def test_curl_without_compressed_gets_plain_json(gateway: Gateway, sms_env: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(all_answer, "BODY_LIMIT", BUDGET)
    tasks, seen = curl_loop(gateway.url)
    assert tasks == sms_env.tasks() and len(seen) >= 3
    assert not any("content-encoding" in h for h in seen)


def test_the_official_sdk_reads_the_gzip_answer_and_loops(gateway: Gateway, sms_env: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(all_answer, "BODY_LIMIT", BUDGET)
    answers: list[Any] = []
    handler = HttpHandler().add_response_handler(lambda **kw: answers.append(kw["response"]))
    creds = BasicCredentials("CALLERAK000000000000", "caller-secret", "caller-project")
    client = SmsClient.new_builder().with_credentials(creds).with_endpoints([gateway.url]) \
        .with_http_handler(handler).build()
    ids: list[str] = []
    offset: str | None = "0"
    while offset is not None:
        info = SmsClient._list_tasks_http_info(ListTasksRequest(offset=int(offset)))  # the SDK's own request
        response = client.call_api(info["resource_path"], info["method"], query_params=[*info["query_params"],
                                   ("all", "true")], header_params=info["header_params"],
                                   response_type=info["response_type"], request_type=info["request_type"])
        assert response.count == len(sms_env.tasks())
        ids += [t.id for t in response.tasks]
        raw = answers[-1]
        assert raw.headers["Content-Encoding"] == "gzip"  # the SDK's requests asked for it and unzipped it
        offset = raw.headers.get("X-Next-Offset")
        assert len(answers) < 100
    assert ids == [t["id"] for t in sms_env.tasks()] and len(answers) >= 2


def test_the_gateway_sends_base64_answers_as_bytes_and_refuses_bad_base64() -> None:
    ok = _function_response({"statusCode": 200, "headers": {"Content-Encoding": "gzip"}, "body": "AAEC/w==",
                             "isBase64Encoded": True})
    assert ok == (200, {"Content-Encoding": "gzip"}, b"\x00\x01\x02\xff")
    status, _, body = _function_response({"statusCode": 200, "headers": {}, "body": "not base64!",
                                          "isBase64Encoded": True})
    # a malformed answer: API Gateway's 500 (FunctionGraph FAQ functiongraph_03_0290), as for any other
    assert status == 500 and json.loads(body)["error_code"] == "APIG.0203"
