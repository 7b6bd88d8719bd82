"""Webhook notifications of the migration summary: targets, formats, signing, delivery, URL safety.

Typical use (the timer and event functions): resolve the plan before reading any task, so a bad
target list fails fast, then send under a delivery id derived from the trigger, never from the
invocation's request id (a FunctionGraph retry must reuse the id receivers deduplicate on)::

    plan = DeliveryPlan.resolve(invocation.settings, options)
    ...                                   # read the tasks, build the summary
    result = plan.send(summary, deadline=invocation.deadline, delivery_id=tick_delivery_id(tick))
    result.raise_for_failures()           # DeliveryFailed -> FunctionGraph retries the invocation
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
