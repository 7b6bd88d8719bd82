"""The SMS emulator over loopback HTTP: ListTasks query rules, paging, errors, AK/SK signatures
checked against the official SDK, datasets, fault injection and the request log."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdksms.v3 import ListTasksRequest, SmsClient

from local import fleet
from local.sms_emulator import Emulator

pytestmark = pytest.mark.integration

AK = "TESTAK00000000000001"
SK = "test-secret-key-for-loopback-only"
PROJECT = "emulator-project"  # any value: /v3/tasks has no project in the path, it avoids an IAM lookup
NOW_MS = 1_760_000_000_000
ROOT = Path(__file__).resolve().parents[2]
DOC_200 = json.loads((fleet.DATA_DIR / "doc_example_200.json").read_text(encoding="utf-8"))
DOC_403 = json.loads((fleet.DATA_DIR / "doc_example_403.json").read_text(encoding="utf-8"))
ERROR_KEYS = {"error_code", "error_msg", "error_param"}
AUTH_ERROR_KEYS = set(DOC_403)


@pytest.fixture(scope="module")
def open_sms() -> Iterator[Emulator]:
    """Signature checks off: query, paging and fault tests talk plain HTTP."""
    with Emulator(dataset="fleet", tasks=250, auth=False, port=0, now_ms=NOW_MS) as sms:
        yield sms


@pytest.fixture(scope="module")
def signed_sms() -> Iterator[Emulator]:
    with Emulator(dataset="fleet", tasks=250, ak=AK, sk=SK, port=0, now_ms=NOW_MS) as sms:
        yield sms


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("open_sms", "signed_sms"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


@pytest.fixture(scope="module")
def truth(open_sms: Emulator) -> list[dict[str, Any]]:
    return open_sms.tasks()


def get(sms: Emulator, query: str = "", path: str = "/v3/tasks", **kwargs: Any) -> requests.Response:
    return requests.get(f"{sms.url}{path}" + (f"?{query}" if query else ""), timeout=10, **kwargs)


def sdk_client(sms: Emulator, ak: str = AK, sk: str = SK, token: str | None = None) -> SmsClient:
    credentials = BasicCredentials(ak, sk, PROJECT)
    if token:
        credentials = credentials.with_security_token(token)
    return SmsClient.new_builder().with_credentials(credentials).with_endpoints([sms.url]).build()


def sdk_signed_get(sms: Emulator, query: list[tuple[str, Any]], sk: str = SK, sdk_date: str | None = None,
                   send_query: str | None = None) -> requests.Response:
    """Sign with the SDK's own signer, send with requests (lets a test age or tamper the request)."""
    headers = {"Content-Type": "application/json"}
    if sdk_date:
        headers["X-Sdk-Date"] = sdk_date
    req = SdkRequest(method="GET", schema="http", host=urlsplit(sms.url).netloc, resource_path="/v3/tasks",
                     query_params=query, header_params=headers, body="")
    Signer(BasicCredentials(AK, sk)).sign(req)
    url = req.url if send_query is None else f"{sms.url}/v3/tasks?{send_query}"
    return requests.get(url, headers=req.header_params, timeout=10)


def sdk_date(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).strftime("%Y%m%dT%H%M%SZ")


def expected(truth: list[dict[str, Any]], **equal: str) -> list[dict[str, Any]]:
    def field(task: dict[str, Any], key: str) -> Any:
        return (task.get("source_server") or {}).get("id") if key == "source_server_id" else task.get(key)
    return [t for t in truth if all(field(t, k) == v for k, v in equal.items())]


# --------------------------------------------------------------------------- filters


def test_default_page_is_100_newest_tasks_with_the_full_count(open_sms: Emulator, truth: list[dict]) -> None:
    body = get(open_sms).json()
    assert body["count"] == len(truth) == 253
    assert body["tasks"] == truth[:100]


@pytest.mark.parametrize("state", fleet.STATES)
def test_state_filter(open_sms: Emulator, truth: list[dict], state: str) -> None:
    body = get(open_sms, f"state={state}&limit=200").json()
    want = expected(truth, state=state)
    assert want and body["count"] == len(want)
    assert body["tasks"] == want[:200]


