"""Signed, expiring dashboard links: API Gateway's IAM auth cannot ride on a link opened in a
browser or from a chat message, so the link itself carries its authority.

A token is ``sdl1.<payload>.<signature>`` (URL-safe base64, no padding), with payload
``<scope>\\n<expires epoch seconds>`` and signature HMAC-SHA256(DASHBOARD_LINK_SECRET, "sdl1\\n" +
payload). ``scope`` is a path: the token opens that path and everything under it (``/dashboard``
opens the dashboard, its task pages and its CSV; ``/dashboard/tasks/<id>`` one task page). The
token travels as the ``token`` query parameter; the logger masks the ``sdl1.`` shape wherever it
appears, so links never reach a log."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from shared.errors import ApiError, config_error, fn_error
from shared.logger import logger
from shared.settings import Settings
from shared.vocabulary import FILTER_KEYS

PREFIX = "sdl1"
TOKEN_PARAM = "token"
DASHBOARD_SCOPE = "/dashboard"
MAX_TOKEN_CHARS = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), PREFIX.encode() + b"\n" + payload, hashlib.sha256).digest()


def unauthorized(reason: str) -> ApiError:
    """401 that says what is wrong with the link, never anything about the tasks."""
    return fn_error("SMSFN.0401", f"This dashboard link is {reason}; ask for a new link")


def require_secret(settings: Settings) -> str:
    if not settings.dashboard.link_secret:
        raise config_error("DASHBOARD_LINK_SECRET is not set; the dashboard needs it to check its links")
    return settings.dashboard.link_secret


@dataclass(frozen=True)
class Grant:
    """What a verified token allows."""

    scope: str
    expires: int
    token: str

    def covers(self, path: str) -> bool:
        return path == self.scope or path.startswith(self.scope.rstrip("/") + "/")


def sign(scope: str, secret: str, ttl_s: int, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + ttl_s
    payload = f"{scope}\n{expires}".encode()
    return f"{PREFIX}.{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(token: str | None, path: str, secret: str, now: float | None = None) -> Grant:
    """The grant of a valid token for ``path``, else a 401 naming what is wrong."""
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
    scope, _, expires_text = payload.decode("utf-8", "replace").partition("\n")
    if not expires_text.isdigit():
        raise unauthorized("malformed")
    grant = Grant(scope, int(expires_text), token)
    if grant.expires <= int(now if now is not None else time.time()):
        raise unauthorized("expired")
    if not grant.covers(path):
        raise unauthorized("not valid for this page")
    return grant


def link(base_url: str, path: str, token: str, params: dict[str, str] | None = None) -> str:
    """``base_url + path`` with ``params`` and the token (last, so a cut-off URL loses it first)."""
    query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    query[TOKEN_PARAM] = token
    return f"{base_url.rstrip('/')}{quote(path, safe='/')}?{urlencode(query)}"


def signed_link(settings: Settings, path: str = DASHBOARD_SCOPE, params: dict[str, str] | None = None,
                *, base_url: str | None = None, ttl_s: int | None = None, scope: str | None = None) -> str:
    """A full signed URL under ``DASHBOARD_URL`` (or ``base_url``); the token's scope is ``scope``
    or the path itself."""
    secret = require_secret(settings)
    base = base_url or settings.dashboard.url
    if not base:
        raise config_error("DASHBOARD_URL is not set")
    token = sign(scope or path, secret, ttl_s or settings.dashboard.link_ttl_s)
    return link(base, path, token, params)


def task_path(task_id: str) -> str:
    return f"{DASHBOARD_SCOPE}/tasks/{task_id}"


@dataclass(frozen=True)
class MessageLinks:
    """The links one chat message carries (``shared.webhooks``' ``ChatLinks``): the dashboard with
    the message's filters, and the page of each failed or stalled task it lists. One token with
    the dashboard's scope serves them all: anyone holding the message already holds the
    dashboard link, so narrower task tokens would protect nothing."""

    base_url: str
    token: str
    filters: Mapping[str, str] = field(default_factory=dict)

    def dashboard(self, lang: str | None) -> str:
        return link(self.base_url, DASHBOARD_SCOPE, self.token, {**self.filters, **_lang(lang)})

    def task(self, task_id: str, lang: str | None) -> str:
        return link(self.base_url, task_path(task_id), self.token, _lang(lang))


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
    kept = {k: v for k, v in (filters or {}).items() if k in FILTER_KEYS and isinstance(v, str) and v}
    token = sign(DASHBOARD_SCOPE, dash.link_secret, dash.link_ttl_s, now)
    return MessageLinks(dash.url, token, kept)
