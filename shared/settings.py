"""Settings from the environment (FunctionGraph passes a function's environment variables there).

Reading is cheap and never fails at import: ``Settings.from_env`` collects problems and the first
call that needs a broken setting raises a clear ``ApiError`` (HTTP 500, ``SMSFN.0500``)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.env import env_flag, env_int, env_number
from shared.errors import config_error
from shared.logger import register_secret
from shared.validation.validate import validation_mode


@dataclass(frozen=True)
class Settings:
    """Every setting the functions read; the README's settings table lists the same names."""

    region: str | None = None
    endpoint: str | None = None
    project_id: str | None = None
    ak: str | None = field(default=None, repr=False)
    sk: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    validation: str = "warn"
    all_max_tasks: int = 10000
    scan_concurrency: int = 4
    page_retries: int = 2
    verify_tls: bool = True
    summary_interval_s: int = 3600
    summary_stall_after_s: int = 3600
    summary_max_items: int = 50
    summary_max_tasks: int = 100000
    # --- operator dashboard (issue 13): signed links, chat buttons ---------------------------
    dashboard_url: str | None = None  # DASHBOARD_URL: public base URL the chat links point at
    dashboard_link_secret: str | None = field(default=None, repr=False)  # DASHBOARD_LINK_SECRET
    dashboard_link_ttl_s: int = 86400  # DASHBOARD_LINK_TTL_SECONDS: lifetime of a signed link
    dashboard_refresh_s: int = 60  # DASHBOARD_REFRESH_SECONDS: period of the opt-in auto-refresh
    # --- end operator dashboard -----------------------------------------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            validation = validation_mode(env.get("SMS_VALIDATION"))
        except ValueError as exc:
            raise config_error(str(exc)) from None
        endpoint = env.get("SMS_ENDPOINT", "").strip() or None
        if endpoint and not endpoint.startswith(("https://", "http://")):
            raise config_error(f"SMS_ENDPOINT must be an http(s) URL, got {endpoint!r}")
        return cls(
            region=env.get("SMS_REGION", "").strip() or None,
            endpoint=endpoint.rstrip("/") if endpoint else None,
            project_id=(env.get("SMS_PROJECT_ID") or env.get("HUAWEICLOUD_SDK_PROJECT_ID") or "").strip()
            or None,
            ak=env.get("HUAWEICLOUD_SDK_AK", "").strip() or None,
            sk=env.get("HUAWEICLOUD_SDK_SK", "").strip() or None,
            security_token=env.get("HUAWEICLOUD_SDK_SECURITY_TOKEN", "").strip() or None,
            connect_timeout=env_number(env, "SMS_CONNECT_TIMEOUT", 3.0, 0.1, 60.0),
            read_timeout=env_number(env, "SMS_READ_TIMEOUT", 10.0, 0.1, 300.0),
            validation=validation,
            all_max_tasks=env_int(env, "SMS_ALL_MAX_TASKS", 10000, 1, 1_000_000),
            scan_concurrency=env_int(env, "SMS_SCAN_CONCURRENCY", 4, 1, 32),
            page_retries=env_int(env, "SMS_PAGE_RETRIES", 2, 0, 10),
            verify_tls=env_flag(env, "SMS_VERIFY_TLS", default=True),
            summary_interval_s=env_int(env, "SUMMARY_INTERVAL_SECONDS", 3600, 60, 30 * 86400),
            summary_stall_after_s=env_int(env, "SUMMARY_STALL_AFTER_SECONDS", 3600, 60, 30 * 86400),
            summary_max_items=env_int(env, "SUMMARY_MAX_ITEMS", 50, 0, 1000),
            summary_max_tasks=env_int(env, "SUMMARY_MAX_TASKS", 100000, 1, 1_000_000),
            # --- operator dashboard (issue 13) ---
            dashboard_url=_dashboard_url(env),
            dashboard_link_secret=_link_secret(env),
            dashboard_link_ttl_s=env_int(env, "DASHBOARD_LINK_TTL_SECONDS", 86400, 60, 90 * 86400),
            dashboard_refresh_s=env_int(env, "DASHBOARD_REFRESH_SECONDS", 60, 10, 3600),
        )


# --- operator dashboard (issue 13) ---------------------------------------------------------------
MIN_LINK_SECRET_CHARS = 16


def _dashboard_url(env: Mapping[str, str]) -> str | None:
    url = (env.get("DASHBOARD_URL") or "").strip().rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise config_error("DASHBOARD_URL must be an http(s) URL")
    return url or None


def _link_secret(env: Mapping[str, str]) -> str | None:
    secret = (env.get("DASHBOARD_LINK_SECRET") or "").strip()
    if not secret:
        return None
    register_secret(secret)
    if len(secret) < MIN_LINK_SECRET_CHARS:  # names the setting, never its value
        raise config_error(f"DASHBOARD_LINK_SECRET must be at least {MIN_LINK_SECRET_CHARS} characters")
    return secret
# --- end operator dashboard -----------------------------------------------------------------------
