"""Webhook targets and delivery settings, read from the function's environment.

One target::

    WEBHOOK_URL=https://hooks.slack.com/services/T000/B000/XXXX
    WEBHOOK_FORMAT=slack            # generic (default) | slack | feishu | dingtalk | wecom
    WEBHOOK_SECRET=...              # optional: whsec_<base64> for generic, the bot secret for feishu/dingtalk
    WEBHOOK_LANG=en                 # optional: zh-CN | en (default by platform, below)

Several targets: ``WEBHOOK_TARGETS``, a JSON array (not together with ``WEBHOOK_URL``)::

    [{"name": "ops-slack", "format": "slack", "url_env": "SLACK_WEBHOOK_URL"},
     {"name": "feishu", "format": "feishu", "url_env": "FEISHU_URL", "secret_env": "FEISHU_SECRET",
      "notify_on": ["failures", "stalled"]},
     {"name": "audit", "url": "https://audit.example.com/hooks/sms", "secret_env": "AUDIT_WHSEC"}]

Keys: ``name`` (``[A-Za-z0-9_.-]``, unique; default ``target-N``), ``format`` (default generic),
``url`` or ``url_env``, optional ``secret`` or ``secret_env``, optional ``notify_on`` (overrides
``WEBHOOK_NOTIFY_ON`` for that target), optional ``lang`` (``zh-CN`` or ``en``: the chat message's
language; by default Chinese for Feishu, DingTalk and WeCom, English for Slack and generic; the
generic JSON itself has no words to translate, so there ``lang`` is only the language its
dashboard links open in). ``*_env`` names another environment variable holding the
value, so URLs with tokens and secrets can live in FunctionGraph's encrypted variables instead of a
JSON blob; it may not name the function's own credentials (``HUAWEICLOUD_*``).

Per invocation, a timer ``user_event`` may carry ``"targets"`` with the same shape; it replaces the
configured list for that run. There, an entry that is only ``{"name": "<configured name>"}`` (or
just the name as a string) picks a configured target, a string with ``://`` is a generic target with
that URL, and ``*_env`` may only name variables starting with ``WEBHOOK_``. Options can
never relax URL safety: the loopback/private flags come from the environment only.

Every URL token and secret is registered with the logger; ``Target.__repr__`` hides them, and no
error message contains them."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared import i18n
from shared.env import env_flag, env_int, env_number
from shared.errors import ApiError, bad_request, config_error
from shared.logger import redact_text, register_secret
from shared.webhooks.notify import DEFAULT_NOTIFY_ON, QUIET_MODES, check_notify_on, parse_notify_on
from shared.webhooks.signing import WHSEC_PREFIX, standard_key
from shared.webhooks.url_safety import UnsafeUrl, UrlPolicy, check_url, register_url_secrets, safe_url

FORMATS = ("generic", "slack", "feishu", "dingtalk", "wecom")
SIGNED_FORMATS = ("generic", "feishu", "dingtalk")  # Slack and WeCom webhooks have no signing
_SPEC_KEYS = frozenset({"name", "url", "url_env", "format", "secret", "secret_env", "notify_on", "lang"})
# Chat platforms whose users mostly read Chinese get Chinese unless a target says otherwise.
DEFAULT_LANGUAGES = {"feishu": "zh-CN", "dingtalk": "zh-CN", "wecom": "zh-CN", "slack": "en", "generic": "en"}
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_FORBIDDEN_ENV_PREFIXES = ("HUAWEICLOUD_",)


@dataclass(frozen=True, repr=False)
class Target:
    """One webhook destination. ``repr``/``str`` show the URL masked and whether a secret is set."""

    name: str
    url: str
    format: str = "generic"
    secret: str | None = None
    notify_on: tuple[str, ...] | None = None  # None: use the run's default
    lang: str = "en"  # the message's language (generic: only its dashboard links')

    def __repr__(self) -> str:
        return (
            f"Target(name={self.name!r}, format={self.format!r}, url={safe_url(self.url)!r}, "
            f"secret={'<set>' if self.secret else None}, notify_on={self.notify_on!r}, lang={self.lang!r})"
        )

    __str__ = __repr__

    def describe(self) -> dict[str, Any]:
        """Safe to log or return."""
        return {
            "name": self.name,
            "format": self.format,
            "url": safe_url(self.url),
            "signed": bool(self.secret),
            "notify_on": list(self.notify_on) if self.notify_on else None,
            "lang": self.lang,
        }


@dataclass(frozen=True)
class WebhookSettings:
    """Delivery knobs; the README's settings table lists the same names."""

    connect_timeout: float = 3.0  # WEBHOOK_CONNECT_TIMEOUT
    read_timeout: float = 10.0  # WEBHOOK_READ_TIMEOUT
    max_attempts: int = 4  # WEBHOOK_MAX_ATTEMPTS (first try included)
    concurrency: int = 4  # WEBHOOK_CONCURRENCY: targets delivered in parallel
    max_items: int = 10  # WEBHOOK_MAX_ITEMS: list entries per section in chat messages
    generic_max_bytes: int = 20_000  # WEBHOOK_GENERIC_MAX_BYTES (Standard Webhooks: keep under ~20 kB)
    notify_on: tuple[str, ...] = DEFAULT_NOTIFY_ON  # WEBHOOK_NOTIFY_ON
    quiet: str = "skip"  # WEBHOOK_QUIET: a tick notify_on does not match sends nothing, or one "line"
    policy: UrlPolicy = field(default_factory=UrlPolicy)  # WEBHOOK_ALLOW_LOOPBACK / _PRIVATE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        d = cls()
        raw_notify = (env.get("WEBHOOK_NOTIFY_ON") or "").strip()
        quiet = (env.get("WEBHOOK_QUIET") or d.quiet).strip().lower()
        if quiet not in QUIET_MODES:
            raise config_error(f"WEBHOOK_QUIET must be one of {', '.join(QUIET_MODES)}")
        return cls(
            connect_timeout=env_number(env, "WEBHOOK_CONNECT_TIMEOUT", d.connect_timeout, 0.1, 60.0),
            read_timeout=env_number(env, "WEBHOOK_READ_TIMEOUT", d.read_timeout, 0.1, 300.0),
            max_attempts=env_int(env, "WEBHOOK_MAX_ATTEMPTS", d.max_attempts, 1, 10),
            concurrency=env_int(env, "WEBHOOK_CONCURRENCY", d.concurrency, 1, 16),
            max_items=env_int(env, "WEBHOOK_MAX_ITEMS", d.max_items, 1, 50),
            generic_max_bytes=env_int(env, "WEBHOOK_GENERIC_MAX_BYTES", d.generic_max_bytes, 2_000, 1_048_576),
            notify_on=parse_notify_on(raw_notify, param="WEBHOOK_NOTIFY_ON", from_env=True)
            if raw_notify
            else d.notify_on,
            quiet=quiet,
            policy=UrlPolicy(
                allow_loopback=env_flag(env, "WEBHOOK_ALLOW_LOOPBACK"),
                allow_private=env_flag(env, "WEBHOOK_ALLOW_PRIVATE"),
            ),
        )


