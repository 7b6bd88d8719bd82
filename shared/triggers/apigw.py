"""API Gateway (APIG) trigger events in, APIG responses out.

FunctionGraph hands an APIG-triggered function an event like ``events/apig_list_tasks.json``:
``httpMethod``, ``path``, ``queryStringParameters``, ``pathParameters``, ``headers`` (lower-case
names), ``body`` (base64 when ``isBase64Encoded``, which APIG sets to true by default) and
``requestContext`` (``apiId``, ``requestId``, ``stage``). It expects back exactly
``{statusCode, headers, body, isBase64Encoded}`` with a string body."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ApiError
from shared.logger import redact_echo
from shared.wire_text import NOT_UNICODE, encodable, first_unencodable

JSON_TYPE = "application/json;charset=UTF-8"


def _bad_event(msg: str, field_name: str | None = None) -> ApiError:
    return ApiError(400, "SMSFN.0400", f"Malformed API Gateway event: {msg}", param=field_name, reason=msg)


# The parts of the event this function reads; each must be text UTF-8 can carry.
_TEXT_PARTS = ("httpMethod", "path", "queryStringParameters", "headers", "requestContext", "body")


@dataclass(frozen=True)
class ApiGatewayEvent:
    http_method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_id: str | None = None
    stage: str | None = None

    @classmethod
    def parse(cls, event: Any) -> ApiGatewayEvent:
        if not isinstance(event, Mapping):
            raise _bad_event(f"expected a JSON object, got {type(event).__name__}")
        for part in _TEXT_PARTS:
            bad = first_unencodable(event.get(part), part)
            if bad:
                raise _bad_event(f"'{bad}' {NOT_UNICODE}", bad)
        method = event.get("httpMethod")
        path = event.get("path")
        if not isinstance(method, str) or not method:
            raise _bad_event("'httpMethod' is missing")
        if not isinstance(path, str) or not path:
            raise _bad_event("'path' is missing")
        query = event.get("queryStringParameters") or {}
        if not isinstance(query, Mapping):
            raise _bad_event("'queryStringParameters' must be an object")
        raw_headers = event.get("headers") or {}
        if not isinstance(raw_headers, Mapping):
            raise _bad_event("'headers' must be an object")
        context = event.get("requestContext") or {}
        if not isinstance(context, Mapping):
            raise _bad_event("'requestContext' must be an object")
        return cls(
            http_method=method.upper(),
            path=path,
            query=dict(query),
            headers={str(k).lower(): str(v) for k, v in raw_headers.items()},
            body=_decode_body(event.get("body"), event.get("isBase64Encoded", True)),
            request_id=context.get("requestId"),
            stage=context.get("stage"),
        )

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


def _decode_body(body: Any, is_base64: Any) -> bytes:
    if body in (None, ""):
        return b""
    if not isinstance(body, str):
        raise _bad_event("'body' must be a string")
    if is_base64 is True or str(is_base64).lower() == "true":
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_event("'body' is not valid base64 although 'isBase64Encoded' is true") from None
    return body.encode("utf-8")


def _wire(text: str) -> str:
    """The last guard before the platform encodes the body: never a body UTF-8 can't carry (the
    edges refuse such input, so this only keeps a missed case from turning into a crash)."""
    return text if encodable(text) else text.encode("utf-8", "replace").decode("utf-8")


def response(
    status: int,
    body: Mapping[str, Any] | str | bytes,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An APIG response. A mapping is serialised as JSON; bytes are passed as UTF-8 text (SMS's
    own JSON passes through unchanged this way)."""
    if isinstance(body, Mapping):
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(body, bytes):
        text = body.decode("utf-8")
    else:
        text = body
    text = _wire(text)
    out_headers = {"Content-Type": JSON_TYPE}
    if headers:
        out_headers.update(headers)
    return {"statusCode": status, "headers": out_headers, "body": text, "isBase64Encoded": False}


def error_response(error: ApiError, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An error in SMS's shape, redacted as logs are (the last guard: upstream text is redacted
    where it enters, ``UpstreamError``)."""
    return response(error.status, redact_echo(error.body()), {**error.headers, **(headers or {})})
