"""The SMS ``ListTasks`` call through the official SDK core, returning the raw JSON.

The SDK does what it is good at: AK/SK signing (``BasicCredentials``, security tokens), the pooled
``requests`` session of its ``HttpClient`` and its exception types. We skip two things on purpose:
building model objects (3x the cost of the fetch, and they silently drop unknown fields we want
to validate) and ``huaweicloudsdkcore.client`` itself (it imports ``requests_toolbelt`` for
multipart uploads, cold-start time this read-only call never needs).

One client is built per warm instance and reused; it is rebuilt only when the endpoint or the
credentials change (FunctionGraph rotates agency credentials)."""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exception_handler import ExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import ConnectionException, RequestTimeoutException, SdkException
from huaweicloudsdkcore.http.http_client import HttpClient
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from requests import RequestException, Timeout
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as urllib3_timeout

from shared.errors import ApiError, config_error
from shared.logger import redact_echo, register_secret
from shared.read.regions import region_endpoints
from shared.scope import Deadline, Invocation
from shared.settings import Settings
from shared.transport.bounded import BodyTooLarge, GuardedAdapter, deadline_guard, read_capped
from shared.transport.retry import MIN_ATTEMPT_S, parse_retry_after, retry_after_header

LIST_TASKS_PATH = "/v3/tasks"
# ``huaweicloudsdkcore.client.Client``'s own agent; its User-Agent is this, "; ", then the config's
# ``user_agent`` or the core's environment string (``_user_agent`` below). Not imported from the
# client module: that costs cold-start time (tests/integration/test_sdk_parity.py checks the result).
SDK_AGENT = "huaweicloud-usdk-python/3.0"

_sdk_logger = logging.getLogger("HuaweiCloud-SDK.sms-functions")
_sdk_logger.addHandler(logging.NullHandler())
_sdk_logger.propagate = False  # the SDK logs URLs and raw errors unstructured; we log our own


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


class _PerRequestTimeoutConfig(HttpConfig):
    """``HttpClient`` reads ``config.timeout`` on every request; a thread-local override lets each
    request (including concurrent page fetches) use its own deadline-capped timeout."""

    _override = threading.local()

    @property
    def timeout(self) -> Any:
        return getattr(self._override, "value", None) or self._timeout

    @timeout.setter
    def timeout(self, value: Any) -> None:
        self._timeout = value


class _NoRaiseExceptionHandler(ExceptionHandler):
    """The SDK's handler reads ``response.text`` whole (unbounded, decompressed) to build its
    exception; ours leaves the streamed response alone and ``list_tasks_raw`` maps every status."""

    def handle_exception(self, request: Any, response: Any) -> None:
        return None


class _Transport(HttpClient):
    """The SDK's client with its own session retry off: its ``HttpAdapter`` retries 429 itself
    (urllib3 ``Retry``, ``status_forcelist=[429]``) before we see it, ignoring ``Retry-After``
    and raising an error that names the upstream host and query. Retries are ``shared.transport.retry``'s;
    the adapter's connections obey ``deadline_guard``."""

    def _init_session(self) -> requests.Session:
        session = requests.Session()
        adapter = GuardedAdapter(pool_connections=self._config.pool_connections,
                                 pool_maxsize=self._config.pool_maxsize)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session


def _credentials(settings: Settings, invocation: Invocation | None) -> BasicCredentials:
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
    creds = BasicCredentials(ak, sk, settings.project_id)
    if token:
        creds.with_security_token(token)
    return creds


def _endpoints(settings: Settings) -> list[str]:
    if settings.endpoint:
        return [settings.endpoint]
    if settings.region:
        return region_endpoints(settings.region)
    raise config_error("set SMS_REGION (an SMS region of the SDK) or SMS_ENDPOINT (a URL)")


