"""The SMS ``ListTasks`` call signed by the official SDK core, returning the raw JSON.

The SDK does what it is good at: AK/SK signing, with its ``Signer`` as ``BasicCredentials.sign_request``
calls it (plus the security token and project id headers that method adds), of the very request
``SmsClient.list_tasks`` sends. Its credentials module is not imported: it pulls ``requests`` in (half
of a cold start's imports) for STS and metadata lookups that AK/SK credentials never make. urllib3
carries the request, on a pool of connections guarded by the deadline (``shared.transport.bounded``),
with the headers the SDK's ``requests`` session adds, so the wire is the SDK's (tests/integration/
test_sdk_parity.py). Skipped on purpose: the SDK's ``HttpClient`` and its ``requests`` session
(settings merged, proxies and ``.netrc`` looked up, adapters chosen on every request;
docs/performance.md), model objects (3x the cost of the fetch, and they silently drop unknown fields
we want to validate) and ``huaweicloudsdkcore.client`` (``requests_toolbelt``, for uploads).

One client is built per warm instance and reused; it is rebuilt only when the endpoint or the
credentials change (FunctionGraph rotates agency credentials)."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from urllib3 import Timeout
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as urllib3_timeout

from shared.errors import ApiError, config_error
from shared.logger import redact_echo, register_secret
from shared.read.regions import region_endpoints
from shared.scope import Deadline, Invocation
from shared.settings import Settings
from shared.transport.bounded import BodyTooLarge, deadline_guard, guarded_pool, read_capped
from shared.transport.retry import MIN_ATTEMPT_S, parse_retry_after, retry_after_header

LIST_TASKS_PATH = "/v3/tasks"
# ``huaweicloudsdkcore.client.Client``'s own agent; its User-Agent is this, "; ", then the config's
# ``user_agent`` or the core's environment string (``_user_agent`` below). Not imported from the
# client module: that costs cold-start time (tests/integration/test_sdk_parity.py checks the result).
SDK_AGENT = "huaweicloud-usdk-python/3.0"

class UpstreamError(ApiError):
    """An error talking to SMS, already mapped to the status this API answers with. Its body is
    redacted here, where it enters (every registered secret, credential-shaped headers): an SMS
    or proxy that echoes the request's headers must not hand them to a response, page, export or
    result."""

    def __init__(self, status: int, body: dict[str, Any], *, retryable: bool, upstream_status: int | None,
                 retry_after: float | None = None) -> None:
        body = redact_echo(body)
        super().__init__(status, str(body.get("error_code", "")), str(body.get("error_msg", "")))
        self._raw_body = body
        self.retryable = retryable
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return dict(self._raw_body)


@dataclass(frozen=True)
class RawPage:
    """One ``ListTasks`` answer as SMS sent it, undecoded."""

    content: bytes  # the body as received: passed through unchanged when nothing needs rewriting
    request_id: str | None
    elapsed_ms: float
    status: int = 200


# What ``requests`` adds to every request of the SDK's session, so the wire stays the SDK's
# (tests/integration/test_sdk_parity.py).
_SESSION_HEADERS = {"Accept": "*/*", "Connection": "keep-alive"}


@dataclass(frozen=True)
class Credentials:
    """What ``BasicCredentials`` holds for signing (the ``Signer`` reads ``ak`` and ``sk``)."""

    ak: str = field(repr=False)
    sk: str = field(repr=False)
    project_id: str | None = None
    security_token: str | None = field(default=None, repr=False)


def _credentials(settings: Settings, invocation: Invocation | None) -> Credentials:
    """First found wins: the function agency's temporary credentials, then the SDK's env names."""
    if invocation is not None and invocation.credentials is not None:
        c = invocation.credentials
        ak, sk, token = c.ak, c.sk, c.security_token
    elif settings.ak and settings.sk:
        ak, sk, token = settings.ak, settings.sk, settings.security_token
    else:
        raise config_error(
            "no credentials: give the function an agency (FunctionGraph passes its temporary "
            "credentials) or set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
        )
    for secret in (ak, sk, token):
        register_secret(secret)
    # /v3/tasks has no project in its path; a project id is passed along when given, and the
    # endpoint is resolved here, so the SDK never calls IAM to look one up.
    return Credentials(ak, sk, settings.project_id or None, token or None)


def _endpoints(settings: Settings) -> list[str]:
    if settings.endpoint:
        return [settings.endpoint]
    if settings.region:
        return region_endpoints(settings.region)
    raise config_error("set SMS_REGION (an SMS region of the SDK) or SMS_ENDPOINT (a URL)")


class SmsTasksClient:
    def __init__(self, endpoints: list[str], credentials: Credentials, settings: Settings) -> None:
        self.endpoints = endpoints
        self._credentials = credentials
        self._signer = Signer(credentials)
        self._settings = settings
        # The SDK signs; urllib3 carries (a pool per instance, connections guarded by the deadline).
        self._pool = guarded_pool(endpoints[0], maxsize=max(10, settings.scan_concurrency),
                                  verify_tls=settings.verify_tls)
        self._user_agent = _user_agent()

    def close(self) -> None:
        self._pool.close()

    def _signed_request(self, params: list[tuple[str, str]]) -> SdkRequest:
        url = urlparse(self.endpoints[0])  # the SDK's SMS regions each have one endpoint
        request = SdkRequest(
            method="GET",
            schema=url.scheme,
            host=url.netloc,
            resource_path=url.path.rstrip("/") + LIST_TASKS_PATH,
            query_params=params,
            # Only the encodings urllib3 decodes with a bounded output.
            header_params={"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate",
                           "User-Agent": self._user_agent},
            body="",
        )
        # What ``BasicCredentials.sign_request`` adds before its ``Signer`` (HMAC-SHA256, the
        # request's default algorithm) signs, in its order, without ``process_auth_request``'s hop
        # through the SDK's thread pool; the parity test holds the result to SmsClient's.
        if self._credentials.project_id:
            request.header_params["X-Project-Id"] = self._credentials.project_id
        if self._credentials.security_token:
            request.header_params["X-Security-Token"] = self._credentials.security_token
        return self._signer.sign(request)

    def list_tasks_raw(self, params: list[tuple[str, str]], deadline: Deadline) -> RawPage:
        """One signed ``GET /v3/tasks``; raises ``UpstreamError`` with the status to answer with.
        Connect, headers and body together end by the deadline (``deadline_guard``)."""
        if deadline.remaining() < MIN_ATTEMPT_S:
            raise _timeout_error("the function's remaining time ran out before calling SMS")
        timeout = (deadline.cap(self._settings.connect_timeout), deadline.cap(self._settings.read_timeout))
        start = time.perf_counter()
        with deadline_guard(deadline.remaining()) as guard:
            try:
                status, headers, content = self._exchange(self._signed_request(params), timeout)
            except Exception as exc:
                if guard.fired:
                    raise _out_of_time(start) from None
                raise _transport_error(exc, timeout) from None
            if guard.fired:  # a body that ends with the connection looks whole when cut
                raise _out_of_time(start)
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        if not 200 <= status < 300:
            raise _status_error(status, headers, content)
        # The body is handed on as bytes: the pager decodes it straight into the checked types
        # (shared.validation.decode), and reports a body that is no JSON object (SMSFN.0512).
        return RawPage(content=content, request_id=headers.get("X-Request-Id"), elapsed_ms=elapsed_ms,
                       status=status)

    def _exchange(self, request: SdkRequest, timeout: tuple[float, float]) -> tuple[int, Any, bytes]:
        response = self._pool.urlopen("GET", request.uri, headers={**_SESSION_HEADERS, **request.header_params},
                                      retries=False, redirect=False, preload_content=False, decode_content=True,
                                      timeout=Timeout(connect=timeout[0], read=timeout[1]))
        try:
            content = read_capped(response, self._settings.max_body_bytes)
        except BaseException:
            response.close()  # part of a body is left: the connection can't be reused
            response.release_conn()
            raise
        response.release_conn()
        return response.status, response.headers, content


def _user_agent() -> str:
    """The User-Agent ``SmsClient`` sends (``Client.__init__`` / ``_parse_header_params``; its
    ``HttpConfig.user_agent`` is None by default, so the core's environment string follows)."""
    from huaweicloudsdkcore.http.user_agent import user_agent_string

    return "; ".join(filter(None, [SDK_AGENT, user_agent_string]))


def _out_of_time(start: float) -> UpstreamError:
    spent = time.perf_counter() - start
    return _timeout_error(f"SMS's answer did not end within the function's remaining time ({spent:.2f}s)")


def _transport_error(exc: Exception, timeout: tuple[float, float]) -> UpstreamError:
    """A failure before a whole answer was read. Never the exception's text: urllib3 puts the
    upstream host, port and query into it."""
    if isinstance(exc, BodyTooLarge):
        return _bad_gateway("SMSFN.0514", f"SMS's answer is larger than {exc.limit} bytes (SMS_MAX_BODY_BYTES); "
                            "reading stopped there", retryable=False)
    if isinstance(exc, NewConnectionError):  # refused, unreachable, no such name
        if _caused_by_timeout(exc):
            return _timeout_error(f"SMS did not answer within {timeout[0]:.2f}s (connect)")
        return _bad_gateway("SMSFN.0502", f"cannot connect to SMS: {type(exc).__name__}", retryable=True)
    if _caused_by_timeout(exc):
        return _timeout_error(f"SMS did not answer within {timeout[0]:.2f}s/{timeout[1]:.2f}s (connect/read)")
    if isinstance(exc, (OSError, HTTPError)):  # the connection broke, TLS failed, a body cut mid-way
        return _bad_gateway("SMSFN.0502", f"the connection to SMS broke: {type(exc).__name__}", retryable=True)
    raise exc


def _caused_by_timeout(exc: BaseException) -> bool:
    """A timeout, however wrapped (urllib3 files refused connections under timeouts too: those are
    not, unless a timeout lies beneath)."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (TimeoutError, urllib3_timeout)) and not isinstance(current, NewConnectionError):
            return True
        if isinstance(current, BaseException):
            pending += [current.__context__, current.__cause__, *current.args]
        pending.append(getattr(current, "reason", None))
    return False


def _timeout_error(msg: str) -> UpstreamError:
    return UpstreamError(504, {"error_code": "SMSFN.0504", "error_msg": msg}, retryable=True,
                         upstream_status=None)


def _bad_gateway(
    code: str, msg: str, *, retryable: bool, upstream_status: int | None = None
) -> UpstreamError:
    return UpstreamError(502, {"error_code": code, "error_msg": msg}, retryable=retryable,
                         upstream_status=upstream_status)


def _status_error(status: int, headers: Any, content: bytes) -> UpstreamError:
    """4xx from SMS pass through with their own body; 5xx become 502 naming the upstream error;
    3xx are not followed. 429 carries a ``Retry-After`` for our caller."""
    if status < 400:
        return _bad_gateway("SMSFN.0502", f"SMS answered HTTP {status}; redirects are not followed "
                            "(check SMS_ENDPOINT)", retryable=False, upstream_status=status)
    body: dict[str, Any] | None = None
    try:
        parsed = json.loads(content)
        if isinstance(parsed, dict) and "error_code" in parsed and "error_msg" in parsed:
            body = parsed
    except ValueError:
        pass
    if body is None:  # not SMS's error shape (a proxy's page?): its text is not echoed
        body = {"error_code": str(status), "error_msg": f"SMS answered HTTP {status} without an SMS error body"}
    retry_after = parse_retry_after(headers.get("Retry-After"), time.time())
    if 400 <= status < 500:
        error = UpstreamError(status, body, retryable=status == 429, upstream_status=status,
                              retry_after=retry_after)
        if status == 429:
            error.headers["Retry-After"] = retry_after_header(retry_after)
        return error
    wrapped = {
        "error_code": "SMSFN.0502",
        "error_msg": f"SMS answered HTTP {status}",
        "details": [{"error_code": str(body.get("error_code")), "error_msg": str(body.get("error_msg"))}],
    }
    return UpstreamError(502, wrapped, retryable=True, upstream_status=status, retry_after=retry_after)


_lock = threading.Lock()
_cached: tuple[str, SmsTasksClient] | None = None


def _fingerprint(endpoints: list[str], creds: Credentials, settings: Settings) -> str:
    # A hash, so the cache key held in memory is not itself a copy of the secrets.
    parts = [*endpoints, creds.ak or "", creds.sk or "", creds.security_token or "",
             str(settings.connect_timeout), str(settings.read_timeout), str(settings.verify_tls),
             str(settings.scan_concurrency), str(settings.max_body_bytes)]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def get_client(settings: Settings, invocation: Invocation | None = None) -> SmsTasksClient:
    """The instance's client, built on first use and reused while endpoint and credentials hold."""
    global _cached
    endpoints = _endpoints(settings)
    creds = _credentials(settings, invocation)
    key = _fingerprint(endpoints, creds, settings)
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        if _cached is not None:
            _cached[1].close()
        client = SmsTasksClient(endpoints, creds, settings)
        _cached = (key, client)
        return client


def reset_client_cache() -> None:
    global _cached
    with _lock:
        if _cached is not None:
            _cached[1].close()
        _cached = None
