"""Server-side check of the Huawei Cloud SDK's AK/SK signature (``SDK-HMAC-SHA256``).

The SDK (``huaweicloudsdkcore/signer/signer.py``) signs like this, and ``verify`` redoes it from the
request exactly as it arrived:

* canonical request = ``METHOD \\n URI \\n QUERY \\n HEADERS \\n SIGNED_HEADERS \\n PAYLOAD_HASH`` where
  URI is the path, percent-decoded, each segment re-encoded (``quote(safe="~")``) and ending in
  ``/``; QUERY is the decoded ``key=value`` pairs sorted and re-encoded the same way; HEADERS is one
  ``name:value`` line (lower-case name, trimmed value) per signed header; PAYLOAD_HASH is the hex
  SHA-256 of the body (of the empty string for no body, or the ``X-Sdk-Content-Sha256`` value);
* string to sign = ``SDK-HMAC-SHA256 \\n <X-Sdk-Date> \\n hex(sha256(canonical request))``;
* signature = ``hex(HMAC-SHA256(SK, string to sign))``, sent as
  ``Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>``.

This is an independent implementation (the tests sign with the official SDK), so a disagreement
between the two shows up as a failed test instead of being shared by both sides."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "x-sdk-date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_HASH_HEADER = "x-sdk-content-sha256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW_S = 15 * 60
# The SDK always signs these two; without them a signature could be replayed elsewhere or later.
REQUIRED_SIGNED = ("host", DATE_HEADER)

# Error codes are the emulator's own (the ListTasks doc names only SMS.9004, for policy denials).
UNKNOWN_AK = "SMS.9001"
BAD_AUTH_HEADER = "SMS.9002"
BAD_SIGNATURE = "SMS.9003"
BAD_DATE = "SMS.9005"
BAD_TOKEN = "SMS.9006"

_AUTH_RE = re.compile(
    r"^(?P<alg>\S+)\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<sh>[^,\s]+),\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)


class AuthError(Exception):
    """A refused request: HTTP status, emulator error code, message and the header at fault."""

    def __init__(self, status: int, code: str, message: str, param: str, canonical_request: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.canonical_request = canonical_request  # on a mismatch: what the server signed, for debugging

    def body(self) -> dict[str, object]:
        """The ListTasks doc's 403 body shape (used for 401 too)."""
        encoded = base64.b64encode(f"{self.code}: {self.message}".encode()).decode()
        return {
            "error_code": self.code,
            "error_msg": self.message,
            "encoded_authorization_message": encoded,
            "error_param": [self.param],
            "details": [{"error_code": self.code, "error_msg": self.message}],
        }


@dataclass(frozen=True)
class Authorization:
    algorithm: str
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class Caller:
    """Who a verified request came from; ``canonical_request`` helps debug a client's signer."""

    access_key: str
    security_token: bool
    canonical_request: str


def parse_authorization(value: str | None) -> Authorization:
    if not value:
        raise AuthError(403, BAD_AUTH_HEADER, "Missing Authorization header: requests must be signed "
                        f"with {ALGORITHM} (AK/SK)", "Authorization")
    match = _AUTH_RE.match(value.strip())
    if not match:
        raise AuthError(403, BAD_AUTH_HEADER, f"Malformed Authorization header: expected '{ALGORITHM} "
                        "Access=<AK>, SignedHeaders=<h1;h2>, Signature=<hex>'", "Authorization")
    if match["alg"] != ALGORITHM:
        raise AuthError(403, BAD_AUTH_HEADER, f"Unsupported signing algorithm '{match['alg']}': "
                        f"only {ALGORITHM} is accepted", "Authorization")
    return Authorization(match["alg"], match["ak"], tuple(match["sh"].split(";")), match["sig"].lower())


def canonical_uri(raw_path: str) -> str:
    path = "/".join(quote(segment, safe="~") for segment in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(raw_query: str) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


def payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    if not body:
        return EMPTY_SHA256
    return headers.get(CONTENT_HASH_HEADER) or hashlib.sha256(body).hexdigest()


def canonical_request(method: str, raw_path: str, raw_query: str, headers: Mapping[str, str],
                      signed_headers: Sequence[str], body: bytes) -> str:
    """``headers`` has lower-case names."""
    header_lines = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join((method.upper(), canonical_uri(raw_path), canonical_query(raw_query), header_lines,
                      ";".join(signed_headers), payload_hash(headers, body)))


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class Verifier:
    """Checks signed requests against known AK/SK pairs.

    ``security_token``: when set, a request carrying ``X-Security-Token`` must carry this value;
    when unset any token is accepted as long as the AK/SK signature is right."""

    def __init__(self, credentials: Mapping[str, str], security_token: str | None = None,
                 max_skew_s: float = MAX_SKEW_S, clock: Callable[[], float] = time.time) -> None:
        self._credentials = dict(credentials)
        self._security_token = security_token
        self._max_skew_s = max_skew_s
        self._clock = clock

    def verify(self, method: str, raw_path: str, raw_query: str, headers: Mapping[str, str],
               body: bytes = b"") -> Caller:
        """``headers`` has lower-case names. Raises ``AuthError`` when the request is refused."""
        auth = parse_authorization(headers.get("authorization"))
        secret = self._credentials.get(auth.access_key)
        if secret is None:
            raise AuthError(401, UNKNOWN_AK, f"Unknown access key '{auth.access_key}'", "Access")
        self._check_signed_headers(auth, headers)
        sdk_date = headers[DATE_HEADER].strip()
        self._check_date(sdk_date)
        canonical = canonical_request(method, raw_path, raw_query, headers, auth.signed_headers, body)
        expected = signature(secret, string_to_sign(canonical, sdk_date))
        if not hmac.compare_digest(expected, auth.signature):
            raise AuthError(403, BAD_SIGNATURE, "Signature mismatch: the signature computed from the "
                            "request does not match the one in the Authorization header", "Signature",
                            canonical)
        token = headers.get("x-security-token")
        if token is not None and self._security_token is not None \
                and not hmac.compare_digest(token, self._security_token):
            raise AuthError(403, BAD_TOKEN, "Invalid X-Security-Token for these temporary credentials",
                            "X-Security-Token")
        return Caller(auth.access_key, token is not None, canonical)

    @staticmethod
    def _check_signed_headers(auth: Authorization, headers: Mapping[str, str]) -> None:
        for name in REQUIRED_SIGNED:
            if name not in auth.signed_headers:
                raise AuthError(403, BAD_AUTH_HEADER, f"SignedHeaders must include '{name}'", "SignedHeaders")
        for name in auth.signed_headers:
            if name not in headers:
                raise AuthError(403, BAD_AUTH_HEADER, f"Signed header '{name}' is missing from the request",
                                "SignedHeaders")

    def _check_date(self, sdk_date: str) -> None:
        try:
            signed_at = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise AuthError(403, BAD_DATE, f"Invalid X-Sdk-Date '{sdk_date[:32]}': expected "
                            "YYYYMMDDTHHMMSSZ (UTC)", "X-Sdk-Date") from None
        skew = signed_at - self._clock()
        if abs(skew) > self._max_skew_s:
            raise AuthError(403, BAD_DATE, f"X-Sdk-Date is {abs(skew) / 60:.0f} minutes "
                            f"{'ahead of' if skew > 0 else 'behind'} the server clock; at most "
                            f"{self._max_skew_s / 60:.0f} minutes are allowed", "X-Sdk-Date")
