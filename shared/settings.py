"""Settings from the environment (FunctionGraph passes a function's environment variables there).

Reading is cheap and never fails at import: ``Settings.from_env`` collects problems and the first
call that needs a broken setting raises a clear ``ApiError`` (HTTP 500, ``SMSFN.0500``)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.env import env_flag, env_int, env_number
from shared.errors import config_error
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
        )
