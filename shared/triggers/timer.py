"""The timer function: on each tick, summarise every task and push the summary to the webhooks.

Order matters: the event and the delivery plan are checked before any task is read (a bad
``user_event`` or target list fails fast, at no SMS cost); then the scan, the summary, the
delivery. Failures follow ``scope.run_once``: a bad event or setting is logged at ERROR and
returned (``ok: false``: retrying can't fix it); if any target still fails after its retries,
or SMS fails, the invocation raises, so FunctionGraph's retry or failure destination takes over,
and the whole summary is logged first: nothing is lost silently."""
from __future__ import annotations

import hashlib
from typing import Any

from shared.dashboard.links import message_links
from shared.logger import logger
from shared.result_limits import fit_async
from shared.scope import Invocation, invocation_scope, run_once
from shared.summary.summarise import headline, selected_waves, summarise
from shared.triggers.timer_event import TimerEvent, parse_timer_event
from shared.webhooks import DeliveryPlan


def tick_delivery_id(tick: TimerEvent) -> str:
    """The same tick always gets the same id, so a FunctionGraph retry of a failed invocation
    re-sends under the id receivers already saw and can deduplicate."""
    seed = f"{tick.trigger_name or 'timer'}|{tick.time.isoformat()}"
    return "tick_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


# What an over-256 KB result keeps (shared.result_limits): the outcome, the counts, the tick.
RESULT_KEEP = ("ok", "delivered", "failed", "skipped", "notified", "delivery_id", "trigger", "tick", "summary",
               "retryable", "status", "error", "request_id")


def _targets_brief(result: dict[str, Any]) -> None:
    kept = ("target", "status", "http_status", "error")
    result["outcomes"] = [{k: o.get(k) for k in kept} for o in result.get("outcomes", [])]


def run(event: Any, context: Any) -> dict[str, Any]:
    with invocation_scope(context, "list_tasks_timer") as invocation:
        result = run_once(lambda: _run(event, invocation), invocation)
        return fit_async(result, RESULT_KEEP, (("targets_brief", _targets_brief),))


def _run(event: Any, invocation: Invocation) -> dict[str, Any]:
    tick = parse_timer_event(event)
    options = tick.options
    query = tick.query
    settings = invocation.settings
    plan = DeliveryPlan.resolve(settings, options)
    groups = selected_waves(settings, options.get("groups"), "user_event.groups")
    logger.info("tick", trigger=tick.trigger_name, tick=tick.time.isoformat(), filters=query.filters,
                targets=[t.name for t in plan.targets])
    summary, scan = summarise(
        query, settings, invocation,
        now=tick.time,
        interval_seconds=options.get("interval_seconds"),
        stall_after_seconds=options.get("stall_after_seconds"),
        groups=groups,
    )
    delivery_id = tick_delivery_id(tick)
    links = message_links(settings, summary.get("filters")) if plan.targets else None
    delivery = plan.send(summary, deadline=invocation.deadline, delivery_id=delivery_id, links=links)
    result = {
        "delivery_id": delivery_id,
        "trigger": tick.trigger_name,
        "tick": tick.time.isoformat(),
        "summary": headline(summary),
        "scan": {"pages": scan.pages, "retries": scan.retries, "elapsed_ms": round(scan.elapsed_ms, 1),
                 "partial_reason": scan.partial_reason},
        **delivery.to_dict(),
    }
    if not plan.targets:
        logger.warning("no webhook targets configured; the summary is only logged", summary=summary)
    if not delivery.ok:
        logger.error("webhook delivery failed; the summary follows so it is not lost", summary=summary,
                     delivery=delivery.to_dict())
        delivery.raise_for_failures()
    logger.info("tick done", **headline(summary), delivery_id=delivery_id)
    return result