def test_name_filter_is_a_case_sensitive_substring(open_sms: Emulator, truth: list[dict]) -> None:
    body = get(open_sms, "name=erp-db&limit=200").json()
    want = [t for t in truth if "erp-db" in t["name"]]
    assert want and body["count"] == len(want) and body["tasks"] == want
    assert get(open_sms, "name=ERP-DB").json()["count"] == 0


def test_name_filter_with_utf8(open_sms: Emulator, truth: list[dict]) -> None:
    params = {"name": "财务系统", "limit": 200}
    body = requests.get(f"{open_sms.url}/v3/tasks", params=params, timeout=10).json()
    want = [t for t in truth if "财务系统" in t["name"]]
    assert want and body["tasks"] == want


def test_id_filter_is_exact(open_sms: Emulator, truth: list[dict]) -> None:
    task = truth[17]
    assert get(open_sms, f"id={task['id']}").json() == {"count": 1, "tasks": [task]}
    assert get(open_sms, f"id={task['id'][:8]}").json() == {"count": 0, "tasks": []}


def test_source_server_id_filter_finds_tasks_sharing_a_source(open_sms: Emulator, truth: list[dict]) -> None:
    counts = Counter((t.get("source_server") or {}).get("id") for t in truth)
    shared = next(sid for sid, n in counts.most_common() if sid and n > 1)
    body = get(open_sms, f"source_server_id={shared}").json()
    assert body["count"] == counts[shared] > 1
    assert body["tasks"] == expected(truth, source_server_id=shared)


def test_enterprise_project_filter(open_sms: Emulator, truth: list[dict]) -> None:
    for project in fleet.ENTERPRISE_PROJECTS:
        body = get(open_sms, f"enterprise_project_id={project}&limit=200").json()
        assert body["count"] == len(expected(truth, enterprise_project_id=project)) > 0
    everything = get(open_sms, "enterprise_project_id=all_granted_eps").json()
    assert everything["count"] == len(truth)


def test_filters_combine(open_sms: Emulator, truth: list[dict]) -> None:
    body = get(open_sms, "state=MIGRATE_SUCCESS&enterprise_project_id=0&name=-0&limit=200").json()
    successes = expected(truth, state="MIGRATE_SUCCESS", enterprise_project_id="0")
    want = [t for t in successes if "-0" in t["name"]]
    assert want and body["count"] == len(want) and body["tasks"] == want


def test_empty_filter_values_are_ignored(open_sms: Emulator, truth: list[dict]) -> None:
    assert get(open_sms, "name=&id=&source_server_id=&enterprise_project_id=").json()["count"] == len(truth)


# --------------------------------------------------------------------------- paging


@pytest.mark.parametrize(("limit", "offset"),
                         [(1, 0), (7, 3), (100, 100), (200, 0), (200, 200), (0, 0), (50, 252)])
def test_count_does_not_depend_on_paging(open_sms: Emulator, truth: list[dict], limit: int,
                                         offset: int) -> None:
    body = get(open_sms, f"limit={limit}&offset={offset}").json()
    assert body["count"] == len(truth)
    assert body["tasks"] == truth[offset:offset + limit]


def test_pages_concatenate_to_the_whole_fleet(open_sms: Emulator, truth: list[dict]) -> None:
    tasks: list[dict] = []
    for offset in range(0, len(truth), 60):
        tasks += get(open_sms, f"limit=60&offset={offset}").json()["tasks"]
    assert tasks == truth


