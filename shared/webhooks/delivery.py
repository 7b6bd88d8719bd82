"""Send one summary to every target: timeouts capped by the deadline, retries with backoff, and an
outcome per target that is safe to log and return.

Per target: ``notify_on`` decides whether to send at all; the message is rendered once; each
attempt re-checks the URL's addresses (``url_safety.resolve_safe``), connects to the checked
address only (TLS still verifies the real host name), re-signs with a fresh timestamp, and keeps
the same delivery id (``webhook-id`` for generic) so receivers can dedupe. Network errors, 429,
5xx and a platform's own rate-limit codes are retried with exponential backoff and full jitter,
honouring ``Retry-After`` (seconds or HTTP-date); other answers are final. No sleep reaches past
the deadline. Redirects are never followed (a 3xx is a failure): a redirect could lead anywhere.

One target failing never stops the others. ``DeliveryResult.raise_for_failures()`` turns failures
into ``DeliveryFailed`` so the invocation fails and FunctionGraph's own retry takes over."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests

from shared.errors import ApiError
from shared.logger import logger, redact_text, register_secret
from shared.scope import in_scope
from shared.transport.adapter import DeadlineExceeded, GuardedAdapter
from shared.transport.bounded import deadline_guard, read_capped
from shared.transport.retry import MIN_ATTEMPT_S, RetryPolicy, parse_retry_after
from shared.webhooks.formats import FORMAT_MODULES, RenderContext, RenderError, Verdict
from shared.webhooks.formats.base import ChatLinks, OutgoingRequest, webhook_id
from shared.webhooks.notify import DEFAULT_NOTIFY_ON, parse_notify_on, should_notify
from shared.webhooks.targets import Target, WebhookSettings
from shared.webhooks.url_safety import (
    CheckedUrl,
    Resolver,
    UnsafeUrl,
    check_url,
    register_url_secrets,
    resolve_safe,
    safe_url,
)

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
RESPONSE_READ_LIMIT = 64 * 1024  # we only need a status code or a small JSON answer
USER_AGENT = "sms-task-functions-webhooks/1"


class DeadlineLike(Protocol):
    def remaining(self) -> float: ...

    def cap(self, seconds: float) -> float: ...


@dataclass
class TargetOutcome:
    target: str
    format: str
    status: str  # delivered | failed | skipped
    http_status: int | None = None
    attempts: int = 0
    error: str | None = None
    url: str = ""  # masked (safe_url)
    reasons: list[str] = field(default_factory=list)  # notify_on conditions that matched

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "format": self.format,
            "status": self.status,
            "http_status": self.http_status,
            "attempts": self.attempts,
            "error": self.error,
            "url": self.url,
            "reasons": list(self.reasons),
        }


@dataclass
class DeliveryResult:
    delivery_id: str
    outcomes: list[TargetOutcome]

    @property
    def notified(self) -> bool:
        """Whether any message was attempted (False when notify_on skipped every target)."""
        return any(o.status != "skipped" for o in self.outcomes)

    def _with(self, status: str) -> list[TargetOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        """No target failed (skipped targets and an empty target list are fine)."""
        return not self._with("failed")

    @property
    def delivered(self) -> list[TargetOutcome]:
        return self._with("delivered")

    @property
    def failed(self) -> list[TargetOutcome]:
        return self._with("failed")

    @property
    def skipped(self) -> list[TargetOutcome]:
        return self._with("skipped")

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "ok": self.ok,
            "notified": self.notified,
            "delivered": len(self.delivered),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

    def raise_for_failures(self) -> None:
        if not self.ok:
            raise DeliveryFailed(self)


class DeliveryFailed(ApiError):
    """At least one target failed; carries every outcome (already masked)."""

    def __init__(self, result: DeliveryResult) -> None:
        failed = result.failed
        names = ", ".join(o.target for o in failed)
        super().__init__(
            502,
            "SMSFN.0502",
            f"Webhook delivery failed for {len(failed)} of {len(result.outcomes)} target(s): {names}",
            extra={"delivery_id": result.delivery_id, "webhooks": [o.to_dict() for o in result.outcomes]},
        )
        self.result = result
        self.outcomes = result.outcomes


def webhook_retry_policy(settings: WebhookSettings) -> RetryPolicy:
    """The shared policy with the webhooks' attempts and backoff."""
    return RetryPolicy(retries=settings.max_attempts - 1, base_delay_s=BACKOFF_BASE_S, max_delay_s=BACKOFF_CAP_S)


