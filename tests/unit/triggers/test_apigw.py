from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from shared.errors import ApiError
from shared.triggers.apigw import ApiGatewayEvent, error_response, response

EVENTS = Path(__file__).resolve().parents[3] / "events"


def test_sample_event_parses() -> None:
    event = json.loads((EVENTS / "apig_list_tasks.json").read_text())
    req = ApiGatewayEvent.parse(event)
    assert req.http_method == "GET" and req.path == "/v3/tasks"
    assert req.query["state"] == "RUNNING"
    assert req.request_id == event["requestContext"]["requestId"]
    assert req.header("Host") == event["headers"]["host"]


def test_base64_body_is_decoded_and_plain_body_kept() -> None:
    base = {"httpMethod": "POST", "path": "/x"}
    b64 = ApiGatewayEvent.parse({**base, "body": base64.b64encode(b'{"a":1}').decode(), "isBase64Encoded": True})
    assert b64.body == b'{"a":1}'
    plain = ApiGatewayEvent.parse({**base, "body": '{"a":1}', "isBase64Encoded": False})
    assert plain.body == b'{"a":1}'


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ([], "JSON object"),
        ({"path": "/v3/tasks"}, "httpMethod"),
        ({"httpMethod": "GET"}, "path"),
        ({"httpMethod": "GET", "path": "/", "queryStringParameters": "a=1"}, "queryStringParameters"),
        ({"httpMethod": "GET", "path": "/", "headers": ["x"]}, "headers"),
        ({"httpMethod": "GET", "path": "/", "body": "***", "isBase64Encoded": True}, "base64"),
    ],
)
def test_malformed_events_are_clear_400s(event: object, fragment: str) -> None:
    with pytest.raises(ApiError) as info:
        ApiGatewayEvent.parse(event)
    assert info.value.status == 400 and fragment in info.value.error_msg


def test_null_query_and_headers_are_empty() -> None:
    req = ApiGatewayEvent.parse({"httpMethod": "get", "path": "/", "queryStringParameters": None, "headers": None})
    assert req.query == {} and req.headers == {} and req.http_method == "GET"


def test_response_shapes() -> None:
    out = response(200, {"count": 1, "tasks": []}, {"X-A": "1"})
    assert set(out) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert json.loads(out["body"]) == {"count": 1, "tasks": []}
    assert out["headers"]["X-A"] == "1" and out["headers"]["Content-Type"].startswith("application/json")
    assert response(200, b'{"raw":true}')["body"] == '{"raw":true}'
    err = error_response(ApiError(404, "SMSFN.0404", "nope"))
    assert err["statusCode"] == 404 and json.loads(err["body"]) == {"error_code": "SMSFN.0404", "error_msg": "nope"}


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("gzip, deflate, br", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("identity", False),
        ("", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=0.5, gzip;q=0", False),
        ("deflate, br", False),
        ("gzip;q=oops", False),
    ],
)
def test_accept_encoding_decides_gzip(header: str, gzip: bool) -> None:
    event = ApiGatewayEvent.parse({"httpMethod": "GET", "path": "/v3/tasks", "headers": {"Accept-Encoding": header}})
    assert event.accepts_gzip() is gzip
