"""Request signatures, one function per platform, exactly as each documents them.

* Standard Webhooks (``generic``): ``webhook-signature: v1,<base64 HMAC-SHA256(key, "id.ts.body")>``,
  the key being the base64-decoded part of ``whsec_<base64>`` (24 to 64 bytes).
* Feishu/Lark custom bot: ``sign = base64(HMAC-SHA256(key=f"{ts}\\n{secret}", msg=b""))``, ``ts`` in
  seconds, both sent in the JSON body; Feishu accepts a timestamp within one hour.
* DingTalk custom robot: ``sign = base64(HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}"))``, ``ts`` in
  milliseconds, both sent as query parameters (URL-encoded); also valid for one hour.

Receivers' verification lives in the tests and in ``local/webhook_sink.py``, written separately
from this module on purpose."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

WHSEC_PREFIX = "whsec_"
MIN_KEY_BYTES = 24  # Standard Webhooks: "Random. At least 24 bytes (192 bits, 512 maximum)"
MAX_KEY_BYTES = 64


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


def standard_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional, like the reference
    library). Raises ``ValueError`` with a message that does not include the secret."""
    raw = secret.strip()
    if raw.startswith(WHSEC_PREFIX):
        raw = raw[len(WHSEC_PREFIX):]
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a generic target's secret must be whsec_ followed by base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"a generic target's secret must decode to {MIN_KEY_BYTES}-{MAX_KEY_BYTES} bytes, got {len(key)}"
        )
    return key


def standard_signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    return "v1," + _b64_hmac(key, f"{msg_id}.{timestamp}.".encode() + body)


def standard_headers(key: bytes | None, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """``webhook-id``/``webhook-timestamp`` always (receivers dedupe on the id); the signature only
    when the target has a secret."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
    if key is not None:
        headers["webhook-signature"] = standard_signature(key, msg_id, timestamp, body)
    return headers


def feishu_sign(secret: str, timestamp: int) -> str:
    return _b64_hmac(f"{timestamp}\n{secret}".encode(), b"")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The base64 signature; the caller URL-encodes it into the query string."""
    return _b64_hmac(secret.encode(), f"{timestamp_ms}\n{secret}".encode())
