"""The HTTP function's routing and error mapping, without a network (upstream behaviour is
covered against the emulator in tests/integration)."""
from __future__ import annotations

import json

import pytest

from shared.errors import ApiError, bad_request
from shared.scope import Invocation
from shared.triggers import http_routes as http_api
from shared.triggers.apigw import response
from shared.triggers.routing import Route
from tests.helpers import FakeContext
from tests.helpers import apig_event as event


def call(ev: object) -> tuple[int, dict, dict]:
    out = http_api.handle(ev, FakeContext())
    assert set(out) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert out["headers"]["X-Request-Id"] == "req-123"
    return out["statusCode"], out["headers"], json.loads(out["body"])


def test_unknown_path_is_404_json() -> None:
    status, _, body = call(event("/v3/servers"))
    assert status == 404 and body["error_code"] == "SMSFN.0404" and "/v3/servers" in body["error_msg"]


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_other_methods_are_405_json(method: str) -> None:
    status, _, body = call(event(method=method))
    assert status == 405 and body["allowed_methods"] == ["GET"]


def test_bad_query_is_400_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMS_ENDPOINT", raising=False)
    status, _, body = call(event(query={"limit": "500"}))
    assert status == 400 and body["error_param"] == ["limit"]


def test_malformed_event_is_400() -> None:
    status, _, body = call({"path": "/v3/tasks"})
    assert status == 400 and "httpMethod" in body["error_msg"]


def test_missing_endpoint_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMS_ENDPOINT", "SMS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AK")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "SK")
    status, _, body = call(event())
    assert status == 500 and "SMS_REGION" in body["error_msg"]


def test_missing_credentials_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_ENDPOINT", "http://127.0.0.1:9")
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"):
        monkeypatch.delenv(name, raising=False)
    status, _, body = call(event())
    assert status == 500 and "HUAWEICLOUD_SDK_AK" in body["error_msg"]


def test_unexpected_error_is_500_with_request_id_and_no_trace(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_: object) -> dict:
        raise RuntimeError("secret internals at line 42")

    monkeypatch.setitem(http_api.ROUTES, "/v3/tasks", Route(boom))
    status, _, body = call(event())
    assert status == 500 and body["request_id"] == "req-123"
    assert "internals" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert "RuntimeError" in capsys.readouterr().err  # the log keeps what the operator needs


def test_agency_credentials_come_first() -> None:
    inv = Invocation.from_context(FakeContext(agency=True))
    assert inv.credentials is not None and inv.credentials.ak == "AGENCYAK0001"
    assert "agency-secret" not in repr(inv)
    assert Invocation.from_context(FakeContext()).credentials is None


def test_missing_context_still_gives_an_invocation() -> None:
    inv = Invocation.from_context(None)
    assert inv.request_id and inv.deadline.remaining() == float("inf")
    assert Invocation.from_context(FakeContext(remaining_ms=1000)).deadline.remaining() <= 1.0


def test_zero_time_left_is_a_runtime_that_does_not_know_not_an_expired_deadline() -> None:
    # openYuanrong's C++ SDK always says 0 (tests/unit/test_runtime_deadline.py has each runtime)
    remaining = Invocation.from_context(FakeContext(remaining_ms=0)).deadline.remaining()
    assert 0 < remaining < float("inf")


def test_a_broken_error_renderer_falls_back_to_json(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(*_: object) -> dict:
        raise bad_request("state", "no")

    def broken(*_: object) -> dict:
        raise RuntimeError("the error page itself failed")

    monkeypatch.setitem(http_api.ROUTES, "/v3/tasks", Route(refuse, broken))
    status, headers, body = call(event())
    assert status == 400 and body["error_param"] == ["state"] and headers["Content-Type"].startswith("application/json")
    assert "RuntimeError" in capsys.readouterr().err


def test_each_route_renders_its_own_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def own(request: object, error: ApiError) -> dict:
        return response(error.status, {"mine": error.error_code})

    monkeypatch.setitem(http_api.ROUTES, "/v3/tasks", Route(http_api.list_tasks, own))
    status, headers, body = call(event(method="PUT"))
    assert status == 405 and body == {"mine": "SMSFN.0405"} and headers["Allow"] == "GET"
    assert call(event("/v3/tasks/summary", method="PUT"))[2]["allowed_methods"] == ["GET"]  # the others keep JSON