def _check_secret(fmt: str, secret: str) -> str | None:
    """Why this secret can't be used with this format, or None."""
    if fmt not in SIGNED_FORMATS:
        return f"{fmt} webhooks have no signing, so a {fmt} target takes no secret"
    if fmt == "generic":
        try:
            standard_key(secret)
        except ValueError as exc:
            return str(exc)
    return None


def build_target(
    name: str,
    url: str,
    fmt: str = "generic",
    secret: str | None = None,
    notify_on: tuple[str, ...] | None = None,
    *,
    policy: UrlPolicy | None = None,
    lang: str | None = None,
) -> Target:
    """A checked target; raises ``ValueError``/``UnsafeUrl`` with a secret-free message. Registers
    the URL's tokens and the secret with the logger first, so even a failure log is clean."""
    register_url_secrets(url)
    if secret:
        register_secret(secret)
        if secret.startswith(WHSEC_PREFIX):
            register_secret(secret[len(WHSEC_PREFIX):])
    if not _NAME.match(name):
        raise ValueError(f"target name {name[:64]!r} must be 1-64 characters of A-Z a-z 0-9 _ . -")
    if fmt not in FORMATS:
        raise ValueError(f"target {name!r} has unknown format {fmt[:32]!r}; allowed: {', '.join(FORMATS)}")
    check_url(url, policy or UrlPolicy())
    if secret:
        problem = _check_secret(fmt, secret)
        if problem:
            raise ValueError(f"target {name!r}: {problem}")
    return Target(name=name, url=url.strip(), format=fmt, secret=secret or None, notify_on=notify_on,
                  lang=_language(name, fmt, lang))


