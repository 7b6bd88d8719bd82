"""Signed, expiring dashboard links: API Gateway's IAM auth cannot ride on a link opened in a
browser or from a chat message, so the link itself carries its authority.

A token is ``sdl1.<payload>.<signature>`` (URL-safe base64 without padding, the one form accepted:
any other spelling of the same bytes is refused), with payload
``<scope>\\n<issued>\\n<expires>\\n<filters>`` (epoch seconds; ``filters`` a sorted, urlencoded
query of ``FILTER_KEYS``) and signature HMAC-SHA256(DASHBOARD_LINK_SECRET, "sdl1\\n" + payload).
A link opens exactly what it names:

* ``scope`` ``/dashboard`` opens the dashboard, its CSV and its task pages; any other scope
  (``/dashboard/tasks/<id>``, ``/dashboard/tasks.csv``) opens that one path only;
* its signed filters hold on every route it opens: the route reads with them whatever the URL
  says, a URL that gives another value for a signed filter is refused, and a task page opens
  only a task matching them;
* a lifetime (``expires - issued``) beyond ``DASHBOARD_LINK_MAX_TTL_SECONDS`` is refused, however
  the link was made.

The token travels as the ``token`` query parameter; the logger masks the ``sdl1.`` shape
wherever it appears, so links never reach a log."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from shared.errors import ApiError, config_error, fn_error
from shared.logger import logger
from shared.settings import DEFAULT_MAX_LINK_TTL_S, Settings
from shared.vocabulary import FILTER_KEYS

PREFIX = "sdl1"
TOKEN_PARAM = "token"
DASHBOARD_SCOPE = "/dashboard"
TASKS_PREFIX = f"{DASHBOARD_SCOPE}/tasks/"
MAX_TOKEN_CHARS = 2048
CLOCK_SKEW_S = 300  # a link issued this far "in the future" is still another clock's, not a forgery
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,11}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict: base64url without padding, and only the spelling ``_b64`` gives those bytes (the
    unused low bits of the last character must be zero), so a token has one form."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), PREFIX.encode() + b"\n" + payload, hashlib.sha256).digest()


def unauthorized(reason: str) -> ApiError:
    """401 that says what is wrong with the link, never anything about the tasks."""
    return fn_error("SMSFN.0401", f"This dashboard link is {reason}; ask for a new link")


def require_secret(settings: Settings) -> str:
    if not settings.dashboard.link_secret:
        raise config_error("DASHBOARD_LINK_SECRET is not set; the dashboard needs it to check its links")
    return settings.dashboard.link_secret


def segment(task_id: str) -> str:
    """``task_id`` as one path segment: everything outside RFC 3986's unreserved set
    percent-encoded (so no ``/``, ``?``, ``#``, ``%`` or ``\\`` is left); an id of only dots, which
    a browser would read as ``.``/``..`` even percent-encoded (WHATWG URL treats ``%2e`` as a
    dot), has none: ``task_path`` gives no link for ``.`` and ``..``."""
    return quote(task_id, safe="")


def task_path(task_id: str) -> str | None:
    """The task page's path, or None when the id cannot be one path segment (empty, ``.``, ``..``)."""
    if task_id in ("", ".", ".."):
        return None
    return TASKS_PREFIX + segment(task_id)


def canonical_filters(filters: Mapping[str, Any] | None) -> dict[str, str]:
    """The filters a link may carry: ``FILTER_KEYS`` with a non-empty text value, in key order."""
    return {k: filters[k] for k in sorted(filters or {})
            if k in FILTER_KEYS and isinstance(filters[k], str) and filters[k]}


def _payload(scope: str, issued: int, expires: int, filters: Mapping[str, str]) -> bytes:
    return "\n".join((scope, str(issued), str(expires), urlencode(canonical_filters(filters)))).encode()


@dataclass(frozen=True)
class Grant:
    """What a verified token allows."""

    scope: str
    issued: int
    expires: int
    filters: dict[str, str]
    token: str = field(repr=False)

    def covers(self, path: str) -> bool:
        """``/dashboard`` covers every dashboard route; any other scope only itself."""
        if self.scope == DASHBOARD_SCOPE:
            return path == DASHBOARD_SCOPE or path.startswith(DASHBOARD_SCOPE + "/")
        return path == self.scope

    def apply(self, given: Mapping[str, str]) -> dict[str, str]:
        """``given`` filters with the signed ones in force: a signed filter missing from the URL is
        added; one the URL sets to something else refuses the request. Filters the link does not
        sign may narrow further (every filter of ListTasks narrows)."""
        for key, value in self.filters.items():
            if given.get(key, value) != value:  # the value is not echoed: it is the URL's, any length
                raise unauthorized(f"not valid for another '{key}' than the one it was made for")
        return {**given, **self.filters}


def sign(scope: str, secret: str, ttl_s: int, now: float | None = None,
         filters: Mapping[str, Any] | None = None) -> str:
    issued = int(now if now is not None else time.time())
    payload = _payload(scope, issued, issued + ttl_s, canonical_filters(filters))
    return f"{PREFIX}.{_b64(payload)}.{_b64(_mac(secret, payload))}"


def _parse(payload: bytes) -> tuple[str, int, int, dict[str, str]]:
    """The payload's fields, or ValueError unless it is exactly the form ``_payload`` writes."""
    scope, issued, expires, query = payload.decode("utf-8").split("\n")
    if not (_DIGITS.fullmatch(issued) and _DIGITS.fullmatch(expires)):
        raise ValueError("bad times")
    filters = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    if _payload(scope, int(issued), int(expires), filters) != payload:
        raise ValueError("not canonical")
    return scope, int(issued), int(expires), filters


def verify(token: str | None, path: str, secret: str, now: float | None = None,
           max_ttl_s: int = DEFAULT_MAX_LINK_TTL_S) -> Grant:
    """The grant of a valid token for ``path`` (a canonical route path: ``task_path``'s for task
    pages), else a 401 naming what is wrong."""
    if not token:
        raise unauthorized("missing its token")
    parts = token.split(".")
    if len(token) > MAX_TOKEN_CHARS or len(parts) != 3 or parts[0] != PREFIX:
        raise unauthorized("malformed")
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
    except (binascii.Error, ValueError):
        raise unauthorized("malformed") from None
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        raise unauthorized("not valid")
    try:
        grant = Grant(*_parse(payload), token=token)
    except ValueError:  # signed by us but not in today's form: an older link
        raise unauthorized("malformed") from None
    moment = int(now if now is not None else time.time())
    if grant.expires - grant.issued > max_ttl_s or grant.issued > moment + CLOCK_SKEW_S:
        raise unauthorized(f"valid longer than the {max_ttl_s} s a link may be")
    if grant.expires <= moment:
        raise unauthorized("expired")
    if not grant.covers(path):
        raise unauthorized("not valid for this page")
    return grant


def link(base_url: str, path: str, token: str, params: Mapping[str, str | None] | None = None) -> str:
    """``base_url + path`` with ``params`` and the token (last, so a cut-off URL loses it first).
    ``path`` is already encoded (``task_path``)."""
    query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    query[TOKEN_PARAM] = token
    return f"{base_url.rstrip('/')}{path}?{urlencode(query)}"


def signed_link(settings: Settings, path: str = DASHBOARD_SCOPE, params: Mapping[str, str] | None = None,
                *, base_url: str | None = None, ttl_s: int | None = None) -> str:
    """A full signed URL under ``DASHBOARD_URL`` (or ``base_url``) whose token opens ``path`` only
    (all of the dashboard for ``/dashboard``), with the filters among ``params`` signed into it."""
    secret = require_secret(settings)
    base = base_url or settings.dashboard.url
    if not base:
        raise config_error("DASHBOARD_URL is not set")
    ttl = ttl_s or settings.dashboard.link_ttl_s
    if ttl > settings.dashboard.max_link_ttl_s:
        raise config_error(f"a link may live at most DASHBOARD_LINK_MAX_TTL_SECONDS "
                           f"({settings.dashboard.max_link_ttl_s} s)")
    from shared.read.query import parse_query

    filters = canonical_filters(params)
    parse_query(filters)  # a filter the routes would refuse (400) is never signed
    return link(base, path, sign(path, secret, ttl, filters=filters), params)


@dataclass(frozen=True)
class MessageLinks:
    """The links one chat message carries (``shared.webhooks``' ``ChatLinks``): the dashboard with
    the message's filters, and the page of each failed or stalled task it lists. One token serves
    them all: its scope is the dashboard and its signed filters are the message's, so it opens
    what the message summarises and nothing else (a task page only for a task matching them)."""

    base_url: str
    token: str
    filters: Mapping[str, str] = field(default_factory=dict)

    def dashboard(self, lang: str | None) -> str:
        return link(self.base_url, DASHBOARD_SCOPE, self.token, {**self.filters, **_lang(lang)})

    def task(self, task_id: str, lang: str | None) -> str | None:
        path = task_path(task_id)
        return None if path is None else link(self.base_url, path, self.token, _lang(lang))


def _lang(lang: str | None) -> dict[str, str]:
    return {"lang": lang} if lang else {}


def message_links(settings: Settings, filters: Mapping[str, Any] | None = None,
                  now: float | None = None) -> MessageLinks | None:
    """The links for a summary message, or None when the dashboard is not configured (both
    ``DASHBOARD_URL`` and ``DASHBOARD_LINK_SECRET`` are needed; one without the other is logged,
    so a message without its button is never a silent surprise)."""
    dash = settings.dashboard
    if not dash.url or not dash.link_secret:
        if dash.url or dash.link_secret:
            missing = "DASHBOARD_LINK_SECRET" if dash.url else "DASHBOARD_URL"
            logger.warning(f"{missing} is not set: chat messages carry no dashboard links")
        return None
    kept = canonical_filters(filters)
    token = sign(DASHBOARD_SCOPE, dash.link_secret, dash.link_ttl_s, now, filters=kept)
    return MessageLinks(dash.url, token, kept)