@pytest.mark.parametrize("offset", [253, 1000, 65535])
def test_offset_past_the_end_gives_an_empty_page(open_sms: Emulator, offset: int) -> None:
    assert get(open_sms, f"offset={offset}").json() == {"count": 253, "tasks": []}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("query", "param", "hint"),
    [
        ("limit=abc", "limit", "0 to 200"),
        ("limit=1.5", "limit", "integer"),
        ("limit=", "limit", "integer"),
        ("limit=201", "limit", "0 to 200"),
        ("limit=-1", "limit", "0 to 200"),
        ("limit=99999999999999999999", "limit", "0 to 200"),
        ("limit=" + "9" * 5000, "limit", "0 to 200"),
        ("offset=65536", "offset", "0 to 65535"),
        ("offset=ten", "offset", "0 to 65535"),
        ("state=running", "state", "SYNC_F_ROLLBACK_SUCCESS"),
        ("state=", "state", "READY"),
        ("status=READY", "status", "enterprise_project_id"),
        ("limit=10&limit=20", "limit", "repeated"),
        ("state=READY&state=RUNNING", "state", "repeated"),
    ],
)
def test_bad_query_parameters_are_400(open_sms: Emulator, query: str, param: str, hint: str) -> None:
    response = get(open_sms, query)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error_code"] == "SMS.0001" and body["error_param"] == [param]
    assert param in body["error_msg"] and hint in body["error_msg"]


@pytest.mark.parametrize("path",
                         ["/", "/v3/task", "/v3/tasks/", "/v3/tasks/abc", "/v2/tasks", "/v3/tasks.json"])