def _language(name: str, fmt: str, lang: str | None) -> str:
    """The target's language: the one it names, else its platform's default."""
    if not lang:
        return DEFAULT_LANGUAGES[fmt]
    known = i18n.known_language(lang)
    if known is None:
        raise ValueError(f"target {name!r}: lang must be one of {', '.join(i18n.LANGUAGES)}, got {lang[:32]!r}")
    return known


def _parse_spec(
    spec: Any,
    index: int,
    env: Mapping[str, str],
    *,
    env_ref_allowed: Callable[[str], bool],
    fail: Callable[[str], ApiError],
    policy: UrlPolicy,
    param: str,
) -> Target:
    where = f"{param}[{index}]"
    if not isinstance(spec, Mapping):
        raise fail(f"{where} must be an object")
    unknown = sorted(redact_text(str(k)[:32]) for k in spec if k not in _SPEC_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_SPEC_KEYS))
        raise fail(f"{where} has unknown key(s) {', '.join(unknown)[:200]}; allowed: {allowed}")
    name = spec.get("name", f"target-{index + 1}")
    if not isinstance(name, str):
        raise fail(f"{where}.name must be a string")
    fmt = spec.get("format", "generic")
    if not isinstance(fmt, str):
        raise fail(f"{where}.format must be a string")

    sources: dict[str, str] = {}  # where each value came from, for errors that never quote it

    def value(key: str, required: bool) -> str | None:
        direct, ref = spec.get(key), spec.get(f"{key}_env")
        sources[key] = f"{where}.{key}"
        if direct is not None and ref is not None:
            raise fail(f"{where} sets both {key} and {key}_env; use one")
        if ref is not None:
            if not isinstance(ref, str) or not _ENV_NAME.match(ref):
                raise fail(f"{where}.{key}_env must be an environment variable name")
            if ref.upper().startswith(_FORBIDDEN_ENV_PREFIXES) or not env_ref_allowed(ref):
                raise fail(f"{where}.{key}_env may not reference {ref}")
            direct = env.get(ref)
            sources[key] = f"{where}.{key}_env ({ref})"
            if not direct or not direct.strip():
                raise fail(f"{where}.{key}_env names {ref}, which is not set")
        elif direct is not None and not isinstance(direct, str):
            raise fail(f"{where}.{key} must be a string")
        if isinstance(direct, str):  # registered before anything can echo it
            if key == "url":
                register_url_secrets(direct)
            else:
                register_secret(direct.strip())
        if required and not (direct and direct.strip()):
            raise fail(f"{where} needs url or url_env")
        return direct.strip() if direct else None

    url = value("url", required=True)
    secret = value("secret", required=False)
    lang = spec.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise fail(f"{where}.lang must be a string")
    notify_on = None
    if spec.get("notify_on") is not None:
        try:
            notify_on = check_notify_on(spec["notify_on"])
        except ValueError as exc:
            raise fail(f"{where}.notify_on {exc}") from None
    try:
        return build_target(name, url or "", fmt.strip().lower(), secret, notify_on, policy=policy, lang=lang)
    except UnsafeUrl as exc:
        raise fail(f"{sources['url']}: {exc}") from None
    except ValueError as exc:
        raise fail(f"{where}: {exc}") from None


