"""Structured JSON logs on stderr, one object per line, with secrets masked.

Modelled on Powertools' logger: a fixed set of keys (``level``, ``message``, ``request_id``,
``function``) plus whatever the call adds. Every value passes through ``redact`` first, so an AK,
SK, token or webhook URL token never reaches the log even when it sneaks into a message."""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any, TextIO

_SECRET_KEYS = re.compile(
    r"(^|_)(ak|sk|secret|token|password|signature|authorization|access_?key|secret_?key)($|_)",
    re.IGNORECASE,
)
# Query parameters, URL parts and ``key=value`` pairs that carry credentials: webhook URLs, the
# SDK's ``Authorization: SDK-HMAC-SHA256 Access=<AK>, ..., Signature=<sig>``, ``AK=...`` echoes.
_URL_TOKEN = re.compile(
    r"((?:access_token|key|token|secret|sign|signature|sig|\bak|\bsk|\baccess|access_?key(?:_id)?|"
    r"secret_?key|security_?token|password|credential)=)[^&\s\"',;]+", re.IGNORECASE
)
_HOOK_PATH = re.compile(
    r"(/(?:hooks|hook|bot/v2/hook|robot/send|webhook/send|services)/)[^\s\"'?]+", re.IGNORECASE
)
# Credential-shaped headers, however an upstream echoes them (a header line, JSON, a dict's repr):
# the whole value is masked (an ``Authorization`` value has spaces), up to its quote or line end.
_HEADER_AUTH = re.compile(
    r"((?:Proxy-Authorization|Authorization|X-Security-Token|X-Auth-Token|X-Subject-Token|Set-Cookie|Cookie)"
    r"[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n]+", re.IGNORECASE
)
# Signed dashboard link tokens (shared/dashboard/links.py), wherever they appear: a path, a Referer.
_LINK_TOKEN = re.compile(r"sdl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
MASK = "***"
_EMPTY: Mapping[str, Any] = MappingProxyType({})

# Most recently registered last; bounded, so rotating agency credentials in a long-lived warm
# instance don't grow it without limit. Every invocation registers the secrets it uses again,
# which moves them to the recent end: only secrets no invocation has used for a long while age out.
MAX_SECRETS = 512
_known_secrets: OrderedDict[str, None] = OrderedDict()
# Longest first, so a secret that contains another (a URL and its token) is masked whole. An
# immutable snapshot replaced under a lock: webhook threads register secrets while others log.
_masking_order: tuple[str, ...] = ()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is masked wherever it appears later."""
    global _masking_order
    if not value or len(value) < 6:
        return
    with _secrets_lock:
        if value in _known_secrets:
            _known_secrets.move_to_end(value)
            return
        _known_secrets[value] = None
        while len(_known_secrets) > MAX_SECRETS:
            _known_secrets.popitem(last=False)
        _masking_order = tuple(sorted(_known_secrets, key=len, reverse=True))


def redact_text(text: str) -> str:
    for secret in _masking_order:
        if secret in text:
            text = text.replace(secret, MASK)
    # Each pattern runs only on text holding the character it cannot match without (most log
    # values hold none): 4 regex passes were ~8 us a string, two log lines ~65% of that.
    # A substitution only removes text or adds "***", so a skipped pattern could not have matched.
    if "=" in text:
        text = _URL_TOKEN.sub(r"\1" + MASK, text)
    if "sdl1." in text:
        text = _LINK_TOKEN.sub(MASK, text)
    if "/" in text:
        text = _HOOK_PATH.sub(r"\1" + MASK, text)
    if ":" in text or "=" in text:
        text = _HEADER_AUTH.sub(r"\1" + MASK, text)
    return text


# Header names whose whole value is a credential, as an upstream may echo them as JSON keys.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-security-token", "x-auth-token",
                                "x-subject-token", "cookie", "set-cookie"})


def _redacted(value: Any, key: str, secret_key: Callable[[str], bool]) -> Any:
    """``value`` with every string through ``redact_text`` and the value of a key ``secret_key``
    names masked whole."""
    if key and secret_key(key) and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redacted(v, str(k), secret_key) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v, "", secret_key) for v in value]
    return value


def _credential_header(key: str) -> bool:
    return key.lower() in CREDENTIAL_HEADERS


def _secret_name(key: str) -> bool:
    return _SECRET_KEYS.search(key) is not None


def redact_echo(value: Any, key: str = "") -> Any:
    """Text handed on from elsewhere (an upstream's error body) or to a caller, redacted as logs
    are but keeping its fields: every string through ``redact_text``, a credential header's value
    masked whole; other keys are not judged by name (SMS's ``encoded_authorization_message`` is a
    diagnostic its caller needs, not a secret)."""
    return _redacted(value, key, _credential_header)


def redact(value: Any, key: str = "") -> Any:
    """A log record's value: strings through ``redact_text``, any key named like a secret masked."""
    return _redacted(value, key, _secret_name)


class Logger:
    """The bound keys live in a ``ContextVar``: each invocation (thread or task) has its own, so
    concurrent requests in one warm instance never label each other's lines."""

    def __init__(self, service: str = "sms-tasks", stream: TextIO | None = None) -> None:
        self.service = service
        self._stream = stream
        self._context: ContextVar[Mapping[str, Any]] = ContextVar(f"log_context_{id(self)}", default=_EMPTY)

    @property
    def context(self) -> Mapping[str, Any]:
        return self._context.get()

    def bind(self, **fields: Any) -> None:
        """Keys added to every following line of this invocation."""
        self._context.set({**self._context.get(), **fields})

    def bind_scope(self, **fields: Any) -> Token[Mapping[str, Any]]:
        """A fresh context for one invocation; ``reset_scope`` with the token restores the old."""
        return self._context.set(dict(fields))

    def reset_scope(self, token: Token[Mapping[str, Any]]) -> None:
        self._context.reset(token)

    def _emit(self, level: str, message: str, fields: dict[str, Any]) -> None:
        record: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": level,
            "service": self.service,
            "message": message,
        }
        for key, value in {**self._context.get(), **fields}.items():
            # A field named like a fixed key is kept beside it, never over it.
            record[f"{key}_" if key in ("time", "level", "service", "message") else key] = value
        line = json.dumps(redact(record), default=str, ensure_ascii=False)
        print(line, file=self._stream or sys.stderr, flush=True)

    def debug(self, message: str, **fields: Any) -> None:
        self._emit("DEBUG", message, fields)

    def info(self, message: str, **fields: Any) -> None:
        self._emit("INFO", message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._emit("WARNING", message, fields)

    def error(self, message: str, **fields: Any) -> None:
        self._emit("ERROR", message, fields)


logger = Logger()