def test_other_paths_are_404(open_sms: Emulator, path: str) -> None:
    response = get(open_sms, path=path)
    assert response.status_code == 404
    assert set(response.json()) == ERROR_KEYS and response.json()["error_code"] == "SMS.0404"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405(open_sms: Emulator, method: str) -> None:
    response = requests.request(method, f"{open_sms.url}/v3/tasks", timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert set(response.json()) == ERROR_KEYS and response.json()["error_code"] == "SMS.0405"


@pytest.mark.parametrize("query", ["", "limit=x", "path=/nope"])
def test_every_response_is_json_with_a_request_id(open_sms: Emulator, query: str) -> None:
    path = "/nope" if query.startswith("path") else "/v3/tasks"
    first, second = get(open_sms, query, path=path), get(open_sms, query, path=path)
    for response in (first, second):
        assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
        assert int(response.headers["Content-Length"]) == len(response.content)
        response.json()
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_connections_are_kept_alive(open_sms: Emulator) -> None:
    conn = http.client.HTTPConnection(open_sms.host, open_sms.port, timeout=10)
    try:
        conn.request("GET", "/v3/tasks?limit=5")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        conn.request("GET", "/v3/tasks?limit=x")  # an error answer keeps the connection too
        second = conn.getresponse()
        second.read()
        assert (first.status, second.status) == (200, 400)
        assert first.version == 11 and sock is not None and conn.sock is sock
    finally:
        conn.close()


# --------------------------------------------------------------------------- datasets


def test_doc_dataset_serves_the_doc_example_verbatim() -> None:
    with Emulator(dataset="doc", auth=False, port=0) as sms:
        assert get(sms).json() == DOC_200
        assert get(sms, "limit=1&offset=2").json() == {"count": 3, "tasks": DOC_200["tasks"][2:]}


def test_dataset_and_size_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_EMULATOR_DATASET", "fleet")
    monkeypatch.setenv("SMS_EMULATOR_TASKS", "12")
    monkeypatch.setenv("SMS_EMULATOR_AK", "ENVAK")
    sms = Emulator(port=0)
    assert (sms.dataset, len(sms.store), sms.ak) == ("fleet", 15, "ENVAK")


# --------------------------------------------------------------------------- signatures


def test_official_sdk_signature_is_accepted(signed_sms: Emulator, truth: list[dict]) -> None:
    response = sdk_client(signed_sms).list_tasks(ListTasksRequest(limit=5, state="RUNNING"))
    assert response.count == len(expected(truth, state="RUNNING"))
    assert [t.id for t in response.tasks] == [t["id"] for t in expected(truth, state="RUNNING")[:5]]
    record = signed_sms.requests[-1]
    assert record["status"] == 200 and record["query"] == {"limit": "5", "state": "RUNNING"}
    assert f"Access={AK}" in record["headers"]["Authorization"]
    assert record["headers"]["Authorization"].endswith("Signature=***")


def test_sdk_signature_with_every_parameter_and_utf8(signed_sms: Emulator, truth: list[dict]) -> None:
    task = next(t for t in truth if "财务系统" in t["name"])
    request = ListTasksRequest(state=task["state"], name="财务系统 ", id=task["id"],
                               source_server_id=task["source_server"]["id"],
                               enterprise_project_id=task["enterprise_project_id"], limit=200, offset=0)
    assert sdk_client(signed_sms).list_tasks(request).count == 0  # trailing space: no name matches
    request.name = "财务系统"
    response = sdk_client(signed_sms).list_tasks(request)
    assert response.count == 1 and response.tasks[0].id == task["id"]


def test_wrong_secret_key_is_403_in_the_doc_shape(signed_sms: Emulator) -> None:
    with pytest.raises(ClientRequestException) as caught:
        sdk_client(signed_sms, sk="not-the-secret").list_tasks(ListTasksRequest(limit=1))
    err = caught.value
    assert err.status_code == 403 and err.error_code == "SMS.9003"
    assert err.request_id and err.encoded_auth_msg
    raw = sdk_signed_get(signed_sms, [("limit", 1)], sk="not-the-secret")
    assert raw.status_code == 403 and set(raw.json()) == AUTH_ERROR_KEYS
    assert raw.json()["details"] == [{"error_code": "SMS.9003", "error_msg": raw.json()["error_msg"]}]


def test_unknown_access_key_is_401(signed_sms: Emulator) -> None:
    with pytest.raises(ClientRequestException) as caught:
        sdk_client(signed_sms, ak="SOMEONEELSE000000000").list_tasks(ListTasksRequest(limit=1))
    assert caught.value.status_code == 401 and caught.value.error_code == "SMS.9001"


def test_unsigned_and_malformed_requests_are_403(signed_sms: Emulator) -> None:
    unsigned = get(signed_sms, "limit=1")
    assert unsigned.status_code == 403 and set(unsigned.json()) == AUTH_ERROR_KEYS
    assert unsigned.json()["error_code"] == "SMS.9002"
    for value in ("Bearer abc", f"SDK-HMAC-SM3 Access={AK}, SignedHeaders=host;x-sdk-date, Signature=00"):
        response = get(signed_sms, "limit=1", headers={"Authorization": value})
        assert response.status_code == 403 and response.json()["error_code"] == "SMS.9002"


def test_security_token_is_accepted_with_the_right_keys(signed_sms: Emulator) -> None:
    response = sdk_client(signed_sms, token="temporary-agency-token").list_tasks(ListTasksRequest(limit=1))
    assert response.count == 253
    assert signed_sms.requests[-1]["headers"]["X-Security-Token"] == "***"


def test_a_pinned_security_token_must_match() -> None:
    with Emulator(tasks=5, ak=AK, sk=SK, security_token="the-token", port=0) as sms:
        assert sdk_client(sms, token="the-token").list_tasks(ListTasksRequest(limit=1)).count == 8
        with pytest.raises(ClientRequestException) as caught:
            sdk_client(sms, token="another-token").list_tasks(ListTasksRequest(limit=1))
        assert caught.value.status_code == 403 and caught.value.error_code == "SMS.9006"


@pytest.mark.parametrize(("age", "status"), [(timedelta(minutes=-10), 200), (timedelta(minutes=-20), 403),
                                             (timedelta(minutes=20), 403)])
def test_sdk_date_must_be_within_15_minutes(signed_sms: Emulator, age: timedelta, status: int) -> None:
    response = sdk_signed_get(signed_sms, [("limit", 2)], sdk_date=sdk_date(age))
    assert response.status_code == status
    if status == 403:
        assert response.json()["error_code"] == "SMS.9005" and "X-Sdk-Date" in response.json()["error_param"]


def test_a_query_changed_after_signing_is_rejected(signed_sms: Emulator) -> None:
    assert sdk_signed_get(signed_sms, [("limit", 5)]).status_code == 200
    tampered = sdk_signed_get(signed_sms, [("limit", 5)], send_query="limit=6")
    assert tampered.status_code == 403 and tampered.json()["error_code"] == "SMS.9003"
    # The log shows what the server signed, to debug a client's signer.
    assert signed_sms.requests[-1]["canonical_request"].startswith("GET\n/v3/tasks/\nlimit=6\n")


def test_signature_is_checked_before_query_parameters(signed_sms: Emulator) -> None:
    assert get(signed_sms, "limit=500").status_code == 403
    with pytest.raises(ClientRequestException) as caught:
        sdk_client(signed_sms).list_tasks(ListTasksRequest(limit=500))
    assert caught.value.status_code == 400 and caught.value.error_code == "SMS.0001"


# --------------------------------------------------------------------------- fault injection


def post_faults(sms: Emulator, spec: dict[str, Any]) -> requests.Response:
    return requests.post(f"{sms.url}/_emulator/faults", json=spec, timeout=10)


def test_forced_responses_are_served_in_order(open_sms: Emulator) -> None:
    open_sms.faults.server_error().throttle(retry_after=3).forbidden().respond(418, {"hello": "teapot"})
    statuses = [get(open_sms, "limit=1") for _ in range(5)]
    assert [r.status_code for r in statuses] == [500, 429, 403, 418, 200]
    assert statuses[0].json()["error_code"] == "SMS.0500"
    assert statuses[1].headers["Retry-After"] == "3" and statuses[1].json()["error_code"] == "APIGW.0308"
    assert statuses[2].json() == DOC_403
    assert statuses[3].json() == {"hello": "teapot"}
    assert all(r.headers["X-Request-Id"] for r in statuses)


def test_faults_over_http(open_sms: Emulator) -> None:
    spec = {"responses": [{"status": 503, "times": 2}, {"status": 429, "retry_after": 1}, {"kind": "pass"}]}
    state = post_faults(open_sms, spec).json()
    assert [f["kind"] for f in state["pending"]] == ["respond", "respond", "respond", "pass"]
    assert [get(open_sms).status_code for _ in range(5)] == [503, 503, 429, 200, 200]
    assert requests.get(f"{open_sms.url}/_emulator/faults", timeout=10).json()["pending"] == []


def test_forced_403_reaches_the_sdk_with_the_doc_error(signed_sms: Emulator) -> None:
    signed_sms.faults.forbidden()
    with pytest.raises(ClientRequestException) as caught:
        sdk_client(signed_sms).list_tasks(ListTasksRequest(limit=1))
    assert caught.value.status_code == 403 and caught.value.error_code == "SMS.9004"
    assert caught.value.encoded_auth_msg == "XXXXXX"


def test_malformed_json(open_sms: Emulator) -> None:
    post_faults(open_sms, {"responses": [{"kind": "malformed"}]})
    response = get(open_sms, "limit=3")
    assert response.status_code == 200 and response.content.startswith(b'{"count":253')
    with pytest.raises(ValueError):
        response.json()
    assert get(open_sms, "limit=3").json()["count"] == 253


def test_dropped_connection(open_sms: Emulator) -> None:
    open_sms.faults.drop()
    with pytest.raises(requests.ConnectionError):
        get(open_sms)
    assert get(open_sms).status_code == 200
    assert open_sms.requests[-2]["status"] is None and open_sms.requests[-2]["note"] == "fault:drop"


def test_delay_is_configurable_and_reset(open_sms: Emulator) -> None:
    assert post_faults(open_sms, {"delay_ms": 20}).json()["delay_ms"] == 20
    open_sms.faults.slow(10)
    assert get(open_sms, "limit=1").status_code == 200
    assert open_sms.requests[-1]["note"] == "fault:delay"
    open_sms.reset()
    assert open_sms.faults.delay_ms == 0


def test_fleet_grows_and_shrinks_between_pages(open_sms: Emulator, truth: list[dict]) -> None:
    first = get(open_sms, "limit=100").json()
    assert post_faults(open_sms, {"add_tasks": 5}).json()["count"] == 258
    second = get(open_sms, "limit=100&offset=100").json()
    assert (first["count"], second["count"]) == (253, 258)
    assert second["tasks"][5:] == truth[100:195]  # five new tasks sorted first pushed everything down
    added = get(open_sms, "limit=5").json()["tasks"]
    assert all(t["state"] == "READY" for t in added)
    open_sms.faults.remove_tasks(ids=[added[0]["id"], truth[0]["id"]])
    assert get(open_sms, "limit=0").json()["count"] == 256
    post_faults(open_sms, {"remove_tasks": 10})
    assert get(open_sms, "limit=0").json()["count"] == 246


def test_queued_mutation_lands_between_two_pages(open_sms: Emulator) -> None:
    open_sms.faults.passthrough().mutate(add_tasks=2, remove_tasks=0)
    counts = [get(open_sms, f"limit=50&offset={o}").json()["count"] for o in (0, 50, 100)]
    assert counts == [253, 255, 255]


def test_reset_restores_everything(open_sms: Emulator, truth: list[dict]) -> None:
    open_sms.faults.add_tasks(7)
    open_sms.faults.server_error(times=3)
    requests.post(f"{open_sms.url}/_emulator/reset", timeout=10).raise_for_status()
    assert open_sms.requests == []
    assert get(open_sms, "limit=200").json() == {"count": 253, "tasks": truth[:200]}


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"responses": [{"kind": "explode"}]}', b'{"responses": [{"status": 99}]}',
     b'{"delay_ms": -1}', b'{"bogus": 1}', b'{"responses": [{"status": 500, "times": "2"}]}',
     b'{"remove_task_ids": "abc"}', b'{"responses": [{"status": 101}]}'],
)
def test_bad_fault_configuration_is_400(open_sms: Emulator, body: bytes) -> None:
    response = requests.post(f"{open_sms.url}/_emulator/faults", data=body, timeout=10)
    assert response.status_code == 400 and response.json()["error_param"] == ["body"]
    assert open_sms.faults.pending() == []