class PinnedHostAdapter(GuardedAdapter):
    """The URL carries the already-checked IP address (so DNS can't be asked again and answer
    differently); TLS SNI and the certificate check use the real name from the Host header. Its
    connections obey ``deadline_guard``; urllib3 never retries."""

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_header = request.headers.get("Host")
        if host_params.get("scheme") == "https" and host_header:
            name = urlsplit(f"//{host_header}").hostname
            if name:
                pool_kwargs["server_hostname"] = name
                pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs


def make_session() -> requests.Session:
    """A session that ignores proxy/netrc environment settings and pins connections."""
    session = requests.Session()
    session.trust_env = False  # no .netrc credentials or env proxies sent to a webhook host
    adapter = PinnedHostAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


_default_session: requests.Session | None = None


def _session_for(session: requests.Session | None) -> requests.Session:
    global _default_session
    if session is None:
        if _default_session is None:  # one per warm instance: keeps connections alive
            _default_session = make_session()
        return _default_session
    if isinstance(session, requests.Session) and not isinstance(
        session.get_adapter("https://x"), PinnedHostAdapter
    ):  # a caller's session gets pinning too
        adapter = PinnedHostAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


def _describe_network_error(exc: BaseException) -> str:
    # Never the exception text: urllib3 puts the request path (with its token) into it.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    inner = f": {type(reason).__name__}" if isinstance(reason, BaseException) else ""
    return f"network error ({type(exc).__name__}{inner})"


