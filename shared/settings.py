"""Every setting the functions read, from the environment FunctionGraph hands a function.

FunctionGraph documents ``context.getUserData(key)`` as the way function code reads its
environment variables, encrypted ones included; ``Environment`` asks it first and ``os.environ``
second (local runs, tests, and runtimes that also export the variables).

``Settings`` is built once per invocation (``shared.scope``). Reading never fails at import: the
SMS settings every function needs are checked when ``Settings`` is built; the other sections
(summary, webhooks, events) are read on first use, so a bad ``SUMMARY_*`` or ``WEBHOOK_*`` fails
only what uses it, never ``GET /v3/tasks``. A bad setting is an ``ApiError`` (HTTP 500,
``SMSFN.0500``) naming the variable, never its value."""
from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.env import env_flag, env_int, env_number
from shared.errors import config_error

if TYPE_CHECKING:
    from shared.webhooks.targets import WebhookSettings

# The families of settings the functions read (a section each, below); local tools pass a
# caller's values of these through, as a deployer's would be.
SETTING_PREFIXES = ("SMS_", "HUAWEICLOUD_SDK_", "WEBHOOK_", "SUMMARY_", "EVENT_", "DASHBOARD_", "EXPORT_")


# SMS_ALL_MAX_TASKS: the most tasks one all=true answer (or CSV export) reads. One gzip answer carries
# ~10,000 of the emulator's tasks within FunctionGraph's 6,291,456-byte result (docs/performance.md);
# it stops there anyway, with the offset to go on from. SMS cannot page past offset 65,535, so a
# larger cap is one that can never be reached: refused, naming the setting.
ALL_MAX_TASKS_DEFAULT = 10_000
ALL_MAX_TASKS_CEILING = 65_535


class ValidationMode(str, Enum):
    """``SMS_VALIDATION``; a ``str`` so it compares and hashes as its value."""

    WARN = "warn"
    STRICT = "strict"
    OFF = "off"


VALIDATION_MODES: tuple[str, ...] = tuple(m.value for m in ValidationMode)


def validation_mode(raw: str | None) -> ValidationMode:
    """Unset or blank means warn; case and spaces are ignored."""
    value = (raw or "").strip().lower() or ValidationMode.WARN.value
    try:
        return ValidationMode(value)
    except ValueError:
        raise ValueError(f"SMS_VALIDATION must be one of {', '.join(VALIDATION_MODES)}") from None


class Environment(Mapping[str, str]):
    """A function's environment: ``context.getUserData(key)`` first, then ``fallback``
    (``os.environ``). A missing or empty user-data value falls through. Iterating lists only the
    fallback's keys: user data can be asked for a key but not enumerated."""

    def __init__(self, context: Any = None, fallback: Mapping[str, str] | None = None) -> None:
        getter = getattr(context, "getUserData", None)
        self._user_data = getter if callable(getter) else None
        self._fallback = os.environ if fallback is None else fallback

    def _user_value(self, key: str) -> str | None:
        if self._user_data is None:
            return None
        try:
            value = self._user_data(key)
        except Exception:  # a runtime whose getUserData fails for unknown keys: treated as absent
            return None
        return value if isinstance(value, str) and value != "" else None

    def __getitem__(self, key: str) -> str:
        value = self._user_value(key)
        return self._fallback[key] if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (self._user_value(key) is not None or key in self._fallback)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fallback)

    def __len__(self) -> int:
        return len(self._fallback)


@dataclass(frozen=True)
class SummarySettings:
    interval_s: int = 3600  # SUMMARY_INTERVAL_SECONDS: the changes window of a tick
    stall_after_s: int = 3600  # SUMMARY_STALL_AFTER_SECONDS
    max_items: int = 50  # SUMMARY_MAX_ITEMS: entries per list in the summary
    max_tasks: int = 100000  # SUMMARY_MAX_TASKS: tasks a summary reads at most
    groups: tuple[Any, ...] = ()  # SUMMARY_GROUPS: the waves (shared.summary.groups.Wave)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SummarySettings:
        from shared.summary.groups import parse_groups  # only summaries pay for it

        d = cls()
        try:
            groups = parse_groups(env.get("SUMMARY_GROUPS"))
        except ValueError as exc:
            raise config_error(str(exc)) from None
        return cls(
            interval_s=env_int(env, "SUMMARY_INTERVAL_SECONDS", d.interval_s, 60, 30 * 86400),
            stall_after_s=env_int(env, "SUMMARY_STALL_AFTER_SECONDS", d.stall_after_s, 60, 30 * 86400),
            max_items=env_int(env, "SUMMARY_MAX_ITEMS", d.max_items, 0, 1000),
            max_tasks=env_int(env, "SUMMARY_MAX_TASKS", d.max_tasks, 1, 1_000_000),
            groups=groups,
        )


@dataclass(frozen=True)
class EventSettings:
    max_record_bytes: int = 256 * 1024  # EVENT_MAX_RECORD_BYTES: the largest payload one record may carry
    RECORD_BYTES_LIMIT = 6 * 1024 * 1024  # FunctionGraph's own cap on an event

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EventSettings:
        return cls(max_record_bytes=env_int(env, "EVENT_MAX_RECORD_BYTES", cls().max_record_bytes, 1024,
                                            cls.RECORD_BYTES_LIMIT))