def _unique(targets: list[Target], fail: Callable[[str], ApiError], param: str) -> list[Target]:
    seen: set[str] = set()
    for t in targets:
        if t.name in seen:
            raise fail(f"{param} has two targets named {t.name!r}")
        seen.add(t.name)
    return targets


def targets_from_env(env: Mapping[str, str], policy: UrlPolicy | None = None) -> list[Target]:
    """The configured targets (empty when webhooks are not configured)."""
    policy = policy or WebhookSettings.from_env(env).policy
    url = (env.get("WEBHOOK_URL") or "").strip()
    raw = (env.get("WEBHOOK_TARGETS") or "").strip()
    if url and raw:
        raise config_error("set either WEBHOOK_URL or WEBHOOK_TARGETS, not both")
    if raw and (env.get("WEBHOOK_LANG") or "").strip():
        raise config_error("WEBHOOK_LANG is for WEBHOOK_URL; with WEBHOOK_TARGETS, give each target its lang")
    if url:
        register_url_secrets(url)
        secret = (env.get("WEBHOOK_SECRET") or "").strip() or None
        fmt = (env.get("WEBHOOK_FORMAT") or "generic").strip().lower() or "generic"
        lang = (env.get("WEBHOOK_LANG") or "").strip() or None
        try:
            return [build_target("default", url, fmt, secret, None, policy=policy, lang=lang)]
        except (ValueError, UnsafeUrl) as exc:
            raise config_error(f"WEBHOOK_URL/WEBHOOK_FORMAT/WEBHOOK_SECRET/WEBHOOK_LANG: {exc}") from None
    if not raw:
        return []
    try:
        specs = json.loads(raw)
    except ValueError as exc:
        raise config_error(
            f"WEBHOOK_TARGETS is not valid JSON ({getattr(exc, 'msg', 'parse error')} "
            f"at position {getattr(exc, 'pos', '?')})"
        ) from None
    if not isinstance(specs, list):
        raise config_error("WEBHOOK_TARGETS must be a JSON array of target objects")

    def fail(msg: str) -> ApiError:
        return config_error(msg)

    targets = [
        _parse_spec(
            s, i, env, env_ref_allowed=lambda _n: True, fail=fail, policy=policy, param="WEBHOOK_TARGETS"
        )
        for i, s in enumerate(specs)
    ]
    return _unique(targets, fail, "WEBHOOK_TARGETS")


def targets_from_options(
    specs: Any, configured: list[Target], env: Mapping[str, str], policy: UrlPolicy
) -> list[Target]:
    """The ``targets`` of one invocation's options (400 ``SMSFN.0400`` when invalid)."""

    def fail(msg: str) -> ApiError:
        return bad_request("targets", msg)

    if not isinstance(specs, list):
        raise fail("must be a list of target objects")
    by_name = {t.name: t for t in configured}
    out: list[Target] = []
    for i, spec in enumerate(specs):
        if isinstance(spec, str):  # shorthand: a configured target's name, or a URL (generic target)
            spec = {"url": spec} if "://" in spec else {"name": spec}
        if isinstance(spec, Mapping) and set(spec) == {"name"}:
            name = spec["name"]
            if not isinstance(name, str) or name not in by_name:
                shown = name[:64] if isinstance(name, str) else name
                raise fail(f"targets[{i}] names no configured target ({shown!r}); configured: "
                           f"{', '.join(by_name) or 'none'}")
            out.append(by_name[name])
            continue
        out.append(
            _parse_spec(
                spec, i, env,
                env_ref_allowed=lambda n: n.upper().startswith("WEBHOOK_"),
                fail=fail, policy=policy, param="targets",
            )
        )
    return _unique(out, fail, "targets")


def load_targets(
    env: Mapping[str, str], options: Mapping[str, Any] | None = None, settings: WebhookSettings | None = None
) -> list[Target]:
    """The targets for this run: ``options["targets"]`` when given, else the configured ones."""
    settings = settings or WebhookSettings.from_env(env)
    configured = targets_from_env(env, settings.policy)
    if options and options.get("targets") is not None:
        return targets_from_options(options["targets"], configured, env, settings.policy)
    return configured