class SmsTasksClient:
    def __init__(self, endpoints: list[str], credentials: BasicCredentials, settings: Settings) -> None:
        self.endpoints = endpoints
        self._credentials = credentials
        self._settings = settings
        config = _PerRequestTimeoutConfig(
            timeout=(settings.connect_timeout, settings.read_timeout),
            retry_times=0,  # retries are ours: bounded by the function's deadline
            pool_connections=2,
            pool_maxsize=max(10, settings.scan_concurrency),
        )
        config.ignore_ssl_verification = not settings.verify_tls
        self._config = config
        self._http = _Transport(config, None, _NoRaiseExceptionHandler(), _sdk_logger)
        self._user_agent = _user_agent(config)

    def close(self) -> None:
        self._http.close()

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
            stream=True,  # read by read_capped: bounded, and inside the deadline guard
        )
        # What ``process_auth_request`` does, minus its hop through the SDK's thread pool: that hop
        # costs ~0.1 ms per page and a thread start on the first request of a cold instance.
        self._credentials.process_sts(self._http)
        return self._credentials.sign_request(request)

    def list_tasks_raw(self, params: list[tuple[str, str]], deadline: Deadline) -> RawPage:
        """One signed ``GET /v3/tasks``; raises ``UpstreamError`` with the status to answer with.
        Connect, headers and body together end by the deadline (``deadline_guard``)."""
        if deadline.remaining() < MIN_ATTEMPT_S:
            raise _timeout_error("the function's remaining time ran out before calling SMS")
        timeout = (deadline.cap(self._settings.connect_timeout), deadline.cap(self._settings.read_timeout))
        start = time.perf_counter()
        _PerRequestTimeoutConfig._override.value = timeout
        try:
            with deadline_guard(deadline.remaining()) as guard:
                try:
                    status, headers, content = self._exchange(params)
                except Exception as exc:
                    if guard.fired:
                        raise _out_of_time(start) from None
                    raise _transport_error(exc, timeout) from None
                if guard.fired:  # a body that ends with the connection looks whole when cut
                    raise _out_of_time(start)
        finally:
            _PerRequestTimeoutConfig._override.value = None
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        if not 200 <= status < 300:
            raise _status_error(status, headers, content)
        # The body is handed on as bytes: the pager decodes it straight into the checked types
        # (shared.validation.decode), and reports a body that is no JSON object (SMSFN.0512).
        return RawPage(content=content, request_id=headers.get("X-Request-Id"), elapsed_ms=elapsed_ms,
                       status=status)

    def _exchange(self, params: list[tuple[str, str]]) -> tuple[int, Any, bytes]:
        response = self._http.do_request_sync(self._signed_request(params))
        try:
            return response.status_code, response.headers, read_capped(response, self._settings.max_body_bytes)
        finally:
            response.close()


def _user_agent(config: HttpConfig) -> str:
    """The User-Agent ``SmsClient`` sends (``Client.__init__`` / ``_parse_header_params``)."""
    extra = config.user_agent
    if extra is None:
        from huaweicloudsdkcore.http.user_agent import user_agent_string

        extra = user_agent_string
    return "; ".join(filter(None, [SDK_AGENT, extra]))


def _out_of_time(start: float) -> UpstreamError:
    spent = time.perf_counter() - start
    return _timeout_error(f"SMS's answer did not end within the function's remaining time ({spent:.2f}s)")


def _transport_error(exc: Exception, timeout: tuple[float, float]) -> UpstreamError:
    """A failure before a whole answer was read. Never the exception's text: urllib3 and the
    SDK put the upstream host, port and query into it."""
    if isinstance(exc, BodyTooLarge):
        return _bad_gateway("SMSFN.0514", f"SMS's answer is larger than {exc.limit} bytes (SMS_MAX_BODY_BYTES); "
                            "reading stopped there", retryable=False)
    if isinstance(exc, Timeout):  # read timeouts: the SDK lets requests' own exception through
        return _timeout_error(f"SMS did not answer within {timeout[1]:.2f}s ({type(exc).__name__})")
    if isinstance(exc, RequestTimeoutException):
        return _timeout_error("SMS did not answer in time")
    if isinstance(exc, ConnectionException):
        if _caused_by_timeout(exc):
            return _timeout_error(f"SMS did not answer within {timeout[0]:.2f}s/{timeout[1]:.2f}s (connect/read)")
        return _bad_gateway("SMSFN.0502", f"cannot connect to SMS: {type(exc).__name__}", retryable=True)
    if isinstance(exc, RequestException):  # e.g. the connection broke mid-body: the SDK lets it through
        return _bad_gateway("SMSFN.0502", f"the connection to SMS broke: {type(exc).__name__}", retryable=True)
    if isinstance(exc, SdkException):
        return _bad_gateway("SMSFN.0502", f"SMS call failed: {type(exc).__name__}", retryable=False)
    if isinstance(exc, (OSError, HTTPError)):  # urllib3's own, when requests did not wrap them
        return _bad_gateway("SMSFN.0502", f"the connection to SMS broke: {type(exc).__name__}", retryable=True)
    raise exc


def _caused_by_timeout(exc: BaseException) -> bool:
    """The SDK turns every ``requests.ConnectionError`` into ``ConnectionException``, including
    connect timeouts and read timeouts that urllib3 wrapped in ``MaxRetryError``; look beneath."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError):  # refused: urllib3 files it under timeouts
            continue
        if isinstance(current, (Timeout, urllib3_timeout)):
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


def _fingerprint(endpoints: list[str], creds: BasicCredentials, settings: Settings) -> str:
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