def _text(env: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` that is set to something other than blanks, stripped."""
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    return None


# --- operator dashboard (issue 13): signed links, chat buttons -------------------------------------
# The link secret's rule (README): at least 32 characters and at least 128 bits by the estimate
# length x log2(distinct characters), which refuses short, repeated and few-symbol values; it is
# a floor against weak choices, not a proof of randomness: make one with
# ``make dashboard-link NEW_SECRET=1`` (``secrets.token_urlsafe(32)``: 43 characters, ~250 bits).
MIN_LINK_SECRET_CHARS = 32
MIN_LINK_SECRET_BITS = 128
DEFAULT_MAX_LINK_TTL_S = 30 * 86400  # DASHBOARD_LINK_MAX_TTL_SECONDS' default
LINK_TTL_CEILING_S = 90 * 86400  # no setting can allow a longer link


def secret_bits(secret: str) -> float:
    """The entropy estimate of the rule above."""
    distinct = len(set(secret))
    return len(secret) * math.log2(distinct) if distinct > 1 else 0.0


def check_link_secret(secret: str) -> None:
    """A ``config_error`` naming the rule (never the value) for a secret that breaks it."""
    if len(secret) < MIN_LINK_SECRET_CHARS or secret_bits(secret) < MIN_LINK_SECRET_BITS:
        raise config_error(f"DASHBOARD_LINK_SECRET must be at least {MIN_LINK_SECRET_CHARS} characters and "
                           f"look random (>= {MIN_LINK_SECRET_BITS} bits as length x log2(distinct "
                           "characters)); make one with `make dashboard-link NEW_SECRET=1`")


@dataclass(frozen=True)
class DashboardSettings:
    url: str | None = None  # DASHBOARD_URL: public base URL the chat links point at
    link_secret: str | None = field(default=None, repr=False)  # DASHBOARD_LINK_SECRET (never logged)
    link_ttl_s: int = 86400  # DASHBOARD_LINK_TTL_SECONDS: lifetime of the links the functions make
    max_link_ttl_s: int = DEFAULT_MAX_LINK_TTL_S  # DASHBOARD_LINK_MAX_TTL_SECONDS: longest link accepted
    refresh_s: int = 60  # DASHBOARD_REFRESH_SECONDS: period of the opt-in auto-refresh

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DashboardSettings:
        from shared.logger import register_secret

        d = cls()
        url = (_text(env, "DASHBOARD_URL") or "").rstrip("/") or None
        if url and not url.startswith(("https://", "http://")):
            raise config_error("DASHBOARD_URL must be an http(s) URL")
        secret = _text(env, "DASHBOARD_LINK_SECRET")
        register_secret(secret)
        if secret:
            check_link_secret(secret)
        max_ttl = env_int(env, "DASHBOARD_LINK_MAX_TTL_SECONDS", d.max_link_ttl_s, 60, LINK_TTL_CEILING_S)
        ttl = env_int(env, "DASHBOARD_LINK_TTL_SECONDS", d.link_ttl_s, 60, LINK_TTL_CEILING_S)
        if ttl > max_ttl:
            raise config_error("DASHBOARD_LINK_TTL_SECONDS must not exceed DASHBOARD_LINK_MAX_TTL_SECONDS")
        return cls(url=url, link_secret=secret, link_ttl_s=ttl, max_link_ttl_s=max_ttl,
                   refresh_s=env_int(env, "DASHBOARD_REFRESH_SECONDS", d.refresh_s, 10, 3600))
# --- end operator dashboard -------------------------------------------------------------------------


# --- CSV exports too large for an answer (issue 19): OBS ------------------------------------------
OBS_SIGNATURES = ("obs", "v2", "v4")


@dataclass(frozen=True)
class ExportSettings:
    bucket: str | None = None  # EXPORT_BUCKET: OBS bucket for CSV exports too large to answer inline
    endpoint: str | None = None  # EXPORT_OBS_ENDPOINT (default: OBS's endpoint in SMS_REGION)
    prefix: str = "sms-tasks-exports/"  # EXPORT_PREFIX: object key prefix (a lifecycle rule can expire it)
    link_ttl_s: int = 900  # EXPORT_LINK_TTL_SECONDS: lifetime of the signed download link
    signature: str = "obs"  # EXPORT_OBS_SIGNATURE: obs | v2 | v4 (S3-compatible stores: v2/v4)

    @classmethod
    def from_env(cls, env: Mapping[str, str], region: str | None) -> ExportSettings:
        d = cls()
        bucket = _text(env, "EXPORT_BUCKET")
        endpoint = (_text(env, "EXPORT_OBS_ENDPOINT") or "").rstrip("/") or None
        if endpoint and not endpoint.startswith(("https://", "http://")):
            raise config_error("EXPORT_OBS_ENDPOINT must be an http(s) URL")
        if bucket and not endpoint:
            if not region:
                raise config_error("EXPORT_BUCKET needs EXPORT_OBS_ENDPOINT or SMS_REGION")
            endpoint = f"https://obs.{region}.myhuaweicloud.com"
        signature = (_text(env, "EXPORT_OBS_SIGNATURE") or d.signature).lower()
        if signature not in OBS_SIGNATURES:
            raise config_error(f"EXPORT_OBS_SIGNATURE must be one of {', '.join(OBS_SIGNATURES)}")
        prefix = _text(env, "EXPORT_PREFIX") or d.prefix
        return cls(bucket=bucket, endpoint=endpoint, prefix=prefix.lstrip("/"), signature=signature,
                   link_ttl_s=env_int(env, "EXPORT_LINK_TTL_SECONDS", d.link_ttl_s, 60, 86400))
# --- end CSV exports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The SMS settings (checked when built) and the other sections (read on first use). The
    README's settings table lists the same names."""

    region: str | None = None  # SMS_REGION
    endpoint: str | None = None  # SMS_ENDPOINT (wins over the region)
    project_id: str | None = None  # SMS_PROJECT_ID or HUAWEICLOUD_SDK_PROJECT_ID
    ak: str | None = field(default=None, repr=False)  # HUAWEICLOUD_SDK_AK
    sk: str | None = field(default=None, repr=False)  # HUAWEICLOUD_SDK_SK
    security_token: str | None = field(default=None, repr=False)  # HUAWEICLOUD_SDK_SECURITY_TOKEN
    connect_timeout: float = 3.0  # SMS_CONNECT_TIMEOUT
    read_timeout: float = 10.0  # SMS_READ_TIMEOUT
    validation: ValidationMode = ValidationMode.WARN  # SMS_VALIDATION
    all_max_tasks: int = ALL_MAX_TASKS_DEFAULT  # SMS_ALL_MAX_TASKS
    scan_concurrency: int = 16  # SMS_SCAN_CONCURRENCY (docs/performance.md: latency)
    page_retries: int = 2  # SMS_PAGE_RETRIES
    verify_tls: bool = True  # SMS_VERIFY_TLS
    # --- issue 11: bounded upstream bodies ---
    # SMS_MAX_BODY_BYTES: the largest decoded SMS answer read (a 200-task page is ~430 KB).
    max_body_bytes: int = 4 * 1024 * 1024
    # --- end issue 11 ---
    # Where the sections and the webhook targets' ``url_env``/``secret_env`` references are read.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = Environment() if env is None else env
        d = cls()
        try:
            validation = validation_mode(env.get("SMS_VALIDATION"))
        except ValueError as exc:
            raise config_error(str(exc)) from None
        endpoint = _text(env, "SMS_ENDPOINT")
        if endpoint and not endpoint.startswith(("https://", "http://")):
            raise config_error("SMS_ENDPOINT must be an http(s) URL")
        return cls(
            region=_text(env, "SMS_REGION"),
            endpoint=endpoint.rstrip("/") if endpoint else None,
            project_id=_text(env, "SMS_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID"),
            ak=_text(env, "HUAWEICLOUD_SDK_AK"),
            sk=_text(env, "HUAWEICLOUD_SDK_SK"),
            security_token=_text(env, "HUAWEICLOUD_SDK_SECURITY_TOKEN"),
            connect_timeout=env_number(env, "SMS_CONNECT_TIMEOUT", d.connect_timeout, 0.1, 60.0),
            read_timeout=env_number(env, "SMS_READ_TIMEOUT", d.read_timeout, 0.1, 300.0),
            validation=validation,
            all_max_tasks=env_int(env, "SMS_ALL_MAX_TASKS", d.all_max_tasks, 1, ALL_MAX_TASKS_CEILING),
            scan_concurrency=env_int(env, "SMS_SCAN_CONCURRENCY", d.scan_concurrency, 1, 32),
            page_retries=env_int(env, "SMS_PAGE_RETRIES", d.page_retries, 0, 10),
            verify_tls=env_flag(env, "SMS_VERIFY_TLS", default=d.verify_tls),
            max_body_bytes=env_int(env, "SMS_MAX_BODY_BYTES", d.max_body_bytes, 64 * 1024, 256 * 1024 * 1024),
            env=env,
        )

    @classmethod
    def for_context(cls, context: Any) -> Settings:
        """The settings of one invocation: user data of ``context`` first, ``os.environ`` second."""
        return cls.from_env(Environment(context))

    @cached_property
    def summary(self) -> SummarySettings:
        return SummarySettings.from_env(self.env)

    @cached_property
    def events(self) -> EventSettings:
        return EventSettings.from_env(self.env)

    @cached_property
    def webhooks(self) -> WebhookSettings:
        from shared.webhooks.targets import WebhookSettings  # only the functions that deliver pay for it

        return WebhookSettings.from_env(self.env)

    @cached_property
    def dashboard(self) -> DashboardSettings:  # issue 13
        return DashboardSettings.from_env(self.env)

    @cached_property
    def export(self) -> ExportSettings:  # issue 19
        return ExportSettings.from_env(self.env, self.region)
