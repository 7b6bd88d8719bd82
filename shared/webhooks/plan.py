"""Where a run's summary goes, settled before the run reads any task.

A long scan that ends in "WEBHOOK_TARGETS is malformed" wastes the invocation; resolving targets
and ``notify_on`` first fails fast, and the same plan then delivers."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from shared.settings import Settings
from shared.webhooks.delivery import DeadlineLike, DeliveryResult, deliver
from shared.webhooks.formats.base import ChatLinks
from shared.webhooks.notify import parse_notify_on
from shared.webhooks.targets import Target, WebhookSettings, load_targets
from shared.webhooks.url_safety import Resolver


@dataclass(frozen=True)
class DeliveryPlan:
    settings: WebhookSettings
    targets: list[Target]
    notify_on: tuple[str, ...]

    @classmethod
    def resolve(cls, source: Settings, options: Mapping[str, Any] | None = None) -> DeliveryPlan:
        """Targets and conditions from the invocation's settings, overridden by its ``options``."""
        settings = source.webhooks
        targets = load_targets(source.env, options, settings)
        notify_on = settings.notify_on
        if options and options.get("notify_on") is not None:
            notify_on = parse_notify_on(options["notify_on"])
        return cls(settings, targets, tuple(notify_on))

    def send(self, summary: Mapping[str, Any], *, deadline: DeadlineLike, delivery_id: str,
             links: ChatLinks | None = None) -> DeliveryResult:
        return deliver(self.targets, summary, deadline=deadline, delivery_id=delivery_id,
                       notify_on=self.notify_on, settings=self.settings, links=links)


def send_summary(
    summary: Mapping[str, Any],
    *,
    env: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    deadline: DeadlineLike,
    delivery_id: str,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    resolver: Resolver | None = None,
    links: ChatLinks | None = None,
) -> DeliveryResult:
    """Resolve the plan and deliver in one call (tests and simple callers)."""
    plan = DeliveryPlan.resolve(Settings(env=env), options)
    return deliver(
        plan.targets, summary, deadline=deadline, delivery_id=delivery_id, notify_on=plan.notify_on,
        session=session, sleep=sleep, clock=clock, settings=plan.settings, resolver=resolver, links=links,
    )