def test_control_endpoints_are_not_logged_faulted_or_signed(signed_sms: Emulator) -> None:
    signed_sms.faults.server_error()
    health = requests.get(f"{signed_sms.url}/_emulator/health", timeout=10)
    assert health.status_code == 200 and health.json()["count"] == 253
    assert requests.get(f"{signed_sms.url}/_emulator/reset", timeout=10).status_code == 405
    assert requests.get(f"{signed_sms.url}/_emulator/nope", timeout=10).status_code == 404
    assert signed_sms.requests == [] and len(signed_sms.faults.pending()) == 1


def test_an_emulator_bug_still_answers_json(open_sms: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: Any) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(open_sms.store, "page", broken)
    response = get(open_sms)
    assert response.status_code == 500 and response.json()["error_code"] == "SMS.0500"


def test_request_log_over_http(open_sms: Emulator) -> None:
    get(open_sms, "limit=2&state=READY", headers={"X-Auth-Token": "secret-token"})
    get(open_sms, "limit=1&limit=2")
    log = requests.get(f"{open_sms.url}/_emulator/requests", timeout=10).json()["requests"]
    assert [r["status"] for r in log] == [200, 400]
    assert log[0]["query"] == {"limit": "2", "state": "READY"} and log[0]["headers"]["X-Auth-Token"] == "***"
    assert log[1]["query"] == {"limit": ["1", "2"]}


# --------------------------------------------------------------------------- lifecycle and CLI


def test_stop_releases_the_port() -> None:
    sms = Emulator(dataset="doc", auth=False, port=0).start()
    url = sms.url
    assert url.startswith("http://127.0.0.1:") and requests.get(f"{url}/v3/tasks", timeout=10).ok
    sms.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v3/tasks", timeout=10)


def test_cli_prints_its_url_and_serves() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "local.sms_emulator", "--port", "0", "--dataset", "doc",
                             "--no-auth"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/v3/tasks", timeout=10).json() == DOC_200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
