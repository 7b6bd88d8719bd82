"""Signatures checked from the receiver's side, with verifiers written here from each platform's
documentation (not with ``shared.webhooks.signing``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from shared.webhooks.formats import dingtalk, feishu, generic
from shared.webhooks.formats.base import RenderContext
from shared.webhooks.signing import standard_key, standard_signature

SUMMARY = {"total": 1, "failed": {"total": 1, "truncated": 0, "items": [{"id": "t1", "name": "迁移-01"}]}}
CTX = RenderContext("req-42")
NOW = 1_764_378_000.0


def new_whsec(n: int = 32) -> str:
    return "whsec_" + base64.b64encode(os.urandom(n)).decode()


def receiver_verify_standard(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """Standard Webhooks verification: 5-minute tolerance, any matching v1 entry, constant time."""
    headers = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sig_header = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
    if abs(now - int(ts)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    for entry in sig_header.split():
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig)):
            return True
    return False


def test_standard_webhooks_reference_vector() -> None:
    # From the Standard Webhooks reference library's test_sign_function.
    key = standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    sig = standard_signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_generic_request_verifies_at_the_receiver() -> None:
    secret = new_whsec()
    req = generic.render(SUMMARY, "https://r.example/h", secret, CTX).build(NOW)
    assert req.headers["webhook-id"] == "req-42"
    assert req.headers["webhook-timestamp"] == str(int(NOW))
    assert req.headers["webhook-signature"].startswith("v1,")
    assert json.loads(req.body) == SUMMARY  # the summary itself is the body
    assert receiver_verify_standard(secret, req.headers, req.body, NOW)
    assert not receiver_verify_standard(secret, req.headers, req.body + b" ", NOW)  # tampered body
    assert not receiver_verify_standard(new_whsec(), req.headers, req.body, NOW)  # wrong secret
    assert not receiver_verify_standard(secret, req.headers, req.body, NOW + 301)  # replayed later


def test_each_attempt_is_resigned_with_the_same_id() -> None:
    secret = new_whsec()
    msg = generic.render(SUMMARY, "https://r.example/h", secret, CTX)
    first, second = msg.build(NOW), msg.build(NOW + 7)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    assert receiver_verify_standard(secret, second.headers, second.body, NOW + 7)


def test_unsigned_generic_has_id_and_timestamp_but_no_signature() -> None:
    req = generic.render(SUMMARY, "https://r.example/h", None, CTX).build(NOW)
    assert "webhook-signature" not in req.headers and req.headers["webhook-id"] == "req-42"


def test_delivery_ids_with_dots_become_stable_message_ids() -> None:
    ctx = RenderContext("fg.request.1/2")
    a = generic.render(SUMMARY, "https://r.example/h", None, ctx).build(NOW).headers["webhook-id"]
    b = generic.render(SUMMARY, "https://r.example/h", None, ctx).build(NOW + 1).headers["webhook-id"]
    assert a == b and a.startswith("msg_") and "." not in a


@pytest.mark.parametrize(
    "secret",
    [
        "not base64 !!",
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
    ],
)
def test_bad_whsec_secrets_are_refused_without_echo(secret: str) -> None:
    with pytest.raises(ValueError) as err:
        standard_key(secret)
    assert secret not in str(err.value)


def test_whsec_prefix_is_optional_like_the_reference_library() -> None:
    raw = base64.b64encode(b"k" * 24).decode()
    assert standard_key(raw) == standard_key("whsec_" + raw) == b"k" * 24


def test_feishu_signature_verifies_at_the_receiver() -> None:
    secret = "feishu-bot-secret"
    req = feishu.render(SUMMARY, "https://open.feishu.cn/open-apis/bot/v2/hook/x", secret, CTX).build(NOW)
    body = json.loads(req.body)
    ts = body["timestamp"]
    assert ts == str(int(NOW))  # seconds, as a string
    # Feishu guide: HmacSHA256 with key "timestamp\nsecret" over empty data, then Base64.
    expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "interactive"


def test_feishu_without_secret_has_no_sign_fields() -> None:
    body = json.loads(feishu.render(SUMMARY, "https://x.example/h", None, CTX).build(NOW).body)
    assert "sign" not in body and "timestamp" not in body


def test_dingtalk_signature_verifies_at_the_receiver() -> None:
    secret = "SECdingtalk0123456789"
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc123"
    req = dingtalk.render(SUMMARY, url, secret, CTX).build(NOW)
    query = parse_qs(urlsplit(req.url).query)
    assert query["access_token"] == ["abc123"]
    ts = query["timestamp"][0]
    assert ts == str(int(NOW * 1000))  # milliseconds
    # DingTalk doc: HmacSHA256(key=secret, data="timestamp\nsecret"), Base64, then urlEncode.
    string_to_sign = f"{ts}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert req.url.split("&sign=", 1)[1] == quote_plus(expected)  # sent URL-encoded


def test_dingtalk_without_secret_keeps_the_url() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc123"
    assert dingtalk.render(SUMMARY, url, None, CTX).build(NOW).url == url
