"""What goes upstream is the SDK's own ``ListTasks`` call.

A small capturing server on loopback (inside this test, independent of the emulator) records what
arrives from the official ``SmsClient.list_tasks`` (huaweicloudsdksms v3, ``BasicCredentials``)
and from our client (``shared.read.sms_client``) for the same parameters: method, path, the raw
query string (names, order, encoding), the signed headers, the ``Authorization`` scheme and key, and
``User-Agent``. Both must be equal; each request's signature is also checked by recomputing it
with the SDK's signer from what arrived (so both sign what they send).

Deliberate differences, listed with their reasons:
  * ``limit`` and ``offset`` are always sent (SMS's defaults 100 and 0 written out) so every page a
    scan reads is explicit; the SDK omits what its request leaves None. The SDK is called here with
    the same explicit values, so the rest of the request can be compared exactly.
  * ``Accept-Encoding`` is signed by our client (``SignedHeaders`` names it): the client sets it as
    a request header, pinned to ``gzip, deflate``, the encodings urllib3 decodes with a bounded
    output (the body size cap). The SDK sends the same value from ``requests``' defaults, unsigned.
    Its value is compared; ``SignedHeaders`` is compared without it.
  * no other header (``DELIBERATE_EXTRA`` is empty, so a new difference fails here and has to be
    argued for in it).
Headers that differ in value by nature and are compared by form only: ``X-Sdk-Date`` (the signing
time) and the signature itself in ``Authorization``."""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from shared.read import sms_client
from shared.read.query import parse_query
from shared.scope import Deadline, Invocation
from shared.settings import Settings

AK, SK, PROJECT = "PARITYAKEXAMPLE0000", "parity-secret-key-not-real", "0123456789abcdef0123456789abcdef"
# Headers our client may send that the SDK's does not (name -> why); empty on purpose.
DELIBERATE_EXTRA: dict[str, str] = {}
# Headers our client signs that the SDK sends unsigned (see the docstring).
SIGNED_DELIBERATELY = {"accept-encoding"}
# Headers whose values differ per request by nature.
PER_REQUEST = {"x-sdk-date", "authorization"}
# Transport headers set by requests/urllib3 for both; equal, but not part of the call's contract.
TRANSPORT = {"accept", "connection", "content-length"}
_AUTH = re.compile(r"^SDK-HMAC-SHA256 Access=(?P<ak>[^,]+), SignedHeaders=(?P<signed>[^,]+), "
                   r"Signature=(?P<sig>[0-9a-f]{64})$")

CASES = [
    {"limit": "10"},
    {"state": "RUNNING", "limit": "200", "offset": "400"},
    {"name": "web server/01 & co+ä", "id": "a b", "source_server_id": "s=1;2", "enterprise_project_id": "0",
     "state": "MIGRATE_FAIL", "limit": "0", "offset": "65535"},
]


class _Capture(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]

    def do_GET(self) -> None:
        type(self).seen.append({"method": self.command, "target": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()}})
        body = json.dumps({"count": 0, "tasks": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    handler = type("Capture", (_Capture,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


def official(url: str, params: dict[str, str]) -> None:
    from huaweicloudsdksms.v3 import ListTasksRequest, SmsClient

    client = SmsClient.new_builder().with_credentials(BasicCredentials(AK, SK, PROJECT)) \
        .with_endpoints([url]).build()
    typed = {k: int(v) if k in ("limit", "offset") else v for k, v in params.items()}
    client.list_tasks(ListTasksRequest(**typed))


def ours(url: str, params: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SMS_ENDPOINT": url, "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK,
                        "SMS_PROJECT_ID": PROJECT}.items():
        monkeypatch.setenv(name, value)
    sms_client.reset_client_cache()
    settings = Settings.from_env()
    client = sms_client.get_client(settings, Invocation("parity", Deadline(10.0)))
    client.list_tasks_raw(parse_query(params).sms_params(), Deadline(10.0))
    sms_client.reset_client_cache()


def signature_holds(request: dict[str, Any], host: str) -> bool:
    """Recompute the signature with the SDK's signer from what arrived."""
    auth = _AUTH.match(request["headers"]["authorization"])
    assert auth
    signed = auth["signed"].split(";")
    target = urlsplit(request["target"])
    again = SdkRequest(method=request["method"], schema="http", host=host, resource_path=target.path,
                       query_params=parse_qsl(target.query, keep_blank_values=True),
                       header_params={k: v for k, v in request["headers"].items()
                                      if k in signed and k not in ("host", "x-sdk-date")},
                       body="")
    again.header_params["X-Sdk-Date"] = request["headers"]["x-sdk-date"]
    Signer(BasicCredentials(AK, SK, PROJECT)).sign(again)
    recomputed = _AUTH.match(again.header_params["Authorization"])
    return recomputed is not None and recomputed["sig"] == auth["sig"]


@pytest.mark.parametrize("params", CASES, ids=["limit", "state-paged", "every-filter-escaped"])
def test_our_request_is_the_sdks_request(capture: Any, params: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = capture
    official(url, dict(parse_query(params).sms_params()))  # limit/offset explicit: see the docstring
    ours(url, params, monkeypatch)
    assert len(seen) == 2
    sdk, mine = seen
    assert (mine["method"], mine["target"]) == (sdk["method"], sdk["target"])  # path + raw query, in order
    names = [k for k, _ in parse_qsl(urlsplit(mine["target"]).query, keep_blank_values=True)]
    assert names == sorted({*params, "limit", "offset"})  # the SDK core writes the query sorted by name
    sdk_auth, my_auth = (_AUTH.match(r["headers"]["authorization"]) for r in (sdk, mine))
    assert sdk_auth and my_auth
    assert my_auth["ak"] == sdk_auth["ak"] == AK
    assert [h for h in my_auth["signed"].split(";") if h not in SIGNED_DELIBERATELY] == \
        sdk_auth["signed"].split(";")
    host = urlsplit(url).netloc
    assert signature_holds(sdk, host) and signature_holds(mine, host)
    assert re.fullmatch(r"\d{8}T\d{6}Z", mine["headers"]["x-sdk-date"])
    extra = set(mine["headers"]) - set(sdk["headers"]) - set(DELIBERATE_EXTRA)
    missing = set(sdk["headers"]) - set(mine["headers"])
    assert not extra and not missing, (extra, missing)
    for name in set(sdk["headers"]) - PER_REQUEST - TRANSPORT:
        assert mine["headers"][name] == sdk["headers"][name], name  # User-Agent, X-Project-Id, Content-Type ...
    assert mine["headers"]["user-agent"] == sdk["headers"]["user-agent"]
