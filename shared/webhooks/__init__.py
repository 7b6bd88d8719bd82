"""Webhook notifications of the migration summary: targets, formats, signing, delivery, URL safety.

Typical use in the timer function::

    from shared.webhooks import send_summary

    result = send_summary(summary, env=os.environ, options=user_event, deadline=inv.deadline,
                          delivery_id=inv.request_id)
    result.raise_for_failures()   # DeliveryFailed -> FunctionGraph retries the invocation
"""
from __future__ import annotations

from shared.webhooks.delivery import (
    DeliveryFailed,
    DeliveryResult,
    TargetOutcome,
    deliver,
    make_session,
    parse_retry_after,
)
from shared.webhooks.notify import NOTIFY_CONDITIONS, parse_notify_on, should_notify
from shared.webhooks.plan import DeliveryPlan, send_summary
from shared.webhooks.targets import FORMATS, Target, WebhookSettings, build_target, load_targets
from shared.webhooks.url_safety import UnsafeUrl, UrlPolicy, register_url_secrets, safe_url

__all__ = [
    "FORMATS",
    "NOTIFY_CONDITIONS",
    "DeliveryFailed",
    "DeliveryPlan",
    "DeliveryResult",
    "Target",
    "TargetOutcome",
    "UnsafeUrl",
    "UrlPolicy",
    "WebhookSettings",
    "build_target",
    "deliver",
    "load_targets",
    "make_session",
    "parse_notify_on",
    "parse_retry_after",
    "register_url_secrets",
    "safe_url",
    "send_summary",
    "should_notify",
]