def _post(
    session: requests.Session,
    req: OutgoingRequest,
    address: str,
    timeouts: tuple[float, float],
) -> tuple[int, str, Mapping[str, str]]:
    """One POST; only the first ``RESPONSE_READ_LIMIT`` bytes of the answer are read (decoded)."""
    parts = urlsplit(req.url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = {**req.headers, "Host": parts.netloc, "User-Agent": USER_AGENT}
    resp = session.post(
        pinned, data=req.body, headers=headers, timeout=timeouts, allow_redirects=False, stream=True
    )
    try:
        head = read_capped(resp, RESPONSE_READ_LIMIT, truncate=True)
        return resp.status_code, head.decode(resp.encoding or "utf-8", errors="replace"), resp.headers
    finally:
        resp.close()


def _post_by(
    deadline: DeadlineLike,
    session: requests.Session,
    req: OutgoingRequest,
    address: str,
    timeouts: tuple[float, float],
) -> tuple[int, str, Mapping[str, str]]:
    """``_post`` whose connect, headers and answer together end by the deadline."""
    with deadline_guard(deadline.remaining()) as guard:
        try:
            out = _post(session, req, address, timeouts)
        except (requests.RequestException, OSError):
            if guard.fired:
                raise DeadlineExceeded("the answer did not end within the remaining time") from None
            raise
        if guard.fired:  # an answer that ends with the connection looks whole when cut
            raise DeadlineExceeded("the answer did not end within the remaining time")
        return out


@dataclass
class _Run:
    """What every target's delivery shares in one ``deliver`` call."""

    summary: Mapping[str, Any]
    deadline: DeadlineLike
    delivery_id: str
    notify_on: tuple[str, ...]
    settings: WebhookSettings
    session: requests.Session
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    resolver: Resolver | None
    rng: Any
    links: ChatLinks | None = None

    def deliver_one(self, target: Target) -> TargetOutcome:
        register_url_secrets(target.url)  # also for targets built without build_target
        register_secret(target.secret)
        outcome = TargetOutcome(target.name, target.format, "failed", url=safe_url(target.url))
        conditions = target.notify_on or self.notify_on
        send, reasons = should_notify(self.summary, conditions)
        # A quiet tick: nothing, or (WEBHOOK_QUIET=line) one line in chat; the generic JSON has no
        # "line", its consumers get every summary they ask for through notify_on.
        quiet = not send and self.settings.quiet == "line" and target.format != "generic"
        outcome.reasons = reasons if send else ["quiet"] if quiet else []
        if not send and not quiet:
            outcome.status = "skipped"
            outcome.error = f"notify_on {','.join(conditions)}: no condition matched"
            return outcome
        fmt = FORMAT_MODULES.get(target.format)
        if fmt is None:
            outcome.error = f"unknown format {target.format[:32]!r}"
            return outcome
        policy = self.settings.policy
        try:
            checked: CheckedUrl = check_url(target.url, policy)
            ctx = RenderContext(self.delivery_id, self.settings.max_items, self.settings.generic_max_bytes,
                                lang=target.lang, links=self.links, quiet=quiet)
            prepared = fmt.render(self.summary, target.url, target.secret, ctx)
        except (UnsafeUrl, RenderError, ValueError) as exc:
            outcome.error = redact_text(str(exc))
            return outcome
        log = {"target": target.name, "format": target.format, "url": outcome.url,
               "delivery_id": self.delivery_id}
        for attempt in range(1, self.settings.max_attempts + 1):
            if self.deadline.remaining() < MIN_ATTEMPT_S:
                outcome.error = f"{outcome.error + '; ' if outcome.error else ''}deadline reached"
                break
            outcome.attempts = attempt
            retry_after = None
            try:
                connect_s = max(self.deadline.cap(self.settings.connect_timeout), 0.01)
                # The lookup is part of connecting: it gets the connect timeout, not a second one.
                address = resolve_safe(checked, policy, self.resolver, timeout_s=connect_s)
                req = _attempt_request(prepared, self.clock(), self.delivery_id)
                timeouts = (  # requests refuses a 0 timeout; the check above leaves >= MIN_ATTEMPT_S
                    max(self.deadline.cap(connect_s), 0.01),
                    max(self.deadline.cap(self.settings.read_timeout), 0.01),
                )
                status, text, headers = _post_by(self.deadline, self.session, req, address, timeouts)
            except UnsafeUrl as exc:
                outcome.http_status, outcome.error = None, redact_text(str(exc))
                break
            except (requests.RequestException, OSError) as exc:
                outcome.http_status = None
                verdict = Verdict(False, retryable=True, error=_describe_network_error(exc))
            else:
                outcome.http_status = status
                verdict = fmt.interpret(status, text)
                retry_after = parse_retry_after(headers.get("Retry-After"), self.clock())
            if verdict.ok:
                outcome.status, outcome.error = "delivered", None
                logger.info("webhook delivered", **log, attempts=attempt, http_status=outcome.http_status)
                return outcome
            outcome.error = redact_text(verdict.error or "failed")
            if not verdict.retryable:
                break
            if attempt == self.settings.max_attempts:
                outcome.error += f" (gave up after {attempt} attempts)"
                break
            wait = webhook_retry_policy(self.settings).plan(attempt, retry_after, self.deadline.remaining(),
                                                              self.rng)
            if wait.seconds is None:
                outcome.error += f"; not retried: {wait.reason}"
                break
            delay = wait.seconds
            logger.warning("webhook attempt failed, retrying", **log, attempt=attempt,
                           http_status=outcome.http_status, error=outcome.error, retry_in_s=round(delay, 3))
            self.sleep(delay)
        logger.error("webhook delivery failed", **log, attempts=outcome.attempts,
                     http_status=outcome.http_status, error=outcome.error)
        return outcome

    def deliver_safely(self, target: Target) -> TargetOutcome:
        try:
            return self.deliver_one(target)
        except Exception as exc:  # a bug for one target must not cost the others their message
            logger.error("webhook delivery crashed", target=target.name, error=type(exc).__name__)
            error = f"internal error ({type(exc).__name__})"
            return TargetOutcome(target.name, target.format, "failed", error=error, url=safe_url(target.url))


def _attempt_request(prepared: Any, now: float, delivery_id: str) -> OutgoingRequest:
    """Build this attempt's request; every request also names the delivery for logs/receivers."""
    req: OutgoingRequest = prepared.build(now)
    headers = {"X-Delivery-Id": webhook_id(delivery_id), **req.headers}
    return OutgoingRequest(req.url, req.body, headers)


def deliver(
    targets: Sequence[Target],
    summary: Mapping[str, Any],
    *,
    deadline: DeadlineLike,
    delivery_id: str,
    notify_on: Any = DEFAULT_NOTIFY_ON,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    settings: WebhookSettings | None = None,
    resolver: Resolver | None = None,
    rng: random.Random | None = None,
    links: ChatLinks | None = None,
) -> DeliveryResult:
    """Deliver ``summary`` to every target; returns one outcome per target, in target order.

    ``notify_on`` is the run's default (a target's own ``notify_on`` wins); ``settings`` defaults to
    ``WebhookSettings()``; ``links`` (the dashboard's, when configured) put an "open dashboard"
    button and task links in every message. ``sleep``, ``clock``, ``resolver`` and ``rng`` are
    injectable for tests."""
    run = _Run(
        summary=summary,
        deadline=deadline,
        delivery_id=delivery_id,
        notify_on=parse_notify_on(notify_on),
        settings=settings or WebhookSettings(),
        session=_session_for(session),
        sleep=sleep,
        clock=clock,
        resolver=resolver,
        rng=rng or random.Random(),
        links=links,
    )
    if len(targets) <= 1 or run.settings.concurrency <= 1:
        outcomes = [run.deliver_safely(t) for t in targets]
    else:
        with ThreadPoolExecutor(max_workers=min(run.settings.concurrency, len(targets))) as pool:
            outcomes = list(pool.map(in_scope(run.deliver_safely), targets))
    return DeliveryResult(delivery_id, outcomes)
